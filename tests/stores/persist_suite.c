/* The persistent-store suite (see persist_suite.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/sys/store.h"
#include "codec/seal.h"
#include "persist_suite.h"
#include "store/backend.h"
#include "store/record_batch.h"
#include "store/store_internal.h"

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
    raw r = raw_get(a.st, "victim");
    r.data[r.len / 2] ^= 0x01;
    raw_put(a.st, "victim", r.data, r.len, T0, true);
    assert_refused(&a, "victim", "does not open");
    qlist q = quarantine_of(a.st);
    assert_int_equal(q.first_len, r.len);
    assert_memory_equal(q.first_data, r.data, r.len); /* kept as found */
    free(r.data);
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

void persist_seal_plaintext_with_key(void **state)
{
    (void)state;
    set_key(NULL);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "sealed-later", T0 + 2 * SEC);
    add(a.st, "plain", T0);
    close_into(&a);
    set_key(KEY1);
    opened b;
    open_into(&b, 1, "two");
    joined j;
    assert_int_equal(claim(b.st, T0 + SEC, "two", NULL, &j), 0);
    assert_int_equal(b.log.quarantined, 1);
    assert_string_equal(b.log.last_id, "plain");
    assert_non_null(strstr(b.log.last_reason, "not sealed"));
    close_into(&b);
}

void persist_seal_wrong_key(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "job", T0);
    close_into(&a);
    set_key(KEY2);
    opened b;
    open_into(&b, 1, "two");
    assert_refused(&b, "job", "does not open");
    close_into(&b);
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

/* Run with the wrong key, a tool moves nothing aside: every sealed record is reported and stays. */
void persist_inspect_wrong_key_moves_nothing(void **state)
{
    (void)state;
    set_key(KEY1);
    opened a;
    open_into(&a, 1, "one");
    add(a.st, "s1", T0);
    add(a.st, "s2", T0 + SEC);
    close_into(&a);
    set_key(KEY2);
    unreadable_log u = {0};
    asyncz_store *tool = open_inspect(1, &u);
    joined j;
    assert_string_equal(list_ids(tool, &j), "");
    assert_int_equal(u.n, 2);
    assert_int_equal(quarantine_of(tool).n, 0);
    asyncz_store_free(tool);
    set_key(KEY1);
    open_into(&a, 1, "one");
    assert_string_equal(list_ids(a.st, &j), "s1,s2");
    assert_int_equal(quarantine_of(a.st).n, 0);
    close_into(&a);
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
