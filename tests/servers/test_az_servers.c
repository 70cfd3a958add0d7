/* az_servers_url and az_servers_lookup (tests/unit/az_servers.c): how the store tests find the servers that
 * tests/servers/servers.sh started, and the messages that say how to run a store test when they cannot. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az_servers.h"
#include "az_test.h"

static const char *const keys[] = {"ASYNCZ_TEST_REDIS_URL", "ASYNCZ_TEST_POSTGRESQL_URL",
                                   "ASYNCZ_TEST_MARIADB_URL", "ASYNCZ_TEST_MONGODB_URL"};

/* The lookups below read only the files they write, whatever the caller's environment holds. */
static void clear_direct_urls(void)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        unsetenv(keys[i]);
}

/* Write text to a fresh temporary file; its path goes to path (size 64). */
static void write_env_file(char *path, const char *text)
{
    snprintf(path, 64, "%s", "/tmp/az_servers_env.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Look name up in a file holding text; returns the lookup's result, the URL or the reason in out. */
static int lookup_in(const char *name, const char *text, char *out, size_t n)
{
    char path[64], why[1024];
    write_env_file(path, text);
    int rc = az_servers_lookup(name, path, out, n, why, sizeof why);
    unlink(path);
    if (rc < 0)
        snprintf(out, n, "%s", why);
    return rc;
}

static void lookup_reads_each_url_from_the_env_file(void **state)
{
    (void)state;
    clear_direct_urls();
    const char *text = "ASYNCZ_TEST_REDIS_URL_OLD=redis://wrong/\n"
                       "ASYNCZ_TEST_REDIS_URL=redis://127.0.0.1:1/0\n"
                       "ASYNCZ_TEST_POSTGRESQL_URL=postgresql://asyncz@127.0.0.1:2/asyncz\r\n"
                       "ASYNCZ_TEST_MARIADB_URL=mariadb://asyncz:pw@127.0.0.1:3/asyncz\n"
                       "ASYNCZ_TEST_MONGODB_URL=mongodb://127.0.0.1:4/";
    char out[256];
    assert_int_equal(lookup_in("redis", text, out, sizeof out), 0);
    assert_string_equal(out, "redis://127.0.0.1:1/0");
    assert_int_equal(lookup_in("postgresql", text, out, sizeof out), 0);
    assert_string_equal(out, "postgresql://asyncz@127.0.0.1:2/asyncz");
    assert_int_equal(lookup_in("mariadb", text, out, sizeof out), 0);
    assert_string_equal(out, "mariadb://asyncz:pw@127.0.0.1:3/asyncz");
    assert_int_equal(lookup_in("mongodb", text, out, sizeof out), 0);
    assert_string_equal(out, "mongodb://127.0.0.1:4/");
}

static void lookup_prefers_the_environment_variable(void **state)
{
    (void)state;
    clear_direct_urls();
    assert_int_equal(setenv("ASYNCZ_TEST_REDIS_URL", "redis://10.0.0.1:6379/2", 1), 0);
    char out[256];
    assert_int_equal(lookup_in("redis", "ASYNCZ_TEST_REDIS_URL=redis://127.0.0.1:1/0\n", out, sizeof out), 0);
    assert_string_equal(out, "redis://10.0.0.1:6379/2");
    char why[256];
    assert_int_equal(az_servers_lookup("redis", NULL, out, sizeof out, why, sizeof why), 0);
    assert_string_equal(out, "redis://10.0.0.1:6379/2");
    clear_direct_urls();
}

static void lookup_ignores_an_empty_environment_variable(void **state)
{
    (void)state;
    clear_direct_urls();
    assert_int_equal(setenv("ASYNCZ_TEST_MONGODB_URL", "", 1), 0);
    char out[256];
    assert_int_equal(
        lookup_in("mongodb", "ASYNCZ_TEST_MONGODB_URL=mongodb://127.0.0.1:4/\n", out, sizeof out), 0);
    assert_string_equal(out, "mongodb://127.0.0.1:4/");
    clear_direct_urls();
}

static void lookup_refuses_an_unknown_name(void **state)
{
    (void)state;
    char out[256], why[256];
    assert_int_equal(az_servers_lookup("sqlite", NULL, out, sizeof out, why, sizeof why), -1);
    assert_string_equal(why, "unknown server 'sqlite' (redis, postgresql, mariadb or mongodb)");
    assert_int_equal(az_servers_lookup(NULL, NULL, out, sizeof out, why, sizeof why), -1);
    assert_string_equal(why, "unknown server '' (redis, postgresql, mariadb or mongodb)");
}

static void lookup_without_env_file_says_how_to_run(void **state)
{
    (void)state;
    clear_direct_urls();
    char out[256], why[1024];
    assert_int_equal(az_servers_lookup("mariadb", NULL, out, sizeof out, why, sizeof why), -1);
    assert_non_null(strstr(why, "neither ASYNCZ_TEST_MARIADB_URL nor ASYNCZ_TEST_SERVERS_ENV is set: "));
    assert_non_null(strstr(why, "ctest -R 'servers|test_store'"));
    assert_int_equal(az_servers_lookup("mariadb", "", out, sizeof out, why, sizeof why), -1);
    assert_non_null(strstr(why, "neither ASYNCZ_TEST_MARIADB_URL nor ASYNCZ_TEST_SERVERS_ENV is set: "));
}

static void lookup_with_missing_env_file_says_how_to_run(void **state)
{
    (void)state;
    clear_direct_urls();
    char out[256], why[1024];
    assert_int_equal(az_servers_lookup("redis", "/nonexistent/servers/env", out, sizeof out, why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "cannot read /nonexistent/servers/env, named by ASYNCZ_TEST_SERVERS_ENV "
                                "(No such file or directory): are the servers running? run the test"));
    assert_non_null(strstr(why, "tests/servers/servers.sh start DIR"));
}

static void lookup_without_the_key_fails(void **state)
{
    (void)state;
    clear_direct_urls();
    char out[1024];
    assert_int_equal(
        lookup_in("postgresql", "ASYNCZ_TEST_REDIS_URL=redis://127.0.0.1:1/0\n", out, sizeof out), -1);
    assert_non_null(strstr(out, " has no ASYNCZ_TEST_POSTGRESQL_URL line: run the test through ctest"));
    assert_int_equal(lookup_in("postgresql", "", out, sizeof out), -1);
    assert_non_null(strstr(out, " has no ASYNCZ_TEST_POSTGRESQL_URL line: "));
}

static void lookup_refuses_empty_and_overlong_urls(void **state)
{
    (void)state;
    clear_direct_urls();
    char out[1024];
    assert_int_equal(lookup_in("redis", "ASYNCZ_TEST_REDIS_URL=\n", out, sizeof out), -1);
    assert_non_null(strstr(out, "/tmp/az_servers_env."));
    assert_non_null(strstr(out, " is empty"));
    char small[21];
    assert_int_equal(lookup_in("redis", "ASYNCZ_TEST_REDIS_URL=redis://127.0.0.1:1/0\n", small, sizeof small),
                     -1);
    /* The reason is cut to the buffer's size; what fits says which URL. */
    assert_string_equal(small, "the URL in /tmp/az_s");
    assert_int_equal(setenv("ASYNCZ_TEST_REDIS_URL", "redis://127.0.0.1:65535/15", 1), 0);
    char why[256];
    assert_int_equal(az_servers_lookup("redis", NULL, small, sizeof small, why, sizeof why), -1);
    assert_string_equal(why, "the URL in ASYNCZ_TEST_REDIS_URL is too long");
    clear_direct_urls();
}

/* Under ctest the fixture's env file names all four servers, on loopback ports. */
static void url_names_the_fixture_servers(void **state)
{
    (void)state;
    static const char *const prefixes[] = {
        "redis://127.0.0.1:", "postgresql://asyncz@127.0.0.1:", "mariadb://asyncz:", "mongodb://127.0.0.1:"};
    static const char *const names[] = {"redis", "postgresql", "mariadb", "mongodb"};
    for (size_t i = 0; i < 4; i++) {
        const char *url = az_servers_url(names[i]);
        assert_true(strncmp(url, prefixes[i], strlen(prefixes[i])) == 0);
        assert_ptr_equal(az_servers_url(names[i]), url);
    }
    assert_non_null(strstr(az_servers_url("mariadb"), "@127.0.0.1:"));
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_reads_each_url_from_the_env_file),
        cmocka_unit_test(lookup_prefers_the_environment_variable),
        cmocka_unit_test(lookup_ignores_an_empty_environment_variable),
        cmocka_unit_test(lookup_refuses_an_unknown_name),
        cmocka_unit_test(lookup_without_env_file_says_how_to_run),
        cmocka_unit_test(lookup_with_missing_env_file_says_how_to_run),
        cmocka_unit_test(lookup_without_the_key_fails),
        cmocka_unit_test(lookup_refuses_empty_and_overlong_urls),
        cmocka_unit_test(url_names_the_fixture_servers),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
