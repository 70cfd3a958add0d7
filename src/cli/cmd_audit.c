/* `asyncz audit [TASK_ID]`: the audit trail of a store, newest first: who changed which task, when, how
 * (asyncz_store_list_audit and its cursor). */
#include <string.h>

#include "manage.h"

enum { OPT_ACTION = AZ_OPT_OWN, OPT_ACTOR, OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_CURSOR };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"action", required_argument, NULL, OPT_ACTION},
    {"actor", required_argument, NULL, OPT_ACTOR},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"cursor", required_argument, NULL, OPT_CURSOR},
    {NULL, 0, NULL, 0},
};

#define ACTION_NAMES "add, update, pause, resume, remove or run"
/* Characters of the CHANGES column per field before it is cut. */
#define CHANGE_VALUE_MAX 40

typedef struct audit_args {
    az_cli_page_args page;
    const char *action, *actor;
    asyncz_audit_query q;
} audit_args;

static int on_option(void *ctx, int code, const char *value)
{
    audit_args *a = ctx;
    switch (code) {
    case OPT_ACTION:
        return az_cli_set_once(options, &a->action, code, value);
    case OPT_ACTOR:
        return az_cli_set_once(options, &a->actor, code, value);
    case OPT_SINCE:
        return az_cli_set_once(options, &a->page.since, code, value);
    case OPT_UNTIL:
        return az_cli_set_once(options, &a->page.until, code, value);
    case OPT_LIMIT:
        return az_cli_set_once(options, &a->page.limit, code, value);
    case OPT_CURSOR:
        return az_cli_set_once(options, &a->page.cursor, code, value);
    default:
        return az_cli_set_positional(&a->page.task, value);
    }
}

static int action_bit(const char *name, uint32_t *bit)
{
    asyncz_audit_action action;
    if (asyncz_audit_action_parse(name, &action) != 0)
        return -1;
    *bit = ASYNCZ_AUDIT_ACTION_BIT(action);
    return 0;
}

static int check_args(audit_args *a, const asyncz_zone *zone)
{
    asyncz_audit_query *q = &a->q;
    asyncz_audit_query_init(q);
    az_cli_page page;
    int rc = az_cli_page_check(&a->page, zone, "audit", &page);
    if (rc == 0 && a->action)
        rc = az_cli_parse_name_set("--action", a->action, action_bit, "an action (" ACTION_NAMES ")",
                                   &q->actions);
    if (rc == 0 && a->actor)
        rc = az_cli_check_utf8("--actor", a->actor);
    q->task_id = a->page.task;
    q->actor = a->actor;
    q->cursor = a->page.cursor;
    q->since = page.since;
    q->until = page.until;
    q->limit = page.limit;
    return rc;
}

/* ---- output -------------------------------------------------------------------------------------------- */

typedef struct audit_out {
    const asyncz_zone *zone;
    az_table *table; /* text */
    json_t *entries; /* --json */
    bool out_of_memory;
} audit_out;

/* A value of a change, compact and cut for the table. */
static void value_text(char *buf, size_t size, const json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    snprintf(buf, size, "%s", text ? text : "null");
    if (strlen(buf) > CHANGE_VALUE_MAX)
        memcpy(buf + CHANGE_VALUE_MAX - 3, "...", 4);
    free(text);
}

/* "name: "old" -> "new"; paused..." for a table cell: each changed field, its values for an update;
 * only the field names for an add or a remove (every field changes). */
static void changes_text(char *buf, size_t size, const asyncz_audit_entry *e, const json_t *changes)
{
    buf[0] = '\0';
    const char *key;
    json_t *pair;
    bool names_only = e->action == ASYNCZ_AUDIT_ADD || e->action == ASYNCZ_AUDIT_REMOVE;
    json_object_foreach((json_t *)changes, key, pair)
    {
        char before[CHANGE_VALUE_MAX + 1], after[CHANGE_VALUE_MAX + 1], item[2 * CHANGE_VALUE_MAX + 300];
        if (names_only) {
            snprintf(item, sizeof item, "%s", key);
        } else {
            value_text(before, sizeof before, json_object_get(pair, "before"));
            value_text(after, sizeof after, json_object_get(pair, "after"));
            snprintf(item, sizeof item, "%s: %s -> %s", key, before, after);
        }
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", used ? names_only ? ", " : "; " : "", item);
    }
}

static int add_entry(const asyncz_audit_entry *e, void *userdata)
{
    audit_out *o = userdata;
    json_t *changes = json_loads(e->changes ? e->changes : "{}", 0, NULL);
    if (o->entries) {
        if (json_array_append_new(o->entries, az_cli_audit_json(e, o->zone, changes)) != 0)
            o->out_of_memory = true;
    } else {
        char at[ASYNCZ_TIME_FORMAT_SIZE], what[AZ_CLI_TEXT_SIZE];
        az_cli_time_text(at, sizeof at, e->at - e->at % ASYNCZ_USEC_PER_SEC, o->zone);
        changes_text(what, sizeof what, e, changes);
        const char *cells[] = {at, e->task_id ? e->task_id : "-", asyncz_audit_action_name(e->action),
                               e->actor ? e->actor : "-", what};
        if (az_table_row(o->table, AZ_TABLE_PLAIN, cells) != 0)
            o->out_of_memory = true;
    }
    json_decref(changes);
    return o->out_of_memory ? ASYNCZ_ENOMEM : 0;
}

static bool filtered(const audit_args *a)
{
    return a->page.task || a->action || a->actor || a->page.since || a->page.until;
}

static int print_text(const audit_args *a, audit_out *o, const char *next, const az_cli_common *common)
{
    if (az_table_rows(o->table) == 0) {
        puts(a->page.cursor ? "no more changes" : filtered(a) ? "no changes match" : "no changes recorded");
        return 0;
    }
    az_table_flexible(o->table, 1);
    az_table_flexible(o->table, 4);
    int rc = az_cli_table_print(o->table, common);
    if (rc == 0 && next[0])
        printf("more changes: add --cursor %s\n", next);
    return rc;
}

static int list(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    audit_args *a = ctx;
    static const char *const header[] = {"AT", "TASK", "ACTION", "ACTOR", "CHANGES"};
    audit_out o = {.zone = zone};
    if (common->json)
        o.entries = json_array();
    else if ((o.table = az_table_new(5)) && az_table_header(o.table, header) != 0)
        o.out_of_memory = true;
    if (!o.entries && !o.table)
        return az_cli_failure("out of memory");
    char next[ASYNCZ_HISTORY_CURSOR_SIZE] = "";
    int rc = o.out_of_memory ? ASYNCZ_ENOMEM : asyncz_store_list_audit(s->st, &a->q, add_entry, &o, next);
    if (rc == ASYNCZ_EINVAL && a->page.cursor)
        rc = az_cli_bad_value("--cursor", a->page.cursor, 0,
                              "not a cursor 'asyncz audit' printed for this store");
    else if (rc == ASYNCZ_EUNSUPPORTED)
        rc = az_cli_failure("cannot list the changes: the %s store keeps no audit trail",
                            asyncz_store_kind(s->st));
    else if (rc)
        rc = az_cli_history_failed(s, rc, "cannot list the changes");
    else if (common->json) {
        json_t *doc = json_pack("{s:o, s:o}", "entries", o.entries, "next_cursor",
                                next[0] ? json_string(next) : json_null());
        o.entries = NULL;
        rc = az_cli_json_print(doc);
    } else {
        rc = print_text(a, &o, next, common);
    }
    json_decref(o.entries);
    az_table_free(o.table);
    return rc;
}

int az_cli_audit(int argc, char **argv)
{
    audit_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "audit"))
        return az_cli_finish(0);
    asyncz_zone *zone = NULL;
    if (rc == 0 && (rc = az_cli_show_zone(&common, &zone)) == 0)
        rc = check_args(&a, zone);
    asyncz_zone_unref(zone);
    return az_cli_with_store(rc, &common, list, &a);
}
