/* The daemon's config reader (src/cli/config*.c): values, defaults and every error with its line. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az_test.h"
#include "cli.h"
#include "config.h"
#include "shell_task.h"

#define STORE "[store default]\nurl = sqlite:////tmp/asyncz-test-config.db\n"

/* Load text; return the config (NULL on errors, which go to *errs). */
static az_config *load(const char *text, az_cfg_errors *errs)
{
    az_config *cfg = NULL;
    *errs = (az_cfg_errors){0};
    az_config_load_string(text, "test.ini", &cfg, errs);
    return cfg;
}

/* The text must fail with exactly one error: this line and message. */
static void expect_error(const char *text, int line, const char *message)
{
    az_cfg_errors errs;
    az_config *cfg = load(text, &errs);
    assert_null(cfg);
    if (errs.n != 1) {
        for (size_t i = 0; i < errs.n; i++)
            print_error("error %zu: line %d: %s\n", i, errs.items[i].line, errs.items[i].message);
    }
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, line);
    assert_string_equal(errs.items[0].message, message);
    az_cfg_errors_free(&errs);
}

static const az_cfg_task *task_named(const az_config *cfg, const char *id)
{
    for (size_t i = 0; i < cfg->n_tasks; i++)
        if (strcmp(cfg->tasks[i].id, id) == 0)
            return &cfg->tasks[i];
    fail_msg("no task %s", id);
    return NULL;
}

static void full_config(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load("; a comment\n"
                          "[scheduler]\n"
                          "timezone = Europe/Berlin\n"
                          "identity = host-a\n"
                          "log_level = debug\n"
                          "log = file:/var/log/asyncz.log\n"
                          "shutdown_timeout = 2m\n"
                          "plugins = /opt/a.so , b.so,\n"
                          "misfire_grace_time = 30s\n"
                          "coalesce = no\n"
                          "max_instances = 3\n"
                          "\n"
                          "[store default]\n"
                          "url = sqlite:////var/lib/asyncz/tasks.db\n"
                          "[executor threads]\n"
                          "type = threadpool\n"
                          "workers = 4\n"
                          "  [task backup]   \n"
                          "    cron = 30 2 * * *\n"
                          "    command = /usr/local/bin/backup --quiet # not a comment\n"
                          "    timeout = 1h\n"
                          "[task report]\n"
                          "day-of-week = mon\n"
                          "hour = 9\n"
                          "function = reports.weekly\n"
                          "args = [1, \"two\"]\n"
                          "kwargs = {\"to\": \"ops\"}\n"
                          "executor = threads\n"
                          "misfire_grace_time = none\n"
                          "coalesce = yes\n"
                          "max_instances = 1\n"
                          "paused = true\n"
                          "name = Weekly report\n",
                          &errs);
    assert_int_equal(errs.n, 0);
    assert_non_null(cfg);
    assert_string_equal(asyncz_zone_name(cfg->zone), "Europe/Berlin");
    assert_string_equal(cfg->identity, "host-a");
    assert_int_equal(cfg->log_level, ASYNCZ_LOG_DEBUG);
    assert_string_equal(cfg->log, "file:/var/log/asyncz.log");
    assert_int_equal(cfg->shutdown_timeout, 120 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(cfg->n_plugins, 2);
    assert_string_equal(cfg->plugins[0], "/opt/a.so");
    assert_string_equal(cfg->plugins[1], "b.so");
    assert_int_equal(cfg->plugins_line, 8);
    assert_int_equal(cfg->n_stores, 1);
    assert_null(cfg->default_store_dir);
    /* The default process pool is added next to the configured thread pool. */
    assert_int_equal(cfg->n_executors, 2);
    assert_string_equal(cfg->executors[0].name, "threads");
    assert_int_equal(cfg->executors[0].type, AZ_CFG_THREADPOOL);
    assert_int_equal(cfg->executors[0].workers, 4);
    assert_string_equal(cfg->executors[1].name, "default");
    assert_int_equal(cfg->executors[1].type, AZ_CFG_PROCESSPOOL);

    const az_cfg_task *b = task_named(cfg, "backup");
    assert_true(b->shell);
    assert_int_equal(b->line, 18);
    assert_int_equal(b->func_line, 20);
    assert_string_equal(asyncz_task_func(b->task), AZ_CLI_SHELL_FUNC);
    assert_string_equal(asyncz_task_args_json(b->task),
                        "[\"/usr/local/bin/backup --quiet # not a comment\"]");
    assert_string_equal(asyncz_task_kwargs_json(b->task), "{\"timeout\":\"1h\"}");
    assert_int_equal(asyncz_task_misfire_grace_time(b->task), 30 * ASYNCZ_USEC_PER_SEC);
    assert_false(asyncz_task_coalesce(b->task));
    assert_int_equal(asyncz_task_max_instances(b->task), 3);
    assert_string_equal(asyncz_task_executor(b->task), "default");
    assert_string_equal(asyncz_task_name(b->task), "backup");

    const az_cfg_task *r = task_named(cfg, "report");
    assert_false(r->shell);
    assert_string_equal(asyncz_task_func(r->task), "reports.weekly");
    assert_string_equal(asyncz_task_args_json(r->task), "[1,\"two\"]");
    assert_string_equal(asyncz_task_kwargs_json(r->task), "{\"to\":\"ops\"}");
    assert_string_equal(asyncz_task_executor(r->task), "threads");
    assert_int_equal(asyncz_task_misfire_grace_time(r->task), ASYNCZ_GRACE_UNLIMITED);
    assert_true(asyncz_task_coalesce(r->task));
    assert_int_equal(asyncz_task_max_instances(r->task), 1);
    assert_true(asyncz_task_has_next_run_time(r->task));
    assert_int_equal(asyncz_task_next_run_time(r->task), ASYNCZ_TIME_NONE);
    assert_string_equal(asyncz_task_name(r->task), "Weekly report");
    az_config_free(cfg);
}

/* The trigger is the preview's: next fire times as `asyncz preview` computes them. */
static void trigger_words(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load(STORE "[task t]\n"
                                "cron = 30 2 * * *\n"
                                "timezone = Europe/Berlin\n"
                                "command = true\n",
                          &errs);
    assert_non_null(cfg);
    asyncz_time_t from, next;
    assert_int_equal(asyncz_time_parse(&from, "2026-03-28T12:00:00+01:00", NULL, NULL), 0);
    assert_int_equal(
        asyncz_trigger_next(asyncz_task_trigger(cfg->tasks[0].task), ASYNCZ_TIME_NONE, from, &next), 0);
    char text[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_zone *berlin;
    assert_int_equal(asyncz_zone_get(&berlin, "Europe/Berlin"), 0);
    asyncz_time_format(text, sizeof text, next, berlin);
    assert_string_equal(text, "2026-03-29T03:00:00+02:00"); /* the DST policy: right after the gap */
    asyncz_zone_unref(berlin);
    az_config_free(cfg);
}

static void combined_triggers(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load(STORE "[task t]\n"
                                "cron = 0 9 * * *\n"
                                "calendar_interval = 1d\n"
                                "time-of-day = 18:00\n"
                                "combine = or\n"
                                "command = true\n",
                          &errs);
    assert_int_equal(errs.n, 0);
    assert_non_null(cfg);
    assert_non_null(asyncz_task_trigger(cfg->tasks[0].task));
    az_config_free(cfg);
}

static void default_store(void **state)
{
    (void)state;
    setenv("STATE_DIRECTORY", "/srv/state:/srv/other", 1);
    az_cfg_errors errs;
    az_config *cfg = load("[task t]\ninterval = 1m\ncommand = true\n", &errs);
    unsetenv("STATE_DIRECTORY");
    assert_non_null(cfg);
    assert_int_equal(cfg->n_stores, 1);
    assert_string_equal(cfg->stores[0].name, "default");
    assert_string_equal(cfg->stores[0].url, "sqlite:////srv/state/tasks.db");
    assert_string_equal(cfg->default_store_dir, "/srv/state");
    az_config_free(cfg);
}

static void fingerprints(void **state)
{
    (void)state;
    const char *a = STORE "[task t]\ninterval = 1m\ncommand = true\n";
    const char *b = STORE "[task t]\ninterval = 2m\ncommand = true\n";
    const char *c = "[scheduler]\ncoalesce = false\n" STORE "[task t]\ninterval = 1m\ncommand = true\n";
    az_cfg_errors errs;
    az_config *ca = load(a, &errs), *ca2 = load(a, &errs), *cb = load(b, &errs), *cc = load(c, &errs);
    assert_string_equal(ca->tasks[0].fingerprint, ca2->tasks[0].fingerprint);
    assert_string_not_equal(ca->tasks[0].fingerprint, cb->tasks[0].fingerprint);
    /* A task's fingerprint covers the defaults it inherits. */
    assert_string_not_equal(ca->tasks[0].fingerprint, cc->tasks[0].fingerprint);
    assert_string_equal(ca->settings_fingerprint, cb->settings_fingerprint);
    assert_string_not_equal(ca->settings_fingerprint, cc->settings_fingerprint);
    az_config_free(ca);
    az_config_free(ca2);
    az_config_free(cb);
    az_config_free(cc);
}

static void error_key_before_section(void **state)
{
    (void)state;
    expect_error("timezone = UTC\n" STORE, 1, "timezone: a key before the first section header");
}

static void error_long_line(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text, STORE "[task t]\ninterval = 1m\ncommand = echo %0300d\n", 0);
    expect_error(text, 5,
                 "line longer than 198 characters (the INI reader's limit): put a long command in a script");
}

static void error_bad_bool(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\ncoalesce = maybe\n", 6,
                 "[task t] coalesce: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
}

static void error_workers_of_loop(void **state)
{
    (void)state;
    expect_error(STORE "[executor l]\ntype = loop\nworkers = 2\n", 5,
                 "[executor l] workers: a loop executor has no workers");
}

static void error_bad_executor_type(void **state)
{
    (void)state;
    expect_error(STORE "[executor x]\ntype = fork\n", 4,
                 "[executor x] type: 'fork': not an executor type (processpool, threadpool, loop)");
}

static void error_args_not_array(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\nfunction = f\nargs = {\"a\": 1}\n", 6,
                 "[task t] args: '{\"a\": 1}': not a JSON array");
}

static void error_command_and_function(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nfunction = f\n", 6,
                 "[task t] function: a task has a command or a function, not both");
}

static void error_function_timeout(void **state)
{
    (void)state;
    expect_error(
        STORE "[task t]\ninterval = 1m\nfunction = f\ntimeout = 5s\n", 6,
        "[task t] timeout: only a command task takes a timeout (a function can use executor timeouts)");
}

static void error_command_args(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nargs = [1]\n", 6,
                 "[task t] args: only a function task takes args; a command is one line");
}

static void error_shell_as_function(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\nfunction = asyncz.shell\n", 5,
                 "[task t] function: 'asyncz.shell' is the shell: write command = ... instead");
}

static void error_bad_task_id(void **state)
{
    (void)state;
    expect_error(STORE "[task -x]\ninterval = 1m\ncommand = true\n", 3,
                 "[task -x]: '-x' is not a valid task id (1 to 255 characters of A-Z a-z 0-9 . _ @ + -, not "
                 "starting with . or -)");
}

static void error_unknown_store(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nstore = shared\n", 3,
                 "[task t]: no [store shared] section for its store");
}

static void error_time_of_day_alone(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ninterval = 1d\ntime_of_day = 09:00\ncommand = true\n", 5,
                 "[task t] time_of_day: needs calendar-interval");
}

static void error_bad_combine(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\ncron = 0 9 * * *\ninterval = 1h\ncombine = xor\ncommand = true\n", 6,
                 "[task t] combine: 'xor': must be and or or");
}

static void error_bad_at(void **state)
{
    (void)state;
    expect_error(STORE "[task t]\nat = 2026-13-01T00:00\ncommand = true\n", 4,
                 "[task t] at: '2026-13-01T00:00': column 6: a date or time field is out of range");
}

static void error_end_before_start(void **state)
{
    (void)state;
    expect_error(STORE
                 "[task t]\ninterval = 1h\nstart-date = 2027-01-01\nend-date = 2026-01-01\ncommand = true\n",
                 6, "[task t] end_date: '2026-01-01': is before start-date '2027-01-01'");
}

static void error_bad_log(void **state)
{
    (void)state;
    expect_error(
        "[scheduler]\nlog = file:relative.log\n" STORE, 2,
        "[scheduler] log: 'file:relative.log': not a log destination (stderr, journald, syslog, json, "
        "file:/ABSOLUTE/PATH)");
}

static void error_store_without_url(void **state)
{
    (void)state;
    expect_error("[store s]\n", 1, "[store s]: no url given (url = sqlite:////var/lib/asyncz/tasks.db, ...)");
}

static void error_scheduler_name(void **state)
{
    (void)state;
    expect_error("[scheduler main]\n" STORE, 1, "[scheduler main]: [scheduler] takes no name");
}

static void errors_in_line_order(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg =
        load("[scheduler]\ntimezone = Nowhere/City\n" STORE "[task t]\ninterval = x\ncommand = true\n"
             "[task t]\n",
             &errs);
    assert_null(cfg);
    assert_int_equal(errs.n, 3);
    assert_int_equal(errs.items[0].line, 2);
    assert_int_equal(errs.items[1].line, 6);
    assert_int_equal(errs.items[2].line, 8);
    char line[512];
    az_cfg_error_format(&errs, 2, "/etc/asyncz.ini", line, sizeof line);
    assert_string_equal(line, "/etc/asyncz.ini:8: [task t]: duplicate section (first at line 5)");
    az_cfg_errors_free(&errs);
}

/* ---- text that is not UTF-8: one error naming the key, never an abort ---------------------------------- */

#define ICONV_HINT "write the file in UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)"

static void error_latin1_command(void **state)
{
    (void)state;
    expect_error(
        STORE "[task t]\ninterval = 1m\ncommand = echo caf\xe9\n", 5,
        "[task t] command: not valid UTF-8: byte 0xE9 at byte 9 of the value ('echo caf\\xE9'): " ICONV_HINT);
}

/* The cron parser would refuse the value too: only the UTF-8 error is reported for the line. */
static void error_latin1_trigger_alone(void **state)
{
    (void)state;
    expect_error(
        STORE "[task t]\ncron = 0 \xff * * *\ncommand = true\n", 4,
        "[task t] cron: not valid UTF-8: byte 0xFF at byte 3 of the value ('0 \\xFF * * *'): " ICONV_HINT);
}

/* A truncated sequence, an overlong form, a surrogate and a code point above U+10FFFF, in other keys. */
static void error_latin1_every_value_kind(void **state)
{
    (void)state;
    expect_error(
        STORE "[task t]\ninterval = 1m\nfunction = greet\nargs = [\"\xc3\"]\n", 6,
        "[task t] args: not valid UTF-8: byte 0xC3 at byte 3 of the value ('[\"\\xC3\"]'): " ICONV_HINT);
    expect_error(
        STORE "[task t]\ninterval = 1m\ncommand = true\nname = a\xc0\xaf"
              "b\n",
        6, "[task t] name: not valid UTF-8: byte 0xC0 at byte 2 of the value ('a\\xC0\\xAFb'): " ICONV_HINT);
    expect_error("[scheduler]\nidentity = \xed\xa0\x80\n" STORE, 2,
                 "[scheduler] identity: not valid UTF-8: byte 0xED at byte 1 of the value "
                 "('\\xED\\xA0\\x80'): " ICONV_HINT);
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = echo \xf4\x90\x80\x80\n", 5,
                 "[task t] command: not valid UTF-8: byte 0xF4 at byte 6 of the value ('echo "
                 "\\xF4\\x90\\x80\\x80'): " ICONV_HINT);
}

static void error_latin1_header_and_key(void **state)
{
    (void)state;
    expect_error(STORE "[task caf\xe9]\ninterval = 1m\ncommand = true\n", 3,
                 "a section header: not valid UTF-8: byte 0xE9 at byte 9 of the header ('task "
                 "caf\\xE9'): " ICONV_HINT);
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nn\xe4me = x\n", 6,
                 "a key: not valid UTF-8: byte 0xE4 at byte 2 of the key ('n\\xE4me'): " ICONV_HINT);
}

/* Valid UTF-8 of every length is taken as it is. */
static void utf8_values_kept(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg =
        load(STORE "[task t]\ninterval = 1m\ncommand = echo caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n"
                   "name = K\xc3\xa4se\n",
             &errs);
    assert_non_null(cfg);
    assert_string_equal(asyncz_task_args_json(cfg->tasks[0].task),
                        "[\"echo caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]");
    assert_string_equal(asyncz_task_name(cfg->tasks[0].task), "K\xc3\xa4se");
    az_config_free(cfg);
    az_cfg_errors_free(&errs);
}

/* An over-long line is the only error of its line: its kept value does not also fail the args limit. */
static void error_very_long_line_alone(void **state)
{
    (void)state;
    size_t n = 70 * 1024;
    char *text = malloc(n + 128);
    assert_non_null(text);
    int used = snprintf(text, n + 128, STORE "[task t]\ninterval = 1m\ncommand = echo ");
    memset(text + used, 'x', n);
    strcpy(text + used + n, "\n");
    expect_error(text, 5,
                 "line longer than 198 characters (the INI reader's limit): put a long command in a script");
    free(text);
}

/* ---- a bad section is reported once: the tasks naming it add nothing ------------------------------- */

static void error_bad_store_url_alone(void **state)
{
    (void)state;
    expect_error("[store default]\nurl = bogus://x\n[task t]\ninterval = 1m\ncommand = true\n", 2,
                 "[store default] url: 'bogus://x': unknown scheme \"bogus\" (known: "
                 "memory, file, sqlite, postgresql, mariadb, mysql, redis, mongodb)");
}

static void error_bad_executor_alone(void **state)
{
    (void)state;
    expect_error(STORE "[executor default]\ntype = pool\n[task t]\ninterval = 1m\ncommand = true\n", 4,
                 "[executor default] type: 'pool': not an executor type (processpool, threadpool, loop)");
    expect_error(STORE "[executor big]\ntype = processpool\nworkers = 0\n[task t]\ninterval = 1m\n"
                       "command = true\nexecutor = big\n",
                 5, "[executor big] workers: '0' is not a whole number from 1 to 1024");
}

/* ---- max_instances: the library's whole range, in [scheduler] and in a task -------------------------- */

static void max_instances_range(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg =
        load("[scheduler]\nmax_instances = 4294967295\n" STORE "[task a]\ninterval = 1m\ncommand = true\n"
             "[task b]\ninterval = 1m\ncommand = true\nmax_instances = 1\n",
             &errs);
    assert_non_null(cfg);
    assert_int_equal(asyncz_task_max_instances(task_named(cfg, "a")->task), 4294967295u);
    assert_int_equal(asyncz_task_max_instances(task_named(cfg, "b")->task), 1);
    az_config_free(cfg);
    az_cfg_errors_free(&errs);
    cfg = load(STORE "[task a]\ninterval = 1m\ncommand = true\nmax_instances = 4294967295\n", &errs);
    assert_non_null(cfg);
    assert_int_equal(asyncz_task_max_instances(task_named(cfg, "a")->task), 4294967295u);
    az_config_free(cfg);
    az_cfg_errors_free(&errs);
    expect_error("[scheduler]\nmax_instances = 0\n" STORE, 2,
                 "[scheduler] max_instances: '0' is not a whole number from 1 to 4294967295");
    expect_error("[scheduler]\nmax_instances = 4294967296\n" STORE, 2,
                 "[scheduler] max_instances: '4294967296' is not a whole number from 1 to 4294967295");
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nmax_instances = 0\n", 6,
                 "[task t] max_instances: '0' is not a whole number from 1 to 4294967295");
    expect_error(STORE "[task t]\ninterval = 1m\ncommand = true\nmax_instances = 4294967296\n", 6,
                 "[task t] max_instances: '4294967296' is not a whole number from 1 to 4294967295");
}

/* ---- the error list: an error recorded alone drops the others of its line only; out of memory is a
 * failure (exit 1), the rest bad input (exit 2) ------------------------------------------------------- */

static void errors_alone_per_line(void **state)
{
    (void)state;
    az_cfg_errors e = {0};
    az_cfg_error_add(&e, 3, "three");
    az_cfg_error_add(&e, 2, "two a");
    az_cfg_error_add_alone(&e, 2, "two alone");
    az_cfg_error_add(&e, 0, "file");
    az_cfg_error_add(&e, 2, "two b");
    az_cfg_error_add_alone(&e, 2, "two alone again");
    az_cfg_errors_sort(&e);
    assert_int_equal(e.n, 3);
    assert_string_equal(e.items[0].message, "file");
    assert_string_equal(e.items[1].message, "two alone");
    assert_string_equal(e.items[2].message, "three");
    assert_int_equal(az_cfg_errors_status(&e), 2);
    az_cfg_error_oom(&e);
    az_cfg_error_oom(&e);
    assert_int_equal(e.n, 4);
    assert_string_equal(e.items[3].message, "out of memory while reading the config");
    assert_int_equal(az_cfg_errors_status(&e), 1);
    az_cfg_errors_free(&e);
    assert_int_equal(az_cfg_errors_status(&e), 0);
    /* Out of memory as the first error, then more. */
    az_cfg_error_oom(&e);
    az_cfg_error_add(&e, 1, "one");
    assert_int_equal(e.n, 2);
    az_cfg_errors_free(&e);
}

static void utf8_checker(void **state)
{
    (void)state;
    assert_int_equal(az_cli_utf8_invalid(""), -1);
    assert_int_equal(az_cli_utf8_invalid("plain \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"), -1);
    assert_int_equal(az_cli_utf8_invalid("caf\xe9"), 3);          /* Latin-1 */
    assert_int_equal(az_cli_utf8_invalid("a\x80"), 1);            /* a lone continuation byte */
    assert_int_equal(az_cli_utf8_invalid("ab\xe2\x82"), 2);       /* truncated */
    assert_int_equal(az_cli_utf8_invalid("\xc0\xaf"), 0);         /* overlong */
    assert_int_equal(az_cli_utf8_invalid("\xe0\x80\xaf"), 0);     /* overlong */
    assert_int_equal(az_cli_utf8_invalid("x\xed\xa0\x80"), 1);    /* a surrogate */
    assert_int_equal(az_cli_utf8_invalid("\xf4\x90\x80\x80"), 0); /* above U+10FFFF */
    assert_int_equal(az_cli_utf8_invalid("\xf5\x80\x80\x80"), 0);
    char *shown = az_cli_utf8_escape("caf\xe9 \xc3\xa9\xff");
    assert_string_equal(shown, "caf\\xE9 \xc3\xa9\\xFF");
    free(shown);
}

/* ---- out of memory anywhere: an error, never a crash or abort() ------------------------------------------
 * The allocation functions of the reader and of the library it calls are wrapped (tests/CMakeLists.txt links
 * this test with --wrap): from the N-th call on, every allocation fails, for every N up to the number a
 * whole load makes. */

static long fail_from = -1; /* the allocation from which every one fails; -1: none fails */
static long allocations;    /* counted while fail_from >= 0 */

static bool failing(void)
{
    if (fail_from < 0)
        return false;
    return allocations++ >= fail_from;
}

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap);
int __wrap_asprintf(char **out, const char *fmt, ...);

void *__wrap_malloc(size_t size)
{
    return failing() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return failing() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return failing() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
    return failing() ? NULL : __real_strdup(s);
}

int __wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
    return failing() ? -1 : __real_vasprintf(out, fmt, ap);
}

int __wrap_asprintf(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = __wrap_vasprintf(out, fmt, ap);
    va_end(ap);
    return rc;
}

static const char oom_text[] = "[scheduler]\n"
                               "timezone = Europe/Berlin\n"
                               "identity = host-a\n"
                               "log = stderr\n"
                               "plugins = /opt/a.so, b.so\n"
                               "max_instances = 3\n"
                               "on_failure = mail -s failed root\n"
                               "on_failure_interval = 5m\n"
                               "[store default]\n"
                               "url = sqlite:////tmp/asyncz-test-config.db\n"
                               "[executor threads]\n"
                               "type = threadpool\n"
                               "workers = 4\n"
                               "[task backup]\n"
                               "cron = 30 2 * * *\n"
                               "command = /usr/local/sbin/backup --quiet\n"
                               "timeout = 2h\n"
                               "[task greet]\n"
                               "interval = 5m\n"
                               "jitter = 10s\n"
                               "function = greet\n"
                               "args = [\"world\", 1]\n"
                               "kwargs = {\"loud\": true}\n"
                               "executor = threads\n"
                               "on_failure = page-me\n"
                               "name = Gr\xc3\xbc\xc3\x9f"
                               "e\n"
                               "[task both]\n"
                               "calendar_interval = 1mo\n"
                               "time_of_day = 09:00\n"
                               "hour = 9\n"
                               "combine = and\n"
                               "command = echo both\n";

/* Load with allocations failing from the n-th on: a load that met a failed allocation fails and says why.
 * Returns whether an allocation failed. */
static bool load_failing_from(long n, const char *path)
{
    az_cfg_errors errs = {0};
    az_config *cfg = NULL;
    allocations = 0;
    fail_from = n;
    int rc =
        path ? az_config_load(path, &cfg, &errs) : az_config_load_string(oom_text, "oom.ini", &cfg, &errs);
    fail_from = -1;
    bool failed = allocations > n;
    if (failed && rc == 0)
        fail_msg("allocation %ld failed and the load still succeeded", n);
    if (rc == 0) {
        assert_non_null(cfg);
        assert_int_equal(errs.n, 0);
        az_config_free(cfg);
    } else {
        assert_null(cfg);
        assert_true(errs.n > 0);
        assert_int_not_equal(az_cfg_errors_status(&errs), 0);
        char line[2048];
        for (size_t i = 0; i < errs.n; i++)
            az_cfg_error_format(&errs, i, "oom.ini", line, sizeof line);
    }
    az_cfg_errors_free(&errs);
    return failed;
}

static void out_of_memory_anywhere(void **state)
{
    (void)state;
    char path[] = "/tmp/asyncz-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, oom_text, sizeof oom_text - 1), (ssize_t)(sizeof oom_text - 1));
    close(fd);
    for (int from_file = 0; from_file < 2; from_file++) {
        const char *p = from_file ? path : NULL;
        /* How many allocations a whole load makes (zones are cached after the first). */
        assert_false(load_failing_from(LONG_MAX, p));
        long total = allocations;
        assert_true(total > 50);
        for (long n = 0; n < total; n++)
            load_failing_from(n, p);
    }
    unlink(path);
}

/* on_failure: [scheduler]'s for every task, a task's own keys win one by one, empty turns it off. */
static void failure_hooks(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load("[scheduler]\n"
                          "on_failure = mail -s \"$ASYNCZ_TASK_ID failed\" root\n"
                          "on_failure_interval = 10m\n" STORE "[task plain]\n"
                          "interval = 1h\n"
                          "command = true\n"
                          "[task own]\n"
                          "interval = 1h\n"
                          "command = true\n"
                          "on_failure = page-me\n"
                          "on_failure_timeout = 5s\n"
                          "[task off]\n"
                          "interval = 1h\n"
                          "command = true\n"
                          "on_failure =\n"
                          "[task every]\n"
                          "interval = 1h\n"
                          "command = true\n"
                          "on_failure_interval = none\n",
                          &errs);
    assert_non_null(cfg);
    assert_string_equal(cfg->hook.command, "mail -s \"$ASYNCZ_TASK_ID failed\" root");
    assert_int_equal(cfg->hook.interval, 600 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(cfg->hook.timeout, AZ_CFG_DEFAULT_HOOK_TIMEOUT);
    const az_cfg_task *t = task_named(cfg, "plain");
    assert_string_equal(t->hook.command, cfg->hook.command);
    assert_int_equal(t->hook.interval, 600 * ASYNCZ_USEC_PER_SEC);
    t = task_named(cfg, "own");
    assert_string_equal(t->hook.command, "page-me");
    assert_int_equal(t->hook.interval, 600 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(t->hook.timeout, 5 * ASYNCZ_USEC_PER_SEC);
    assert_null(task_named(cfg, "off")->hook.command);
    t = task_named(cfg, "every");
    assert_string_equal(t->hook.command, cfg->hook.command);
    assert_int_equal(t->hook.interval, 0);
    az_config_free(cfg);

    /* Without [scheduler] keys: no hook, the defaults. */
    cfg = load(STORE "[task t]\ninterval = 1h\ncommand = true\n", &errs);
    assert_non_null(cfg);
    assert_null(cfg->hook.command);
    assert_null(cfg->tasks[0].hook.command);
    assert_int_equal(cfg->tasks[0].hook.interval, AZ_CFG_DEFAULT_HOOK_INTERVAL);
    az_config_free(cfg);
}

/* History settings: [scheduler]'s for every store, a store's own keys win one by one; a task may opt out;
 * run_output_max takes a size. */
static void history_settings(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load("[scheduler]\n"
                          "history_max_age = 7d\n"
                          "run_output_max = 16K\n" STORE "[store quiet]\n"
                          "url = sqlite:////tmp/asyncz-test-config2.db\n"
                          "history = off\n"
                          "history_max_runs_per_task = 50\n"
                          "[store keep]\n"
                          "url = sqlite:////tmp/asyncz-test-config3.db\n"
                          "history_max_age = none\n"
                          "[task t]\n"
                          "interval = 1h\n"
                          "command = true\n"
                          "history = false\n",
                          &errs);
    assert_non_null(cfg);
    assert_int_equal(cfg->run_output_max, 16 * 1024);
    assert_int_equal(cfg->n_stores, 3);
    assert_true(cfg->stores[0].history.enabled);
    assert_int_equal(cfg->stores[0].history.max_age, 7 * 86400 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(cfg->stores[0].history.max_runs_per_task, ASYNCZ_HISTORY_DEFAULT_MAX_RUNS_PER_TASK);
    assert_false(cfg->stores[1].history.enabled);
    assert_int_equal(cfg->stores[1].history.max_runs_per_task, 50);
    assert_int_equal(cfg->stores[1].history.max_age, 7 * 86400 * ASYNCZ_USEC_PER_SEC);
    assert_int_equal(cfg->stores[2].history.max_age, 0);
    assert_false(asyncz_task_history(cfg->tasks[0].task));
    az_config_free(cfg);

    cfg = load("[task t]\ninterval = 1h\ncommand = true\n", &errs); /* the default store: the defaults */
    assert_non_null(cfg);
    assert_true(cfg->stores[0].history.enabled);
    assert_int_equal(cfg->stores[0].history.max_age, ASYNCZ_HISTORY_DEFAULT_MAX_AGE);
    assert_int_equal(cfg->run_output_max, ASYNCZ_RUN_OUTPUT_DEFAULT_MAX);
    assert_true(asyncz_task_history(cfg->tasks[0].task));
    az_config_free(cfg);

    expect_error("[scheduler]\nrun_output_max = lots\n" STORE, 2,
                 "[scheduler] run_output_max: 'lots': not a size (bytes, or with K or M: 64K; at most 1M)");
    expect_error("[scheduler]\nrun_output_max = 2M\n" STORE, 2,
                 "[scheduler] run_output_max: '2M': too large (bytes, or with K or M: 64K; at most 1M)");
    expect_error(STORE "history_max_runs_per_task = many\n", 3,
                 "[store default] history_max_runs_per_task: 'many' is not a whole number from 0 to 10000000");
}

static void failure_hook_errors(void **state)
{
    (void)state;
    expect_error(
        "[scheduler]\non_failure = x\non_failure_interval = often\n" STORE, 3,
        "[scheduler] on_failure_interval: 'often': column 1: not a duration (parts like 30s, 1h30m, 2d, "
        "250ms; units us ms s m h d w) or none");
    expect_error(
        "[scheduler]\non_failure_timeout = none\n" STORE, 2,
        "[scheduler] on_failure_timeout: 'none': column 1: not a duration (parts like 30s, 1h30m, 2d, "
        "250ms; units us ms s m h d w)");
    expect_error(STORE "[task t]\ninterval = 1h\ncommand = true\non_failure = x\non_failure_timeout = 0s\n",
                 7, "[task t] on_failure_timeout: '0s': must be greater than zero");
    expect_error(STORE "[task t]\ninterval = 1h\ncommand = true\non_failure_timeout = 5s\n", 6,
                 "[task t] on_failure_timeout: no on_failure command for it (set on_failure here or in "
                 "[scheduler])");
    expect_error("[scheduler]\non_failure = x\n" STORE
                 "[task t]\ninterval = 1h\ncommand = true\non_failure =\non_failure_interval = 1m\n",
                 9,
                 "[task t] on_failure_interval: no on_failure command for it (set on_failure here or in "
                 "[scheduler])");
    expect_error(
        STORE "[task t]\ninterval = 1h\ncommand = true\non_failures = x\n", 6,
        "[task t] on_failures: unknown key (keys here: a trigger in the words of asyncz preview, command, "
        "timeout, function, args, kwargs, name, store, executor, paused, misfire_grace_time, coalesce, "
        "max_instances, on_failure, on_failure_interval, on_failure_timeout: see docs/daemon.md)");
}

/* ---- [http] ------------------------------------------------------------------------------------------- */

static void http_absent_and_defaults(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load(STORE, &errs);
    assert_non_null(cfg);
    assert_false(cfg->http.enabled);
    az_config_free(cfg);
    cfg = load(STORE "[http]\n", &errs);
    assert_non_null(cfg);
    assert_true(cfg->http.enabled);
    assert_string_equal(cfg->http.host, "127.0.0.1");
    assert_int_equal(cfg->http.port, 8080);
    assert_string_equal(cfg->http.base_path, "");
    assert_int_equal(cfg->http.max_connections, AZ_HTTP_DEFAULT_MAX_CONNECTIONS);
    assert_int_equal(cfg->http.max_body, AZ_HTTP_DEFAULT_MAX_BODY);
    assert_int_equal(cfg->http.timeout_sec, AZ_HTTP_DEFAULT_TIMEOUT_SEC);
    assert_false(cfg->http.allow_commands);
    assert_null(cfg->http.users_file);
    az_config_free(cfg);
}

static void http_every_key(void **state)
{
    (void)state;
    az_cfg_errors errs;
    az_config *cfg = load(STORE "[http]\n"
                                "listen = [::1]:9090\n"
                                "tls_cert = /etc/asyncz/cert.pem\n"
                                "tls_key = /etc/asyncz/key.pem\n"
                                "trusted_proxies = 10.0.0.1, 192.168.0.0/16 ::1\n"
                                "base_path = /asyncz/\n"
                                "max_connections = 100\n"
                                "max_connections_per_client = 10\n"
                                "max_body = 64K\n"
                                "timeout = 1m\n"
                                "users_file = /etc/asyncz/users\n"
                                "tokens_file = /etc/asyncz/tokens\n"
                                "allow_commands = yes\n"
                                "session_idle = 30m\n"
                                "session_max = 8h\n"
                                "port_file = /run/asyncz/port\n",
                          &errs);
    assert_non_null(cfg);
    const az_http_settings *h = &cfg->http;
    assert_string_equal(h->host, "::1");
    assert_int_equal(h->port, 9090);
    assert_string_equal(h->tls_cert, "/etc/asyncz/cert.pem");
    assert_int_equal(h->n_trusted_proxies, 3);
    assert_int_equal(h->trusted_proxies[0].bits, 128);
    assert_int_equal(h->trusted_proxies[1].bits, 96 + 16);
    assert_int_equal(h->trusted_proxies[1].addr[12], 192);
    assert_int_equal(h->trusted_proxies[2].addr[15], 1);
    assert_string_equal(h->base_path, "/asyncz");
    assert_int_equal(h->max_connections, 100);
    assert_int_equal(h->max_per_client, 10);
    assert_int_equal(h->max_body, 65536);
    assert_int_equal(h->timeout_sec, 60);
    assert_true(h->allow_commands);
    assert_int_equal(h->session_idle_sec, 1800);
    assert_int_equal(h->session_max_sec, 8 * 3600);
    assert_string_equal(h->port_file, "/run/asyncz/port");
    az_config_free(cfg);
    cfg = load(STORE "[http]\nlisten = 8081\n", &errs);
    assert_non_null(cfg);
    assert_string_equal(cfg->http.host, "127.0.0.1");
    assert_int_equal(cfg->http.port, 8081);
    az_config_free(cfg);
}

static void http_bad_values(void **state)
{
    (void)state;
    expect_error(STORE "[http]\nlisten = localhost:80\n", 4,
                 "[http] listen: 'localhost:80': 'localhost' is not an IP address (a host name is not resolved: "
                 "write 127.0.0.1, ::1, 0.0.0.0 or ::)");
    expect_error(STORE "[http]\nlisten = 127.0.0.1:99999\n", 4,
                 "[http] listen: '127.0.0.1:99999' is not an address and port (127.0.0.1:8080, [::1]:8080, or "
                 "a port alone for 127.0.0.1)");
    expect_error(STORE "[http]\ntrusted_proxies = 10.0.0.1, 10.0.0.0/33\n", 4,
                 "[http] trusted_proxies: '10.0.0.0/33' is not an IP address or network (10.0.0.1, "
                 "192.168.0.0/16, ::1, fd00::/8)");
    expect_error(STORE "[http]\nbase_path = asyncz\n", 4,
                 "[http] base_path: 'asyncz' is not a URL path prefix (like /asyncz: starts with '/', letters, "
                 "digits and - . _ ~ /, no '..')");
    expect_error(STORE "[http]\nbase_path = /a/../b\n", 4,
                 "[http] base_path: '/a/../b' is not a URL path prefix (like /asyncz: starts with '/', letters, "
                 "digits and - . _ ~ /, no '..')");
    expect_error(STORE "[http]\nmax_body = 1G\n", 4,
                 "[http] max_body: '1G': not a size (bytes, or with K or M: 256K; 1 to 64M)");
    expect_error(STORE "[http]\ntls_cert = /x.pem\n", 3,
                 "[http]: tls_cert and tls_key go together: tls_key is missing");
    expect_error(STORE "[http]\nsession_idle = 2d\nsession_max = 1d\n", 3,
                 "[http]: session_idle (172800s) is longer than session_max (86400s)");
    expect_error(STORE "[http]\nallow_commands = maybe\n", 4,
                 "[http] allow_commands: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)");
    expect_error(STORE "[http main]\n", 3, "[http main]: [http] takes no name");
    expect_error(STORE "[http]\nport = 80\n", 4,
                 "[http] port: unknown key (keys here: listen, tls_cert, tls_key, trusted_proxies, base_path, "
                 "max_connections, max_connections_per_client, max_body, timeout, users_file, tokens_file, "
                 "allow_commands, session_idle, session_max, port_file: see docs/http-api.md)");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(failure_hooks),
    cmocka_unit_test(failure_hook_errors),
    cmocka_unit_test(history_settings),
    cmocka_unit_test(full_config),
    cmocka_unit_test(trigger_words),
    cmocka_unit_test(combined_triggers),
    cmocka_unit_test(default_store),
    cmocka_unit_test(fingerprints),
    cmocka_unit_test(error_key_before_section),
    cmocka_unit_test(error_long_line),
    cmocka_unit_test(error_bad_bool),
    cmocka_unit_test(error_workers_of_loop),
    cmocka_unit_test(error_bad_executor_type),
    cmocka_unit_test(error_args_not_array),
    cmocka_unit_test(error_command_and_function),
    cmocka_unit_test(error_function_timeout),
    cmocka_unit_test(error_command_args),
    cmocka_unit_test(error_shell_as_function),
    cmocka_unit_test(error_bad_task_id),
    cmocka_unit_test(error_unknown_store),
    cmocka_unit_test(error_time_of_day_alone),
    cmocka_unit_test(error_bad_combine),
    cmocka_unit_test(error_bad_at),
    cmocka_unit_test(error_end_before_start),
    cmocka_unit_test(error_bad_log),
    cmocka_unit_test(error_store_without_url),
    cmocka_unit_test(error_scheduler_name),
    cmocka_unit_test(errors_in_line_order),
    cmocka_unit_test(error_latin1_command),
    cmocka_unit_test(error_latin1_trigger_alone),
    cmocka_unit_test(error_latin1_every_value_kind),
    cmocka_unit_test(error_latin1_header_and_key),
    cmocka_unit_test(utf8_values_kept),
    cmocka_unit_test(error_very_long_line_alone),
    cmocka_unit_test(error_bad_store_url_alone),
    cmocka_unit_test(error_bad_executor_alone),
    cmocka_unit_test(max_instances_range),
    cmocka_unit_test(errors_alone_per_line),
    cmocka_unit_test(utf8_checker),
    cmocka_unit_test(out_of_memory_anywhere),
    cmocka_unit_test(http_absent_and_defaults),
    cmocka_unit_test(http_every_key),
    cmocka_unit_test(http_bad_values),
};

AZ_TEST_MAIN(tests)
