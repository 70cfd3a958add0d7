/* `asyncz timeline`: the upcoming runs of every scheduled task, merged in time order. Each task's runs come
 * from its stored next run time and then its trigger; a heap keyed by (time, task) merges them, so a
 * timeline of N runs costs N log(tasks) trigger steps. */
#include <stdlib.h>
#include <string.h>

#include "manage.h"

#define TIMELINE_DEFAULT_COUNT 20

enum { OPT_FROM = AZ_OPT_OWN, OPT_UNTIL, OPT_COUNT };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"from", required_argument, NULL, OPT_FROM},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"count", required_argument, NULL, OPT_COUNT},
    {NULL, 0, NULL, 0},
};

typedef struct timeline_args {
    const char *from_text, *until_text, *count_text;
    asyncz_time_t from, until; /* until: ASYNCZ_TIME_NONE for no end */
    size_t count;
} timeline_args;

static int on_option(void *ctx, int code, const char *value)
{
    timeline_args *a = ctx;
    switch (code) {
    case OPT_FROM:
        return az_cli_set_once(options, &a->from_text, code, value);
    case OPT_UNTIL:
        return az_cli_set_once(options, &a->until_text, code, value);
    case OPT_COUNT:
        return az_cli_set_once(options, &a->count_text, code, value);
    default:
        return az_cli_usage_error("unexpected argument '%s'", value);
    }
}

static int resolve(timeline_args *a, const asyncz_zone *zone)
{
    int rc = 0;
    a->from = asyncz_now();
    a->until = ASYNCZ_TIME_NONE;
    a->count = TIMELINE_DEFAULT_COUNT;
    if (a->from_text)
        rc = az_cli_parse_time("--from", a->from_text, zone, &a->from);
    if (rc == 0 && a->until_text)
        rc = az_cli_parse_time("--until", a->until_text, zone, &a->until);
    if (rc == 0 && a->count_text)
        rc = az_cli_parse_count("--count", a->count_text, &a->count);
    if (rc == 0 && a->until != ASYNCZ_TIME_NONE && a->until < a->from)
        rc = az_cli_bad_value("--until", a->until_text, 0, "is before --from");
    return rc;
}

/* ---- the heap ------------------------------------------------------------------------------------------ */

typedef struct slot {
    asyncz_time_t at;
    size_t task; /* index into the task vector */
} slot;

typedef struct heap {
    slot *items;
    size_t n;
} heap;

static bool before(slot x, slot y)
{
    return x.at < y.at || (x.at == y.at && x.task < y.task);
}

static void push(heap *h, slot s)
{
    size_t i = h->n++;
    while (i > 0 && before(s, h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = s;
}

static slot pop(heap *h)
{
    slot top = h->items[0], last = h->items[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(h->items[c + 1], h->items[c]))
            c++;
        if (!before(h->items[c], last))
            break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->n)
        h->items[i] = last;
    return top;
}

/* ---- the runs ------------------------------------------------------------------------------------------ */

static bool in_range(const timeline_args *a, asyncz_time_t t)
{
    return t != ASYNCZ_TIME_NONE && t >= a->from && (a->until == ASYNCZ_TIME_NONE || t <= a->until);
}

/* A task's first run at or after --from: its stored next run time, or when that has passed, the trigger's
 * first fire time from --from. */
static asyncz_time_t first_run(const asyncz_task *t, const timeline_args *a)
{
    asyncz_time_t next = asyncz_task_next_run_time(t);
    asyncz_trigger *trig = asyncz_task_trigger(t);
    if (next != ASYNCZ_TIME_NONE && next < a->from &&
        (!trig || asyncz_trigger_next(trig, ASYNCZ_TIME_NONE, a->from, &next) != 0))
        return ASYNCZ_TIME_NONE;
    return next;
}

static asyncz_time_t following(const asyncz_task *t, asyncz_time_t previous)
{
    asyncz_trigger *trig = asyncz_task_trigger(t);
    asyncz_time_t next = ASYNCZ_TIME_NONE;
    if (!trig || asyncz_trigger_next(trig, previous, previous, &next) != 0)
        return ASYNCZ_TIME_NONE;
    return next;
}

static json_t *run_json(const asyncz_task *t, asyncz_time_t at, const asyncz_zone *zone)
{
    char command[AZ_CLI_TEXT_SIZE];
    json_t *o = json_object();
    int rc = o ? az_cli_json_set_time(o, "time", at, zone) : -1;
    rc |= json_object_set_new(o, "id", json_string(asyncz_task_id(t)));
    rc |= json_object_set_new(o, "name", json_string(asyncz_task_name(t)));
    rc |= json_object_set_new(o, "function", json_string(asyncz_task_func(t)));
    const char *cmd = az_cli_task_command(t, command, sizeof command);
    rc |= json_object_set_new(o, "command", cmd ? json_string(cmd) : json_null());
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int run_row(az_table *table, const asyncz_task *t, asyncz_time_t at, const asyncz_zone *zone)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE], what[AZ_CLI_TEXT_SIZE];
    az_cli_time_text(when, sizeof when, at, zone);
    az_cli_task_what(t, what, sizeof what);
    return az_table_row(table, AZ_TABLE_PLAIN,
                        (const char *const[]){when, asyncz_task_id(t), asyncz_task_name(t), what});
}

typedef struct output {
    const az_cli_common *common;
    const asyncz_zone *zone;
    az_json_stream js;
    az_table *table;
} output;

static int emit(output *o, const asyncz_task *t, asyncz_time_t at)
{
    if (o->common->json) {
        az_cli_json_item(&o->js, run_json(t, at, o->zone));
        return 0;
    }
    return run_row(o->table, t, at, o->zone) ? az_cli_failure("out of memory") : 0;
}

static int merge(const az_task_vec *v, const timeline_args *a, output *o)
{
    heap h = {malloc((v->n ? v->n : 1) * sizeof(slot)), 0};
    if (!h.items)
        return az_cli_failure("out of memory");
    for (size_t i = 0; i < v->n; i++) {
        asyncz_time_t at = first_run(v->items[i], a);
        if (in_range(a, at))
            push(&h, (slot){at, i});
    }
    int rc = 0;
    for (size_t emitted = 0; rc == 0 && h.n && emitted < a->count; emitted++) {
        slot s = pop(&h);
        rc = emit(o, v->items[s.task], s.at);
        asyncz_time_t next = following(v->items[s.task], s.at);
        if (in_range(a, next) && next > s.at)
            push(&h, (slot){next, s.task});
    }
    free(h.items);
    return rc;
}

static int print(const az_task_vec *v, const timeline_args *a, const az_cli_common *common,
                 const asyncz_zone *zone)
{
    output o = {.common = common, .zone = zone};
    if (common->json) {
        az_cli_json_begin(&o.js);
        int rc = merge(v, a, &o);
        return az_cli_json_end(&o.js) ? AZ_CLI_EXIT_FAILURE : rc;
    }
    static const char *const header[] = {"TIME", "ID", "NAME", "FUNCTION/COMMAND"};
    o.table = az_table_new(4);
    if (o.table) { /* name and what it runs are cut to the terminal; time and id never */
        az_table_flexible(o.table, 2);
        az_table_flexible(o.table, 3);
    }
    int rc =
        o.table && az_table_header(o.table, header) == 0 ? merge(v, a, &o) : az_cli_failure("out of memory");
    if (rc == 0 && az_table_rows(o.table) == 0)
        puts("no runs");
    else if (rc == 0)
        rc = az_cli_table_print(o.table, common);
    az_table_free(o.table);
    return rc;
}

int az_cli_timeline(int argc, char **argv)
{
    timeline_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "timeline"))
        return az_cli_finish(0);
    asyncz_zone *zone = NULL;
    az_cli_store s = {0};
    az_task_vec v = {0};
    if (rc == 0)
        rc = az_cli_show_zone(&common, &zone);
    if (rc == 0)
        rc = resolve(&a, zone);
    if (rc == 0)
        rc = az_cli_store_open(&s, common.store, 0);
    if (rc == 0)
        rc = az_cli_store_list(&s, &v);
    if (rc == 0)
        rc = print(&v, &a, &common, zone);
    az_task_vec_free(&v);
    az_cli_store_close(&s);
    asyncz_zone_unref(zone);
    return az_cli_finish(rc);
}
