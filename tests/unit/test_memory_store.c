/* The memory store: the store conformance suite, plus what is particular to this store (opening by URL,
 * argument checks, references kept instead of copies, lapsed claims, and a randomized comparison of the
 * heap and hash against a plain model). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_conformance.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static asyncz_store *new_store(void)
{
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    return st;
}

static int collect_id(asyncz_task *task, void *userdata)
{
    char *buf = userdata;
    size_t len = strlen(buf);
    snprintf(buf + len, 512 - len, "%s%s", len ? "," : "", asyncz_task_id(task));
    return 0;
}

/* ---- opening ------------------------------------------------------------------------------------- */

static void memory_open_url(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "memory://"), 0);
    assert_non_null(st);
    assert_string_equal(asyncz_store_kind(st), "memory");
    size_t n = 1;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

static void memory_open_bad_urls(void **state)
{
    (void)state;
    asyncz_store *st = (asyncz_store *)&st;
    assert_int_equal(asyncz_store_open(&st, "memory"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "memory://x"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "memory:/"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "://"), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, ""), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(&st, "nosuch://"), ASYNCZ_EUNSUPPORTED);
    assert_int_equal(asyncz_store_open(&st, "memoryx://"), ASYNCZ_EUNSUPPORTED);
    assert_int_equal(asyncz_store_open(&st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_open(NULL, "memory://"), ASYNCZ_EINVAL);
}

static void memory_new_and_free(void **state)
{
    (void)state;
    assert_int_equal(asyncz_store_memory_new(NULL), ASYNCZ_EINVAL);
    asyncz_store_free(NULL);
    assert_null(asyncz_store_kind(NULL));
    asyncz_store *st = new_store();
    const asyncz_store_ops *o = ops(st);
    assert_int_equal(o->version, ASYNCZ_STORE_OPS_VERSION);
    assert_int_equal(o->caps, 0); /* neither persistent, nor shared between processes, nor notifying */
    assert_null(o->open);
    assert_null(o->close);
    /* Freeing a store that still holds tasks (one of them claimed) releases them. */
    az_test_add(st, "a", T0);
    az_test_add(st, "b", ASYNCZ_TIME_NONE);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(o->claim(st, T0, "me", LEASE, 1, &c, &n), 0);
    assert_int_equal(n, 1);
    asyncz_task_free(c.task);
    asyncz_store_free(st);
}

/* ---- arguments ----------------------------------------------------------------------------------- */

static void memory_invalid_tasks(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    asyncz_task *no_id = az_test_task(NULL, T0);
    assert_int_equal(ops(st)->add(st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->add(st, no_id), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->update(st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->update(st, no_id), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->add(NULL, no_id), ASYNCZ_EINVAL);
    asyncz_task_free(no_id);
    assert_int_equal(ops(st)->remove(st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->remove_all(NULL), ASYNCZ_EINVAL);
    asyncz_task *t = NULL;
    assert_int_equal(ops(st)->lookup(st, NULL, &t), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->lookup(st, "a", NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->list(st, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->due(st, T0, 1, NULL, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->earliest(st, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->count(st, NULL), ASYNCZ_EINVAL);
    size_t n = 0;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

static void memory_invalid_claims(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    az_test_add(st, "a", T0);
    asyncz_claim c[2];
    size_t n = 7;
    assert_int_equal(ops(st)->claim(st, T0, "me", 0, 1, c, &n), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->claim(st, T0, "me", -LEASE, 1, c, &n), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->claim(st, T0, NULL, LEASE, 1, c, &n), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 1, NULL, &n), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 1, c, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->claim(st, ASYNCZ_TIME_NONE, "me", LEASE, 1, c, &n), ASYNCZ_EINVAL);
    assert_int_equal(n, 7);
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 0, NULL, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 2, c, &n), 0);
    assert_int_equal(n, 1);
    /* A release names its task; the next task must carry the same id. */
    asyncz_task *other = az_test_task("b", T0 + SEC);
    asyncz_task *no_id = az_test_task(NULL, T0 + SEC);
    assert_int_equal(ops(st)->release(st, NULL, c[0].token, NULL), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->release(st, "a", c[0].token, other), ASYNCZ_EINVAL);
    assert_int_equal(ops(st)->release(st, "a", c[0].token, no_id), ASYNCZ_EINVAL);
    asyncz_task_free(other);
    asyncz_task_free(no_id);
    /* Nothing changed: the claim still holds. */
    asyncz_time_t e = 0;
    assert_int_equal(ops(st)->earliest(st, &e), 0);
    assert_int_equal(e, T0 + LEASE);
    assert_int_equal(ops(st)->release(st, "a", c[0].token, NULL), 0);
    asyncz_task_free(c[0].task);
    asyncz_store_free(st);
}

/* ---- behaviour particular to this store ---------------------------------------------------------- */

static int same_pointer(asyncz_task *task, void *userdata)
{
    return task == userdata ? 0 : 1;
}

static void memory_keeps_references(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    asyncz_task *t = az_test_task("ref", T0);
    assert_int_equal(ops(st)->add(st, t), 0);
    asyncz_task *got = NULL;
    assert_int_equal(ops(st)->lookup(st, "ref", &got), 0);
    assert_ptr_equal(got, t);
    asyncz_task_free(got);
    assert_int_equal(ops(st)->list(st, same_pointer, t), 0);
    assert_int_equal(ops(st)->due(st, T0, 1, same_pointer, t), 0);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 1, &c, &n), 0);
    assert_ptr_equal(c.task, t);
    asyncz_task_free(c.task);
    asyncz_task_free(t); /* the store's reference keeps it alive */
    assert_int_equal(ops(st)->lookup(st, "ref", &got), 0);
    assert_string_equal(asyncz_task_id(got), "ref");
    asyncz_task_free(got);
    asyncz_store_free(st);
}

static void memory_lapsed_claim_due(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    az_test_add(st, "a", T0);
    az_test_add(st, "b", T0 + LEASE + 10);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, "me", LEASE, 1, &c, &n), 0);
    asyncz_task_free(c.task);
    /* A lapsed claim is due again, placed at its lease expiry. */
    char ids[512] = "";
    assert_int_equal(ops(st)->due(st, T0 + LEASE - 1, 10, collect_id, ids), 0);
    assert_string_equal(ids, "");
    assert_int_equal(ops(st)->due(st, T0 + LEASE, 10, collect_id, ids), 0);
    assert_string_equal(ids, "a");
    ids[0] = '\0';
    assert_int_equal(ops(st)->due(st, T0 + LEASE + 10, 10, collect_id, ids), 0);
    assert_string_equal(ids, "a,b");
    /* Nobody took the lapsed claim over, so its owner may still finish it. */
    asyncz_task *next = az_test_task("a", T0 + 2 * LEASE);
    assert_int_equal(ops(st)->release(st, "a", c.token, next), 0);
    asyncz_task_free(next);
    asyncz_time_t e = 0;
    assert_int_equal(ops(st)->earliest(st, &e), 0);
    assert_int_equal(e, T0 + LEASE + 10);
    asyncz_store_free(st);
}

static void memory_lease_saturates(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    az_test_add(st, "a", ASYNCZ_TIME_MAX);
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, ASYNCZ_TIME_MAX, "me", INT64_MAX, 1, &c, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(c.lease_until, INT64_MAX);
    asyncz_task_free(c.task);
    asyncz_store_free(st);
}

static void memory_remove_all_reuse(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    char id[16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(id, sizeof id, "r%d", i);
            az_test_add(st, id, T0 + (i * 7919) % 1000);
        }
        asyncz_time_t e = 0;
        assert_int_equal(ops(st)->earliest(st, &e), 0);
        assert_int_equal(e, T0);
        assert_int_equal(ops(st)->remove_all(st), 0);
    }
    size_t n = 1;
    assert_int_equal(ops(st)->count(st, &n), 0);
    assert_int_equal(n, 0);
    asyncz_store_free(st);
}

/* Paused tasks sit outside the heap; resuming them all by update must find room in it (the heap once grew
 * only with the tasks in it, and resuming the 65th paused task wrote past its end). */
/* The memory store keeps no quarantine: nothing to restore or drop, and no record to open; not connected,
 * the calls say so. */
static void memory_has_no_quarantine(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_memory_new(&st), 0);
    assert_int_equal(asyncz_store_quarantine_drop(st, "x", ASYNCZ_TIME_NONE, NULL), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_connect(st), 0);
    size_t dropped = 99;
    assert_int_equal(asyncz_store_quarantine_drop(st, "x", ASYNCZ_TIME_NONE, &dropped), ASYNCZ_ENOTFOUND);
    assert_int_equal(dropped, 0);
    assert_non_null(strstr(asyncz_store_errmsg(), "keeps no quarantine"));
    asyncz_task *t = (asyncz_task *)st;
    assert_int_equal(asyncz_store_quarantine_restore(st, "x", 5, true, &t), ASYNCZ_ENOTFOUND);
    assert_null(t);
    asyncz_quarantined q = {.task_id = "x", .data = (const unsigned char *)"{}", .len = 2};
    char *doc = (char *)"unset";
    size_t len = 7;
    assert_int_equal(asyncz_store_quarantine_open(st, &q, &doc, &len, NULL), ASYNCZ_EUNSUPPORTED);
    assert_null(doc);
    assert_int_equal(len, 0);
    assert_int_equal(asyncz_store_quarantine_drop(st, "", ASYNCZ_TIME_NONE, NULL), ASYNCZ_EINVAL);
    assert_int_equal(asyncz_store_quarantine_open(st, NULL, &doc, &len, NULL), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

static void memory_resume_many_paused(void **state)
{
    (void)state;
    asyncz_store *st = new_store();
    char id[16];
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "p%d", i);
        az_test_add(st, id, i == 0 ? T0 : ASYNCZ_TIME_NONE);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(id, sizeof id, "p%d", i);
        asyncz_task *t = az_test_task(id, T0 + i);
        assert_int_equal(ops(st)->update(st, t), 0);
        asyncz_task_free(t);
    }
    asyncz_time_t e = 0;
    assert_int_equal(ops(st)->earliest(st, &e), 0);
    assert_int_equal(e, T0);
    asyncz_store_free(st);
}

/* ---- a randomized comparison against a plain model ----------------------------------------------- */

#define MODEL_IDS 160 /* more than the structures' first capacity (64), so they grow */
#define MODEL_STEPS 20000

typedef struct model_task {
    bool present;
    asyncz_time_t when; /* ASYNCZ_TIME_NONE: paused */
    uint64_t seq;
    uint64_t token; /* 0: not claimed */
    asyncz_time_t lease_until;
} model_task;

typedef struct model {
    model_task t[MODEL_IDS];
    uint64_t seq, token;
    asyncz_time_t now;
    uint64_t rng;
    asyncz_store *st;
} model;

static uint64_t rnd(model *m, uint64_t n)
{
    m->rng = m->rng * 6364136223846793005u + 1442695040888963407u;
    return (m->rng >> 33) % n;
}

static void model_id(int i, char *buf)
{
    snprintf(buf, 16, "m%02d", i);
}

/* The model's heap key: the lease expiry while claimed, else the next run time. */
static asyncz_time_t model_key(const model_task *t)
{
    return t->token ? t->lease_until : t->when;
}

static bool model_scheduled(const model_task *t)
{
    return t->present && t->when != ASYNCZ_TIME_NONE;
}

/* The index of the earliest scheduled task by (key, seq) with key <= limit, or -1. */
static int model_first(const model *m, asyncz_time_t limit)
{
    int best = -1;
    for (int i = 0; i < MODEL_IDS; i++) {
        const model_task *t = &m->t[i];
        if (!model_scheduled(t) || model_key(t) > limit)
            continue;
        if (best < 0 || model_key(t) < model_key(&m->t[best]) ||
            (model_key(t) == model_key(&m->t[best]) && t->seq < m->t[best].seq))
            best = i;
    }
    return best;
}

static asyncz_time_t model_when(model *m)
{
    return rnd(m, 8) == 0 ? ASYNCZ_TIME_NONE : m->now - 10 * SEC + (asyncz_time_t)rnd(m, 70) * SEC;
}

static void model_put(model *m, int i, bool update)
{
    char id[16];
    model_id(i, id);
    asyncz_time_t when = model_when(m);
    asyncz_task *task = az_test_task(id, when);
    int rc = update ? ops(m->st)->update(m->st, task) : ops(m->st)->add(m->st, task);
    asyncz_task_free(task);
    model_task *t = &m->t[i];
    if (update != t->present) {
        assert_int_equal(rc, update ? ASYNCZ_ENOTFOUND : ASYNCZ_EEXISTS);
        return;
    }
    assert_int_equal(rc, 0);
    *t = (model_task){.present = true, .when = when, .seq = m->seq++};
}

static void model_remove(model *m, int i)
{
    char id[16];
    model_id(i, id);
    assert_int_equal(ops(m->st)->remove(m->st, id), m->t[i].present ? 0 : ASYNCZ_ENOTFOUND);
    m->t[i].present = false;
}

static void model_claim(model *m)
{
    asyncz_claim c[4];
    size_t max = rnd(m, 4) + 1, n = 0;
    int64_t lease = (int64_t)(rnd(m, 30) + 1) * SEC;
    assert_int_equal(ops(m->st)->claim(m->st, m->now, "model", lease, max, c, &n), 0);
    for (size_t k = 0; k < max; k++) {
        int i = model_first(m, m->now);
        if (i < 0) {
            assert_int_equal(n, k);
            break;
        }
        char id[16];
        model_id(i, id);
        assert_true(k < n);
        assert_string_equal(asyncz_task_id(c[k].task), id);
        m->t[i].token = ++m->token;
        m->t[i].lease_until = m->now + lease;
        assert_int_equal(c[k].token, m->t[i].token);
        asyncz_task_free(c[k].task);
    }
}

/* Release a task with a token that may be right, stale or made up. */
static void model_release(model *m, int i)
{
    char id[16];
    model_id(i, id);
    model_task *t = &m->t[i];
    uint64_t token = rnd(m, 4) == 0 ? rnd(m, m->token + 2) : t->token;
    bool removing = rnd(m, 3) == 0;
    asyncz_time_t when = model_when(m);
    asyncz_task *next = removing ? NULL : az_test_task(id, when);
    int rc = ops(m->st)->release(m->st, id, token, next);
    asyncz_task_free(next);
    if (!t->present) {
        assert_int_equal(rc, ASYNCZ_ENOTFOUND);
        return;
    }
    if (t->token == 0 || token != t->token) {
        assert_int_equal(rc, ASYNCZ_ESTATE);
        return;
    }
    assert_int_equal(rc, 0);
    if (removing)
        t->present = false;
    else
        *t = (model_task){.present = true, .when = when, .seq = m->seq++};
}

typedef struct listing {
    model *m;
    int order[MODEL_IDS];
    int n;
} listing;

static int note_listed(asyncz_task *task, void *userdata)
{
    listing *l = userdata;
    l->order[l->n++] = atoi(asyncz_task_id(task) + 1);
    return 0;
}

/* List order: scheduled tasks by (next run time, seq), then paused ones by seq. */
static bool list_before(const model_task *a, const model_task *b)
{
    bool pa = a->when == ASYNCZ_TIME_NONE, pb = b->when == ASYNCZ_TIME_NONE;
    if (pa != pb)
        return pb;
    if (a->when != b->when)
        return a->when < b->when;
    return a->seq < b->seq;
}

static void model_check(model *m)
{
    size_t n = 0, expect = 0;
    for (int i = 0; i < MODEL_IDS; i++)
        expect += m->t[i].present;
    assert_int_equal(ops(m->st)->count(m->st, &n), 0);
    assert_int_equal(n, expect);
    asyncz_time_t e = 0;
    int first = model_first(m, INT64_MAX);
    assert_int_equal(ops(m->st)->earliest(m->st, &e), 0);
    assert_int_equal(e, first < 0 ? ASYNCZ_TIME_NONE : model_key(&m->t[first]));
    listing l = {.m = m};
    assert_int_equal(ops(m->st)->list(m->st, note_listed, &l), 0);
    assert_int_equal(l.n, (int)expect);
    for (int k = 0; k < l.n; k++) {
        assert_true(m->t[l.order[k]].present);
        if (k > 0)
            assert_true(list_before(&m->t[l.order[k - 1]], &m->t[l.order[k]]));
    }
}

static void memory_matches_model(void **state)
{
    (void)state;
    model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->st = new_store();
    m->now = T0;
    m->rng = 2026;
    m->seq = 1;
    for (int step = 0; step < MODEL_STEPS; step++) {
        int i = (int)rnd(m, MODEL_IDS);
        switch (rnd(m, 8)) {
        case 0:
        case 1:
            model_put(m, i, false);
            break;
        case 2:
            model_put(m, i, true);
            break;
        case 3:
            model_remove(m, i);
            break;
        case 4:
        case 5:
            model_claim(m);
            break;
        case 6:
            model_release(m, i);
            break;
        default:
            m->now += (asyncz_time_t)rnd(m, 5 * SEC);
            break;
        }
        if (step % 10 == 0)
            model_check(m);
    }
    model_check(m);
    asyncz_store_free(m->st);
    free(m);
}

/* The conformance suite runs against the memory store. */
static int make_memory_store(asyncz_store **out)
{
    return asyncz_store_memory_new(out);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        AZ_STORE_CONFORMANCE_TESTS,
        cmocka_unit_test(memory_open_url),
        cmocka_unit_test(memory_open_bad_urls),
        cmocka_unit_test(memory_new_and_free),
        cmocka_unit_test(memory_invalid_tasks),
        cmocka_unit_test(memory_invalid_claims),
        cmocka_unit_test(memory_keeps_references),
        cmocka_unit_test(memory_lapsed_claim_due),
        cmocka_unit_test(memory_lease_saturates),
        cmocka_unit_test(memory_remove_all_reuse),
        cmocka_unit_test(memory_resume_many_paused),
        cmocka_unit_test(memory_has_no_quarantine),
        cmocka_unit_test(memory_matches_model),
    };
    az_store_factory = make_memory_store;
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
