/* Audit-trail conformance (asyncz/audit.h, the store ops audit_put / audit_list): what every store that keeps
 * an audit trail must do, and what the public store API records in it. Skipped by a store without the audit
 * ops. Part of the store conformance suite (store_conformance_list.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/sys/store.h"
#include "core/audit.h"
#include "store_conformance.h"
#include "util/ids.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static asyncz_store *open_audit_store(void)
{
    asyncz_store *st = NULL;
    assert_int_equal(az_store_factory(&st), 0);
    if (!az_store_has_audit(ops(st))) {
        asyncz_store_free(st);
        skip();
    }
    assert_int_equal(asyncz_store_connect(st), 0);
    return st;
}

static asyncz_audit_entry entry(const char *task, asyncz_audit_action action, asyncz_time_t at,
                                const char *actor)
{
    asyncz_audit_entry e = {.at = at,
                            .action = action,
                            .task_id = task,
                            .actor = actor,
                            .host = "host1",
                            .pid = 4242,
                            .changes = "{\"paused\":{\"after\":true,\"before\":false}}"};
    assert_int_equal(az_run_id_generate(e.id), 0);
    return e;
}

static void put(asyncz_store *st, const asyncz_audit_entry *e)
{
    int rc = ops(st)->audit_put(st, e, 1);
    if (rc)
        fail_msg("audit_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
}

/* What a listing handed out. */
typedef struct seen {
    int n;
    char ids[64][ASYNCZ_RUN_ID_SIZE];
    char actions[512];
    char last_actor[256];
    char last_changes[4096];
    char last_host[256];
    int64_t last_pid;
    asyncz_time_t last_at;
} seen;

static int collect(const asyncz_audit_entry *e, void *ud)
{
    seen *s = ud;
    if (s->n < 64)
        memcpy(s->ids[s->n], e->id, ASYNCZ_RUN_ID_SIZE);
    s->n++;
    size_t used = strlen(s->actions);
    snprintf(s->actions + used, sizeof s->actions - used, "%s%s:%s", used ? "," : "", e->task_id,
             asyncz_audit_action_name(e->action));
    snprintf(s->last_actor, sizeof s->last_actor, "%s", e->actor ? e->actor : "(null)");
    snprintf(s->last_changes, sizeof s->last_changes, "%s", e->changes ? e->changes : "(null)");
    snprintf(s->last_host, sizeof s->last_host, "%s", e->host ? e->host : "(null)");
    s->last_pid = e->pid;
    s->last_at = e->at;
    return 0;
}

static seen *list(asyncz_store *st, const asyncz_audit_query *q, char *cursor)
{
    static seen s;
    memset(&s, 0, sizeof s);
    char next[ASYNCZ_HISTORY_CURSOR_SIZE];
    int rc = asyncz_store_list_audit(st, q, collect, &s, cursor ? cursor : next);
    if (rc)
        fail_msg("asyncz_store_list_audit: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return &s;
}

/* Entries come back whole, newest first, filtered by task, actor, action and time. */
void audit_record_and_filter(void **state)
{
    (void)state;
    asyncz_store *st = open_audit_store();
    asyncz_audit_entry a = entry("t1", ASYNCZ_AUDIT_ADD, T0, "alice (uid 1000)");
    asyncz_audit_entry b = entry("t1", ASYNCZ_AUDIT_PAUSE, T0 + SEC, "config");
    asyncz_audit_entry c = entry("t2", ASYNCZ_AUDIT_REMOVE, T0 + 2 * SEC, "alice (uid 1000)");
    put(st, &a);
    put(st, &b);
    put(st, &c);
    seen *s = list(st, NULL, NULL);
    assert_string_equal(s->actions, "t2:remove,t1:pause,t1:add");
    assert_string_equal(s->last_actor, "alice (uid 1000)");
    assert_string_equal(s->last_host, "host1");
    assert_int_equal(s->last_pid, 4242);
    assert_true(s->last_at == T0);
    json_t *changes = json_loads(s->last_changes, 0, NULL); /* the same JSON, whatever its spacing */
    assert_non_null(changes);
    assert_true(json_is_true(json_object_get(json_object_get(changes, "paused"), "after")));
    json_decref(changes);

    asyncz_audit_query q;
    asyncz_audit_query_init(&q);
    q.task_id = "t1";
    assert_string_equal(list(st, &q, NULL)->actions, "t1:pause,t1:add");
    asyncz_audit_query_init(&q);
    q.actor = "alice (uid 1000)";
    assert_string_equal(list(st, &q, NULL)->actions, "t2:remove,t1:add");
    asyncz_audit_query_init(&q);
    q.actions = ASYNCZ_AUDIT_ACTION_BIT(ASYNCZ_AUDIT_PAUSE) | ASYNCZ_AUDIT_ACTION_BIT(ASYNCZ_AUDIT_REMOVE);
    assert_string_equal(list(st, &q, NULL)->actions, "t2:remove,t1:pause");
    asyncz_audit_query_init(&q);
    q.since = T0 + SEC;
    q.until = T0 + 2 * SEC;
    assert_string_equal(list(st, &q, NULL)->actions, "t1:pause");
    asyncz_store_free(st);
}

void audit_pagination(void **state)
{
    (void)state;
    asyncz_store *st = open_audit_store();
    for (int i = 0; i < 7; i++) {
        asyncz_audit_entry e = entry("t", ASYNCZ_AUDIT_UPDATE, T0 + i, "x");
        put(st, &e);
    }
    asyncz_audit_query q;
    asyncz_audit_query_init(&q);
    q.limit = 3;
    char cursor[ASYNCZ_HISTORY_CURSOR_SIZE];
    int pages = 0, total = 0;
    do {
        seen *s = list(st, &q, cursor);
        total += s->n;
        pages++;
        q.cursor = cursor;
    } while (cursor[0] && pages < 10);
    assert_int_equal(total, 7);
    assert_int_equal(pages, 3);
    /* A cursor that no listing handed out. */
    q.cursor = "not-a-cursor";
    seen s = {0};
    assert_int_equal(asyncz_store_list_audit(st, &q, collect, &s, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

/* A batch with an entry that has no task or no valid id is refused whole. */
void audit_refuses_bad_entries(void **state)
{
    (void)state;
    asyncz_store *st = open_audit_store();
    asyncz_audit_entry two[2] = {entry("c", ASYNCZ_AUDIT_ADD, T0, "x"),
                                 entry("c", ASYNCZ_AUDIT_ADD, T0, "x")};
    strcpy(two[1].id, "bad");
    assert_int_equal(ops(st)->audit_put(st, two, 2), ASYNCZ_EINVAL);
    two[1] = entry(NULL, ASYNCZ_AUDIT_ADD, T0, "x");
    assert_int_equal(ops(st)->audit_put(st, two, 2), ASYNCZ_EINVAL);
    assert_int_equal(list(st, NULL, NULL)->n, 0);
    asyncz_store_free(st);
}

/* ---- what the store API records ---------------------------------------------------------------------- */

static void add_task(asyncz_store *st, const char *id)
{
    asyncz_task *t = az_test_task(id, T0 + 60 * SEC);
    assert_int_equal(asyncz_store_add_task(st, t, false), 0);
    asyncz_task_free(t);
}

/* Every change through asyncz_store_* is one entry with this thread's actor and the fields that changed. */
void audit_store_api_records(void **state)
{
    (void)state;
    asyncz_store *st = open_audit_store();
    assert_int_equal(asyncz_set_actor("tester (uid 7)"), 0);
    add_task(st, "job");
    assert_int_equal(asyncz_store_pause_task(st, "job", NULL, NULL), 0);
    assert_int_equal(asyncz_store_resume_task(st, "job", T0, NULL, NULL), 0);
    assert_int_equal(asyncz_store_request_run(st, "job", T0 + SEC, NULL, NULL), 0);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_store_get_task(st, "job", &t), 0);
    assert_int_equal(asyncz_task_set_name(t, "renamed"), 0);
    assert_int_equal(asyncz_store_update_task(st, t), 0);
    asyncz_task_free(t);
    assert_int_equal(asyncz_set_actor(NULL), 0);
    assert_int_equal(asyncz_store_remove_task(st, "job"), 0);
    /* A change that fails records nothing. */
    assert_int_equal(asyncz_store_remove_task(st, "job"), ASYNCZ_ENOTFOUND);

    seen *s = list(st, NULL, NULL);
    assert_string_equal(s->actions, "job:remove,job:update,job:run,job:resume,job:pause,job:add");
    asyncz_audit_query q;
    asyncz_audit_query_init(&q);
    q.actor = "tester (uid 7)";
    assert_int_equal(list(st, &q, NULL)->n, 5);
    asyncz_audit_query_init(&q);
    q.actions = ASYNCZ_AUDIT_ACTION_BIT(ASYNCZ_AUDIT_REMOVE);
    s = list(st, &q, NULL);
    assert_string_equal(s->last_actor, asyncz_actor()); /* the default: this process's user */
    assert_non_null(strstr(s->last_actor, "uid "));
    q.actions = ASYNCZ_AUDIT_ACTION_BIT(ASYNCZ_AUDIT_UPDATE);
    s = list(st, &q, NULL);
    json_t *changes = json_loads(s->last_changes, 0, NULL);
    assert_non_null(changes);
    assert_int_equal(json_object_size(changes), 1); /* the name alone */
    json_t *name = json_object_get(changes, "name");
    assert_string_equal(json_string_value(json_object_get(name, "after")), "renamed");
    json_decref(changes);
    q.actions = ASYNCZ_AUDIT_ACTION_BIT(ASYNCZ_AUDIT_PAUSE);
    s = list(st, &q, NULL);
    assert_non_null(strstr(s->last_changes, "next_run_time"));
    asyncz_store_free(st);
}

void audit_actor_checks(void **state)
{
    (void)state;
    const char *dflt = asyncz_actor();
    assert_non_null(strstr(dflt, "uid "));
    assert_int_equal(asyncz_set_actor("line\nbreak"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_set_actor(""), ASYNCZ_EINVAL);
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(asyncz_set_actor(long_name), ASYNCZ_EINVAL);
    assert_string_equal(asyncz_actor(), dflt);
    assert_int_equal(asyncz_set_actor("api:ops-bot"), 0);
    assert_string_equal(asyncz_actor(), "api:ops-bot");
    assert_int_equal(asyncz_set_actor(NULL), 0);
    assert_string_equal(asyncz_actor(), dflt);
}
