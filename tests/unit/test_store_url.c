/* Store URLs, sealing, and opening stores by URL (the parts that need no server). */
#include <stdlib.h>
#include <string.h>

#include "az_test.h"
#include "codec/seal.h"
#include "store/url.h"

static void url_full(void **state)
{
    (void)state;
    az_url u;
    assert_int_equal(
        az_url_parse("PostgreSQL://us%40er:p%3Ass@db.example:5433/tasks%20db?tablename=t1&x=", &u), 0);
    assert_string_equal(u.scheme, "postgresql");
    assert_string_equal(u.user, "us@er");
    assert_string_equal(u.password, "p:ss");
    assert_string_equal(u.host, "db.example");
    assert_int_equal(u.port, 5433);
    assert_string_equal(u.path, "/tasks db");
    assert_int_equal(u.n_options, 2);
    assert_string_equal(az_url_get(&u, "tablename", "asyncz_store"), "t1");
    assert_string_equal(az_url_get(&u, "missing", "dflt"), "dflt");
    assert_int_equal(az_url_check_options(&u, "tablename"), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "\"x\""));
    assert_null(strstr(asyncz_store_errmsg(), "p:ss")); /* the password never shows */
    assert_non_null(strstr(u.text, "***"));
    az_url_get(&u, "x", NULL);
    assert_int_equal(az_url_check_options(&u, "tablename"), 0);
    az_url_free(&u);
}

static void url_forms(void **state)
{
    (void)state;
    az_url u;
    assert_int_equal(az_url_parse("sqlite:////var/lib/asyncz/tasks.db", &u), 0);
    assert_string_equal(u.scheme, "sqlite");
    assert_null(u.host);
    assert_string_equal(u.path, "//var/lib/asyncz/tasks.db");
    az_url_free(&u);
    assert_int_equal(az_url_parse("sqlalchemy+mysql://h/db", &u), 0);
    assert_string_equal(u.scheme, "mysql");
    az_url_free(&u);
    assert_int_equal(az_url_parse("redis://[::1]:6380/2", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 6380);
    assert_string_equal(u.path, "/2");
    az_url_free(&u);
    assert_int_equal(az_url_parse("redis://:secret@localhost", &u), 0);
    assert_null(u.user);
    assert_string_equal(u.password, "secret");
    assert_int_equal(u.port, 0);
    az_url_free(&u);
    assert_int_equal(az_url_parse("memory://", &u), 0);
    assert_string_equal(u.path, "");
    az_url_free(&u);
}

static void url_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "no-scheme",          "://x",           "redis://h:0",    "redis://h:65536", "redis://h:12x",
        "redis://[::1",       "redis://[::1]x", "file:///a%zz",   "file:///a%00b",   "redis://h/?=1",
        "redis://h/?a=1&a=2", "bad scheme://x", "file:///x#frag",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        az_url u;
        if (az_url_parse(bad[i], &u) != ASYNCZ_EINVAL)
            fail_msg("accepted %s", bad[i]);
        assert_true(strlen(asyncz_store_errmsg()) > 10);
    }
}

static void url_names_and_bools(void **state)
{
    (void)state;
    assert_int_equal(az_url_name("tablename", "asyncz_store", false), 0);
    assert_int_equal(az_url_name("tablename", "x; DROP TABLE t", false), ASYNCZ_EINVAL);
    assert_non_null(strstr(asyncz_store_errmsg(), "tablename"));
    assert_int_equal(az_url_name("tablename", "a.b", false), ASYNCZ_EINVAL);
    assert_int_equal(az_url_name("tasks_key", "asyncz.tasks", true), 0);
    assert_int_equal(az_url_name("tasks_key", "a b", true), ASYNCZ_EINVAL);
    assert_int_equal(az_url_name("tablename", "1abc", false), ASYNCZ_EINVAL);
    assert_int_equal(az_url_name("tablename", "", false), ASYNCZ_EINVAL);
    bool b = false;
    assert_int_equal(az_url_bool("cleanup_directory", "TRUE", &b), 0);
    assert_true(b);
    assert_int_equal(az_url_bool("cleanup_directory", "0", &b), 0);
    assert_false(b);
    assert_int_equal(az_url_bool("cleanup_directory", "maybe", &b), ASYNCZ_EINVAL);
}

static void open_unknown_schemes(void **state)
{
    (void)state;
    asyncz_store *st = (asyncz_store *)&st;
    assert_int_equal(asyncz_store_open(&st, "ftp://host/"), ASYNCZ_EUNSUPPORTED);
    assert_null(st);
    assert_non_null(strstr(asyncz_store_errmsg(), "ftp"));
    assert_int_equal(asyncz_store_open(&st, "memory://x"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "memory://?a=1"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "memory://"), 0);
    assert_string_equal(asyncz_store_kind(st), "memory");
    assert_int_equal(asyncz_store_connect(st), 0);
    asyncz_store_free(st);
}

/* asyncz_store_scheme_supported says what asyncz_store_open does: a scheme is supported exactly when
 * opening one of its URLs is not ASYNCZ_EUNSUPPORTED. */
static void scheme_supported_matches_open(void **state)
{
    (void)state;
    static const char *const urls[][2] = {
        {"memory", "memory://"},
        {"file", "file:///nonexistent/asyncz-test"},
        {"sqlite", "sqlite:///nonexistent/asyncz-test.db"},
        {"postgresql", "postgresql://u@127.0.0.1:1/db"},
        {"postgres", "postgres://u@127.0.0.1:1/db"},
        {"mariadb", "mariadb://u@127.0.0.1:1/db"},
        {"mysql", "mysql://u@127.0.0.1:1/db"},
        {"redis", "redis://127.0.0.1:1/0"},
        {"mongodb", "mongodb://127.0.0.1:1/"},
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        asyncz_store *st = NULL;
        int rc = asyncz_store_open(&st, urls[i][1]); /* opening connects nothing */
        if (asyncz_store_scheme_supported(urls[i][0]))
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, ASYNCZ_EUNSUPPORTED);
        asyncz_store_free(st);
    }
    assert_true(asyncz_store_scheme_supported("memory"));
    assert_false(asyncz_store_scheme_supported("ftp"));
    assert_false(asyncz_store_scheme_supported(""));
    assert_false(asyncz_store_scheme_supported(NULL));
}

/* ---- sealing ---------------------------------------------------------------------------------------- */

static void seal_round_trip(void **state)
{
    (void)state;
    az_sealer s;
    assert_int_equal(az_sealer_init(&s, "k", 1), 0);
    assert_true(s.enabled);
    const char *doc = "{\"v\":1}";
    unsigned char *a = NULL, *b = NULL, *plain = NULL;
    size_t alen = 0, blen = 0, plen = 0;
    assert_int_equal(az_seal(&s, "id", (const unsigned char *)doc, strlen(doc), &a, &alen), 0);
    assert_int_equal(alen, strlen(doc) + AZ_SEAL_OVERHEAD);
    assert_true(az_seal_looks_sealed(a, alen));
    assert_memory_equal(a, "AZSEAL\x01", 7);
    assert_int_equal(az_seal(&s, "id", (const unsigned char *)doc, strlen(doc), &b, &blen), 0);
    assert_memory_not_equal(a + 7, b + 7, AZ_SEAL_NONCE_LEN); /* a fresh nonce each time */
    assert_int_equal(az_unseal(&s, "id", a, alen, &plain, &plen), 0);
    assert_int_equal(plen, strlen(doc));
    assert_string_equal((char *)plain, doc);
    free(plain);
    free(a);
    free(b);
    az_sealer_clear(&s);
    assert_false(s.enabled);
}

static void seal_refusals(void **state)
{
    (void)state;
    az_sealer s, other, off;
    assert_int_equal(az_sealer_init(&s, "key one", 7), 0);
    assert_int_equal(az_sealer_init(&other, "key two", 7), 0);
    assert_int_equal(az_sealer_init(&off, NULL, 0), 0);
    assert_false(off.enabled);
    unsigned char *env = NULL, *plain = NULL;
    size_t len = 0, plen = 0;
    assert_int_equal(az_seal(&s, "id", (const unsigned char *)"hello", 5, &env, &len), 0);
    assert_int_equal(az_unseal(&other, "id", env, len, &plain, &plen), ASYNCZ_ECRYPTO);
    assert_int_equal(az_unseal(&s, "id2", env, len, &plain, &plen), ASYNCZ_ECRYPTO);
    for (size_t i = 0; i < len; i++) {
        env[i] ^= 0x80;
        assert_int_equal(az_unseal(&s, "id", env, len, &plain, &plen), ASYNCZ_ECRYPTO);
        env[i] ^= 0x80;
    }
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(az_unseal(&s, "id", env, cut, &plain, &plen), ASYNCZ_ECRYPTO);
    assert_int_equal(az_unseal(&off, "id", env, len, &plain, &plen), ASYNCZ_EINVAL);
    assert_int_equal(az_seal(&off, "id", (const unsigned char *)"x", 1, &plain, &plen), ASYNCZ_EINVAL);
    assert_int_equal(az_unseal(&s, "id", env, len, &plain, &plen), 0);
    free(plain);
    free(env);
}

static void seal_key_from_env(void **state)
{
    (void)state;
    az_sealer a, b;
    setenv(ASYNCZ_STORE_KEY_ENV, "", 1);
    assert_int_equal(az_sealer_from_env(&a), 0);
    assert_false(a.enabled);
    setenv(ASYNCZ_STORE_KEY_ENV, "abc", 1);
    assert_int_equal(az_sealer_from_env(&a), 0);
    assert_true(a.enabled);
    assert_int_equal(az_sealer_init(&b, "abc", 3), 0);
    assert_memory_equal(a.key, b.key, 32);
    /* SHA-256("abc") */
    static const unsigned char sha_abc[4] = {0xba, 0x78, 0x16, 0xbf};
    assert_memory_equal(a.key, sha_abc, 4);
    unsetenv(ASYNCZ_STORE_KEY_ENV);
}

/* URLs as messages show them: passwords and secret options masked, everything else as given. */
static void url_mask(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"postgresql://u:s3cret@db:5432/jobs?tablename=t", "postgresql://u:***@db:5432/jobs?tablename=t"},
        {"redis://:s3cret@cache:6380/2", "redis://:***@cache:6380/2"},
        {"mariadb://u:p%40ss@h/db", "mariadb://u:***@h/db"},
        {"mongodb://h/?tlsCertificateKeyFilePassword=s3cret&appname=x",
         "mongodb://h/?tlsCertificateKeyFilePassword=***&appname=x"},
        {"postgresql://u@h/db?password=s3cret", "postgresql://u@h/db?password=***"},
        {"x://h/?client_SECRET=s3cret&passwd=s3cret&tablename=pass",
         "x://h/?client_SECRET=***&passwd=***&tablename=pass"},
        {"sqlite:////var/lib/asyncz/tasks.db", "sqlite:////var/lib/asyncz/tasks.db"},
        {"redis://user@h/0", "redis://user@h/0"},
        {"not a url at all", "not a url at all"},
        /* Passwords with a '#', '/' or '?' the user did not percent-encode: masked whole. */
        {"postgresql://u:s3c#ret@db/x", "postgresql://u:***@db/x"},
        {"postgresql://u:pa/ss@db/x?tablename=t", "postgresql://u:***@db/x?tablename=t"},
        {"mariadb://u:pa?ss@h/db?password=s3cret", "mariadb://u:***@h/db?password=***"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_store_url_mask(cases[i][0], buf, sizeof buf);
        assert_string_equal(buf, cases[i][1]);
    }
    asyncz_store_url_mask(NULL, buf, sizeof buf);
    assert_string_equal(buf, "");
    asyncz_store_url_mask("postgresql://u:s3cret@db/jobs", buf, 16); /* cut, never past the mask */
    assert_string_equal(buf, "postgresql://u:");
    /* The store's own messages mask the same way. */
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "postgresql://u:s3cret@h/db?password=s3cret"), ASYNCZ_EINVAL);
    assert_null(strstr(asyncz_store_errmsg(), "s3cret"));
    assert_non_null(strstr(asyncz_store_errmsg(), "password=***"));
    assert_int_equal(asyncz_store_open(&st, "postgresql://u:s3cret@h:99999/db"), ASYNCZ_EINVAL);
    assert_null(strstr(asyncz_store_errmsg(), "s3cret"));
    /* A URL the parser refuses because of the password itself is quoted masked too. */
    static const char *const refused[] = {"postgresql://u:s3c#ret@db/x", "postgresql://u:s3/cret@db/x",
                                          "postgresql://u:s3?cret@db/x"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int rc = asyncz_store_open(&st, refused[i]);
        if (rc == 0) {
            asyncz_store_free(st);
            continue;
        }
        assert_null(strstr(asyncz_store_errmsg(), "s3"));
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(url_full),
        cmocka_unit_test(url_forms),
        cmocka_unit_test(url_refused),
        cmocka_unit_test(url_names_and_bools),
        cmocka_unit_test(open_unknown_schemes),
        cmocka_unit_test(scheme_supported_matches_open),
        cmocka_unit_test(url_mask),
        cmocka_unit_test(seal_round_trip),
        cmocka_unit_test(seal_refusals),
        cmocka_unit_test(seal_key_from_env),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
