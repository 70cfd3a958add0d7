/* The error table: every code has a name and a description, codes are stable, unknown codes are safe. */
#include <string.h>

#include "az_test.h"

static void test_every_code_has_text_and_name(void **state)
{
#define CHECK_CODE(name, value, text)                                                                        \
    assert_int_equal(ASYNCZ_##name, value);                                                                  \
    assert_string_equal(asyncz_strerror(value), text);                                                       \
    assert_string_equal(asyncz_err_name(value), "ASYNCZ_" #name);
    ASYNCZ_ERRNO_MAP(CHECK_CODE)
#undef CHECK_CODE
}

static void test_codes_are_stable(void **state)
{
    /* Released codes never change meaning: pin a few. */
    assert_int_equal(ASYNCZ_EINVAL, -1);
    assert_int_equal(ASYNCZ_ENOMEM, -2);
    assert_int_equal(ASYNCZ_ENOTFOUND, -3);
    assert_int_equal(ASYNCZ_EEXISTS, -4);
    assert_int_equal(ASYNCZ_EPARSE, -5);
    assert_int_equal(ASYNCZ_ESEARCH, -9);
}

static void test_success_and_unknown_codes(void **state)
{
    assert_string_equal(asyncz_strerror(0), "success");
    assert_string_equal(asyncz_err_name(0), "ASYNCZ_OK");
    assert_string_equal(asyncz_strerror(-9999), "unknown error");
    assert_string_equal(asyncz_err_name(12345), "ASYNCZ_UNKNOWN");
}

static void test_version_matches_header(void **state)
{
    assert_string_equal(asyncz_version(), ASYNCZ_VERSION_STRING);
    assert_true(ASYNCZ_VERSION_HEX > 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_text_and_name),
        cmocka_unit_test(test_codes_are_stable),
        cmocka_unit_test(test_success_and_unknown_codes),
        cmocka_unit_test(test_version_matches_header),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
