/* The asyncz tool's table printer (src/cli/table.c): alignment, no trailing blanks, UTF-8 widths,
 * truncation, colors only when asked. */
#include <stdlib.h>
#include <string.h>

#include "az_test.h"

#include "cli/table.h"

/* Print t into a string (freed by the caller). */
static char *render(const az_table *t, bool color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(az_table_print(t, f, color), 0);
    fclose(f);
    return buf;
}

static az_table *sample(void)
{
    az_table *t = az_table_new(3);
    assert_non_null(t);
    assert_int_equal(az_table_header(t, (const char *const[]){"ID", "NAME", "NEXT"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"a", "backup", "09:00"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_DIM, (const char *const[]){"long-id", "x", "paused"}), 0);
    return t;
}

static void table_aligns_columns(void **state)
{
    (void)state;
    az_table *t = sample();
    char *out = render(t, false);
    assert_string_equal(out, "ID       NAME    NEXT\n"
                             "a        backup  09:00\n"
                             "long-id  x       paused\n");
    free(out);
    az_table_free(t);
}

static void table_colors_header_and_styles(void **state)
{
    (void)state;
    az_table *t = sample();
    char *out = render(t, true);
    assert_string_equal(out, "\033[1mID       NAME    NEXT\033[0m\n"
                             "a        backup  09:00\n"
                             "\033[2mlong-id  x       paused\033[0m\n");
    free(out);
    az_table_free(t);
}

static void table_without_color_has_no_escape(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_ERROR, (const char *const[]){"error", "bad"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_WARN, (const char *const[]){"warning", "hmm"}), 0);
    char *out = render(t, false);
    assert_null(strchr(out, '\033'));
    assert_string_equal(out, "error    bad\nwarning  hmm\n");
    free(out);
    out = render(t, true);
    assert_string_equal(out, "\033[31merror    bad\033[0m\n\033[33mwarning  hmm\033[0m\n");
    free(out);
    az_table_free(t);
}

static void table_no_trailing_blanks(void **state)
{
    (void)state;
    az_table *t = az_table_new(3);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"aaaa", "", ""}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"b", NULL, "c"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "aaaa\nb       c\n"); /* the empty middle column is 0 wide */
    free(out);
    az_table_free(t);
}

static void table_counts_utf8_as_columns(void **state)
{
    (void)state;
    assert_int_equal(az_table_text_width("na\xc3\xafve"), 5); /* naïve */
    assert_int_equal(az_table_text_width("\xe2\x86\x92"), 1); /* → */
    az_table *t = az_table_new(2);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"\xc3\xa9t\xc3\xa9", "x"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abcd", "y"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9   x\nabcd  y\n");
    free(out);
    az_table_free(t);
}

static void table_truncates_with_ellipsis(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    az_table_max_width(t, 0, 5);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abcdefgh", "1"}), 0);
    assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){"abc", "2"}), 0);
    char *out = render(t, false);
    assert_string_equal(out, "abcd\xe2\x80\xa6  1\nabc    2\n");
    free(out);
    az_table_free(t);
}

static void table_rejects_bad_column_counts(void **state)
{
    (void)state;
    assert_null(az_table_new(0));
    assert_null(az_table_new(33));
    az_table_free(NULL);
}

static void table_many_rows(void **state)
{
    (void)state;
    az_table *t = az_table_new(2);
    char id[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "%d", i);
        assert_int_equal(az_table_row(t, AZ_TABLE_PLAIN, (const char *const[]){id, "x"}), 0);
    }
    assert_int_equal(az_table_rows(t), 1000);
    char *out = render(t, false);
    assert_int_equal(strlen(out), 1000 * 7); /* every id padded to 3 columns, two blanks, "x\n" */
    free(out);
    az_table_free(t);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_aligns_columns),
        cmocka_unit_test(table_colors_header_and_styles),
        cmocka_unit_test(table_without_color_has_no_escape),
        cmocka_unit_test(table_no_trailing_blanks),
        cmocka_unit_test(table_counts_utf8_as_columns),
        cmocka_unit_test(table_truncates_with_ellipsis),
        cmocka_unit_test(table_rejects_bad_column_counts),
        cmocka_unit_test(table_many_rows),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
