/* `asyncz history [TASK_ID]`: the run records of a store, newest first, filtered by task, outcome, time
 * and scheduler, one page at a time (asyncz_store_list_runs and its cursor). */
#include <string.h>

#include "manage.h"

enum { OPT_OUTCOME = AZ_OPT_OWN, OPT_SINCE, OPT_UNTIL, OPT_SCHEDULER, OPT_LIMIT, OPT_CURSOR };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"outcome", required_argument, NULL, OPT_OUTCOME},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"scheduler", required_argument, NULL, OPT_SCHEDULER},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {NULL, 0, NULL, 0},
};

typedef struct history_args {
    az_cli_page_args page;
    const char *outcome, *scheduler;
    asyncz_history_query q; /* filled by check_args, the strings borrowed from argv */
} history_args;

static int on_option(void *ctx, int code, const char *value)
{
    history_args *a = ctx;
    switch (code) {
    case OPT_OUTCOME:
        return az_cli_set_once(options, &a->outcome, code, value);
    case OPT_SINCE:
        return az_cli_set_once(options, &a->page.since, code, value);
    case OPT_UNTIL:
        return az_cli_set_once(options, &a->page.until, code, value);
    case OPT_SCHEDULER:
        return az_cli_set_once(options, &a->scheduler, code, value);
    case OPT_LIMIT:
        return az_cli_set_once(options, &a->page.limit, code, value);
    case OPT_CURSOR:
        return az_cli_set_once(options, &a->page.cursor, code, value);
    default:
        return az_cli_set_positional(&a->page.task, value);
    }
}

/* ---- the query ----------------------------------------------------------------------------------------- */

#define OUTCOME_NAMES "running, succeeded, failed, timed_out, crashed, missed, skipped, lost or cancelled"

static int outcome_bit(const char *name, uint32_t *bit)
{
    asyncz_run_outcome o;
    if (asyncz_run_outcome_parse(name, &o) != 0)
        return -1;
    *bit = ASYNCZ_RUN_OUTCOME_BIT(o);
    return 0;
}

static int check_args(history_args *a, const asyncz_zone *zone)
{
    asyncz_history_query *q = &a->q;
    asyncz_history_query_init(q);
    az_cli_page page;
    int rc = az_cli_page_check(&a->page, zone, "history", &page);
    if (rc == 0 && a->outcome)
        rc = az_cli_parse_name_set("--outcome", a->outcome, outcome_bit, "an outcome (" OUTCOME_NAMES ")",
                                   &q->outcomes);
    if (rc == 0 && a->scheduler)
        rc = az_cli_check_utf8("--scheduler", a->scheduler);
    q->task_id = a->page.task;
    q->scheduler = a->scheduler;
    q->cursor = a->page.cursor;
    q->since = page.since;
    q->until = page.until;
    q->limit = page.limit;
    return rc;
}

/* ---- output -------------------------------------------------------------------------------------------- */

typedef struct history_out {
    const asyncz_zone *zone;
    asyncz_time_t now;
    az_table *table; /* text */
    json_t *runs;    /* --json */
    bool out_of_memory;
} history_out;

/* A time to the second, for the table (the --json times keep every digit). */
static void second_text(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *zone)
{
    az_cli_time_text(buf, size, t == ASYNCZ_TIME_NONE ? t : t - t % ASYNCZ_USEC_PER_SEC, zone);
}

static int add_row(const asyncz_run_record *r, void *userdata)
{
    history_out *h = userdata;
    if (h->runs) {
        if (json_array_append_new(h->runs, az_cli_run_json(r, h->zone, false)) != 0)
            h->out_of_memory = true;
        return h->out_of_memory ? ASYNCZ_ENOMEM : 0;
    }
    char scheduled[ASYNCZ_TIME_FORMAT_SIZE], late[AZ_CLI_RUN_TEXT_SIZE], took[AZ_CLI_RUN_TEXT_SIZE],
        error[AZ_CLI_TEXT_SIZE];
    second_text(scheduled, sizeof scheduled, r->scheduled_time, h->zone);
    az_cli_run_late_text(late, sizeof late, r);
    az_cli_run_duration_text(took, sizeof took, r, h->now);
    az_cli_run_error_text(error, sizeof error, r);
    const char *cells[] = {r->run_id,
                           r->task_id ? r->task_id : "-",
                           scheduled,
                           late,
                           took,
                           asyncz_run_outcome_name(r->outcome),
                           r->scheduler ? r->scheduler : "-",
                           error};
    if (az_table_row(h->table, az_cli_run_style(r->outcome), cells) != 0) {
        h->out_of_memory = true;
        return ASYNCZ_ENOMEM;
    }
    return 0;
}

static bool filtered(const history_args *a)
{
    return a->page.task || a->outcome || a->page.since || a->page.until || a->scheduler;
}

static int print_json(history_out *h, const char *next)
{
    json_t *doc =
        json_pack("{s:o, s:o}", "runs", h->runs, "next_cursor", next[0] ? json_string(next) : json_null());
    h->runs = NULL; /* "o" took it, also when packing failed */
    return az_cli_json_print(doc);
}

static int print_text(const history_args *a, history_out *h, const char *next, const az_cli_common *common)
{
    if (az_table_rows(h->table) == 0) {
        puts(a->page.cursor ? "no more runs" : filtered(a) ? "no runs match" : "no runs");
        return 0;
    }
    az_table_flexible(h->table, 1); /* the task id, the scheduler and the error are cut to the terminal */
    az_table_flexible(h->table, 6);
    az_table_flexible(h->table, 7);
    int rc = az_cli_table_print(h->table, common);
    if (rc == 0 && next[0])
        printf("more runs: add --cursor %s\n", next);
    return rc;
}

static int list(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    history_args *a = ctx;
    static const char *const header[] = {"RUN ID", "TASK",    "SCHEDULED", "LATE",
                                         "TOOK",   "OUTCOME", "SCHEDULER", "ERROR"};
    history_out h = {.zone = zone, .now = asyncz_now()};
    if (common->json)
        h.runs = json_array();
    else if ((h.table = az_table_new(8)) && az_table_header(h.table, header) != 0)
        h.out_of_memory = true;
    if (!h.runs && !h.table)
        return az_cli_failure("out of memory");
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc = h.out_of_memory ? ASYNCZ_ENOMEM : asyncz_store_list_runs(s->st, &a->q, add_row, &h, next);
    if (rc == ASYNCZ_EINVAL && a->page.cursor)
        rc = az_cli_bad_value("--cursor", a->page.cursor, 0,
                              "not a cursor 'asyncz history' printed for this store");
    else if (rc)
        rc = az_cli_history_failed(s, rc, "cannot list the runs");
    else
        rc = common->json ? print_json(&h, next) : print_text(a, &h, next, common);
    json_decref(h.runs);
    az_table_free(h.table);
    return rc;
}

int az_cli_history(int argc, char **argv)
{
    history_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "history"))
        return az_cli_finish(0);
    /* The filters are checked before the store is opened: a bad one is a usage error wherever the store is.
     */
    asyncz_zone *zone = NULL;
    if (rc == 0 && (rc = az_cli_show_zone(&common, &zone)) == 0)
        rc = check_args(&a, zone);
    asyncz_zone_unref(zone);
    return az_cli_with_store(rc, &common, list, &a);
}
