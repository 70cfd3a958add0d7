/* The persistent-store suite (see persist_suite.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/sys/store.h"
#include "codec/seal.h"
#include "persist_suite.h"
#include "store/backend.h"
#include "store/record_batch.h"
#include "core/store_open.h"

az_store_url_fn az_store_url;
const char *az_store_unreachable_url;
const char *az_store_bad_option_url;

/* Virtual times as in the conformance suite: T0 is 2027-01-15T08:00:00Z. */
#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)
#define KEY1 "correct horse battery staple"
#define KEY2 "another key altogether"

static unsigned next_namespace = 1000;

/* ---- helpers ------------------------------------------------------------------------------------- */

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

/* What a store told its host. */
typedef struct host_log {
    int wakeups;
    int quarantined;
    char last_id[256];
    char last_reason[512];
} host_log;

static void on_wakeup(void *data)
{
    __atomic_add_fetch(&((host_log *)data)->wakeups, 1, __ATOMIC_SEQ_CST);
}

static void on_quarantined(void *data, const char *id, const char *reason)
{
    host_log *h = data;
    h->quarantined++;
    snprintf(h->last_id, sizeof h->last_id, "%s", id);
    snprintf(h->last_reason, sizeof h->last_reason, "%s", reason);
}

/* An open store on namespace n with identity `who`; h records what it reports. host must outlive it. */
static asyncz_store *open_ns(unsigned n, const char *who, host_log *h, asyncz_store_host *host)
{
    char url[1024];
    az_store_url(url, sizeof url, n);
    asyncz_store *st = NULL;
    int rc = asyncz_store_open(&st, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    *host = (asyncz_store_host){.alias = "default",
                                .identity = who,
                                .wakeup = on_wakeup,
                                .quarantined = on_quarantined,
                                .host_data = h};
    rc = az_store_do_open(st, host);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

typedef struct opened {
    asyncz_store *st;
    asyncz_store_host host;
    host_log log;
} opened;

static void open_into(opened *o, unsigned n, const char *who)
{
    memset(o, 0, sizeof *o);
    o->st = open_ns(n, who, &o->log, &o->host);
}

static void close_into(opened *o)
{
    asyncz_store_free(o->st);
    o->st = NULL;
}

int az_persist_factory(asyncz_store **out)
{
    char url[1024];
    az_store_url(url, sizeof url, next_namespace++);
    int rc = asyncz_store_open(out, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return rc;
}

/* This file's short names for the shared helpers (az_test.h). */
static asyncz_task *make_task(const char *id, asyncz_time_t when)
{
    return az_test_task(id, when);
}

static void add(asyncz_store *st, const char *id, asyncz_time_t when)
{
    az_test_add(st, id, when);
}

/* A task's document, to compare tasks whole. malloc'd. */
static char *doc_of(const asyncz_task *t)
{
    char *doc = NULL;
    assert_int_equal(asyncz_task_to_json(t, &doc, NULL), 0);
    return doc;
}

static void assert_same_task(const asyncz_task *a, const asyncz_task *b)
{
    char *da = doc_of(a), *db = doc_of(b);
    assert_string_equal(da, db);
    free(da);
    free(db);
}

static size_t count(asyncz_store *st)
{
    size_t n = 99999;
    assert_int_equal(ops(st)->count(st, &n), 0);
    return n;
}

typedef struct joined {
    char text[4096];
} joined;

static int join_id(asyncz_task *task, void *userdata)
{
    joined *j = userdata;
    size_t len = strlen(j->text);
    snprintf(j->text + len, sizeof j->text - len, "%s%s", len ? "," : "", asyncz_task_id(task));
    return 0;
}

static const char *list_ids(asyncz_store *st, joined *j)
{
    memset(j, 0, sizeof *j);
    assert_int_equal(ops(st)->list(st, join_id, j), 0);
    return j->text;
}

static const char *due_ids(asyncz_store *st, asyncz_time_t now, joined *j)
{
    memset(j, 0, sizeof *j);
    assert_int_equal(ops(st)->due(st, now, 100, join_id, j), 0);
    return j->text;
}

/* Claim up to 16 at now as owner; ids joined into j; claims freed unless out is given. */
static size_t claim(asyncz_store *st, asyncz_time_t now, const char *owner, asyncz_claim *out, joined *j)
{
    asyncz_claim claims[16];
    size_t n = 99;
    int rc = ops(st)->claim(st, now, owner, LEASE, 16, claims, &n);
    if (rc)
        fail_msg("claim: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    memset(j, 0, sizeof *j);
    for (size_t i = 0; i < n; i++) {
        join_id(claims[i].task, j);
        if (out)
            out[i] = claims[i];
        else
            asyncz_task_free(claims[i].task);
    }
    return n;
}

/* Raw records through the backend. */
typedef struct raw {
    unsigned char *data;
    size_t len;
    asyncz_time_t next_run_time;
} raw;

static int take_raw(const az_found *rec, void *userdata)
{
    raw *r = userdata;
    r->data = malloc(rec->len + 1);
    assert_non_null(r->data);
    memcpy(r->data, rec->data, rec->len);
    r->len = rec->len;
    r->next_run_time = rec->next_run_time;
    return 0;
}

static raw raw_get(asyncz_store *st, const char *id)
{
    az_backend *b = az_persist_backend(st);
    assert_non_null(b);
    raw r = {0};
    assert_int_equal(b->ops->get(b, id, take_raw, &r), 0);
    assert_non_null(r.data);
    return r;
}

static void raw_put(asyncz_store *st, const char *id, const void *data, size_t len, asyncz_time_t when,
                    bool replace)
{
    az_backend *b = az_persist_backend(st);
    az_record rec = {.id = id, .next_run_time = when, .data = data, .len = len};
    int rc = replace ? b->ops->replace(b, &rec) : b->ops->insert(b, &rec);
    if (rc)
        fail_msg("raw %s %s: %s: %s", replace ? "replace" : "insert", id, asyncz_strerror(rc),
                 asyncz_store_errmsg());
}

/* The quarantine as "id:reason|id:reason". */
typedef struct qlist {
    int n;
    char ids[1024];
    char reasons[2048];
    unsigned char first_data[512];
    size_t first_len;
} qlist;

static int q_collect(const asyncz_quarantined *q, void *userdata)
{
    qlist *l = userdata;
    size_t len = strlen(l->ids);
    snprintf(l->ids + len, sizeof l->ids - len, "%s%s", len ? "," : "", q->task_id);
    len = strlen(l->reasons);
    snprintf(l->reasons + len, sizeof l->reasons - len, "%s%s", len ? "|" : "", q->reason);
    if (l->n++ == 0 && q->len <= sizeof l->first_data) {
        memcpy(l->first_data, q->data, q->len);
        l->first_len = q->len;
    }
    assert_true(q->at > 0);
    return 0;
}

static qlist quarantine_of(asyncz_store *st)
{
    qlist l = {0};
    int rc = asyncz_store_quarantined(st, q_collect, &l);
    if (rc)
        fail_msg("quarantined: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return l;
}

static void set_key(const char *key)
{
    if (key)
        setenv(ASYNCZ_STORE_KEY_ENV, key, 1);
    else
        unsetenv(ASYNCZ_STORE_KEY_ENV);
}

/* Store a valid task id, due at when, sealed under key (not the store's): as another tool with another key
 * would have written it. */
static void put_sealed(asyncz_store *st, const char *id, asyncz_time_t when, const char *key)
{
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_task_new(&t, "job"), 0);
    assert_int_equal(asyncz_task_set_id(t, id), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, when), 0);
    char *doc = NULL;
    assert_int_equal(asyncz_task_to_json(t, &doc, NULL), 0);
    asyncz_task_free(t);
    az_sealer other;
    assert_int_equal(az_sealer_init(&other, key, strlen(key)), 0);
    unsigned char *sealed = NULL;
    size_t len = 0;
    assert_int_equal(az_seal(&other, id, (const unsigned char *)doc, strlen(doc), &sealed, &len), 0);
    az_sealer_clear(&other);
    free(doc);
    raw_put(st, id, sealed, len, when, false);
    free(sealed);
}

/* Store a valid task id, due at when, as a plaintext record: as a tool without a key (or someone who can
 * write to the store) would have written it. */
static void put_plain(asyncz_store *st, const char *id, asyncz_time_t when)
{
    asyncz_task *t = make_task(id, when);
    char *doc = doc_of(t);
    asyncz_task_free(t);
    raw_put(st, id, doc, strlen(doc), when, false);
    free(doc);
}

/* ---- persistence ------------------------------------------------------------------------------- */

void persist_reopen(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    asyncz_task *t = make_task("kept", T0 + 123456);
    assert_int_equal(asyncz_task_set_name(t, "Grüße aus Köln — 東京"), 0);
    assert_int_equal(asyncz_task_set_args_json(t, "[1,\"two\",{\"three\":3.5}]"), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{\"a\":null}"), 0);
    assert_int_equal(ops(a.st)->add(a.st, t), 0);
    add(a.st, "paused", ASYNCZ_TIME_NONE);
    close_into(&a);

    opened b;
    open_into(&b, 1, "two");
    assert_int_equal(count(b.st), 2);
    asyncz_task *back = NULL;
    assert_int_equal(ops(b.st)->lookup(b.st, "kept", &back), 0);
    assert_same_task(t, back);
    assert_int_equal(asyncz_task_next_run_time(back), T0 + 123456);
    asyncz_task_free(back);
    assert_int_equal(ops(b.st)->lookup(b.st, "paused", &back), 0);
    assert_int_equal(asyncz_task_next_run_time(back), ASYNCZ_TIME_NONE);
    asyncz_task_free(back);
    asyncz_task_free(t);
    close_into(&b);
}

void persist_reopen_order(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "c", T0 + 2);
    add(a.st, "p1", ASYNCZ_TIME_NONE);
    add(a.st, "a", T0 + 1);
    add(a.st, "b", T0 + 1);
    add(a.st, "p0", ASYNCZ_TIME_NONE);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    joined j;
    assert_string_equal(list_ids(b.st, &j), "a,b,c,p1,p0");
    asyncz_time_t e = 0;
    assert_int_equal(ops(b.st)->earliest(b.st, &e), 0);
    assert_int_equal(e, T0 + 1);
    close_into(&b);
}

void persist_large_record(void **state)
{
    (void)state;
    set_key(KEY1);
    size_t n = 60 * 1024;
    char *big = malloc(n + 3);
    assert_non_null(big);
    big[0] = '"';
    for (size_t i = 1; i <= n; i++)
        big[i] = (char)('a' + i % 26);
    big[n + 1] = '"';
    big[n + 2] = '\0';
    char *args = malloc(n + 8);
    snprintf(args, n + 8, "[%s]", big);
    opened a;
    open_into(&a, 1, "one");
    asyncz_task *t = make_task("big", T0);
    assert_int_equal(asyncz_task_set_args_json(t, args), 0);
    assert_int_equal(asyncz_task_set_kwargs_json(t, "{}"), 0);
    assert_int_equal(ops(a.st)->add(a.st, t), 0);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    asyncz_task *back = NULL;
    assert_int_equal(ops(b.st)->lookup(b.st, "big", &back), 0);
    assert_same_task(t, back);
    asyncz_task_free(back);
    asyncz_task_free(t);
    close_into(&b);
    free(big);
    free(args);
}

void persist_two_objects_share(void **state)
{
    (void)state;
    set_key(NULL);
    opened a, b;
    open_into(&a, 1, "alpha");
    open_into(&b, 1, "beta");
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%02d", i);
        add(a.st, id, T0 + i);
    }
    assert_int_equal(count(b.st), 10);
    joined ja, jb;
    asyncz_claim ca[16];
    assert_int_equal(claim(a.st, T0 + 4, "alpha", ca, &ja), 5);
    assert_string_equal(ja.text, "t00,t01,t02,t03,t04");
    /* b sees them claimed: nothing due until later ones. */
    assert_int_equal(claim(b.st, T0 + 4, "beta", NULL, &jb), 0);
    assert_string_equal(due_ids(b.st, T0 + 6, &jb), "t05,t06");
    assert_int_equal(claim(b.st, T0 + 6, "beta", NULL, &jb), 2);
    assert_string_equal(jb.text, "t05,t06");
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ops(a.st)->release(a.st, asyncz_task_id(ca[i].task), ca[i].token, NULL), 0);
        asyncz_task_free(ca[i].task);
    }
    assert_int_equal(count(b.st), 5);
    close_into(&a);
    close_into(&b);
}

void persist_lease_takeover(void **state)
{
    (void)state;
    set_key(NULL);
    opened a, b;
    open_into(&a, 1, "alpha");
    open_into(&b, 1, "beta");
    add(a.st, "job", T0);
    joined j;
    asyncz_claim ca[16], cb[16];
    assert_int_equal(claim(a.st, T0, "alpha", ca, &j), 1);
    /* alpha "dies": its lease runs out and beta takes the task over with a newer token. */
    assert_int_equal(claim(b.st, T0 + LEASE - 1, "beta", NULL, &j), 0);
    asyncz_time_t e = 0;
    assert_int_equal(ops(b.st)->earliest(b.st, &e), 0);
    assert_int_equal(e, T0 + LEASE);
    assert_int_equal(claim(b.st, T0 + LEASE, "beta", cb, &j), 1);
    assert_true(cb[0].token > ca[0].token);
    /* alpha's late release changes nothing. */
    asyncz_task *late = make_task("job", T0 + 99 * SEC);
    assert_int_equal(ops(a.st)->release(a.st, "job", ca[0].token, late), ASYNCZ_ESTATE);
    asyncz_task_free(late);
    asyncz_task *next = make_task("job", T0 + 2 * LEASE);
    assert_int_equal(ops(b.st)->release(b.st, "job", cb[0].token, next), 0);
    asyncz_task_free(next);
    asyncz_task *back = NULL;
    assert_int_equal(ops(a.st)->lookup(a.st, "job", &back), 0);
    assert_int_equal(asyncz_task_next_run_time(back), T0 + 2 * LEASE);
    asyncz_task_free(back);
    asyncz_task_free(ca[0].task);
    asyncz_task_free(cb[0].task);
    close_into(&a);
    close_into(&b);
}

/* ---- sealing ------------------------------------------------------------------------------------- */

static bool contains(const unsigned char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

void persist_seal_round_trip(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    asyncz_task *t = make_task("secret", T0);
    assert_int_equal(asyncz_task_set_name(t, "nightly-backup-of-payroll"), 0);
    assert_int_equal(ops(a.st)->add(a.st, t), 0);
    raw r = raw_get(a.st, "secret");
    assert_true(az_seal_looks_sealed(r.data, r.len));
    assert_false(contains(r.data, r.len, "payroll"));
    assert_int_equal(r.next_run_time, T0);
    free(r.data);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    asyncz_task *back = NULL;
    assert_int_equal(ops(b.st)->lookup(b.st, "secret", &back), 0);
    assert_same_task(t, back);
    asyncz_task_free(back);
    joined j;
    assert_int_equal(claim(b.st, T0, "two", NULL, &j), 1);
    assert_int_equal(quarantine_of(b.st).n, 0);
    asyncz_task_free(t);
    close_into(&b);
}

/* A batch is sealed record by record like single adds, and reads back whole through another object. */
void persist_add_many_sealed(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    asyncz_task *tasks[4];
    char id[16];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "secret%d", i);
        tasks[i] = make_task(id, T0 + i);
        assert_int_equal(asyncz_task_set_name(tasks[i], "nightly-backup-of-payroll"), 0);
    }
    int rc = asyncz_store_add_tasks(a.st, tasks, 4);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    raw r = raw_get(a.st, "secret2");
    assert_true(az_seal_looks_sealed(r.data, r.len));
    assert_false(contains(r.data, r.len, "payroll"));
    assert_int_equal(r.next_run_time, T0 + 2);
    free(r.data);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    for (int i = 0; i < 4; i++) {
        asyncz_task *back = NULL;
        assert_int_equal(ops(b.st)->lookup(b.st, asyncz_task_id(tasks[i]), &back), 0);
        assert_same_task(tasks[i], back);
        asyncz_task_free(back);
        asyncz_task_free(tasks[i]);
    }
    assert_int_equal(quarantine_of(b.st).n, 0);
    close_into(&b);
    set_key(NULL);
}

/* Two objects on one store (two processes): one's batch conflicts with a record the other added, and
 * the other sees either none or all of a batch; a store that notifies wakes the other object. */
void persist_add_many_shared(void **state)
{
    (void)state;
    set_key(NULL);
    opened a, b;
    open_into(&a, 1, "one");
    open_into(&b, 1, "two");
    add(b.st, "m3", T0);
    asyncz_task *tasks[6];
    char id[16];
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "m%d", i);
        tasks[i] = make_task(id, T0 + i * SEC);
    }
    assert_int_equal(asyncz_store_add_tasks(a.st, tasks, 6), ASYNCZ_EEXISTS);
    if (!strstr(asyncz_store_errmsg(), "\"m3\""))
        fail_msg("the message \"%s\" does not name m3", asyncz_store_errmsg());
    assert_int_equal(count(b.st), 1);
    assert_int_equal(ops(b.st)->remove(b.st, "m3"), 0);
    assert_int_equal(asyncz_store_add_tasks(a.st, tasks, 6), 0);
    assert_int_equal(count(b.st), 6);
    joined j;
    assert_int_equal(claim(b.st, T0 + 10 * SEC, "two", NULL, &j), 6);
    assert_string_equal(j.text, "m0,m1,m2,m3,m4,m5");
    if (ops(b.st)->caps & ASYNCZ_STORE_CAP_NOTIFY) {
        for (int i = 0; i < 1000 && __atomic_load_n(&b.log.wakeups, __ATOMIC_SEQ_CST) == 0; i++)
            usleep(10000);
        assert_true(__atomic_load_n(&b.log.wakeups, __ATOMIC_SEQ_CST) > 0);
    }
    for (int i = 0; i < 6; i++)
        asyncz_task_free(tasks[i]);
    close_into(&a);
    close_into(&b);
}

/* After tampering: the task is not handed out, it is quarantined with a reason, the host is told. */
static void assert_refused(opened *o, const char *id, const char *reason_part)
{
    joined j;
    size_t before = count(o->st);
    assert_int_equal(claim(o->st, T0 + SEC, "me", NULL, &j), 0);
    assert_string_equal(j.text, "");
    assert_int_equal(o->log.quarantined, 1);
    assert_string_equal(o->log.last_id, id);
    if (!strstr(o->log.last_reason, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", o->log.last_reason, reason_part);
    qlist q = quarantine_of(o->st);
    assert_int_equal(q.n, 1);
    assert_string_equal(q.ids, id);
    assert_int_equal(count(o->st), before - 1);
    asyncz_task *t = NULL;
    assert_int_equal(ops(o->st)->lookup(o->st, id, &t), ASYNCZ_ENOTFOUND);
}

void persist_seal_flipped_byte(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "victim", T0);
    add(a.st, "bystander", T0 + 5 * SEC); /* opens: the key is right, so the victim is tampered with */
    raw r = raw_get(a.st, "victim");
    r.data[r.len / 2] ^= 0x01;
    raw_put(a.st, "victim", r.data, r.len, T0, true);
    assert_refused(&a, "victim", "does not open");
    qlist q = quarantine_of(a.st);
    assert_int_equal(q.first_len, r.len);
    assert_memory_equal(q.first_data, r.data, r.len); /* kept as found */
    free(r.data);
    close_into(&a);
    /* Reopened, the store still opens with the key (the bystander opens) and keeps the bystander. */
    open_into(&a, 1, "again");
    joined j;
    assert_string_equal(list_ids(a.st, &j), "bystander");
    close_into(&a);
}

void persist_seal_copied_to_other_id(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "harmless", T0 + 5 * SEC);
    raw r = raw_get(a.st, "harmless");
    raw_put(a.st, "privileged", r.data, r.len, T0, false);
    free(r.data);
    asyncz_task *t = NULL;
    assert_int_equal(ops(a.st)->lookup(a.st, "privileged", &t), ASYNCZ_ECRYPTO);
    assert_int_equal(a.log.quarantined, 1);
    assert_string_equal(quarantine_of(a.st).ids, "privileged");
    assert_int_equal(count(a.st), 1);
    close_into(&a);
}

/* A plaintext record among sealed records the key opens (first in order, so the check at connect meets it
 * first) can only have been written by someone without the key: the store opens and that record alone is
 * quarantined, never trusted. */
void persist_seal_plaintext_with_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "sealed1", T0 + 2 * SEC);
    add(a.st, "sealed2", T0 + 3 * SEC);
    put_plain(a.st, "plain", T0);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    joined j;
    assert_int_equal(claim(b.st, T0 + SEC, "two", NULL, &j), 0);
    assert_int_equal(b.log.quarantined, 1);
    assert_string_equal(b.log.last_id, "plain");
    assert_non_null(strstr(b.log.last_reason, "not sealed"));
    assert_string_equal(quarantine_of(b.st).ids, "plain");
    assert_string_equal(list_ids(b.st, &j), "sealed1,sealed2");
    assert_int_equal(b.log.quarantined, 1);
    close_into(&b);
    set_key(NULL);
}

/* Connecting with key fails with ASYNCZ_ECRYPTO and a message holding want, in every mode (a scheduler, a
 * tool, a tool on an existing store). */
static void assert_connect_refused(unsigned n, const char *want)
{
    char url[1024];
    az_store_url(url, sizeof url, n);
    for (int mode = 0; mode < 3; mode++) {
        asyncz_store *st = NULL;
        assert_int_equal(asyncz_store_open(&st, url), 0);
        int rc = mode == 0   ? asyncz_store_connect(st)
                 : mode == 1 ? asyncz_store_connect_inspect(st, NULL, NULL)
                             : asyncz_store_connect_existing(st, NULL, NULL);
        if (rc != ASYNCZ_ECRYPTO || !strstr(asyncz_store_errmsg(), want))
            fail_msg("connect mode %d: %s: \"%s\" (wanted ASYNCZ_ECRYPTO and \"%s\")", mode,
                     asyncz_strerror(rc), asyncz_store_errmsg(), want);
        asyncz_store_free(st);
    }
}

/* The store of namespace n with the key opens, has nothing in quarantine and lists want. */
static void assert_intact(unsigned n, const char *key, const char *want)
{
    set_key(key);
    opened a;
    open_into(&a, n, "check");
    joined j;
    assert_string_equal(list_ids(a.st, &j), want);
    assert_int_equal(quarantine_of(a.st).n, 0);
    assert_int_equal(a.log.quarantined, 0);
    close_into(&a);
}

/* A key that opens none of the sealed records is a wrong key, not tampering: connecting fails, for a
 * scheduler and a tool alike, and nothing is quarantined. */
void persist_seal_wrong_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "job", T0);
    add(a.st, "job2", T0 + SEC);
    close_into(&a);
    set_key(KEY2);
    assert_connect_refused(1, ASYNCZ_STORE_KEY_ENV " opens none of the 2 sealed records in ");
    assert_connect_refused(1, "is it the right key?");
    assert_intact(1, KEY1, "job,job2");
    set_key(NULL);
}

/* The check at connect reads a bounded sample: on a store of more records than it looks at, a wrong key is
 * still refused, and the message says only the first ones were tried. */
void persist_seal_wrong_key_large_store(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    enum { N = 80 };
    asyncz_task *tasks[N];
    char id[16];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "t%02d", i);
        tasks[i] = make_task(id, T0 + i * SEC);
    }
    int rc = asyncz_store_add_tasks(a.st, tasks, N);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    for (int i = 0; i < N; i++)
        asyncz_task_free(tasks[i]);
    close_into(&a);
    set_key(KEY2);
    assert_connect_refused(1, "opens none of the first 64 sealed records in ");
    set_key(KEY1);
    open_into(&a, 1, "two");
    assert_int_equal(count(a.st), N);
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
    set_key(NULL);
}

/* A key set on a plaintext store (set in the belief that it seals the store) is refused like a wrong key:
 * connecting fails in every mode, nothing is quarantined or sealed, and without the key the store is as
 * it was. */
void persist_seal_key_on_plaintext_store(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "job", T0);
    add(a.st, "job2", T0 + SEC);
    close_into(&a);
    set_key(KEY1);
    assert_connect_refused(1, ASYNCZ_STORE_KEY_ENV " is set but the 2 records in ");
    assert_connect_refused(1, " are not sealed: unset it, or seal the store by exporting its tasks and "
                              "importing them into a new store with the key");
    assert_intact(1, NULL, "job,job2");
    /* One record: said in the singular. */
    set_key(NULL);
    open_into(&a, 2, "one");
    add(a.st, "only", T0);
    close_into(&a);
    set_key(KEY1);
    assert_connect_refused(2, ASYNCZ_STORE_KEY_ENV " is set but the record in ");
    assert_connect_refused(2, " is not sealed: unset it");
    assert_intact(2, NULL, "only");
    /* An empty store opens with a key: that is how a sealed store is made. */
    assert_intact(3, KEY1, "");
    set_key(NULL);
}

/* On a plaintext store larger than the sample, the message says only the first records were looked at. */
void persist_seal_key_on_large_plaintext_store(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    enum { N = 80 };
    asyncz_task *tasks[N];
    char id[16];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "t%02d", i);
        tasks[i] = make_task(id, T0 + i * SEC);
    }
    int rc = asyncz_store_add_tasks(a.st, tasks, N);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    for (int i = 0; i < N; i++)
        asyncz_task_free(tasks[i]);
    close_into(&a);
    set_key(KEY1);
    assert_connect_refused(1, "is set but the first 64 records in ");
    set_key(NULL);
    open_into(&a, 1, "two");
    assert_int_equal(count(a.st), N);
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
}

/* A record sealed under another key among records the key opens (first in order, so the check at connect
 * meets it first) is not a wrong key: the store opens and that one record alone is quarantined. */
void persist_seal_other_key_among_good(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "good1", T0 + 5 * SEC);
    add(a.st, "good2", T0 + 6 * SEC);
    put_sealed(a.st, "intruder", T0, KEY2);
    close_into(&a);
    opened b;
    open_into(&b, 1, "two");
    assert_refused(&b, "intruder", "does not open");
    joined j;
    assert_string_equal(list_ids(b.st, &j), "good1,good2");
    close_into(&b);
    set_key(NULL);
}

void persist_sealed_without_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "job", T0);
    close_into(&a);
    set_key(NULL);
    char url[1024];
    az_store_url(url, sizeof url, 1);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ECRYPTO);
    assert_non_null(strstr(asyncz_store_errmsg(), ASYNCZ_STORE_KEY_ENV));
    asyncz_store_free(st);
    /* Nothing was moved: with the key, the task is there and runs. */
    set_key(KEY1);
    opened b;
    open_into(&b, 1, "two");
    joined j;
    assert_int_equal(claim(b.st, T0, "two", NULL, &j), 1);
    assert_int_equal(quarantine_of(b.st).n, 0);
    close_into(&b);
}

/* The check for a missing key looks beyond the first record: a plaintext record first in order and sealed
 * ones after it still make a connection without the key fail, and nothing is moved. */
void persist_sealed_after_plaintext_without_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "sealed1", T0 + SEC);
    add(a.st, "sealed2", T0 + 2 * SEC);
    put_plain(a.st, "plain", T0);
    close_into(&a);
    set_key(NULL);
    assert_connect_refused(1, ASYNCZ_STORE_KEY_ENV " is not set");
    set_key(KEY1);
    open_into(&a, 1, "three");
    assert_int_equal(count(a.st), 3);
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
    set_key(NULL);
}

/* ---- quarantine ------------------------------------------------------------------------------------ */

void persist_quarantine_garbage(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "good", T0 + 2 * SEC);
    static const unsigned char junk[] = {'n', 'o', 't', 0, 'j', 's', 'o', 'n', 0xff};
    raw_put(a.st, "junk", junk, sizeof junk, T0, false);
    assert_refused(&a, "junk", "invalid");
    qlist q = quarantine_of(a.st);
    assert_int_equal(q.first_len, sizeof junk);
    assert_memory_equal(q.first_data, junk, sizeof junk);
    joined j;
    assert_string_equal(list_ids(a.st, &j), "good");
    close_into(&a);
}

void persist_quarantine_other_id(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "original", T0 + 5 * SEC);
    raw r = raw_get(a.st, "original");
    raw_put(a.st, "impostor", r.data, r.len, T0, false);
    free(r.data);
    assert_refused(&a, "impostor", "another id");
    close_into(&a);
}

void persist_quarantine_index_mismatch(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "moved", T0 + 3600 * SEC);
    raw r = raw_get(a.st, "moved");
    raw_put(a.st, "moved", r.data, r.len, T0, true); /* the index says "now", the document an hour later */
    free(r.data);
    assert_refused(&a, "moved", "index");
    close_into(&a);
}

void persist_quarantine_in_due_and_list(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "a", T0);
    raw_put(a.st, "b", "{", 1, T0, false);
    add(a.st, "c", T0);
    raw_put(a.st, "d", "[]", 2, ASYNCZ_TIME_NONE, false);
    joined j;
    assert_string_equal(due_ids(a.st, T0, &j), "a,c");
    assert_int_equal(a.log.quarantined, 1);
    assert_string_equal(list_ids(a.st, &j), "a,c");
    assert_int_equal(a.log.quarantined, 2);
    qlist q = quarantine_of(a.st);
    assert_int_equal(q.n, 2);
    assert_int_equal(count(a.st), 2);
    /* Quarantined twice under one id: both entries kept. */
    raw_put(a.st, "b", "x", 1, T0, false);
    assert_string_equal(list_ids(a.st, &j), "a,c");
    assert_int_equal(quarantine_of(a.st).n, 3);
    close_into(&a);
}

/* ---- zones that do not load here ----------------------------------------------------------------- */

/* Error lines logged that name a zone that does not load; the last one. */
typedef struct zone_log {
    int n;
    char last[1024];
} zone_log;

static void on_log(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    zone_log *z = userdata;
    (void)logger;
    if (level >= ASYNCZ_LOG_ERROR && strstr(message, "does not load here")) {
        z->n++;
        snprintf(z->last, sizeof z->last, "%s", message);
    }
}

/* doc with its "timezone":"UTC" member naming zone instead, into buf. */
static void with_zone(const char *doc, const char *zone, char *buf, size_t size)
{
    static const char utc[] = "\"timezone\":\"UTC\"";
    size_t before = strlen(doc);
    for (size_t i = 0; doc[i]; i++)
        if (strncmp(doc + i, utc, strlen(utc)) == 0) {
            before = i;
            break;
        }
    assert_true(doc[before] != '\0');
    snprintf(buf, size, "%.*s\"timezone\":\"%s\"%s", (int)before, doc, zone, doc + before + strlen(utc));
}

/* A task due at `when` whose date trigger is in zone `zone`, written as a raw record: the zone is never
 * loaded by this process on the way, so it is first loaded when the store reads the record. */
static void put_zoned(asyncz_store *st, const char *id, const char *zone, asyncz_time_t when)
{
    asyncz_task *t = make_task(id, when);
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    asyncz_trigger *trig = NULL;
    assert_int_equal(asyncz_trigger_date_new(&trig, when, &o), 0);
    assert_int_equal(asyncz_task_set_trigger(t, trig), 0);
    assert_int_equal(asyncz_task_set_next_run_time(t, when), 0);
    char *doc = doc_of(t), buf[4096];
    with_zone(doc, zone, buf, sizeof buf);
    raw_put(st, id, buf, strlen(buf), when, false);
    free(doc);
    asyncz_trigger_unref(trig);
    asyncz_task_free(t);
}

/* A directory holding only `name`, cut to its first 40 bytes (a truncated tzdata). */
static void truncated_zone_dir(char *dir, const char *name)
{
    char src[512], dst[512];
    snprintf(src, sizeof src, "/usr/share/zoneinfo/%s", name);
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    unsigned char head[40];
    assert_int_equal(fread(head, 1, sizeof head, in), sizeof head);
    fclose(in);
    snprintf(dst, sizeof dst, "%s/Europe", dir);
    assert_int_equal(mkdir(dst, 0700), 0);
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    FILE *out = fopen(dst, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(head, 1, sizeof head, out), sizeof head);
    fclose(out);
}

/* A zone that does not load here (no zone data, a wrong TZDIR, a truncated file) is this host's problem,
 * not the record's: the record is skipped, stays in the store (claimed: read again when its lease lapses)
 * and is never quarantined; the log says why, once per zone and failure, not at every retry; once the zone
 * loads, the task is handed out. A malformed zone name is the record's fault: quarantined. */
void persist_zone_not_loading(void **state)
{
    (void)state;
    set_key(NULL);
    char empty[] = "/tmp/asyncz-tz-empty-XXXXXX", cut[] = "/tmp/asyncz-tz-cut-XXXXXX", path[512];
    assert_non_null(mkdtemp(empty));
    assert_non_null(mkdtemp(cut));
    truncated_zone_dir(cut, "Europe/Berlin");
    zone_log zl = {0};
    asyncz_log_to_callback(on_log, &zl);
    opened a;
    open_into(&a, 1, "one");
    put_zoned(a.st, "berlin", "Europe/Berlin", T0);
    put_zoned(a.st, "badname", "Europe/../Berlin", T0);

    setenv("TZDIR", empty, 1);
    joined j;
    assert_int_equal(claim(a.st, T0, "me", NULL, &j), 0);
    assert_int_equal(a.log.quarantined, 1);
    assert_string_equal(a.log.last_id, "badname");
    if (!strstr(a.log.last_reason, "not a valid time zone name"))
        fail_msg("badname quarantined for \"%s\"", a.log.last_reason);
    assert_int_equal(quarantine_of(a.st).n, 1);
    assert_int_equal(count(a.st), 1);
    assert_int_equal(zl.n, 1);
    if (!strstr(zl.last, "\"berlin\"") || !strstr(zl.last, "\"Europe/Berlin\"") || !strstr(zl.last, empty) ||
        !strstr(zl.last, "TZDIR") || !strstr(zl.last, "not quarantined"))
        fail_msg("the log does not say why: %s", zl.last);
    asyncz_task *t = NULL;
    assert_int_equal(ops(a.st)->lookup(a.st, "berlin", &t), ASYNCZ_EZONE);
    if (!strstr(asyncz_store_errmsg(), "does not load here"))
        fail_msg("lookup says: %s", asyncz_store_errmsg());
    /* The store needs attention again when the claim lapses: that is the retry. */
    asyncz_time_t when = ASYNCZ_TIME_NONE;
    assert_int_equal(ops(a.st)->earliest(a.st, &when), 0);
    assert_int_equal(when, T0 + LEASE);
    assert_int_equal(claim(a.st, T0 + SEC, "me", NULL, &j), 0);

    /* Retried after the lease, still missing: not logged again. */
    assert_int_equal(claim(a.st, T0 + LEASE + SEC, "me", NULL, &j), 0);
    assert_int_equal(zl.n, 1);
    assert_int_equal(count(a.st), 1);

    /* A truncated zone file: another failure, logged. */
    setenv("TZDIR", cut, 1);
    assert_int_equal(claim(a.st, T0 + 3 * LEASE, "me", NULL, &j), 0);
    assert_int_equal(zl.n, 2);
    if (!strstr(zl.last, "malformed or truncated"))
        fail_msg("the log does not say the file is truncated: %s", zl.last);
    assert_int_equal(ops(a.st)->lookup(a.st, "berlin", &t), ASYNCZ_ETZDATA);
    assert_int_equal(quarantine_of(a.st).n, 1);

    /* The zone data is back: the task is handed out, whole. */
    unsetenv("TZDIR");
    assert_int_equal(claim(a.st, T0 + 5 * LEASE, "me", NULL, &j), 1);
    assert_string_equal(j.text, "berlin");
    assert_int_equal(quarantine_of(a.st).n, 1);
    assert_int_equal(a.log.quarantined, 1);
    close_into(&a);

    asyncz_log_to_callback(NULL, NULL);
    snprintf(path, sizeof path, "%s/Europe/Berlin", cut);
    unlink(path);
    snprintf(path, sizeof path, "%s/Europe", cut);
    rmdir(path);
    rmdir(cut);
    rmdir(empty);
}

/* A listing of many records is decoded on several threads: every record comes back whole and in order
 * (cron triggers shared between equal documents, others not), and unreadable records among them are still
 * quarantined, each once. Sealed, so every thread opens envelopes too. */
#define MANY_LISTED 3000

static asyncz_trigger *listed_trigger(int i)
{
    asyncz_trigger_options o;
    asyncz_trigger_options_init(&o);
    o.timezone = asyncz_zone_utc();
    asyncz_trigger *t = NULL;
    if (i % 4 == 3) {
        o.start_date = T0;
        assert_int_equal(asyncz_trigger_interval_new(&t, (i % 7 + 1) * SEC, &o, NULL), 0);
    } else if (i % 4 == 2) {
        o.jitter = 5 * SEC;
        o.jitter_seed = (uint64_t)i + 1;
        assert_int_equal(asyncz_trigger_crontab_new(&t, "*/5 * * * *", &o, NULL), 0);
    } else
        assert_int_equal(asyncz_trigger_crontab_new(&t, i % 4 ? "0 3 * * mon" : "0 * * * *", &o, NULL), 0);
    return t;
}

static bool garbage_at(int i)
{
    return i % 997 == 500;
}

typedef struct listed_check {
    asyncz_task **expected; /* by position; NULL where a garbage record sits */
    int n;
    size_t hourly, fresh; /* hourly cron tasks, and those whose trigger object was new */
    const asyncz_trigger *last_hourly;
} listed_check;

static int check_listed(asyncz_task *task, void *userdata)
{
    listed_check *c = userdata;
    while (c->n < MANY_LISTED && !c->expected[c->n])
        c->n++;
    assert_true(c->n < MANY_LISTED);
    assert_same_task(c->expected[c->n], task);
    if (c->n % 4 == 0) {
        c->hourly++;
        c->fresh += asyncz_task_trigger(task) != c->last_hourly;
        c->last_hourly = asyncz_task_trigger(task); /* the expected tasks keep it alive */
    }
    c->n++;
    return 0;
}

void persist_list_many_in_parallel(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    asyncz_task **expected = calloc(MANY_LISTED, sizeof *expected),
                **batch = calloc(MANY_LISTED, sizeof *batch);
    assert_true(expected && batch);
    char id[32];
    size_t n_batch = 0, garbage = 0;
    for (int i = 0; i < MANY_LISTED; i++) {
        if (garbage_at(i))
            continue;
        snprintf(id, sizeof id, "many%05d", i);
        expected[i] = batch[n_batch++] = make_task(id, T0 + i * SEC);
        asyncz_trigger *t = listed_trigger(i);
        assert_int_equal(asyncz_task_set_trigger(expected[i], t), 0);
        asyncz_trigger_unref(t);
    }
    int rc = asyncz_store_add_tasks(a.st, batch, n_batch);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    for (int i = 0; i < MANY_LISTED; i++)
        if (garbage_at(i)) {
            snprintf(id, sizeof id, "many%05d", i);
            raw_put(a.st, id, "{\"v\":", 5, T0 + i * SEC, false);
            garbage++;
        }
    listed_check c = {.expected = expected};
    assert_int_equal(ops(a.st)->list(a.st, check_listed, &c), 0);
    assert_int_equal(c.n, MANY_LISTED);
    /* Each thread decodes chunks of 256 records with its own memo: at most one new hourly trigger per
     * chunk, the rest shared. */
    assert_true(c.hourly > 700);
    if (c.fresh > (MANY_LISTED + 255) / 256)
        fail_msg("%zu of %zu hourly triggers new", c.fresh, c.hourly);
    assert_int_equal(a.log.quarantined, garbage);
    assert_int_equal(quarantine_of(a.st).n, garbage);
    assert_int_equal(count(a.st), n_batch);
    for (int i = 0; i < MANY_LISTED; i++)
        asyncz_task_free(expected[i]);
    free(expected);
    free(batch);
    close_into(&a);
    set_key(NULL);
}

/* A store opened under an alias other than "default" hands out tasks of that alias: read one by one and
 * in a listing long enough to be decoded on several threads. */
static int all_of_alias(asyncz_task *task, void *userdata)
{
    size_t *n = userdata;
    assert_string_equal(asyncz_task_store(task), "nightly");
    ++*n;
    return 0;
}

void persist_tasks_get_the_store_alias(void **state)
{
    (void)state;
    set_key(NULL);
    char url[1024];
    az_store_url(url, sizeof url, 1);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    host_log h = {0};
    asyncz_store_host host = {.alias = "nightly", .identity = "one", .wakeup = on_wakeup, .host_data = &h};
    int rc = az_store_do_open(st, &host);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    enum { N = AZ_BATCH_PARALLEL_MIN + 52 };
    asyncz_task **tasks = calloc(N, sizeof *tasks);
    assert_non_null(tasks);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "n%05d", i);
        tasks[i] = make_task(id, T0 + i);
    }
    rc = asyncz_store_add_tasks(st, tasks, N);
    if (rc)
        fail_msg("add_tasks: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    asyncz_task *one = NULL;
    assert_int_equal(ops(st)->lookup(st, "n00007", &one), 0);
    assert_string_equal(asyncz_task_store(one), "nightly");
    asyncz_task_free(one);
    size_t n = 0;
    assert_int_equal(ops(st)->list(st, all_of_alias, &n), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++)
        asyncz_task_free(tasks[i]);
    free(tasks);
    asyncz_store_free(st);
}

/* ---- heartbeats ------------------------------------------------------------------------------------- */

typedef struct inst_seen {
    int n;
    char ids[512];
    size_t running;
    asyncz_time_t beat;
    char first_task[64];
} inst_seen;

static int inst_each(const asyncz_instance *i, void *userdata)
{
    inst_seen *s = userdata;
    size_t len = strlen(s->ids);
    snprintf(s->ids + len, sizeof s->ids - len, "%s%s", len ? "," : "", i->id);
    if (strcmp(i->id, "sched-a") == 0) {
        s->running = i->n_running;
        s->beat = i->heartbeat_at;
        if (i->n_running)
            snprintf(s->first_task, sizeof s->first_task, "%s", i->running[0].task_id);
        assert_string_equal(i->hostname, "host-a");
        assert_int_equal(i->pid, 4242);
    }
    s->n++;
    return 0;
}

/* ---- inspecting (the asyncz tool) ------------------------------------------------------------------- */

/* What an inspecting connection reported. */
typedef struct unreadable_log {
    int n;
    char last_id[256];
    char last_reason[512];
} unreadable_log;

static void on_unreadable(void *userdata, const char *id, const char *reason)
{
    unreadable_log *u = userdata;
    u->n++;
    snprintf(u->last_id, sizeof u->last_id, "%s", id);
    snprintf(u->last_reason, sizeof u->last_reason, "%s", reason);
}

static asyncz_store *open_inspect(unsigned n, unreadable_log *u)
{
    char url[1024];
    az_store_url(url, sizeof url, n);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    int rc = asyncz_store_connect_inspect(st, on_unreadable, u);
    if (rc)
        fail_msg("inspect %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

/* A tool that wants an existing store (asyncz_store_connect_existing) connects to one that exists and
 * reads it like asyncz_store_connect_inspect. */
void persist_connect_existing(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "there", T0);
    char url[1024];
    az_store_url(url, sizeof url, 1);
    asyncz_store *tool = NULL;
    assert_int_equal(asyncz_store_open(&tool, url), 0);
    int rc = asyncz_store_connect_existing(tool, NULL, NULL);
    if (rc)
        fail_msg("connect_existing %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    joined j;
    assert_string_equal(list_ids(tool, &j), "there");
    asyncz_store_free(tool);
    close_into(&a);
}

/* A tool that wants an existing store creates nothing where there is none: on a namespace never used, the
 * connection fails with ASYNCZ_ENOTFOUND and a message saying what to do, and fails again the second time
 * (nothing was created by the first). Redis has nothing to create: its store is keys that appear with the
 * first task, so it connects and lists nothing, and still holds nothing afterwards. */
void persist_connect_existing_creates_nothing(void **state)
{
    (void)state;
    set_key(NULL);
    opened other; /* another namespace in use (for SQLite: another table of the same database file) */
    open_into(&other, 8, "other");
    close_into(&other);
    char url[1024];
    az_store_url(url, sizeof url, 7);
    for (int attempt = 0; attempt < 2; attempt++) {
        asyncz_store *tool = NULL;
        assert_int_equal(asyncz_store_open(&tool, url), 0);
        int rc = asyncz_store_connect_existing(tool, NULL, NULL);
        const char *msg = asyncz_store_errmsg();
        if (strcmp(asyncz_store_kind(tool), "redis") == 0) {
            if (rc)
                fail_msg("redis connect_existing: %s: %s", asyncz_strerror(rc), msg);
            assert_int_equal(count(tool), 0);
        } else if (strcmp(asyncz_store_kind(tool), "file") == 0) {
            if (rc != ASYNCZ_ENOTFOUND || !strstr(msg, "no such directory"))
                fail_msg("file connect_existing: %s: %s", asyncz_strerror(rc), msg);
        } else if (rc != ASYNCZ_ENOTFOUND || !strstr(msg, "has no asyncz") ||
                   !strstr(msg, "add a task first, or check the URL")) {
            fail_msg("%s connect_existing on nothing: %s: %s", asyncz_store_kind(tool), asyncz_strerror(rc),
                     msg);
        }
        asyncz_store_free(tool);
    }
    /* A scheduler's connection makes the store; a tool's then finds it. */
    opened a;
    open_into(&a, 7, "one");
    add(a.st, "made", T0);
    close_into(&a);
    asyncz_store *tool = NULL;
    assert_int_equal(asyncz_store_open(&tool, url), 0);
    assert_int_equal(asyncz_store_connect_existing(tool, NULL, NULL), 0);
    assert_int_equal(count(tool), 1);
    asyncz_store_free(tool);
}

/* A tool's connection skips and reports an unreadable record but leaves it in place; a scheduler's
 * connection then quarantines it as usual. */
void persist_inspect_leaves_unreadable(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "good", T0 + 2 * SEC);
    static const unsigned char junk[] = {'{', 'n', 'o', 't'};
    raw_put(a.st, "junk", junk, sizeof junk, T0, false);
    unreadable_log u = {0};
    asyncz_store *tool = open_inspect(1, &u);
    joined j;
    assert_string_equal(list_ids(tool, &j), "good");
    assert_int_equal(u.n, 1);
    assert_string_equal(u.last_id, "junk");
    assert_true(strlen(u.last_reason) > 0);
    assert_int_equal(quarantine_of(tool).n, 0);
    raw r = raw_get(tool, "junk");
    assert_int_equal(r.len, sizeof junk);
    free(r.data);
    asyncz_store_free(tool);
    assert_string_equal(list_ids(a.st, &j), "good");
    assert_int_equal(a.log.quarantined, 1);
    assert_int_equal(quarantine_of(a.st).n, 1);
    close_into(&a);
}

/* A tool whose key opens some records but not others moves nothing aside: the others are reported and
 * stay; a tool whose key opens none cannot connect at all. */
void persist_inspect_wrong_key_moves_nothing(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "s1", T0);
    add(a.st, "s2", T0 + SEC);
    put_sealed(a.st, "x3", T0 + 2 * SEC, KEY2);
    close_into(&a);
    set_key(KEY2);
    unreadable_log u = {0};
    asyncz_store *tool = open_inspect(1, &u);
    joined j;
    assert_string_equal(list_ids(tool, &j), "x3");
    assert_int_equal(u.n, 2);
    assert_int_equal(quarantine_of(tool).n, 0);
    asyncz_store_free(tool);
    set_key("a third key");
    assert_connect_refused(1, "opens none of the 3 sealed records");
    set_key(KEY1);
    memset(&u, 0, sizeof u);
    tool = open_inspect(1, &u);
    assert_string_equal(list_ids(tool, &j), "s1,s2");
    assert_int_equal(u.n, 1);
    assert_string_equal(u.last_id, "x3");
    assert_int_equal(quarantine_of(tool).n, 0);
    asyncz_store_free(tool);
    set_key(NULL);
}

void persist_instances(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    if (!ops(a.st)->heartbeat) {
        close_into(&a);
        skip();
    }
    asyncz_inflight running[] = {{"job-1", T0}, {"job-2", T0 + SEC}};
    asyncz_instance me = {.id = "sched-a",
                          .hostname = "host-a",
                          .pid = 4242,
                          .version = "0.1.0",
                          .started_at = T0,
                          .heartbeat_at = T0 + SEC,
                          .expires_at = T0 + 31 * SEC,
                          .running = running,
                          .n_running = 2};
    assert_int_equal(ops(a.st)->heartbeat(a.st, &me), 0);
    asyncz_instance other = {.id = "sched-b", .hostname = "host-b", .pid = 1, .version = "0.1.0"};
    assert_int_equal(ops(a.st)->heartbeat(a.st, &other), 0);
    me.heartbeat_at = T0 + 2 * SEC;
    me.n_running = 1;
    assert_int_equal(ops(a.st)->heartbeat(a.st, &me), 0);
    inst_seen s = {0};
    assert_int_equal(asyncz_store_instances(a.st, inst_each, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.running, 1);
    assert_int_equal(s.beat, T0 + 2 * SEC);
    assert_string_equal(s.first_task, "job-1");
    assert_int_equal(ops(a.st)->remove_instance(a.st, "sched-b"), 0);
    assert_int_equal(ops(a.st)->remove_instance(a.st, "sched-b"), ASYNCZ_ENOTFOUND);
    memset(&s, 0, sizeof s);
    assert_int_equal(asyncz_store_instances(a.st, inst_each, &s), 0);
    assert_string_equal(s.ids, "sched-a");
    /* Tasks are not instances: removing all tasks keeps the heartbeats. */
    assert_int_equal(ops(a.st)->remove_all(a.st), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(asyncz_store_instances(a.st, inst_each, &s), 0);
    assert_int_equal(s.n, 1);
    close_into(&a);
}

/* ---- errors ---------------------------------------------------------------------------------------- */

void persist_bad_option(void **state)
{
    (void)state;
    assert_non_null(az_store_bad_option_url);
    asyncz_store *st = (asyncz_store *)&st;
    assert_int_equal(asyncz_store_open(&st, az_store_bad_option_url), ASYNCZ_EINVAL);
    assert_null(st);
    if (!strstr(asyncz_store_errmsg(), "bogus_option"))
        fail_msg("the message does not name the option: %s", asyncz_store_errmsg());
}

void persist_unreachable(void **state)
{
    (void)state;
    if (!az_store_unreachable_url)
        skip();
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, az_store_unreachable_url), 0);
    int rc = asyncz_store_connect(st);
    assert_true(rc == ASYNCZ_ESTORE || rc == ASYNCZ_EIO);
    if (strlen(asyncz_store_errmsg()) < 10)
        fail_msg("no useful message: \"%s\"", asyncz_store_errmsg());
    assert_null(strstr(asyncz_store_errmsg(), "secret-password"));
    asyncz_store_free(st);
}

/* ---- taking records out of the quarantine (asyncz_store_quarantine_*) ------------------------------ */

/* The times of the quarantine's entries, in listing order (oldest first). */
typedef struct qtimes {
    int n;
    asyncz_time_t at[8];
    char ids[8][64];
} qtimes;

static int q_time(const asyncz_quarantined *q, void *userdata)
{
    qtimes *t = userdata;
    if (t->n < 8) {
        t->at[t->n] = q->at;
        snprintf(t->ids[t->n], sizeof t->ids[t->n], "%s", q->task_id);
    }
    t->n++;
    return 0;
}

static qtimes quarantine_times(asyncz_store *st)
{
    qtimes t = {0};
    assert_int_equal(asyncz_store_quarantined(st, q_time, &t), 0);
    return t;
}

static void assert_msg_has(const char *part)
{
    if (!strstr(asyncz_store_errmsg(), part))
        fail_msg("message \"%s\" does not mention \"%s\"", asyncz_store_errmsg(), part);
}

/* Quarantine the record under id by reading the store through a scheduler's connection. */
static void read_all(opened *o)
{
    joined j;
    list_ids(o->st, &j);
}

/* Drop removes the entries it is told to, one by its time or all of an id, and nothing else. */
void persist_quarantine_drop(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    raw_put(a.st, "bad", "{", 1, T0, false);
    read_all(&a);
    raw_put(a.st, "bad", "[", 1, T0, false);
    read_all(&a);
    raw_put(a.st, "other", "x", 1, T0, false);
    read_all(&a);
    qtimes t = quarantine_times(a.st);
    assert_int_equal(t.n, 3);
    assert_true(t.at[0] != t.at[1]);
    size_t dropped = 99;
    assert_int_equal(asyncz_store_quarantine_drop(a.st, "bad", t.at[0], &dropped), 0);
    assert_int_equal(dropped, 1);
    qlist q = quarantine_of(a.st);
    assert_string_equal(q.ids, "bad,other");
    assert_int_equal(q.first_len, 1);
    assert_memory_equal(q.first_data, "[", 1); /* the newer one stayed */
    /* The same time again, or a time no entry has: nothing matches. */
    assert_int_equal(asyncz_store_quarantine_drop(a.st, "bad", t.at[0], &dropped), ASYNCZ_ENOTFOUND);
    assert_int_equal(dropped, 0);
    assert_msg_has("no record of task \"bad\" was quarantined at");
    assert_int_equal(asyncz_store_quarantine_drop(a.st, "nobody", ASYNCZ_TIME_NONE, NULL), ASYNCZ_ENOTFOUND);
    assert_msg_has("no record of task \"nobody\" is quarantined");
    raw_put(a.st, "bad", "]", 1, T0, false);
    read_all(&a);
    assert_int_equal(asyncz_store_quarantine_drop(a.st, "bad", ASYNCZ_TIME_NONE, &dropped), 0);
    assert_int_equal(dropped, 2);
    assert_string_equal(quarantine_of(a.st).ids, "other");
    assert_int_equal(asyncz_store_quarantine_drop(a.st, "other", ASYNCZ_TIME_NONE, NULL), 0);
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
}

/* A record that is still bad is not restored: the reason says why, and nothing changes. */
void persist_quarantine_restore_refuses_bad(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    static const unsigned char junk[] = {'{', '"', 'v', '"', ':', 0xff};
    raw_put(a.st, "junk", junk, sizeof junk, T0, false);
    read_all(&a);
    assert_int_equal(quarantine_of(a.st).n, 1);
    asyncz_task *t = NULL;
    int rc = asyncz_store_quarantine_restore(a.st, "junk", ASYNCZ_TIME_NONE, false, &t);
    assert_int_equal(rc, ASYNCZ_EPARSE);
    assert_null(t);
    assert_msg_has("task \"junk\" (quarantined at ");
    assert_msg_has("cannot be restored: the task document is invalid");
    assert_int_equal(quarantine_of(a.st).n, 1);
    assert_int_equal(count(a.st), 0);
    /* open shows the bytes as they are, and the same refusal. */
    qlist q = quarantine_of(a.st);
    asyncz_quarantined entry = {.task_id = "junk", .data = q.first_data, .len = q.first_len};
    char *doc = NULL;
    size_t len = 0;
    assert_int_equal(asyncz_store_quarantine_open(a.st, &entry, &doc, &len, &t), ASYNCZ_EPARSE);
    assert_non_null(doc);
    assert_int_equal(len, sizeof junk);
    assert_memory_equal(doc, junk, sizeof junk);
    assert_null(t);
    free(doc);
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "nobody", ASYNCZ_TIME_NONE, false, NULL),
                     ASYNCZ_ENOTFOUND);
    assert_msg_has("no record of task \"nobody\" is quarantined");
    close_into(&a);
}

/* A record sealed under KEY1 in a store whose other records are sealed under KEY2 is quarantined by a
 * scheduler with KEY2; with KEY2 it does not restore and stays. It restores with KEY1, which seals it again:
 * so only once KEY1 is the store's key again (here: the KEY2 record is gone, and a store without records
 * opens with any key; a key that opens none of the live records is refused at connect). Then it runs. */
void persist_quarantine_restore_with_right_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "job", T0);
    put_sealed(a.st, "mine", T0 + 10 * SEC, KEY2);
    close_into(&a);
    set_key(KEY2);
    opened b;
    open_into(&b, 1, "two"); /* this key opens "mine": the others are quarantined as they are met */
    joined j;
    assert_int_equal(claim(b.st, T0 + SEC, "two", NULL, &j), 0);
    assert_string_equal(quarantine_of(b.st).ids, "job");
    assert_int_equal(asyncz_store_quarantine_restore(b.st, "job", ASYNCZ_TIME_NONE, false, NULL),
                     ASYNCZ_ECRYPTO);
    assert_msg_has("does not open");
    qlist q = quarantine_of(b.st);
    asyncz_quarantined entry = {.task_id = "job", .data = q.first_data, .len = q.first_len};
    char *doc = (char *)"not set";
    size_t len = 0;
    assert_int_equal(asyncz_store_quarantine_open(b.st, &entry, &doc, &len, NULL), ASYNCZ_ECRYPTO);
    assert_null(doc);
    assert_int_equal(quarantine_of(b.st).n, 1);
    assert_int_equal(ops(b.st)->remove(b.st, "mine"), 0);
    close_into(&b);

    set_key(KEY1);
    open_into(&a, 1, "one");
    assert_int_equal(asyncz_store_quarantine_open(a.st, &entry, &doc, &len, NULL), 0);
    assert_non_null(strstr(doc, "\"id\":\"job\""));
    free(doc);
    asyncz_task *t = NULL;
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "job", ASYNCZ_TIME_NONE, false, &t), 0);
    assert_string_equal(asyncz_task_id(t), "job");
    asyncz_task_free(t);
    assert_int_equal(quarantine_of(a.st).n, 0);
    raw r = raw_get(a.st, "job");
    assert_true(az_seal_looks_sealed(r.data, r.len)); /* written sealed again */
    free(r.data);
    assert_int_equal(claim(a.st, T0 + SEC, "one", NULL, &j), 1);
    assert_string_equal(j.text, "job");
    close_into(&a);
    set_key(NULL);
}

/* A record quarantined for a reason that no longer holds (here: its index column disagreed with its
 * document, which restore does not use) is restored with its document's next run time. A live task with
 * the same id is refused unless replace says so. */
void persist_quarantine_restore_replace(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "moved", T0 + 3600 * SEC);
    raw r = raw_get(a.st, "moved");
    raw_put(a.st, "moved", r.data, r.len, T0, true);
    free(r.data);
    read_all(&a);
    assert_string_equal(quarantine_of(a.st).ids, "moved");
    add(a.st, "moved", T0 + 5 * SEC);
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "moved", ASYNCZ_TIME_NONE, false, NULL),
                     ASYNCZ_EEXISTS);
    assert_msg_has("already holds a live task \"moved\"");
    assert_int_equal(quarantine_of(a.st).n, 1);
    asyncz_task *t = NULL;
    assert_int_equal(ops(a.st)->lookup(a.st, "moved", &t), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 5 * SEC); /* unchanged */
    asyncz_task_free(t);
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "moved", ASYNCZ_TIME_NONE, true, NULL), 0);
    assert_int_equal(quarantine_of(a.st).n, 0);
    assert_int_equal(ops(a.st)->lookup(a.st, "moved", &t), 0);
    assert_int_equal(asyncz_task_next_run_time(t), T0 + 3600 * SEC);
    asyncz_task_free(t);
    assert_int_equal(count(a.st), 1);
    close_into(&a);
}

/* Of several entries for one id, restore takes the newest by default, or the one quarantined at a time; it
 * removes only that entry. */
void persist_quarantine_restore_by_time(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "twice", T0 + 60 * SEC);
    raw r = raw_get(a.st, "twice");
    raw_put(a.st, "twice", r.data, r.len, T0, true); /* valid document, index disagrees */
    free(r.data);
    read_all(&a);
    raw_put(a.st, "twice", "{", 1, T0, false); /* then a broken one */
    read_all(&a);
    qtimes q = quarantine_times(a.st);
    assert_int_equal(q.n, 2);
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "twice", ASYNCZ_TIME_NONE, false, NULL),
                     ASYNCZ_EPARSE); /* the newest */
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "twice", q.at[0] - 1, false, NULL),
                     ASYNCZ_ENOTFOUND);
    assert_int_equal(asyncz_store_quarantine_restore(a.st, "twice", q.at[0], false, NULL), 0);
    qtimes left = quarantine_times(a.st);
    assert_int_equal(left.n, 1);
    assert_int_equal(left.at[0], q.at[1]);
    joined j;
    assert_string_equal(list_ids(a.st, &j), "twice");
    close_into(&a);
}

/* ---- callbacks that call the store again (no callback runs under the store's lock) --------------------- */

/* A store's callbacks ran with its mutex held, so one that called the same store deadlocked: each of these
 * tests would then hang, so an alarm ends the process (SIGALRM, not caught: the test fails) instead. */
#define REENTRY_ALARM_SEC 30

/* What a re-entering callback did: the store it calls, and what its calls found. */
typedef struct reentry {
    asyncz_store *st;
    int calls;
    int looked_up; /* lookups of "good" that found it */
    int listed;    /* entries a nested quarantine listing saw */
    int opened;    /* quarantined records opened */
    int instances; /* instances a nested listing saw */
    int stop_at;   /* the quarantine listing's function returns 7 at this call (0: never) */
    int failures;  /* nested calls that failed */
} reentry;

static int count_quarantined(const asyncz_quarantined *q, void *userdata)
{
    (void)q;
    ((reentry *)userdata)->listed++;
    return 0;
}

/* Look up "good" and list the quarantine, on the store the callback came from. */
static void reenter_store(reentry *r)
{
    asyncz_task *t = NULL;
    if (ops(r->st)->lookup(r->st, "good", &t) == 0)
        r->looked_up++;
    else
        r->failures++;
    asyncz_task_free(t);
    if (asyncz_store_quarantined(r->st, count_quarantined, r) != 0)
        r->failures++;
}

static void reenter_on_unreadable(void *userdata, const char *id, const char *reason)
{
    (void)id;
    (void)reason;
    reentry *r = userdata;
    r->calls++;
    reenter_store(r);
}

/* A tool's unreadable callback (asyncz_store_connect_inspect) calls the same store: a lookup and the
 * quarantine listing, from inside a listing, a lookup and a due of the store. */
void persist_reentry_unreadable(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "good", T0 + 2 * SEC);
    raw_put(a.st, "junk", "{not", 4, T0, false);
    char url[1024];
    az_store_url(url, sizeof url, 1);
    reentry r = {0};
    assert_int_equal(asyncz_store_open(&r.st, url), 0);
    assert_int_equal(asyncz_store_connect_inspect(r.st, reenter_on_unreadable, &r), 0);
    alarm(REENTRY_ALARM_SEC);
    joined j;
    assert_string_equal(list_ids(r.st, &j), "good");
    assert_int_equal(r.calls, 1);
    asyncz_task *t = NULL;
    int rc = ops(r.st)->lookup(r.st, "junk", &t);
    assert_true(rc < 0 && rc != ASYNCZ_ENOTFOUND);
    assert_non_null(strstr(asyncz_store_errmsg(), "junk")); /* the lookup's message, not a nested call's */
    assert_int_equal(r.calls, 2);
    assert_string_equal(due_ids(r.st, T0 + 3 * SEC, &j), "good");
    assert_int_equal(r.calls, 3);
    alarm(0);
    assert_int_equal(r.looked_up, 3);
    assert_int_equal(r.failures, 0);
    assert_int_equal(r.listed, 0); /* a tool moves nothing aside */
    asyncz_store_free(r.st);
    close_into(&a);
}

/* A scheduler's host is told of a quarantine after the store's lock is released: its callback may read the
 * store, and the quarantine it reads already holds the record. */
void persist_reentry_host_quarantined(void **state)
{
    (void)state;
    set_key(NULL);
    char url[1024];
    az_store_url(url, sizeof url, 1);
    reentry r = {0};
    assert_int_equal(asyncz_store_open(&r.st, url), 0);
    asyncz_store_host host = {
        .alias = "default", .identity = "one", .quarantined = reenter_on_unreadable, .host_data = &r};
    assert_int_equal(az_store_do_open(r.st, &host), 0);
    add(r.st, "good", T0 + 2 * SEC);
    raw_put(r.st, "junk", "{not", 4, T0, false);
    alarm(REENTRY_ALARM_SEC);
    asyncz_claim claims[4];
    size_t n = 0;
    assert_int_equal(ops(r.st)->claim(r.st, T0 + 3 * SEC, "one", LEASE, 4, claims, &n), 0);
    alarm(0);
    assert_int_equal(n, 1);
    asyncz_task_free(claims[0].task);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.looked_up, 1);
    assert_int_equal(r.listed, 1);
    assert_int_equal(r.failures, 0);
    asyncz_store_free(r.st);
}

/* The quarantine listing's function opens the record it is given and lists the quarantine again, on the
 * same store; returning non-zero still stops the listing, which returns that value. */
static int reenter_on_quarantined(const asyncz_quarantined *q, void *userdata)
{
    reentry *r = userdata;
    r->calls++;
    char *doc = NULL;
    size_t len = 0;
    int rc = asyncz_store_quarantine_open(r->st, q, &doc, &len, NULL);
    if (rc == ASYNCZ_EPARSE || rc == ASYNCZ_EINVAL) /* what these records are */
        r->opened++;
    else
        r->failures++;
    free(doc);
    if (asyncz_store_quarantined(r->st, count_quarantined, r) != 0)
        r->failures++;
    asyncz_task *t = NULL;
    if (ops(r->st)->lookup(r->st, "good", &t) == 0)
        r->looked_up++;
    asyncz_task_free(t);
    return r->calls == r->stop_at ? 7 : 0;
}

/* Drops the entry it is given from the quarantine being listed. */
static int drop_on_quarantined(const asyncz_quarantined *q, void *userdata)
{
    reentry *r = userdata;
    r->calls++;
    size_t dropped = 0;
    if (asyncz_store_quarantine_drop(r->st, q->task_id, q->at, &dropped) != 0 || dropped != 1)
        r->failures++;
    return 0;
}

void persist_reentry_quarantine_listing(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "good", T0 + 2 * SEC);
    raw_put(a.st, "bad1", "{", 1, T0, false);
    raw_put(a.st, "bad2", "[", 1, T0, false);
    raw_put(a.st, "bad3", "x", 1, T0, false);
    read_all(&a);
    assert_int_equal(quarantine_of(a.st).n, 3);
    reentry r = {.st = a.st};
    alarm(REENTRY_ALARM_SEC);
    assert_int_equal(asyncz_store_quarantined(a.st, reenter_on_quarantined, &r), 0);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.opened, 3);
    assert_int_equal(r.listed, 9);
    assert_int_equal(r.looked_up, 3);
    assert_int_equal(r.failures, 0);
    /* Stopped at the second entry: the third is not handed out. */
    r = (reentry){.st = a.st, .stop_at = 2};
    assert_int_equal(asyncz_store_quarantined(a.st, reenter_on_quarantined, &r), 7);
    assert_int_equal(r.calls, 2);
    /* Dropping entries from inside the listing: every entry read before it is still handed out. */
    r = (reentry){.st = a.st};
    assert_int_equal(asyncz_store_quarantined(a.st, drop_on_quarantined, &r), 0);
    alarm(0);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.failures, 0);
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
}

/* The instance listing's function lists the instances again and looks a task up, on the same store. */
static int reenter_on_instance(const asyncz_instance *inst, void *userdata)
{
    (void)inst;
    reentry *r = userdata;
    r->calls++;
    inst_seen s = {0};
    if (asyncz_store_instances(r->st, inst_each, &s) != 0)
        r->failures++;
    r->instances += (int)s.n;
    asyncz_task *t = NULL;
    if (ops(r->st)->lookup(r->st, "good", &t) == 0)
        r->looked_up++;
    asyncz_task_free(t);
    return 0;
}

void persist_reentry_instances(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    if (!ops(a.st)->heartbeat) {
        close_into(&a);
        skip();
    }
    add(a.st, "good", T0);
    asyncz_instance one = {.id = "sched-a", .hostname = "host-a", .pid = 4242, .version = "0.1.0"};
    asyncz_instance two = {.id = "sched-b", .hostname = "host-b", .pid = 2, .version = "0.1.0"};
    assert_int_equal(ops(a.st)->heartbeat(a.st, &one), 0);
    assert_int_equal(ops(a.st)->heartbeat(a.st, &two), 0);
    reentry r = {.st = a.st};
    alarm(REENTRY_ALARM_SEC);
    assert_int_equal(asyncz_store_instances(a.st, reenter_on_instance, &r), 0);
    alarm(0);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.instances, 4);
    assert_int_equal(r.looked_up, 2);
    assert_int_equal(r.failures, 0);
    close_into(&a);
}

/* A listing's function (ops->list, ops->due) looks tasks up and updates them in the same store. */
static int reenter_on_task(asyncz_task *task, void *userdata)
{
    reentry *r = userdata;
    r->calls++;
    asyncz_task *t = NULL;
    if (ops(r->st)->lookup(r->st, asyncz_task_id(task), &t) == 0)
        r->looked_up++;
    else
        r->failures++;
    if (t && ops(r->st)->update(r->st, t) != 0)
        r->failures++;
    asyncz_task_free(t);
    return 0;
}

void persist_reentry_store_each(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "t1", T0);
    add(a.st, "t2", T0 + SEC);
    reentry r = {.st = a.st};
    alarm(REENTRY_ALARM_SEC);
    assert_int_equal(ops(a.st)->list(a.st, reenter_on_task, &r), 0);
    assert_int_equal(ops(a.st)->due(a.st, T0 + SEC, 10, reenter_on_task, &r), 0);
    alarm(0);
    assert_int_equal(r.calls, 4);
    assert_int_equal(r.looked_up, 4);
    assert_int_equal(r.failures, 0);
    close_into(&a);
}
