/* The failure hooks' rules (src/cli/hook_rules.c: which failures call for a hook, the per-task rate limit)
 * and the environment of the daemon's commands (src/cli/shell_env.c). */
#include <stdlib.h>
#include <string.h>

#include "az_test.h"
#include "hook_rules.h"
#include "shell_env.h"

#define SEC ASYNCZ_USEC_PER_SEC

static void classify_outcomes(void **state)
{
    (void)state;
    az_run_failure f;
    /* a command that exited: failed, with its status */
    assert_true(az_hook_classify(&(asyncz_event){.outcome = ASYNCZ_RUN_FAILED, .exit_status = 3}, &f));
    assert_string_equal(f.outcome, "failed");
    assert_int_equal(f.exit_status, 3);
    assert_int_equal(f.signal, 0);
    /* killed by a signal (the command, or a process pool's worker) */
    assert_true(
        az_hook_classify(&(asyncz_event){.outcome = ASYNCZ_RUN_CRASHED, .exit_status = -1, .signal = 9}, &f));
    assert_string_equal(f.outcome, "crashed");
    assert_int_equal(f.signal, 9);
    assert_int_equal(f.exit_status, -1);
    /* a timeout, a command's or an executor's */
    assert_true(az_hook_classify(
        &(asyncz_event){.outcome = ASYNCZ_RUN_TIMED_OUT, .exit_status = -1, .signal = 9}, &f));
    assert_string_equal(f.outcome, "timed_out");
    assert_int_equal(f.signal, 9);
    /* a function's own failure: its words do not matter */
    assert_true(az_hook_classify(&(asyncz_event){.outcome = ASYNCZ_RUN_FAILED,
                                                 .exit_status = -1,
                                                 .error_message = "timed out after 1s"},
                                 &f));
    assert_string_equal(f.outcome, "failed");
    assert_int_equal(f.exit_status, -1);
    /* the daemon stopping: cancelled, not a failure */
    assert_false(az_hook_classify(&(asyncz_event){.outcome = ASYNCZ_RUN_CANCELLED, .exit_status = -1}, &f));
}

static void limiter_holds_back_and_counts(void **state)
{
    (void)state;
    az_hook_limiter l;
    az_hook_limiter_init(&l);
    uint32_t n = 99;
    assert_true(az_hook_limiter_admit(&l, "default\na", 100 * SEC, 60 * SEC, &n));
    assert_int_equal(n, 0);
    assert_false(az_hook_limiter_admit(&l, "default\na", 110 * SEC, 60 * SEC, &n));
    assert_false(az_hook_limiter_admit(&l, "default\na", 159 * SEC, 60 * SEC, &n));
    /* another task has its own limit */
    assert_true(az_hook_limiter_admit(&l, "default\nb", 159 * SEC, 60 * SEC, &n));
    assert_int_equal(n, 0);
    /* the interval is over: the next hook runs and says how many were held back */
    assert_true(az_hook_limiter_admit(&l, "default\na", 160 * SEC, 60 * SEC, &n));
    assert_int_equal(n, 2);
    assert_false(az_hook_limiter_admit(&l, "default\na", 161 * SEC, 60 * SEC, &n));
    assert_true(az_hook_limiter_admit(&l, "default\na", 500 * SEC, 60 * SEC, &n));
    assert_int_equal(n, 1);
    /* no limit */
    for (int i = 0; i < 3; i++) {
        assert_true(az_hook_limiter_admit(&l, "default\nc", 500 * SEC, 0, &n));
        assert_int_equal(n, 0);
    }
    az_hook_limiter_free(&l);
}

/* Keys whose interval is over and that held nothing back are dropped once the limiter is full; keys with a
 * count are kept. */
static void limiter_stays_bounded(void **state)
{
    (void)state;
    az_hook_limiter l;
    az_hook_limiter_init(&l);
    uint32_t n;
    char key[32];
    assert_true(az_hook_limiter_admit(&l, "held", 0, 1000 * SEC, &n));
    assert_false(az_hook_limiter_admit(&l, "held", 1, 1000 * SEC, &n));
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "task-%d", i);
        assert_true(az_hook_limiter_admit(&l, key, (int64_t)i * SEC, SEC, &n));
    }
    assert_true(az_hook_limiter_size(&l) <= 128);
    assert_true(az_hook_limiter_admit(&l, "held", 2000 * SEC, 1000 * SEC, &n));
    assert_int_equal(n, 1);
    az_hook_limiter_free(&l);
}

static void env_set_replace_unset(void **state)
{
    (void)state;
    char *base[] = {"PATH=/bin", "ASYNCZ_RUN_ID=stale", "HOME=/root", "ASYNCZ_TASK_ID=stale", NULL};
    az_shell_env e;
    assert_int_equal(az_shell_env_init(&e, base), 0);
    assert_string_equal(az_shell_env_get(&e, "PATH"), "/bin");
    const char odd[] = "a\tb\x01 \"$x\" \xc3\xa9 \xff";
    assert_int_equal(az_shell_env_set(&e, "ODD", odd), 0);
    assert_string_equal(az_shell_env_get(&e, "ODD"), odd); /* bytes as they are */
    assert_int_equal(az_shell_env_set(&e, "PATH", "/usr/bin"), 0);
    assert_string_equal(az_shell_env_get(&e, "PATH"), "/usr/bin");
    az_shell_env_unset(&e, "HOME");
    assert_null(az_shell_env_get(&e, "HOME"));
    assert_null(az_shell_env_get(&e, "HOM"));
    asyncz_zone *paris;
    assert_int_equal(asyncz_zone_get(&paris, "Europe/Paris"), 0);
    az_run_context c = {.task_id = "backup",
                        .task_name = "Nightly backup",
                        .scheduler = "host-a",
                        .scheduled = 1782900000 * SEC + 250000, /* 2026-07-01T10:00:00.25Z */
                        .fencing_token = 42,
                        .zone = paris};
    assert_int_equal(az_shell_env_set_context(&e, &c), 0);
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_TASK_ID"), "backup");
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_TASK_NAME"), "Nightly backup");
    assert_null(az_shell_env_get(&e, "ASYNCZ_RUN_ID")); /* not known: the daemon's stale one is gone */
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_SCHEDULED_TIME"), "2026-07-01T12:00:00.25+02:00");
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_SCHEDULED_EPOCH"), "1782900000");
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_FENCING_TOKEN"), "42");
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_SCHEDULER"), "host-a");
    size_t n = 0, ids = 0;
    for (char *const *p = az_shell_env_items(&e); *p; p++, n++)
        ids += strncmp(*p, "ASYNCZ_TASK_ID=", 15) == 0;
    assert_int_equal(ids, 1);
    assert_int_equal(n, 2 + 6); /* PATH, ODD and the six known */
    /* before 1970: seconds rounded down */
    c.scheduled = -SEC / 2;
    c.zone = NULL;
    assert_int_equal(az_shell_env_set_context(&e, &c), 0);
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_SCHEDULED_EPOCH"), "-1");
    assert_string_equal(az_shell_env_get(&e, "ASYNCZ_SCHEDULED_TIME"), "1969-12-31T23:59:59.5+00:00");
    c.scheduled = ASYNCZ_TIME_NONE;
    c.fencing_token = 0;
    assert_int_equal(az_shell_env_set_context(&e, &c), 0);
    assert_null(az_shell_env_get(&e, "ASYNCZ_SCHEDULED_EPOCH"));
    assert_null(az_shell_env_get(&e, "ASYNCZ_FENCING_TOKEN"));
    asyncz_zone_unref(paris);
    az_shell_env_free(&e);
    assert_int_equal(az_shell_env_init(&e, NULL), 0);
    assert_null(az_shell_env_items(&e)[0]);
    az_shell_env_free(&e);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(classify_outcomes),
    cmocka_unit_test(limiter_holds_back_and_counts),
    cmocka_unit_test(limiter_stays_bounded),
    cmocka_unit_test(env_set_replace_unset),
};

AZ_TEST_MAIN(tests)
