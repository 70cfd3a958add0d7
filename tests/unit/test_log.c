/* The logger: levels and their names, filtering, and every sink (callback, JSON lines, file, stderr with and
 * without color, syslog), plus truncation of long messages and lines from several threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "az_test.h"
#include "core/log_internal.h"

/* Every test starts from the defaults, whatever ran before it in the same process. */
static void reset_logger(void)
{
    asyncz_log_to_stderr(-1);
    asyncz_log_set_level(ASYNCZ_LOG_WARNING);
}

/* ---- levels -------------------------------------------------------------------------------------- */

static void test_default_level_is_warning(void **state)
{
    assert_int_equal(asyncz_log_get_level(), ASYNCZ_LOG_WARNING);
    assert_true(asyncz_log_enabled(ASYNCZ_LOG_WARNING));
    assert_true(asyncz_log_enabled(ASYNCZ_LOG_CRITICAL));
    assert_false(asyncz_log_enabled(ASYNCZ_LOG_INFO));
    assert_false(asyncz_log_enabled(ASYNCZ_LOG_TRACE));
}

static void test_set_level(void **state)
{
    reset_logger();
    asyncz_log_set_level(ASYNCZ_LOG_DEBUG);
    assert_int_equal(asyncz_log_get_level(), ASYNCZ_LOG_DEBUG);
    assert_true(asyncz_log_enabled(ASYNCZ_LOG_DEBUG));
    assert_false(asyncz_log_enabled(ASYNCZ_LOG_TRACE));
    asyncz_log_set_level(ASYNCZ_LOG_OFF);
    assert_false(asyncz_log_enabled(ASYNCZ_LOG_CRITICAL));
    /* OFF is a threshold, never a level a message can have. */
    asyncz_log_set_level(ASYNCZ_LOG_TRACE);
    assert_false(asyncz_log_enabled(ASYNCZ_LOG_OFF));
}

static void test_set_level_ignores_invalid(void **state)
{
    reset_logger();
    asyncz_log_set_level((asyncz_log_level)42);
    assert_int_equal(asyncz_log_get_level(), ASYNCZ_LOG_WARNING);
    asyncz_log_set_level((asyncz_log_level)-1);
    assert_int_equal(asyncz_log_get_level(), ASYNCZ_LOG_WARNING);
    assert_false(asyncz_log_enabled((asyncz_log_level)42));
}

static void test_level_names(void **state)
{
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_TRACE), "trace");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_DEBUG), "debug");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_INFO), "info");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_WARNING), "warning");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_ERROR), "error");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_CRITICAL), "critical");
    assert_string_equal(asyncz_log_level_name(ASYNCZ_LOG_OFF), "off");
    assert_string_equal(asyncz_log_level_name((asyncz_log_level)7), "unknown");
}

static void test_level_parse(void **state)
{
    static const struct {
        const char *name;
        asyncz_log_level level;
    } cases[] = {
        {"trace", ASYNCZ_LOG_TRACE},     {"DEBUG", ASYNCZ_LOG_DEBUG},       {"Info", ASYNCZ_LOG_INFO},
        {"warning", ASYNCZ_LOG_WARNING}, {"warn", ASYNCZ_LOG_WARNING},      {"WARN", ASYNCZ_LOG_WARNING},
        {"error", ASYNCZ_LOG_ERROR},     {"CRITICAL", ASYNCZ_LOG_CRITICAL}, {"off", ASYNCZ_LOG_OFF},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_log_level level = ASYNCZ_LOG_OFF;
        assert_int_equal(asyncz_log_level_parse(cases[i].name, &level), 0);
        assert_int_equal(level, cases[i].level);
    }
}

static void test_level_parse_errors(void **state)
{
    static const char *const bad[] = {"", "verbose", "warning ", " info", "err", "3", "warnings"};
    asyncz_log_level level = ASYNCZ_LOG_INFO;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(asyncz_log_level_parse(bad[i], &level), ASYNCZ_EINVAL);
    assert_int_equal(level, ASYNCZ_LOG_INFO); /* untouched on error */
    assert_int_equal(asyncz_log_level_parse(NULL, &level), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_log_level_parse("info", NULL), ASYNCZ_EINVAL);
}

/* ---- callback sink --------------------------------------------------------------------------------- */

typedef struct capture {
    int calls;
    asyncz_log_level level;
    char logger[64];
    char message[8192];
    void *userdata;
} capture;

static void capture_fn(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    capture *c = userdata;
    c->calls++;
    c->level = level;
    c->userdata = userdata;
    snprintf(c->logger, sizeof c->logger, "%s", logger);
    snprintf(c->message, sizeof c->message, "%s", message);
}

static void test_callback_receives_message(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.trigger", "task %s failed %d times", "backup", 3);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.level, ASYNCZ_LOG_ERROR);
    assert_string_equal(c.logger, "asyncz.trigger");
    assert_string_equal(c.message, "task backup failed 3 times");
    assert_ptr_equal(c.userdata, &c);
    reset_logger();
}

static void test_callback_default_logger_name(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    asyncz_log(ASYNCZ_LOG_WARNING, NULL, "no name");
    assert_string_equal(c.logger, "asyncz");
    asyncz_log(ASYNCZ_LOG_WARNING, "", "empty name");
    assert_string_equal(c.logger, "asyncz");
    assert_int_equal(c.calls, 2);
    reset_logger();
}

static void test_level_filtering(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    asyncz_log(ASYNCZ_LOG_INFO, "asyncz.test", "hidden at the default level");
    asyncz_log(ASYNCZ_LOG_DEBUG, "asyncz.test", "hidden too");
    assert_int_equal(c.calls, 0);
    asyncz_log_set_level(ASYNCZ_LOG_TRACE);
    asyncz_log(ASYNCZ_LOG_TRACE, "asyncz.test", "now shown");
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.level, ASYNCZ_LOG_TRACE);
    asyncz_log_set_level(ASYNCZ_LOG_OFF);
    asyncz_log(ASYNCZ_LOG_CRITICAL, "asyncz.test", "off silences everything");
    assert_int_equal(c.calls, 1);
    reset_logger();
}

static void logging_callback(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    int *calls = userdata;
    (*calls)++;
    /* Logging from inside the sink must neither deadlock nor recurse. */
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.nested", "from inside the sink");
}

static void test_callback_that_logs_does_not_deadlock(void **state)
{
    reset_logger();
    int calls = 0;
    asyncz_log_to_callback(logging_callback, &calls);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "outer");
    assert_int_equal(calls, 1);
    reset_logger();
}

static void test_callback_null_restores_stderr(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    asyncz_log_to_callback(NULL, NULL);
    int saved = dup(STDERR_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "to stderr");
    dup2(saved, STDERR_FILENO);
    close(devnull);
    close(saved);
    assert_int_equal(c.calls, 0);
}

static void test_long_message_is_truncated(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    char *big = malloc(10001);
    memset(big, 'x', 10000);
    big[10000] = '\0';
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "%s", big);
    free(big);
    size_t len = strlen(c.message);
    assert_int_equal(len, 4095);
    assert_string_equal(c.message + len - 3, "...");
    assert_int_equal(c.message[len - 4], 'x');
    reset_logger();
}

static void test_truncation_keeps_utf8_whole(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    /* 'a' then two-byte characters: the cut at byte 4092 would land inside one, so it backs off by one. */
    char *big = malloc(2 * 3000 + 2);
    for (int i = 0; i < 3000; i++)
        memcpy(big + 2 * i + 1, "\xc3\xa9", 2);
    big[0] = 'a'; /* shift by one byte so the naive cut would split a character */
    big[6001] = '\0';
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "%s", big);
    free(big);
    size_t len = strlen(c.message);
    assert_int_equal(len, 4091 + 3);
    assert_memory_equal(c.message + len - 5, "\xc3\xa9...", 5);
    reset_logger();
}

/* ---- helpers for stream sinks ---------------------------------------------------------------------- */

/* Read a whole stream from its start into a new string. */
static char *slurp(FILE *f)
{
    fflush(f);
    long size = ftell(f);
    assert_true(size >= 0);
    char *text = calloc(1, (size_t)size + 1);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    return text;
}

static char *slurp_path(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    char *text = slurp(f);
    fclose(f);
    return text;
}

/* Check "YYYY-MM-DDTHH:MM:SS.mmm+00:00" at the start of s. */
static void assert_timestamp(const char *s)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:dd.ddd+00:00";
    for (size_t i = 0; i < sizeof pattern - 1; i++) {
        if (pattern[i] == 'd')
            assert_true(s[i] >= '0' && s[i] <= '9');
        else
            assert_int_equal(s[i], pattern[i]);
    }
}

/* ---- JSON sink ------------------------------------------------------------------------------------- */

static json_t *parse_json_line(const char *line)
{
    json_error_t error;
    json_t *doc = json_loads(line, JSON_REJECT_DUPLICATES, &error);
    if (!doc)
        fail_msg("not JSON (%s at column %d): %s", error.text, error.column, line);
    return doc;
}

static void test_json_sink_lines_parse(void **state)
{
    reset_logger();
    FILE *f = tmpfile();
    assert_non_null(f);
    asyncz_log_to_json(f);
    asyncz_log_set_level(ASYNCZ_LOG_INFO);
    asyncz_log(ASYNCZ_LOG_INFO, "asyncz.scheduler", "started %d tasks", 2);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.store", "quote \" backslash \\ newline \n tab \t bell \a");
    reset_logger();
    char *text = slurp(f);
    fclose(f);
    char *second = strchr(text, '\n');
    assert_non_null(second);
    *second++ = '\0';
    json_t *a = parse_json_line(text);
    assert_int_equal(json_object_size(a), 4);
    assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(a, "logger")), "asyncz.scheduler");
    assert_string_equal(json_string_value(json_object_get(a, "message")), "started 2 tasks");
    assert_timestamp(json_string_value(json_object_get(a, "time")));
    json_t *b = parse_json_line(second);
    assert_string_equal(json_string_value(json_object_get(b, "level")), "error");
    assert_string_equal(json_string_value(json_object_get(b, "message")),
                        "quote \" backslash \\ newline \n tab \t bell \a");
    assert_string_equal(strchr(second, '\n'), "\n"); /* exactly one object per line */
    json_decref(a);
    json_decref(b);
    free(text);
}

static void test_json_sink_replaces_invalid_utf8(void **state)
{
    reset_logger();
    FILE *f = tmpfile();
    asyncz_log_to_json(f);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "bad \xff byte, good \xc3\xa9, cut \xe2\x82");
    reset_logger();
    char *text = slurp(f);
    fclose(f);
    json_t *doc = parse_json_line(text);
    assert_string_equal(json_string_value(json_object_get(doc, "message")),
                        "bad \xef\xbf\xbd byte, good \xc3\xa9, cut \xef\xbf\xbd\xef\xbf\xbd");
    json_decref(doc);
    free(text);
}

/* ---- file sink ------------------------------------------------------------------------------------- */

static void temp_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/asyncz-test-log-%ld-%s", P_tmpdir, (long)getpid(), name);
    unlink(buf);
}

static void test_file_sink_appends(void **state)
{
    reset_logger();
    char path[256];
    temp_path(path, sizeof path, "append");
    assert_int_equal(asyncz_log_to_file(path), 0);
    asyncz_log(ASYNCZ_LOG_WARNING, "asyncz.trigger", "first");
    reset_logger(); /* closes the file */
    assert_int_equal(asyncz_log_to_file(path), 0);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.trigger", "second %s", "line");
    reset_logger();
    char *text = slurp_path(path);
    /* "2026-11-21T05:50:00.123+00:00 WARNING asyncz.trigger: first" (a 29-character timestamp) */
    static const char first[] = " WARNING asyncz.trigger: first\n";
    static const char second[] = " ERROR asyncz.trigger: second line\n";
    assert_int_equal(strlen(text), 29 + strlen(first) + 29 + strlen(second));
    assert_timestamp(text);
    assert_memory_equal(text + 29, first, strlen(first));
    assert_timestamp(text + 29 + strlen(first));
    assert_string_equal(text + 29 + strlen(first) + 29, second);
    free(text);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    unlink(path);
}

static void test_file_sink_open_failure(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    assert_int_equal(asyncz_log_to_file("/nonexistent-asyncz-dir/x.log"), ASYNCZ_EIO);
    assert_int_equal(asyncz_log_to_file(NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_log_to_file(""), ASYNCZ_EINVAL);
    /* A failed switch leaves the previous sink in place. */
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "still here");
    assert_int_equal(c.calls, 1);
    reset_logger();
}

#define THREADS 4
#define LINES_PER_THREAD 500

static void *log_lines(void *arg)
{
    for (int i = 0; i < LINES_PER_THREAD; i++)
        asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.thread", "thread %d line %d %s", (int)(intptr_t)arg, i,
                   "padding padding padding padding padding padding padding padding");
    return NULL;
}

static void test_file_sink_lines_from_threads_do_not_interleave(void **state)
{
    reset_logger();
    char path[256];
    temp_path(path, sizeof path, "threads");
    assert_int_equal(asyncz_log_to_file(path), 0);
    pthread_t th[THREADS];
    for (intptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, log_lines, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    reset_logger();
    char *text = slurp_path(path);
    int lines = 0;
    for (char *line = text, *end; (end = strchr(line, '\n')); line = end + 1, lines++) {
        assert_timestamp(line);
        assert_memory_equal(line + 29, " ERROR asyncz.thread: thread ", 29);
        assert_memory_equal(end - 7, "padding\n", 8);
    }
    assert_int_equal(lines, THREADS * LINES_PER_THREAD);
    free(text);
    unlink(path);
}

/* ---- stderr sink ----------------------------------------------------------------------------------- */

/* Run one log call with stderr redirected to fd, then restore stderr. */
static void log_to_fd(int fd, const char *message)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "%s", message);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

static char *stderr_output(int color, const char *message)
{
    FILE *f = tmpfile();
    asyncz_log_to_stderr(color);
    log_to_fd(fileno(f), message);
    fseek(f, 0, SEEK_END);
    char *text = slurp(f);
    fclose(f);
    return text;
}

static void test_stderr_plain_format(void **state)
{
    reset_logger();
    char *text = stderr_output(0, "hello");
    assert_timestamp(text);
    assert_string_equal(text + 29, " ERROR asyncz.test: hello\n");
    assert_null(strchr(text, '\033'));
    free(text);
    reset_logger();
}

static void test_stderr_color_always(void **state)
{
    reset_logger();
    char *text = stderr_output(1, "hello");
    assert_timestamp(text);
    assert_string_equal(text + 29, " \033[31mERROR\033[0m asyncz.test: hello\n");
    free(text);
    reset_logger();
}

static void test_stderr_auto_color_off_when_not_a_terminal(void **state)
{
    reset_logger();
    unsetenv("NO_COLOR");
    char *text = stderr_output(-1, "hello");
    assert_null(strchr(text, '\033'));
    free(text);
    reset_logger();
}

/* Log with color = -1 to a pseudo-terminal and return what the terminal received. */
static char *terminal_output(void)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    asyncz_log_to_stderr(-1);
    log_to_fd(slave, "on a terminal");
    close(slave);
    char *text = calloc(1, 1024);
    ssize_t n = read(master, text, 1023);
    assert_true(n > 0);
    close(master);
    return text;
}

static void test_stderr_auto_color_on_terminal(void **state)
{
    reset_logger();
    unsetenv("NO_COLOR");
    char *text = terminal_output();
    assert_non_null(strstr(text, "\033[31mERROR\033[0m asyncz.test: on a terminal"));
    free(text);
    reset_logger();
}

static void test_stderr_no_color_env_on_terminal(void **state)
{
    reset_logger();
    setenv("NO_COLOR", "1", 1);
    char *text = terminal_output();
    unsetenv("NO_COLOR");
    assert_null(strchr(text, '\033'));
    assert_non_null(strstr(text, " ERROR asyncz.test: on a terminal"));
    free(text);
    reset_logger();
}

static void test_stderr_color_off_on_terminal(void **state)
{
    reset_logger();
    unsetenv("NO_COLOR");
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(master);
    unlockpt(master);
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    asyncz_log_to_stderr(0);
    log_to_fd(slave, "plain");
    close(slave);
    char text[1024] = {0};
    assert_true(read(master, text, sizeof text - 1) > 0);
    close(master);
    assert_null(strchr(text, '\033'));
    reset_logger();
}

/* ---- syslog sink ----------------------------------------------------------------------------------- */

static void test_syslog_sink_accepts_messages(void **state)
{
    /* syslog offers no way to read back; this checks the sink can be selected, used and replaced. */
    reset_logger();
    asyncz_log_set_level(ASYNCZ_LOG_OFF);
    asyncz_log_to_syslog(NULL);
    asyncz_log(ASYNCZ_LOG_CRITICAL, "asyncz.test", "filtered before reaching syslog");
    asyncz_log_to_syslog("asyncz-test");
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "after syslog");
    assert_int_equal(c.calls, 1);
    reset_logger();
}

static void test_logging_keeps_errno(void **state)
{
    reset_logger();
    capture c = {0};
    asyncz_log_to_callback(capture_fn, &c);
    errno = ENOENT;
    asyncz_log(ASYNCZ_LOG_ERROR, "asyncz.test", "open failed: %m");
    assert_int_equal(errno, ENOENT);
    assert_string_equal(c.message, "open failed: No such file or directory");
    reset_logger();
}

/* ---- texts for messages ------------------------------------------------------------------------------ */

static void expect_duration(int64_t usec, const char *want)
{
    char buf[AZ_LOG_TEXT_SIZE];
    az_log_duration(buf, sizeof buf, usec);
    assert_string_equal(buf, want);
}

static void test_message_durations_read_as_durations(void **state)
{
    (void)state;
    expect_duration(0, "0 µs");
    expect_duration(999, "999 µs");
    expect_duration(250000, "250 ms");
    expect_duration(1500000, "1.50 s");
    expect_duration(3010483, "3.01 s");
    expect_duration(-2000000, "-2.00 s");
    expect_duration(INT64_C(723) * 1000000, "12m 3s");
    expect_duration(INT64_C(7200) * 1000000, "2h 0m 0s");
    /* The miss of a run due on 2020-01-01 reported on 2026-12-07: days, hours, minutes. */
    expect_duration(INT64_C(218807524270000), "2532d 11h 52m");
}

static void test_message_times_are_iso8601(void **state)
{
    (void)state;
    char buf[AZ_LOG_TEXT_SIZE];
    az_log_time(buf, sizeof buf, INT64_C(1796644771893900));
    assert_string_equal(buf, "2026-12-07T11:59:31.8939+00:00");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_default_level_is_warning),
    cmocka_unit_test(test_set_level),
    cmocka_unit_test(test_set_level_ignores_invalid),
    cmocka_unit_test(test_level_names),
    cmocka_unit_test(test_level_parse),
    cmocka_unit_test(test_level_parse_errors),
    cmocka_unit_test(test_callback_receives_message),
    cmocka_unit_test(test_callback_default_logger_name),
    cmocka_unit_test(test_level_filtering),
    cmocka_unit_test(test_callback_that_logs_does_not_deadlock),
    cmocka_unit_test(test_callback_null_restores_stderr),
    cmocka_unit_test(test_long_message_is_truncated),
    cmocka_unit_test(test_truncation_keeps_utf8_whole),
    cmocka_unit_test(test_json_sink_lines_parse),
    cmocka_unit_test(test_json_sink_replaces_invalid_utf8),
    cmocka_unit_test(test_file_sink_appends),
    cmocka_unit_test(test_file_sink_open_failure),
    cmocka_unit_test(test_file_sink_lines_from_threads_do_not_interleave),
    cmocka_unit_test(test_stderr_plain_format),
    cmocka_unit_test(test_stderr_color_always),
    cmocka_unit_test(test_stderr_auto_color_off_when_not_a_terminal),
    cmocka_unit_test(test_stderr_auto_color_on_terminal),
    cmocka_unit_test(test_stderr_no_color_env_on_terminal),
    cmocka_unit_test(test_stderr_color_off_on_terminal),
    cmocka_unit_test(test_syslog_sink_accepts_messages),
    cmocka_unit_test(test_logging_keeps_errno),
    cmocka_unit_test(test_message_durations_read_as_durations),
    cmocka_unit_test(test_message_times_are_iso8601),
};

AZ_TEST_MAIN(tests)
