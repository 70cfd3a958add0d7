/* `asyncz quarantine list|show|restore|drop`: the records a scheduler moved aside (docs/stores.md,
 * "Quarantine"), looked at and taken out again through asyncz_store_quarantined and
 * asyncz_store_quarantine_open / _restore / _drop. An entry is named by its task id and, when the id has
 * several, by the time it was quarantined (--at, as `list` shows it). restore and show take the newest entry
 * by default; drop removes records for good, so with several entries it wants --at or --all. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "manage.h"

enum { OPT_AT = AZ_OPT_OWN, OPT_ALL, OPT_REPLACE };

static const struct option options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    AZ_CLI_SHOW_ZONE_OPTION,
    {"at", required_argument, NULL, OPT_AT},
    {"all", no_argument, NULL, OPT_ALL},
    {"replace", no_argument, NULL, OPT_REPLACE},
    {NULL, 0, NULL, 0},
};

typedef enum action { LIST, SHOW, RESTORE, DROP } action;

typedef struct args {
    action action;
    const char *name; /* "list" ... */
    const char *id;
    const char *at_text; /* --at */
    asyncz_time_t at;    /* ASYNCZ_TIME_NONE: not given */
    bool all, replace;
} args;

static int on_option(void *ctx, int code, const char *value)
{
    args *a = ctx;
    switch (code) {
    case OPT_AT:
        return az_cli_set_once(options, &a->at_text, code, value);
    case OPT_ALL:
        a->all = true;
        return 0;
    case OPT_REPLACE:
        a->replace = true;
        return 0;
    default:
        if (a->action == LIST)
            return az_cli_usage_error("quarantine list takes no task id ('%s')", value);
        return az_cli_set_positional(&a->id, value);
    }
}

/* Options that only some actions take. */
static int check_args(const args *a)
{
    if (a->action != LIST && !a->id)
        return az_cli_usage_error("quarantine %s: no task id given", a->name);
    if (a->at_text && a->action == LIST)
        return az_cli_usage_error("--at is for show, restore and drop, not list");
    if (a->all && a->action != DROP)
        return az_cli_usage_error("--all is for drop only");
    if (a->all && a->at_text)
        return az_cli_usage_error("--all and --at exclude each other");
    if (a->replace && a->action != RESTORE)
        return az_cli_usage_error("--replace is for restore only");
    return 0;
}

/* --at in the zone of --timezone (naive times); the value `list` shows is exact to the microsecond. */
static int parse_at(args *a, const asyncz_zone *zone)
{
    int col = 0;
    int rc = asyncz_time_parse(&a->at, a->at_text, zone, &col);
    if (rc)
        return az_cli_bad_value("--at", a->at_text, col,
                                "not an ISO-8601 time (give the time 'asyncz quarantine list' shows)");
    return 0;
}

/* ---- the entries ------------------------------------------------------------------------------------- */

/* One quarantined record, copied out of the listing. */
typedef struct entry {
    char *id, *reason;
    asyncz_time_t at;
    unsigned char *data;
    size_t len;
} entry;

typedef struct entries {
    entry *items;
    size_t n;
    const char *id; /* only this id's (NULL: all) */
    asyncz_time_t at;
    bool nomem;
} entries;

static void entries_free(entries *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].id);
        free(l->items[i].reason);
        free(l->items[i].data);
    }
    free(l->items);
}

static int keep_entry(const asyncz_quarantined *q, void *userdata)
{
    entries *l = userdata;
    if ((l->id && strcmp(l->id, q->task_id) != 0) || (l->at != ASYNCZ_TIME_NONE && l->at != q->at))
        return 0;
    entry *grown = realloc(l->items, (l->n + 1) * sizeof *grown);
    if (!grown) {
        l->nomem = true;
        return 1;
    }
    l->items = grown;
    entry *e = &l->items[l->n];
    *e = (entry){.id = strdup(q->task_id), .reason = strdup(q->reason), .at = q->at, .len = q->len};
    e->data = malloc(q->len ? q->len : 1);
    l->n++;
    if (!e->id || !e->reason || !e->data) {
        l->nomem = true;
        return 1;
    }
    memcpy(e->data, q->data, q->len);
    return 0;
}

static int load_entries(az_cli_store *s, entries *l)
{
    int rc = asyncz_store_quarantined(s->st, keep_entry, l);
    if (l->nomem)
        return az_cli_failure("out of memory while listing the quarantine");
    if (rc)
        return az_cli_store_failed(rc, "cannot list the quarantine", NULL);
    return 0;
}

/* Exit status 3 when no entry matched the id (and --at). */
static int none_found(const args *a, const asyncz_zone *zone)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    fflush(stdout);
    if (a->at == ASYNCZ_TIME_NONE)
        az_cli_failure("no record of task \"%s\" is quarantined (see 'asyncz quarantine list')", a->id);
    else {
        az_cli_time_text(when, sizeof when, a->at, zone);
        az_cli_failure("no record of task \"%s\" was quarantined at %s (see 'asyncz quarantine list')", a->id,
                       when);
    }
    return AZ_CLI_EXIT_NOTFOUND;
}

/* The sealed envelope starts with these bytes (docs/stores.md, "Sealing"). */
static bool looks_sealed(const entry *e)
{
    return e->len >= 6 && memcmp(e->data, "AZSEAL", 6) == 0;
}

/* ---- list --------------------------------------------------------------------------------------------- */

static json_t *entry_json(const entry *e, const asyncz_zone *zone)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:b}", "id", e->id, "reason", e->reason, "size",
                          (json_int_t)e->len, "sealed", looks_sealed(e));
    if (o && az_cli_json_set_time(o, "at", e->at, zone) != 0) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

static int list_entries(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone)
{
    entries l = {.at = ASYNCZ_TIME_NONE};
    int rc = load_entries(s, &l);
    if (!rc && common->json) {
        az_json_stream js;
        az_cli_json_begin(&js);
        for (size_t i = 0; i < l.n; i++)
            az_cli_json_item(&js, entry_json(&l.items[i], zone));
        rc = az_cli_json_end(&js);
    } else if (!rc && l.n == 0) {
        printf("no record is quarantined\n");
    } else if (!rc) {
        az_table *t = az_table_new(3);
        static const char *const head[] = {"ID", "QUARANTINED", "REASON"};
        rc = t && az_table_header(t, head) == 0 ? 0 : az_cli_failure("out of memory");
        for (size_t i = 0; !rc && i < l.n; i++) {
            char when[ASYNCZ_TIME_FORMAT_SIZE];
            az_cli_time_text(when, sizeof when, l.items[i].at, zone);
            const char *row[] = {l.items[i].id, when, l.items[i].reason};
            if (az_table_row(t, AZ_TABLE_PLAIN, row) != 0)
                rc = az_cli_failure("out of memory");
        }
        if (!rc)
            rc = az_cli_table_print(t, common);
        az_table_free(t);
    }
    entries_free(&l);
    return rc;
}

/* ---- show --------------------------------------------------------------------------------------------- */

/* What the current key makes of an entry. */
typedef struct opened {
    int rc;            /* 0: it would restore */
    char problem[512]; /* why not */
    char *doc;         /* the plaintext, or NULL (sealed and it does not open) */
    size_t len;
} opened;

static void open_entry(az_cli_store *s, const entry *e, opened *o)
{
    asyncz_quarantined q = {
        .task_id = e->id, .reason = e->reason, .at = e->at, .data = e->data, .len = e->len};
    *o = (opened){0};
    o->rc = asyncz_store_quarantine_open(s->st, &q, &o->doc, &o->len, NULL);
    if (!o->rc)
        return;
    /* The message names the task, which show has just printed: keep the reason. */
    const char *msg = asyncz_store_errmsg();
    char prefix[300];
    snprintf(prefix, sizeof prefix, "task \"%s\": ", e->id);
    if (strncmp(msg, prefix, strlen(prefix)) == 0)
        msg += strlen(prefix);
    snprintf(o->problem, sizeof o->problem, "%s", msg);
}

static bool is_text(const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return false;
    json_t *probe = json_stringn(s, len); /* NULL unless valid UTF-8 */
    json_decref(probe);
    return probe != NULL;
}

/* The document as a JSON value when it parses as JSON, else NULL. */
static json_t *as_json(const opened *o)
{
    if (!o->doc)
        return NULL;
    json_error_t err;
    return json_loadb(o->doc, o->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
}

static void print_hex(const unsigned char *p, size_t len)
{
    for (size_t off = 0; off < len; off += 16) {
        printf("  %08zx ", off);
        for (size_t i = off; i < off + 16; i++) {
            if (i < len)
                printf(" %02x", p[i]);
            else
                printf("   ");
        }
        printf("  |");
        for (size_t i = off; i < off + 16 && i < len; i++)
            putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
        printf("|\n");
    }
}

/* s escaped as table cells are (az_table_escape: C0 and C1 controls, bidi controls, bytes that are not
 * UTF-8), so store data cannot act on the terminal; malloc'd, NULL when out of memory. */
static char *escaped(const char *s)
{
    size_t n = az_table_escape(NULL, 0, s) + 1;
    char *out = malloc(n);
    if (out)
        az_table_escape(out, n, s);
    return out;
}

/* Text that is not JSON (valid UTF-8 without NUL bytes, see is_text): one line of output per line of
 * text, each escaped. */
static void print_escaped(const char *s, size_t len)
{
    char *copy = strndup(s, len);
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *text = escaped(line);
        printf("  %s%s\n", text ? text : "(out of memory)", next ? "\\n" : "");
        free(text);
    }
    if (!copy)
        printf("  (out of memory)\n");
    free(copy);
}

static void print_content(const entry *e, const opened *o)
{
    json_t *doc = as_json(o);
    if (doc) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        printf("%s:\n%s\n", looks_sealed(e) ? "document (opened with the current key)" : "document",
               text ? text : "(out of memory)");
        free(text);
        json_decref(doc);
    } else if (o->doc && is_text(o->doc, o->len)) {
        printf("content (%zu bytes of text, not JSON):\n", o->len);
        print_escaped(o->doc, o->len);
    } else if (o->doc) {
        printf("content (%zu bytes, not text):\n", o->len);
        print_hex((const unsigned char *)o->doc, o->len);
    } else {
        printf("content (sealed, %zu bytes; it does not open with the current key):\n", e->len);
        print_hex(e->data, e->len);
    }
}

static void print_entry(const entry *e, const opened *o, const asyncz_zone *zone)
{
    char when[ASYNCZ_TIME_FORMAT_SIZE];
    az_cli_time_text(when, sizeof when, e->at, zone);
    char *id = escaped(e->id), *reason = escaped(e->reason);
    printf("id           %s\n", id ? id : "(out of memory)");
    printf("quarantined  %s\n", when);
    printf("reason       %s\n", reason ? reason : "(out of memory)");
    printf("sealed       %s\n",
           looks_sealed(e) ? (o->doc ? "yes, opens with the current key" : "yes, does not open") : "no");
    if (o->rc)
        printf("restorable   no: %s\n", o->problem);
    else
        printf("restorable   yes ('asyncz quarantine restore %s')\n", id ? id : e->id);
    free(id);
    free(reason);
    print_content(e, o);
}

static json_t *shown_json(const entry *e, const opened *o, const asyncz_zone *zone)
{
    json_t *obj = entry_json(e, zone);
    json_t *doc = as_json(o);
    int bad = !obj;
    bad |= obj && json_object_set_new(obj, "opens", json_boolean(o->doc != NULL));
    bad |= obj && json_object_set_new(obj, "restorable", json_boolean(o->rc == 0));
    bad |= obj && json_object_set_new(obj, "problem", o->rc ? json_string(o->problem) : json_null());
    if (doc)
        bad |= obj && json_object_set_new(obj, "document", doc);
    else if (o->doc && is_text(o->doc, o->len))
        bad |= obj && json_object_set_new(obj, "text", json_stringn(o->doc, o->len));
    else {
        const unsigned char *p = o->doc ? (const unsigned char *)o->doc : e->data;
        size_t n = o->doc ? o->len : e->len;
        char *hex = malloc(2 * n + 1);
        for (size_t i = 0; hex && i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", p[i]);
        if (hex)
            hex[2 * n] = '\0';
        bad |= !hex || (obj && json_object_set_new(obj, "hex", json_string(hex)));
        free(hex);
    }
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int show_entries(az_cli_store *s, const args *a, const az_cli_common *common, const asyncz_zone *zone)
{
    entries l = {.id = a->id, .at = a->at};
    int rc = load_entries(s, &l);
    if (!rc && l.n == 0)
        rc = none_found(a, zone);
    az_json_stream js;
    if (!rc && common->json)
        az_cli_json_begin(&js);
    for (size_t i = 0; !rc && i < l.n; i++) {
        opened o;
        open_entry(s, &l.items[i], &o);
        if (common->json) {
            az_cli_json_item(&js, shown_json(&l.items[i], &o, zone));
        } else {
            if (i)
                putchar('\n');
            print_entry(&l.items[i], &o, zone);
        }
        free(o.doc);
    }
    if (!rc && common->json)
        rc = az_cli_json_end(&js);
    entries_free(&l);
    return rc;
}

/* ---- restore and drop -------------------------------------------------------------------------------- */

static int restore_entry(az_cli_store *s, const args *a, const az_cli_common *common, const asyncz_zone *zone)
{
    asyncz_task *t = NULL;
    int rc = asyncz_store_quarantine_restore(s->st, a->id, a->at, a->replace, &t);
    if (rc == ASYNCZ_ENOTFOUND)
        return none_found(a, zone);
    if (rc == ASYNCZ_EEXISTS) {
        fflush(stdout);
        az_cli_failure(
            "%s; use --replace to put the quarantined record in its place, or remove that task first",
            asyncz_store_errmsg());
        return AZ_CLI_EXIT_USAGE;
    }
    if (rc)
        return az_cli_failure("%s (nothing changed; 'asyncz quarantine show %s' shows the record)",
                              asyncz_store_errmsg(), a->id);
    if (common->json) {
        json_t *o = az_cli_task_json(t, zone, false);
        if (o && json_object_set_new(o, "restored", json_true()) != 0) {
            json_decref(o);
            o = NULL;
        }
        rc = az_cli_json_print(o);
    } else {
        char next[ASYNCZ_TIME_FORMAT_SIZE];
        az_cli_time_text(next, sizeof next, asyncz_task_next_run_time(t), zone);
        printf("restored %s (next run %s)\n", a->id, next);
    }
    asyncz_task_free(t);
    return rc;
}

/* drop removes records for good: with several entries and neither --at nor --all, say which there are;
 * with one, name it by its time, so that an entry quarantined meanwhile is not dropped unseen. */
static int check_unambiguous(az_cli_store *s, args *a, const asyncz_zone *zone)
{
    if (a->all || a->at != ASYNCZ_TIME_NONE)
        return 0;
    entries l = {.id = a->id, .at = ASYNCZ_TIME_NONE};
    int rc = load_entries(s, &l);
    if (!rc && l.n > 1) {
        char times[1024] = "";
        size_t used = 0;
        for (size_t i = 0; i < l.n && used < sizeof times; i++) {
            char when[ASYNCZ_TIME_FORMAT_SIZE];
            az_cli_time_text(when, sizeof when, l.items[i].at, zone);
            used += (size_t)snprintf(times + used, sizeof times - used, "%s%s", i ? ", " : "", when);
        }
        rc = az_cli_usage_error("task \"%s\" has %zu quarantined records (%s): say which with --at TIME, or "
                                "--all to drop every one",
                                a->id, l.n, times);
    }
    if (!rc && l.n == 1)
        a->at = l.items[0].at;
    entries_free(&l);
    return rc;
}

static int drop_entries(az_cli_store *s, args *a, const az_cli_common *common, const asyncz_zone *zone)
{
    int rc = check_unambiguous(s, a, zone);
    if (rc)
        return rc;
    size_t dropped = 0;
    rc = asyncz_store_quarantine_drop(s->st, a->id, a->at, &dropped);
    if (rc == ASYNCZ_ENOTFOUND)
        return none_found(a, zone);
    if (rc)
        return az_cli_store_failed(rc, "cannot drop the quarantined record", NULL);
    if (common->json)
        return az_cli_json_print(json_pack("{s:s, s:I}", "id", a->id, "dropped", (json_int_t)dropped));
    printf("dropped %zu quarantined record%s of %s\n", dropped, dropped == 1 ? "" : "s", a->id);
    return 0;
}

static int call_action(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    args *a = ctx;
    switch (a->action) {
    case LIST:
        return list_entries(s, common, zone);
    case SHOW:
        return show_entries(s, a, common, zone);
    case RESTORE:
        return restore_entry(s, a, common, zone);
    default:
        return drop_entries(s, a, common, zone);
    }
}

int az_cli_quarantine(int argc, char **argv)
{
    static const char *const names[] = {"list", "show", "restore", "drop"};
    if (argc < 2)
        return az_cli_usage_error("no action given (list, show, restore or drop)");
    if (az_cli_is_help_flag(argv[1])) {
        az_cli_print_command_help(stdout, "quarantine");
        return az_cli_finish(0);
    }
    args a = {.at = ASYNCZ_TIME_NONE};
    size_t i = 0;
    while (i < 4 && strcmp(argv[1], names[i]) != 0)
        i++;
    if (i == 4)
        return az_cli_usage_error("unknown action '%s' (list, show, restore or drop)", argv[1]);
    a.action = (action)i;
    a.name = names[i];
    az_cli_common common;
    int rc = az_cli_parse_options(argc - 1, argv + 1, options, &common, on_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "quarantine"))
        return az_cli_finish(0);
    if (rc == 0)
        rc = check_args(&a);
    asyncz_zone *zone = NULL; /* --at before the store: a bad time is a bad command line */
    if (rc == 0 && a.at_text && (rc = az_cli_show_zone(&common, &zone)) == 0)
        rc = parse_at(&a, zone);
    asyncz_zone_unref(zone);
    return az_cli_with_store(rc, &common, call_action, &a);
}
