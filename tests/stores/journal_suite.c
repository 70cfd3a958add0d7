/* The journal contract of a record backend (src/store/backend.h, "journals"): what every persistent backend
 * that keeps run history and the audit trail must do with the entries of its two journals, tested on the
 * backend ops directly (az_persist_backend), below the persist layer's encoding and sealing. A backend
 * without the journal ops skips these tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/sys/store.h"
#include "persist_suite.h"
#include "store/backend.h"
#include "core/store_open.h"
#include "util/ids.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC

static unsigned next_journal_ns = 5000;

typedef struct jstore {
    asyncz_store *st;
    az_backend *b;
    asyncz_store_host host;
} jstore;

static void no_wakeup(void *data)
{
    (void)data;
}

/* Open namespace n (a fresh one when n is 0); skip the test when the backend keeps no journals. */
static jstore jopen(unsigned n)
{
    jstore j = {0};
    char url[1024];
    az_store_url(url, sizeof url, n ? n : next_journal_ns++);
    int rc = asyncz_store_open(&j.st, url);
    if (rc)
        fail_msg("asyncz_store_open(%s): %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    j.host = (asyncz_store_host){.alias = "default", .identity = "journal-test", .wakeup = no_wakeup};
    rc = az_store_do_open(j.st, &j.host);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    j.b = az_persist_backend(j.st);
    assert_non_null(j.b);
    if (!j.b->ops->journal_put) {
        asyncz_store_free(j.st);
        skip();
    }
    return j;
}

static void jclose(jstore *j)
{
    asyncz_store_free(j->st);
    j->st = NULL;
}

/* The id of entry i: ids of larger i sort after (are newer than) those of smaller i. */
static const char *jid(char *buf, unsigned i)
{
    snprintf(buf, AZ_JOURNAL_ID_LEN + 1, "0190%04x-%04x-7%03x-8000-%012x", i >> 16, i & 0xffff, i & 0xfff, i);
    return buf;
}

typedef struct jspec {
    unsigned i;
    const char *task;
    asyncz_time_t at;
    asyncz_time_t end_at;
    int status;
    const char *who;
    const char *data; /* NULL: "{\"i\": <i>}" */
} jspec;

static void jput(jstore *j, az_journal jn, const jspec *specs, size_t n)
{
    az_jentry *e = calloc(n, sizeof *e);
    char(*ids)[AZ_JOURNAL_ID_LEN + 1] = calloc(n, sizeof *ids);
    char(*data)[64] = calloc(n, sizeof *data);
    assert_true(e && ids && data);
    for (size_t k = 0; k < n; k++) {
        const jspec *s = &specs[k];
        if (!s->data)
            snprintf(data[k], sizeof data[k], "{\"i\": %u}", s->i);
        const char *d = s->data ? s->data : data[k];
        e[k] = (az_jentry){.id = jid(ids[k], s->i),
                           .task_id = s->task ? s->task : "t",
                           .at = s->at ? s->at : T0 + (asyncz_time_t)s->i * SEC,
                           .end_at = s->end_at ? s->end_at : T0 + (asyncz_time_t)s->i * SEC,
                           .status = s->status,
                           .who = s->who ? s->who : "",
                           .data = (const unsigned char *)d,
                           .len = strlen(d)};
    }
    int rc = j->b->ops->journal_put(j->b, jn, e, n);
    if (rc)
        fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    free(e);
    free(ids);
    free(data);
}

/* What a listing handed out: the numbers of the ids, joined by ',', and the last entry's columns. */
typedef struct jseen {
    char list[8192];
    size_t n;
    az_jentry last;
    char last_task[256];
    char last_who[256];
    char last_id[AZ_JOURNAL_ID_LEN + 1];
    unsigned char last_data[2048];
    size_t stop_after; /* 0: never stop */
} jseen;

static int jcollect(const az_jentry *e, void *userdata)
{
    jseen *s = userdata;
    unsigned i = (unsigned)strtoul(e->id + 24, NULL, 16);
    size_t used = strlen(s->list);
    snprintf(s->list + used, sizeof s->list - used, "%s%u", s->n ? "," : "", i);
    s->n++;
    s->last = *e;
    snprintf(s->last_task, sizeof s->last_task, "%s", e->task_id);
    snprintf(s->last_who, sizeof s->last_who, "%s", e->who ? e->who : "");
    memcpy(s->last_id, e->id, AZ_JOURNAL_ID_LEN);
    s->last_id[AZ_JOURNAL_ID_LEN] = '\0';
    size_t len = e->len < sizeof s->last_data ? e->len : sizeof s->last_data;
    memcpy(s->last_data, e->data, len);
    s->last.data = s->last_data;
    s->last.task_id = s->last_task;
    s->last.who = s->last_who;
    s->last.id = s->last_id;
    if (s->stop_after && s->n == s->stop_after)
        return 77;
    return 0;
}

static az_jquery all_query(void)
{
    return (az_jquery){.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 10000};
}

static const char *jlist(jstore *j, az_journal jn, const az_jquery *q, jseen *s)
{
    memset(s, 0, sizeof *s);
    int rc = j->b->ops->journal_list(j->b, jn, q, jcollect, s);
    if (rc)
        fail_msg("journal_list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return s->list;
}

static const char *jlist_all(jstore *j, az_journal jn, jseen *s)
{
    az_jquery q = all_query();
    return jlist(j, jn, &q, s);
}

/* ---- tests ------------------------------------------------------------------------------------------- */

void journal_put_get_list(void **state)
{
    (void)state;
    jstore j = jopen(0);
    static const unsigned char binary[] = {'{', 0, 1, 2, 0xff, '}'};
    jspec specs[] = {{.i = 1, .task = "a", .who = "s1"},
                     {.i = 2, .task = "b", .status = 2, .who = "s2"},
                     {.i = 3, .task = "a", .status = 1, .who = "s1"}};
    jput(&j, AZ_JOURNAL_RUNS, specs, 3);
    jseen s;
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "3,2,1");

    /* Every column and the bytes come back as written, binary-safe. */
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry bin = {.id = jid(id, 9),
                     .task_id = "bin",
                     .at = T0 + 5,
                     .end_at = T0 + 7,
                     .status = 31,
                     .who = "who with spaces",
                     .data = binary,
                     .len = sizeof binary};
    assert_int_equal(j.b->ops->journal_put(j.b, AZ_JOURNAL_RUNS, &bin, 1), 0);
    memset(&s, 0, sizeof s);
    assert_int_equal(j.b->ops->journal_get(j.b, AZ_JOURNAL_RUNS, id, jcollect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.last.id, id);
    assert_string_equal(s.last.task_id, "bin");
    assert_true(s.last.at == T0 + 5);
    assert_true(s.last.end_at == T0 + 7);
    assert_int_equal(s.last.status, 31);
    assert_string_equal(s.last.who, "who with spaces");
    assert_int_equal(s.last.len, sizeof binary);
    assert_memory_equal(s.last.data, binary, sizeof binary);

    /* A missing id. */
    memset(&s, 0, sizeof s);
    assert_int_equal(j.b->ops->journal_get(j.b, AZ_JOURNAL_RUNS, jid(id, 4), jcollect, &s), ASYNCZ_ENOTFOUND);
    assert_int_equal(s.n, 0);
    jclose(&j);
}

void journal_upsert(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec first = {
        .i = 5, .task = "a", .at = T0, .end_at = T0, .status = 0, .who = "s1", .data = "{\"v\":1}"};
    jput(&j, AZ_JOURNAL_RUNS, &first, 1);
    jspec second = {.i = 5,
                    .task = "a",
                    .at = T0,
                    .end_at = T0 + 9 * SEC,
                    .status = 2,
                    .who = "s1",
                    .data = "{\"v\":2, \"longer\": true}"};
    jput(&j, AZ_JOURNAL_RUNS, &second, 1);
    jseen s;
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "5");
    assert_int_equal(s.last.status, 2);
    assert_true(s.last.end_at == T0 + 9 * SEC);
    assert_int_equal(s.last.len, strlen(second.data));
    assert_memory_equal(s.last.data, second.data, s.last.len);
    /* The new status is what filters see; the old one is gone. */
    az_jquery q = all_query();
    q.statuses = 1u << 0;
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "");
    q.statuses = 1u << 2;
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "5");
    jclose(&j);
}

void journal_filters(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec specs[12];
    for (unsigned i = 0; i < 12; i++)
        specs[i] = (jspec){.i = i + 1,
                           .task = i % 3 == 0   ? "a"
                                   : i % 3 == 1 ? "b"
                                                : "c",
                           .status = (int)(i % 4),
                           .who = i % 2 ? "odd" : "even"};
    jput(&j, AZ_JOURNAL_RUNS, specs, 12);
    jseen s;
    az_jquery q = all_query();
    q.task_id = "a"; /* i+1 = 1, 4, 7, 10 */
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "10,7,4,1");
    q = all_query();
    q.statuses = (1u << 1) | (1u << 3); /* i % 4 in {1,3}: i+1 = 2,4,6,8,10,12 */
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "12,10,8,6,4,2");
    q = all_query();
    q.who = "odd"; /* i odd: i+1 even */
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "12,10,8,6,4,2");
    q = all_query();
    q.since = T0 + 3 * SEC; /* at = T0 + (i+1) s: from 3 */
    q.until = T0 + 6 * SEC; /* below 6 */
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "5,4,3");
    q = all_query();
    q.before = jid((char[AZ_JOURNAL_ID_LEN + 1]){0}, 9);
    q.limit = 3;
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "8,7,6");
    /* Every filter at once: task a, status 0 or 3, who even, at in [1, 11), below 10. */
    q = all_query();
    q.task_id = "a";
    q.statuses = (1u << 0) | (1u << 3);
    q.who = "even"; /* i even */
    q.since = T0 + 1 * SEC;
    q.until = T0 + 11 * SEC;
    q.before = jid((char[AZ_JOURNAL_ID_LEN + 1]){0}, 10);
    /* a: i = 0,3,6,9; even: 0,6; status i%4: 0 -> 0, 6 -> 2; so only i = 0 (id 1) */
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "1");
    q.task_id = "nobody";
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "");
    jclose(&j);
}

void journal_pagination(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec specs[25];
    for (unsigned i = 0; i < 25; i++)
        specs[i] = (jspec){.i = i + 1, .task = i % 2 ? "odd" : "even"};
    jput(&j, AZ_JOURNAL_RUNS, specs, 25);
    char pages[512] = "";
    az_jquery q = all_query();
    q.limit = 10;
    char before[AZ_JOURNAL_ID_LEN + 1] = "";
    for (int page = 0; page < 5; page++) {
        jseen s;
        q.before = before[0] ? before : NULL;
        jlist(&j, AZ_JOURNAL_RUNS, &q, &s);
        strncat(pages, "[", sizeof pages - strlen(pages) - 1);
        strncat(pages, s.list, sizeof pages - strlen(pages) - 1);
        strncat(pages, "]", sizeof pages - strlen(pages) - 1);
        if (s.n < q.limit)
            break;
        memcpy(before, s.last_id, sizeof before);
    }
    assert_string_equal(pages, "[25,24,23,22,21,20,19,18,17,16][15,14,13,12,11,10,9,8,7,6][5,4,3,2,1]");
    /* A page of one task. */
    jseen s;
    q = all_query();
    q.task_id = "odd";
    q.limit = 4;
    q.before = jid(before, 20);
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "18,16,14,12");
    jclose(&j);
}

void journal_list_stops(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec specs[6];
    for (unsigned i = 0; i < 6; i++)
        specs[i] = (jspec){.i = i + 1};
    jput(&j, AZ_JOURNAL_RUNS, specs, 6);
    jseen s = {.stop_after = 2};
    az_jquery q = all_query();
    assert_int_equal(j.b->ops->journal_list(j.b, AZ_JOURNAL_RUNS, &q, jcollect, &s), 77);
    assert_string_equal(s.list, "6,5");
    jclose(&j);
}

void journal_separate(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec run = {.i = 1, .task = "a"};
    jspec audit[] = {{.i = 2, .task = "a", .who = "alice (uid 1000)"},
                     {.i = 3, .task = "b", .who = "config"}};
    jput(&j, AZ_JOURNAL_RUNS, &run, 1);
    jput(&j, AZ_JOURNAL_AUDIT, audit, 2);
    jseen s;
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "1");
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_AUDIT, &s), "3,2");
    char id[AZ_JOURNAL_ID_LEN + 1];
    assert_int_equal(j.b->ops->journal_get(j.b, AZ_JOURNAL_AUDIT, jid(id, 1), jcollect, &s),
                     ASYNCZ_ENOTFOUND);

    /* Journals are not task records: the task count, listing and remove_all leave them alone. */
    size_t n = 99;
    assert_int_equal(j.b->ops->count(j.b, &n), 0);
    assert_int_equal(n, 0);
    az_test_add(j.st, "task-1", T0);
    assert_int_equal(j.b->ops->remove_all(j.b), 0);
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "1");
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_AUDIT, &s), "3,2");
    jclose(&j);
}

void journal_prune_age(void **state)
{
    (void)state;
    jstore j = jopen(0);
    /* end_at: entry i ends at T0 + (20 - i) s, so the oldest by end_at are the newest ids. */
    jspec specs[10];
    for (unsigned i = 0; i < 10; i++)
        specs[i] = (jspec){.i = i + 1, .end_at = T0 + (asyncz_time_t)(20 - i) * SEC};
    jput(&j, AZ_JOURNAL_RUNS, specs, 10);
    jspec other = {.i = 50, .end_at = T0};
    jput(&j, AZ_JOURNAL_AUDIT, &other, 1);
    /* Cutoff T0 + 15 s: ids 7..10 end before it (14..11 s). At most 3 a call, oldest end_at first: 10, 9,
     * 8, then 7. */
    size_t removed = 99;
    assert_int_equal(j.b->ops->journal_prune_age(j.b, AZ_JOURNAL_RUNS, T0 + 15 * SEC, 3, &removed), 0);
    assert_int_equal(removed, 3);
    jseen s;
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "7,6,5,4,3,2,1");
    assert_int_equal(j.b->ops->journal_prune_age(j.b, AZ_JOURNAL_RUNS, T0 + 15 * SEC, 3, &removed), 0);
    assert_int_equal(removed, 1);
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_RUNS, &s), "6,5,4,3,2,1");
    assert_int_equal(j.b->ops->journal_prune_age(j.b, AZ_JOURNAL_RUNS, T0 + 15 * SEC, 3, &removed), 0);
    assert_int_equal(removed, 0);
    /* The other journal kept its entry. */
    assert_string_equal(jlist_all(&j, AZ_JOURNAL_AUDIT, &s), "50");
    jclose(&j);
}

void journal_trim_task(void **state)
{
    (void)state;
    jstore j = jopen(0);
    jspec specs[20];
    for (unsigned i = 0; i < 20; i++)
        specs[i] = (jspec){.i = i + 1, .task = i < 12 ? "busy" : "quiet"};
    jput(&j, AZ_JOURNAL_RUNS, specs, 20);
    size_t removed = 99;
    /* busy has 1..12: keep the newest 5 (8..12), at most 4 a call, oldest first. */
    assert_int_equal(j.b->ops->journal_trim_task(j.b, AZ_JOURNAL_RUNS, "busy", 5, 4, &removed), 0);
    assert_int_equal(removed, 4);
    jseen s;
    az_jquery q = all_query();
    q.task_id = "busy";
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "12,11,10,9,8,7,6,5");
    assert_int_equal(j.b->ops->journal_trim_task(j.b, AZ_JOURNAL_RUNS, "busy", 5, 4, &removed), 0);
    assert_int_equal(removed, 3);
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "12,11,10,9,8");
    assert_int_equal(j.b->ops->journal_trim_task(j.b, AZ_JOURNAL_RUNS, "busy", 5, 4, &removed), 0);
    assert_int_equal(removed, 0);
    /* quiet untouched; a task with no entries is nothing to do. */
    q.task_id = "quiet";
    assert_string_equal(jlist(&j, AZ_JOURNAL_RUNS, &q, &s), "20,19,18,17,16,15,14,13");
    assert_int_equal(j.b->ops->journal_trim_task(j.b, AZ_JOURNAL_RUNS, "nobody", 1, 4, &removed), 0);
    assert_int_equal(removed, 0);
    jclose(&j);
}

/* journal_batch_and_large's check of the 1 MiB entry. */
typedef struct big_got {
    size_t len;
    bool same;
} big_got;

static int big_check(const az_jentry *f, void *ud)
{
    big_got *got = ud;
    got->len = f->len;
    got->same = true;
    for (size_t k = 0; k < f->len; k++)
        if (f->data[k] != (unsigned char)(k * 7 + 3)) {
            got->same = false;
            break;
        }
    return 0;
}

void journal_batch_and_large(void **state)
{
    (void)state;
    jstore j = jopen(0);
    enum { N = 2000 };
    jspec *specs = calloc(N, sizeof *specs);
    assert_non_null(specs);
    for (unsigned i = 0; i < N; i++)
        specs[i] = (jspec){.i = i + 1, .task = i % 2 ? "x" : "y"};
    jput(&j, AZ_JOURNAL_RUNS, specs, N);
    free(specs);
    jseen s;
    jlist_all(&j, AZ_JOURNAL_RUNS, &s);
    assert_int_equal(s.n, N);

    /* An entry of 1 MiB, binary. */
    size_t len = 1024 * 1024;
    unsigned char *big = malloc(len);
    assert_non_null(big);
    for (size_t k = 0; k < len; k++)
        big[k] = (unsigned char)(k * 7 + 3);
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = {
        .id = jid(id, 99999), .task_id = "big", .at = T0, .end_at = T0, .who = "", .data = big, .len = len};
    int rc = j.b->ops->journal_put(j.b, AZ_JOURNAL_RUNS, &e, 1);
    if (rc)
        fail_msg("put 1 MiB: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    big_got got = {0};
    rc = j.b->ops->journal_get(j.b, AZ_JOURNAL_RUNS, id, big_check, &got);
    assert_int_equal(rc, 0);
    assert_int_equal(got.len, len);
    assert_true(got.same);
    free(big);
    jclose(&j);
}

void journal_shared_and_reopened(void **state)
{
    (void)state;
    unsigned ns = next_journal_ns++;
    jstore a = jopen(ns);
    jstore b = jopen(ns);
    jspec ea = {.i = 1, .task = "t", .who = "a"};
    jspec eb = {.i = 2, .task = "t", .who = "b"};
    jput(&a, AZ_JOURNAL_RUNS, &ea, 1);
    jput(&b, AZ_JOURNAL_RUNS, &eb, 1);
    jseen s;
    assert_string_equal(jlist_all(&a, AZ_JOURNAL_RUNS, &s), "2,1");
    assert_string_equal(jlist_all(&b, AZ_JOURNAL_RUNS, &s), "2,1");
    jclose(&a);
    jclose(&b);
    jstore c = jopen(ns);
    assert_string_equal(jlist_all(&c, AZ_JOURNAL_RUNS, &s), "2,1");
    jclose(&c);
}

/* ---- the persist layer's history over the journals: sealing and refusing what does not open ----------- */

static void set_key(const char *key)
{
    if (key)
        setenv(ASYNCZ_STORE_KEY_ENV, key, 1);
    else
        unsetenv(ASYNCZ_STORE_KEY_ENV);
}

/* What the store logged about refused entries. */
typedef struct refusals {
    int n;
    char last[1024];
} refusals;

static void on_refusal(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    refusals *r = userdata;
    (void)logger;
    if (level >= ASYNCZ_LOG_WARNING && strstr(message, "refused")) {
        r->n++;
        snprintf(r->last, sizeof r->last, "%s", message);
    }
}

static asyncz_run_record run_of(const char *task, asyncz_run_outcome outcome)
{
    asyncz_run_record r;
    asyncz_run_record_init(&r);
    assert_int_equal(az_run_id_generate(r.run_id), 0);
    r.task_id = task;
    r.task_name = "secret-name";
    r.scheduler = "s1";
    r.submitted_at = T0;
    r.outcome = outcome;
    r.error_message = outcome == ASYNCZ_RUN_FAILED ? "password=hunter2" : NULL;
    return r;
}

static void put_run(jstore *j, const asyncz_run_record *r)
{
    int rc = ASYNCZ_STORE_BASE(j->st)->ops->history_put(j->st, r, 1);
    if (rc)
        fail_msg("history_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
}

static int count_run(const asyncz_run_record *rec, void *ud)
{
    (void)rec;
    (*(int *)ud)++;
    return 0;
}

static int listed_runs(jstore *j)
{
    int n = 0;
    assert_int_equal(asyncz_store_list_runs(j->st, NULL, count_run, &n, NULL), 0);
    return n;
}

/* The raw entry of a run, copied. */
typedef struct raw_entry {
    unsigned char data[8192];
    size_t len;
    az_jentry e;
    char task[256], who[256];
} raw_entry;

static int take_entry(const az_jentry *e, void *ud)
{
    raw_entry *r = ud;
    assert_true(e->len <= sizeof r->data);
    memcpy(r->data, e->data, e->len);
    r->len = e->len;
    r->e = *e;
    snprintf(r->task, sizeof r->task, "%s", e->task_id);
    snprintf(r->who, sizeof r->who, "%s", e->who);
    r->e.task_id = r->task;
    r->e.who = r->who;
    r->e.data = r->data;
    return 0;
}

static raw_entry *raw_of(jstore *j, const char *id)
{
    static raw_entry r;
    memset(&r, 0, sizeof r);
    assert_int_equal(j->b->ops->journal_get(j->b, AZ_JOURNAL_RUNS, id, take_entry, &r), 0);
    r.e.id = id;
    return &r;
}

static bool has_bytes(const unsigned char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

/* With a key, runs are sealed (no secret in the clear) and read back whole; an entry whose bytes were
 * changed, or copied under another id, is refused and logged, never listed. */
void history_sealed_and_tampered(void **state)
{
    (void)state;
    set_key("journal-key");
    jstore j = jopen(0);
    if (!ASYNCZ_STORE_BASE(j.st)->ops->history_put) {
        jclose(&j);
        set_key(NULL);
        skip();
    }
    asyncz_run_record good = run_of("t", ASYNCZ_RUN_FAILED);
    put_run(&j, &good);
    raw_entry *raw = raw_of(&j, good.run_id);
    assert_false(has_bytes(raw->data, raw->len, "hunter2"));
    assert_false(has_bytes(raw->data, raw->len, "secret-name"));
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(j.st, good.run_id, &got), 0);
    assert_string_equal(got->error_message, "password=hunter2");
    asyncz_run_record_free(got);

    refusals seen = {0};
    asyncz_log_to_callback(on_refusal, &seen);
    /* One byte flipped. */
    raw->data[raw->len / 2] ^= 0x20;
    assert_int_equal(j.b->ops->journal_put(j.b, AZ_JOURNAL_RUNS, &raw->e, 1), 0);
    assert_int_equal(asyncz_store_get_run(j.st, good.run_id, &got), ASYNCZ_ECRYPTO);
    assert_null(got);
    assert_int_equal(listed_runs(&j), 0);
    assert_true(seen.n >= 2);
    assert_non_null(strstr(seen.last, good.run_id));
    /* Good bytes under another id. */
    asyncz_run_record other = run_of("t", ASYNCZ_RUN_SUCCEEDED);
    put_run(&j, &other);
    asyncz_run_record moved = run_of("t", ASYNCZ_RUN_SUCCEEDED);
    raw = raw_of(&j, other.run_id);
    raw->e.id = moved.run_id;
    assert_int_equal(j.b->ops->journal_put(j.b, AZ_JOURNAL_RUNS, &raw->e, 1), 0);
    assert_int_equal(asyncz_store_get_run(j.st, moved.run_id, &got), ASYNCZ_ECRYPTO);
    assert_int_equal(listed_runs(&j), 1); /* other only */
    asyncz_log_to_callback(NULL, NULL);
    jclose(&j);
    set_key(NULL);
}

/* Without a key: a sealed run is refused (not shown as real), and so is one whose indexed columns were
 * changed beside its document (an outcome turned into success in the clear). With a key, a plain entry is
 * refused: someone without the key wrote it. */
void history_refuses_what_does_not_match(void **state)
{
    (void)state;
    unsigned ns = next_journal_ns++;
    set_key("journal-key");
    jstore j = jopen(ns);
    if (!ASYNCZ_STORE_BASE(j.st)->ops->history_put) {
        jclose(&j);
        set_key(NULL);
        skip();
    }
    asyncz_run_record sealed = run_of("t", ASYNCZ_RUN_FAILED);
    put_run(&j, &sealed);
    jclose(&j);
    set_key(NULL);
    refusals seen = {0};
    asyncz_log_to_callback(on_refusal, &seen);
    j = jopen(ns);
    asyncz_run_record *got = NULL;
    assert_int_equal(asyncz_store_get_run(j.st, sealed.run_id, &got), ASYNCZ_ECRYPTO);
    assert_non_null(strstr(asyncz_store_errmsg(), "ASYNCZ_STORE_ENCRYPTION_KEY"));
    asyncz_run_record plain = run_of("t", ASYNCZ_RUN_FAILED);
    put_run(&j, &plain);
    assert_int_equal(listed_runs(&j), 1);
    raw_entry *raw = raw_of(&j, plain.run_id);
    raw->e.status = ASYNCZ_RUN_SUCCEEDED;
    assert_int_equal(j.b->ops->journal_put(j.b, AZ_JOURNAL_RUNS, &raw->e, 1), 0);
    assert_int_equal(asyncz_store_get_run(j.st, plain.run_id, &got), ASYNCZ_ECRYPTO);
    assert_int_equal(listed_runs(&j), 0);
    asyncz_run_record plain2 = run_of("t", ASYNCZ_RUN_SUCCEEDED);
    put_run(&j, &plain2);
    jclose(&j);
    set_key("journal-key");
    j = jopen(ns);
    assert_int_equal(asyncz_store_get_run(j.st, plain2.run_id, &got), ASYNCZ_ECRYPTO);
    assert_non_null(strstr(asyncz_store_errmsg(), "not sealed"));
    assert_int_equal(listed_runs(&j), 1); /* the first, sealed with this key */
    assert_true(seen.n >= 4);
    asyncz_log_to_callback(NULL, NULL);
    jclose(&j);
    set_key(NULL);
}

static int count_audit(const asyncz_audit_entry *e, void *ud)
{
    (void)e;
    (*(int *)ud)++;
    return 0;
}

/* The audit trail is sealed too, and a tampered entry is refused. */
void audit_sealed_and_tampered(void **state)
{
    (void)state;
    set_key("journal-key");
    jstore j = jopen(0);
    if (!ASYNCZ_STORE_BASE(j.st)->ops->audit_put) {
        jclose(&j);
        set_key(NULL);
        skip();
    }
    asyncz_audit_entry e = {.at = T0,
                            .action = ASYNCZ_AUDIT_UPDATE,
                            .task_id = "t",
                            .actor = "alice",
                            .host = "h",
                            .pid = 1,
                            .changes = "{\"args\":{\"before\":[\"old-secret\"],\"after\":[]}}"};
    assert_int_equal(az_run_id_generate(e.id), 0);
    assert_int_equal(ASYNCZ_STORE_BASE(j.st)->ops->audit_put(j.st, &e, 1), 0);
    raw_entry r;
    memset(&r, 0, sizeof r);
    assert_int_equal(j.b->ops->journal_get(j.b, AZ_JOURNAL_AUDIT, e.id, take_entry, &r), 0);
    assert_false(has_bytes(r.data, r.len, "old-secret"));
    int n = 0;
    assert_int_equal(asyncz_store_list_audit(j.st, NULL, count_audit, &n, NULL), 0);
    assert_int_equal(n, 1);
    r.e.id = e.id;
    r.data[r.len - 3] ^= 1;
    refusals seen = {0};
    asyncz_log_to_callback(on_refusal, &seen);
    assert_int_equal(j.b->ops->journal_put(j.b, AZ_JOURNAL_AUDIT, &r.e, 1), 0);
    n = 0;
    assert_int_equal(asyncz_store_list_audit(j.st, NULL, count_audit, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_int_equal(seen.n, 1);
    asyncz_log_to_callback(NULL, NULL);
    jclose(&j);
    set_key(NULL);
}
