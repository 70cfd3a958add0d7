/* `asyncz logs RUN_ID [--follow]`: one run's record and its output lines (asyncz_store_get_run); with
 * --follow, the store is read again every POLL_USEC while the run is running and the lines that came since
 * are printed, until the run ends (the model is `kubectl logs -f`: the command ends with the run, with exit
 * status 0 whatever the outcome, which the last line names). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manage.h"

enum { OPT_FOLLOW = AZ_OPT_OWN };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"follow", no_argument, NULL, OPT_FOLLOW},
    {NULL, 0, NULL, 0},
};

/* How often --follow reads the run again. */
#define POLL_USEC (500 * 1000)

typedef struct logs_args {
    const char *run_id;
    bool follow;
} logs_args;

/* What has been printed of the output so far (--follow), to print only what came since. */
typedef struct shown {
    size_t n;                /* lines printed */
    asyncz_time_t last_time; /* the last of them */
    asyncz_output_stream last_stream;
    char *last_text;
    bool said_truncated;
} shown;

static int on_option(void *ctx, int code, const char *value)
{
    logs_args *a = ctx;
    if (code == OPT_FOLLOW) {
        a->follow = true;
        return 0;
    }
    if (a->run_id)
        return az_cli_usage_error("unexpected argument '%s' (one run id only)", value);
    a->run_id = value;
    return 0;
}

/* The form of a run id (a UUIDv7's text: 8-4-4-4-12 lower-case hex digits), checked before the store is
 * opened so a mistyped one is a usage error. */
static bool run_id_form(const char *id)
{
    if (strlen(id) != ASYNCZ_RUN_ID_SIZE - 1)
        return false;
    for (size_t i = 0; id[i]; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !strchr("0123456789abcdef", id[i]))
            return false;
    }
    return true;
}

/* ---- the record ---------------------------------------------------------------------------------------- */

static void exit_text(char *buf, size_t size, const asyncz_run_record *r)
{
    if (r->signal)
        snprintf(buf, size, "signal %d", r->signal);
    else if (r->exit_status >= 0)
        snprintf(buf, size, "%d", r->exit_status);
    else
        snprintf(buf, size, "-");
}

static int print_header(const asyncz_run_record *r, const asyncz_zone *zone, const az_cli_common *common)
{
    char scheduled[ASYNCZ_TIME_FORMAT_SIZE], started[ASYNCZ_TIME_FORMAT_SIZE],
        finished[ASYNCZ_TIME_FORMAT_SIZE];
    char took[AZ_CLI_RUN_TEXT_SIZE], late[AZ_CLI_RUN_TEXT_SIZE], by[AZ_CLI_TEXT_SIZE], ended[32];
    az_cli_time_text(scheduled, sizeof scheduled, r->scheduled_time, zone);
    az_cli_time_text(started, sizeof started, r->started_at, zone);
    az_cli_time_text(finished, sizeof finished, r->finished_at, zone);
    az_cli_run_duration_text(took, sizeof took, r, asyncz_now());
    az_cli_run_late_text(late, sizeof late, r);
    snprintf(by, sizeof by, "%s (host %s, pid %lld)", r->scheduler ? r->scheduler : "-",
             r->host ? r->host : "-", (long long)r->pid);
    exit_text(ended, sizeof ended, r);
    const char *rows[][2] = {{"run", r->run_id},
                             {"task", r->task_id ? r->task_id : "-"},
                             {"name", r->task_name ? r->task_name : "-"},
                             {"outcome", asyncz_run_outcome_name(r->outcome)},
                             {"source", asyncz_run_source_name(r->source)},
                             {"scheduled", scheduled},
                             {"started", started},
                             {"finished", finished},
                             {"took", took},
                             {"late", late},
                             {"scheduler", by},
                             {"exit", ended},
                             {"error", r->error_message ? r->error_message : "-"},
                             {"result", r->result ? r->result : "-"}};
    az_table *t = az_table_new(2);
    int rc = t ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < sizeof rows / sizeof rows[0]; i++)
        rc = az_table_row(t, i == 3 ? az_cli_run_style(r->outcome) : AZ_TABLE_PLAIN, rows[i]);
    rc = rc ? az_cli_failure("out of memory") : az_cli_table_print(t, common);
    az_table_free(t);
    return rc;
}

/* ---- output lines -------------------------------------------------------------------------------------- */

static const char *stream_tag(asyncz_output_stream stream)
{
    return stream == ASYNCZ_OUTPUT_STDERR ? "err" : stream == ASYNCZ_OUTPUT_NOTE ? "note" : "out";
}

/* A time to the millisecond, always three digits so the lines align: "2030-01-01T10:00:00.250+01:00". */
static void millisecond_text(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *zone)
{
    char whole[ASYNCZ_TIME_FORMAT_SIZE];
    asyncz_time_t second = t - ((t % ASYNCZ_USEC_PER_SEC) + ASYNCZ_USEC_PER_SEC) % ASYNCZ_USEC_PER_SEC;
    az_cli_time_text(whole, sizeof whole, t == ASYNCZ_TIME_NONE ? t : second, zone);
    if (t == ASYNCZ_TIME_NONE || strlen(whole) < 19) { /* "-", or a form without seconds to extend */
        snprintf(buf, size, "%s", whole);
        return;
    }
    snprintf(buf, size, "%.19s.%03d%s", whole, (int)((t - second) / 1000), whole + 19);
}

/* One line: "TIME  out  TEXT", the time to the millisecond, the text with control characters escaped (as
 * tables show them: --json has the exact text); stderr lines red on a terminal. */
static int print_line(const asyncz_output_line *l, const asyncz_zone *zone, bool color)
{
    char at[ASYNCZ_TIME_FORMAT_SIZE + 4];
    millisecond_text(at, sizeof at, l->time, zone);
    const char *text = l->text ? l->text : "";
    size_t len = az_table_escape(NULL, 0, text);
    char *shown_text = malloc(len + 1);
    if (!shown_text)
        return az_cli_failure("out of memory");
    az_table_escape(shown_text, len + 1, text);
    bool red = color && l->stream == ASYNCZ_OUTPUT_STDERR;
    printf("%s%s  %-4s  %s%s\n", red ? "\033[31m" : "", at, stream_tag(l->stream), shown_text,
           red ? "\033[0m" : "");
    free(shown_text);
    return 0;
}

/* Where the lines not printed yet begin in r's output: after the line printed last (the output keeps the
 * newest lines, so older ones may have gone meanwhile); 0 when it is gone too. */
static size_t first_new(const asyncz_run_record *r, const shown *sh, bool *lost)
{
    *lost = false;
    if (sh->n == 0)
        return 0;
    for (size_t j = r->n_output; j-- > 0;) {
        const asyncz_output_line *l = &r->output[j];
        if (l->time == sh->last_time && l->stream == sh->last_stream &&
            strcmp(l->text ? l->text : "", sh->last_text) == 0)
            return j + 1;
    }
    *lost = r->n_output > 0;
    return 0;
}

static int remember(shown *sh, const asyncz_output_line *l)
{
    char *text = strdup(l->text ? l->text : "");
    if (!text)
        return az_cli_failure("out of memory");
    free(sh->last_text);
    sh->last_text = text;
    sh->last_time = l->time;
    sh->last_stream = l->stream;
    sh->n++;
    return 0;
}

#define TRUNCATED_NOTE "(output truncated: older lines dropped)"

/* Print the lines of r not printed yet, as text or (json) one JSON object a line. */
static int print_new_lines(const asyncz_run_record *r, shown *sh, const asyncz_zone *zone,
                           const az_cli_common *common)
{
    bool lost;
    size_t i = first_new(r, sh, &lost);
    if ((r->output_truncated && sh->n == 0) || lost) {
        if (!common->json && !sh->said_truncated)
            puts(TRUNCATED_NOTE);
        sh->said_truncated = true;
    }
    int rc = 0;
    bool color = az_cli_use_color(common);
    for (; rc == 0 && i < r->n_output; i++) {
        rc = common->json ? az_cli_json_print(az_cli_output_line_json(&r->output[i], zone))
                          : print_line(&r->output[i], zone, color);
        if (rc == 0)
            rc = remember(sh, &r->output[i]);
    }
    fflush(stdout);
    return rc;
}

/* ---- the command --------------------------------------------------------------------------------------- */

static int get_run(az_cli_store *s, const char *id, asyncz_run_record **out)
{
    int rc = asyncz_store_get_run(s->st, id, out);
    if (rc == ASYNCZ_ENOTFOUND) {
        fflush(stdout);
        az_cli_failure("no run with id \"%s\" in the store", id);
        return AZ_CLI_EXIT_NOTFOUND;
    }
    if (rc == ASYNCZ_EINVAL)
        return az_cli_bad_value("run id", id, 0, "not a run id");
    return rc ? az_cli_history_failed(s, rc, "cannot read the run") : 0;
}

static int show_once(const asyncz_run_record *r, const asyncz_zone *zone, const az_cli_common *common)
{
    if (common->json)
        return az_cli_json_print(az_cli_run_json(r, zone, true));
    int rc = print_header(r, zone, common);
    if (rc)
        return rc;
    putchar('\n');
    if (r->n_output == 0) {
        puts("(no output)");
        return 0;
    }
    shown sh = {0};
    rc = print_new_lines(r, &sh, zone, common);
    free(sh.last_text);
    return rc;
}

static void pause_poll(void)
{
    struct timespec ts = {0, POLL_USEC * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* The end of --follow: the run as it ended (text: one line; json: the record without its output). */
static int print_end(const asyncz_run_record *r, const asyncz_zone *zone, const az_cli_common *common)
{
    if (common->json)
        return az_cli_json_print(az_cli_run_json(r, zone, false));
    char took[AZ_CLI_RUN_TEXT_SIZE], error[AZ_CLI_TEXT_SIZE];
    az_cli_run_duration_text(took, sizeof took, r, asyncz_now());
    az_cli_run_error_text(error, sizeof error, r);
    printf("-- run %s %s after %s%s%s\n", r->run_id, asyncz_run_outcome_name(r->outcome), took,
           error[0] ? ": " : "", error);
    return 0;
}

static int follow(az_cli_store *s, const char *id, asyncz_run_record *r, const asyncz_zone *zone,
                  const az_cli_common *common)
{
    int rc = common->json ? 0 : print_header(r, zone, common);
    if (rc == 0 && !common->json)
        putchar('\n');
    shown sh = {0};
    while (rc == 0) {
        rc = print_new_lines(r, &sh, zone, common);
        if (rc || r->outcome != ASYNCZ_RUN_RUNNING)
            break;
        pause_poll();
        asyncz_run_record_free(r);
        r = NULL;
        rc = get_run(s, id, &r);
    }
    if (rc == 0)
        rc = print_end(r, zone, common);
    free(sh.last_text);
    asyncz_run_record_free(r);
    return rc;
}

static int logs(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    const logs_args *a = ctx;
    asyncz_run_record *r = NULL;
    int rc = get_run(s, a->run_id, &r);
    if (rc)
        return rc;
    if (a->follow)
        return follow(s, a->run_id, r, zone, common);
    rc = show_once(r, zone, common);
    asyncz_run_record_free(r);
    return rc;
}

int az_cli_logs(int argc, char **argv)
{
    logs_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "logs"))
        return az_cli_finish(0);
    if (rc == 0 && !a.run_id)
        rc = az_cli_usage_error("no run id given");
    if (rc == 0 && !run_id_form(a.run_id))
        rc = az_cli_bad_value("run id", a.run_id, 0,
                              "not a run id (36 characters: 8-4-4-4-12 lower-case hex digits, as 'asyncz "
                              "history' shows them)");
    return az_cli_with_store(rc, &common, logs, &a);
}
