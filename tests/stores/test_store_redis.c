/* The Redis store against a real redis-server (tests/servers, or ASYNCZ_TEST_REDIS_URL): the store
 * conformance suite, the persistent-store suite, and what is particular to Redis: URL forms and options,
 * names that could smuggle commands, the key layout, order across negative times and ties, binary records,
 * scans that page through claimed records, lapsed claims, the EVAL fallback after SCRIPT FLUSH, wake-ups
 * between store objects, reconnecting after the server dropped a connection, failures, and the journals'
 * keys, listings that take several scripts and journal writes that wake nobody. Each process uses keys
 * named after its pid, so runs in parallel do not meet. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "asyncz/sys/store.h"
#include "az_servers.h"
#include "persist_suite.h"
#include "store/backend.h"
#include "core/store_open.h"
#include "store/url.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)

/* ---- URLs ---------------------------------------------------------------------------------------- */

static bool used_server; /* the keys of this process are deleted at the end */

static const char *server(void)
{
    used_server = true;
    return az_servers_url("redis");
}

static void with_options(char *buf, size_t size, const char *opts)
{
    const char *base = server();
    snprintf(buf, size, "%s%s%s", base, strchr(base, '?') ? "&" : "?", opts);
}

static void key_prefix(char *buf, size_t size, unsigned n)
{
    snprintf(buf, size, "azt.%ld.%u", (long)getpid(), n);
}

static void redis_url(char *buf, size_t size, unsigned n)
{
    char prefix[48], opts[160];
    key_prefix(prefix, sizeof prefix, n);
    snprintf(opts, sizeof opts, "tasks_key=%s.tasks&run_times_key=%s.run_times", prefix, prefix);
    with_options(buf, size, opts);
}

/* ---- an administrator's connection, to look at keys and drop connections -------------------------- */

static redisReply *admin_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r || r->type == REDIS_REPLY_ERROR)
        fail_msg("admin command %s: %s", fmt, r ? r->str : c->errstr);
    return r;
}

static redisContext *admin(void)
{
    az_url u;
    assert_int_equal(az_url_parse(server(), &u), 0);
    redisContext *c = redisConnect(u.host ? u.host : "localhost", u.port ? u.port : 6379);
    assert_non_null(c);
    if (c->err)
        fail_msg("cannot reach %s: %s", u.text, c->errstr);
    if (u.password && u.user)
        freeReplyObject(admin_cmd(c, "AUTH %s %s", u.user, u.password));
    else if (u.password)
        freeReplyObject(admin_cmd(c, "AUTH %s", u.password));
    const char *db = u.path[0] == '/' ? u.path + 1 : u.path;
    freeReplyObject(admin_cmd(c, "SELECT %s", *db ? db : "0"));
    az_url_free(&u);
    return c;
}

static long long admin_int(redisContext *c, const char *fmt, const char *key)
{
    redisReply *r = admin_cmd(c, fmt, key);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? atoll(r->str)
                                                  : -1;
    freeReplyObject(r);
    return v;
}

/* A key of namespace n: "<prefix>.<suffix>". */
static const char *key_of(unsigned n, const char *suffix)
{
    static char key[96];
    char prefix[48];
    key_prefix(prefix, sizeof prefix, n);
    snprintf(key, sizeof key, "%s.%s", prefix, suffix);
    return key;
}

/* Drop this process's store connections from the server side: the command connections (sub false) or the
 * subscribers'. Returns how many. Connections are named asyncz-<pid>-<id>[-sub]. */
static int kill_connections(bool sub)
{
    redisContext *c = admin();
    redisReply *list = admin_cmd(c, "CLIENT LIST");
    char needle[48];
    snprintf(needle, sizeof needle, "name=asyncz-%ld-", (long)getpid());
    int killed = 0;
    for (char *line = list->str; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *name = strstr(line, needle);
        size_t name_len = name ? strcspn(name, " ") : 0;
        bool is_sub = name_len > 4 && strncmp(name + name_len - 4, "-sub", 4) == 0;
        if (name && is_sub == sub && strncmp(line, "id=", 3) == 0) {
            freeReplyObject(admin_cmd(c, "CLIENT KILL ID %lld", atoll(line + 3)));
            killed++;
        }
        line = end ? end + 1 : NULL;
    }
    freeReplyObject(list);
    redisFree(c);
    return killed;
}

/* ---- stores -------------------------------------------------------------------------------------- */

typedef struct opened {
    asyncz_store *st;
    asyncz_store_host host;
    int wakeups;
} opened;

static void count_wakeup(void *data)
{
    __atomic_add_fetch(&((opened *)data)->wakeups, 1, __ATOMIC_SEQ_CST);
}

static int wakeups(opened *o)
{
    return __atomic_load_n(&o->wakeups, __ATOMIC_SEQ_CST);
}

/* Wait (generously: the machine may be loaded) until o has been woken at least n times. */
static bool woken(opened *o, int n)
{
    for (int i = 0; i < 3000 && wakeups(o) < n; i++)
        usleep(10 * 1000);
    return wakeups(o) >= n;
}

static void open_n(opened *o, unsigned n)
{
    char url[512];
    redis_url(url, sizeof url, n);
    *o = (opened){.host = {.alias = "default", .identity = "redis-test", .wakeup = count_wakeup}};
    o->host.host_data = o;
    int rc = asyncz_store_open(&o->st, url);
    if (!rc)
        rc = az_store_do_open(o->st, &o->host);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
}

static void close_n(opened *o)
{
    asyncz_store_free(o->st);
    o->st = NULL;
}

static az_backend *raw(opened *o)
{
    az_backend *b = az_persist_backend(o->st);
    assert_non_null(b);
    return b;
}

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static void raw_put(az_backend *b, const char *id, asyncz_time_t t, const void *data, size_t len)
{
    az_record rec = {.id = id, .next_run_time = t, .data = data, .len = len};
    int rc = b->ops->insert(b, &rec);
    if (rc)
        fail_msg("insert %s: %s: %s", id, asyncz_strerror(rc), asyncz_store_errmsg());
}

/* Records seen by a backend callback. */
typedef struct seen {
    char ids[8192];
    size_t n;
    asyncz_time_t times[4096];
    uint64_t tokens[4096];
    size_t lens[4096];
    unsigned char data[64];
    int stop_after; /* 0: never */
} seen;

static seen *new_seen(void)
{
    seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    return s;
}

static int see(const az_found *f, void *userdata)
{
    seen *s = userdata;
    size_t len = strlen(s->ids);
    if (len < sizeof s->ids - 300)
        snprintf(s->ids + len, sizeof s->ids - len, "%s%s", len ? "," : "", f->id);
    if (s->n < 4096) {
        s->times[s->n] = f->next_run_time;
        s->tokens[s->n] = f->token;
        s->lens[s->n] = f->len;
    }
    memcpy(s->data, f->data, f->len < sizeof s->data ? f->len : sizeof s->data);
    s->n++;
    return s->stop_after && (int)s->n >= s->stop_after;
}

static int ignore_record(const az_found *f, void *userdata)
{
    (void)f;
    (void)userdata;
    return 0;
}

static int ignore_instance(const char *id, const unsigned char *data, size_t len, void *userdata)
{
    (void)id;
    (void)data;
    (void)len;
    (void)userdata;
    return 0;
}

static void expect_message(const char *part)
{
    if (!strstr(asyncz_store_errmsg(), part))
        fail_msg("the message does not say \"%s\": %s", part, asyncz_store_errmsg());
}

/* ---- URL forms and options ----------------------------------------------------------------------- */

/* Host, port and database as the URL gives them or by default: an unreachable address shows them in the
 * message, with the password left out. */
static void redis_url_forms(void **state)
{
    (void)state;
    static const struct {
        const char *url, *where;
    } cases[] = {
        {"redis://127.0.0.1:1", "redis 127.0.0.1:1/0"},
        {"redis://127.0.0.1:1/", "redis 127.0.0.1:1/0"},
        {"redis://:secret-password@127.0.0.1:1/7", "redis 127.0.0.1:1/7"},
        {"redis://someone:secret-password@127.0.0.1:1/15?tasks_key=a.b&run_times_key=a.c",
         "redis 127.0.0.1:1/15"},
        {"redis://[::1]:1/2", "redis [::1]:1/2"},
        {"sqlalchemy+redis://127.0.0.1:1/3", "redis 127.0.0.1:1/3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asyncz_store *st = NULL;
        assert_int_equal(asyncz_store_open(&st, cases[i].url), 0);
        assert_string_equal(asyncz_store_kind(st), "redis");
        assert_true(ops(st)->caps & ASYNCZ_STORE_CAP_SHARED);
        assert_true(ops(st)->caps & ASYNCZ_STORE_CAP_NOTIFY);
        assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
        expect_message(cases[i].where);
        expect_message("connect");
        assert_null(strstr(asyncz_store_errmsg(), "secret-password"));
        asyncz_store_free(st);
    }
}

/* Without host and port: localhost:6379, database 0 (there may be a server there, or not). */
static void redis_url_defaults(void **state)
{
    (void)state;
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, "redis://"), 0);
    int rc = asyncz_store_connect(st);
    if (rc) {
        assert_int_equal(rc, ASYNCZ_ESTORE);
        expect_message("redis localhost:6379/0");
    }
    asyncz_store_free(st);
}

static void expect_invalid(const char *url, const char *part)
{
    asyncz_store *st = (asyncz_store *)&st;
    int rc = asyncz_store_open(&st, url);
    if (rc != ASYNCZ_EINVAL)
        fail_msg("%s: expected ASYNCZ_EINVAL, got %s", url, asyncz_err_name(rc));
    assert_null(st);
    expect_message(part);
}

static void redis_url_bad_db(void **state)
{
    (void)state;
    expect_invalid("redis://127.0.0.1:1/abc", "database number");
    expect_invalid("redis://127.0.0.1:1/1/2", "database number");
    expect_invalid("redis://127.0.0.1:1/-1", "database number");
    expect_invalid("redis://127.0.0.1:1/1234567890", "database number");
    expect_invalid("redis://127.0.0.1:1/0?db=1", "\"db\"");
}

/* Names go to the server as separate arguments anyway, but a name that is not a plain key is refused
 * before anything is sent. */
static void redis_url_bad_names(void **state)
{
    (void)state;
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=a%20b", "tasks_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=x%0d%0aFLUSHALL", "tasks_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=x;FLUSHALL", "tasks_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=", "tasks_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=9lives", "tasks_key");
    expect_invalid("redis://127.0.0.1:1/0?run_times_key=a*", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?run_times_key="
                   "a123456789012345678901234567890123456789012345678901234567890123",
                   "run_times_key");
}

/* run_times_key may not be one of the keys the store derives from tasks_key. */
static void redis_url_key_collision(void **state)
{
    (void)state;
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=k&run_times_key=k", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=k&run_times_key=k.seq", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=k&run_times_key=k.leases", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?run_times_key=asyncz.tasks.index", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=k&run_times_key=k.runs", "run_times_key");
    expect_invalid("redis://127.0.0.1:1/0?tasks_key=k&run_times_key=k.audit.ends", "run_times_key");
}

/* A password the server does not take (it may have none, or another) is a clear store error, and the
 * message leaves the password out. */
static void redis_password_wrong(void **state)
{
    (void)state;
    az_url u;
    assert_int_equal(az_url_parse(server(), &u), 0);
    char url[512];
    snprintf(url, sizeof url, "redis://%s:wrong-secret@%s:%d/0", "", u.host ? u.host : "localhost",
             u.port ? u.port : 6379);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    expect_message("AUTH");
    assert_null(strstr(asyncz_store_errmsg(), "wrong-secret"));
    asyncz_store_free(st);
    snprintf(url, sizeof url, "redis://nosuchuser:wrong-secret@%s:%d/0", u.host ? u.host : "localhost",
             u.port ? u.port : 6379);
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect(st), ASYNCZ_ESTORE);
    expect_message("AUTH");
    asyncz_store_free(st);
    az_url_free(&u);
}

/* ---- layout -------------------------------------------------------------------------------------- */

/* The documented keys: records in the tasks hash, unclaimed ones in the run-times set, claims in the
 * leases set, the counter, the quarantine list, instances; remove_all keeps the counter. */
static void redis_layout(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    raw_put(b, "one", T0, "1", 1);
    raw_put(b, "two", T0 + 1, "2", 1);
    redisContext *c = admin();
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks")), 2);
    assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, "run_times")), 2);
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks.index")), 2);
    assert_int_equal(admin_int(c, "GET %s", key_of(1, "tasks.seq")), 2);
    seen *s = new_seen();
    assert_int_equal(b->ops->claim(b, T0, "me", LEASE, 10, see, s), 0);
    assert_string_equal(s->ids, "one");
    assert_int_equal(s->tokens[0], 3);
    assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, "run_times")), 1);
    assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, "tasks.leases")), 1);
    assert_int_equal(b->ops->quarantine(b, "two", (const unsigned char *)"2", 1, "bad", T0), 0);
    assert_int_equal(admin_int(c, "LLEN %s", key_of(1, "tasks.quarantine")), 1);
    assert_int_equal(b->ops->put_instance(b, "sched", (const unsigned char *)"{}", 2), 0);
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks.instances")), 1);
    assert_int_equal(b->ops->remove_all(b), 0);
    assert_int_equal(admin_int(c, "EXISTS %s", key_of(1, "tasks")), 0);
    assert_int_equal(admin_int(c, "EXISTS %s", key_of(1, "tasks.leases")), 0);
    assert_int_equal(admin_int(c, "GET %s", key_of(1, "tasks.seq")), 3);
    assert_int_equal(admin_int(c, "LLEN %s", key_of(1, "tasks.quarantine")), 1);
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks.instances")), 1);
    redisFree(c);
    free(s);
    close_n(&o);
}

/* ---- order --------------------------------------------------------------------------------------- */

/* Times before 1970, at zero and at the extremes sort as numbers; equal times by insertion; paused last
 * by insertion. */
static void redis_order_extremes(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    raw_put(b, "p1", ASYNCZ_TIME_NONE, "x", 1);
    raw_put(b, "max", INT64_MAX, "x", 1);
    raw_put(b, "zero", 0, "x", 1);
    raw_put(b, "neg1", -1, "x", 1);
    raw_put(b, "tie-b", 5, "x", 1);
    raw_put(b, "min", INT64_MIN + 1, "x", 1);
    raw_put(b, "tie-a", 5, "x", 1);
    raw_put(b, "p0", ASYNCZ_TIME_NONE, "x", 1);
    raw_put(b, "big", (INT64_C(1) << 53) + 1, "x", 1);
    seen *s = new_seen();
    assert_int_equal(b->ops->scan(b, see, s), 0);
    assert_string_equal(s->ids, "min,neg1,zero,tie-b,tie-a,big,max,p1,p0");
    assert_int_equal(s->times[0], INT64_MIN + 1);
    assert_int_equal(s->times[1], -1);
    assert_int_equal(s->times[5], (INT64_C(1) << 53) + 1);
    assert_int_equal(s->times[6], INT64_MAX);
    assert_int_equal(s->times[7], ASYNCZ_TIME_NONE);
    asyncz_time_t e = 0;
    assert_int_equal(b->ops->earliest(b, &e), 0);
    assert_int_equal(e, INT64_MIN + 1);
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, -1, 100, see, s), 0);
    assert_string_equal(s->ids, "min,neg1");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, INT64_MAX, 100, see, s), 0);
    assert_string_equal(s->ids, "min,neg1,zero,tie-b,tie-a,big,max");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->claim(b, INT64_MAX, "me", LEASE, 100, see, s), 0);
    assert_int_equal(s->n, 7);
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->scan(b, see, s), 0);
    assert_string_equal(s->ids, "min,neg1,zero,tie-b,tie-a,big,max,p1,p0");
    assert_int_equal(b->ops->earliest(b, &e), 0);
    assert_int_equal(e, INT64_MAX); /* every lease ends at the end of time */
    free(s);
    close_n(&o);
}

/* Claims whose lease ran out are due again, merged in order with unclaimed records, and get new tokens. */
static void redis_lapsed_claim_merged(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    raw_put(b, "a", T0 + 1, "x", 1);
    raw_put(b, "b", T0 + 2, "x", 1);
    raw_put(b, "c", T0 + 3, "x", 1);
    seen *s = new_seen();
    assert_int_equal(b->ops->claim(b, T0 + 1, "dead", 5, 10, see, s), 0);
    assert_string_equal(s->ids, "a");
    assert_int_equal(s->times[0], T0 + 1);
    uint64_t first = s->tokens[0];
    asyncz_time_t e = 0;
    assert_int_equal(b->ops->earliest(b, &e), 0);
    assert_int_equal(e, T0 + 2);
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, T0 + 5, 10, see, s), 0);
    assert_string_equal(s->ids, "b,c");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, T0 + 6, 10, see, s), 0);
    assert_string_equal(s->ids, "a,b,c");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, T0 + 6, 1, see, s), 0);
    assert_string_equal(s->ids, "a");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->claim(b, T0 + 6, "alive", LEASE, 2, see, s), 0);
    assert_string_equal(s->ids, "a,b");
    assert_true(s->tokens[0] > first);
    assert_true(s->tokens[1] > s->tokens[0]);
    assert_int_equal(b->ops->release(b, "a", first, NULL), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->release(b, "a", s->tokens[0], NULL), 0);
    free(s);
    close_n(&o);
}

/* Lapsed claims come back in the store's order, not in the order their leases ran out, merged with
 * unclaimed records (here d ties with b and was scheduled after it). */
static void redis_lapsed_claims_sorted(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    raw_put(b, "a", T0 + 1, "x", 1);
    raw_put(b, "b", T0 + 2, "x", 1);
    raw_put(b, "c", T0 + 3, "x", 1);
    assert_int_equal(b->ops->claim(b, T0 + 1, "x", 50, 1, ignore_record, NULL), 0);
    assert_int_equal(b->ops->claim(b, T0 + 2, "x", 10, 1, ignore_record, NULL), 0);
    assert_int_equal(b->ops->claim(b, T0 + 3, "x", 1, 1, ignore_record, NULL), 0);
    raw_put(b, "d", T0 + 2, "x", 1);
    seen *s = new_seen();
    assert_int_equal(b->ops->due(b, T0 + 11, 10, see, s), 0);
    assert_string_equal(s->ids, "d,c");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->due(b, T0 + 100, 10, see, s), 0);
    assert_string_equal(s->ids, "a,b,d,c");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->claim(b, T0 + 100, "y", LEASE, 3, see, s), 0);
    assert_string_equal(s->ids, "a,b,d");
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->scan(b, see, s), 0);
    assert_string_equal(s->ids, "a,b,d,c");
    free(s);
    close_n(&o);
}

/* A scan pages through the unclaimed records and merges the claimed ones where they belong: each record
 * once, in order, across page boundaries. */
static void redis_scan_pages_with_claims(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    char id[32];
    for (int i = 0; i < 1300; i++) {
        snprintf(id, sizeof id, "even-%d", i);
        raw_put(b, id, 2 * i, "x", 1);
    }
    assert_int_equal(b->ops->claim(b, 4000, "me", LEASE, 2000, ignore_record, NULL), 0);
    for (int i = 0; i < 1300; i++) {
        snprintf(id, sizeof id, "odd-%d", i);
        raw_put(b, id, 2 * i + 1, "x", 1);
    }
    seen *s = new_seen();
    assert_int_equal(b->ops->scan(b, see, s), 0);
    assert_int_equal(s->n, 2600);
    for (size_t i = 0; i < 2600; i++)
        if (s->times[i] != (asyncz_time_t)i)
            fail_msg("record %zu has time %lld", i, (long long)s->times[i]);
    memset(s, 0, sizeof *s);
    s->stop_after = 1500;
    assert_int_equal(b->ops->scan(b, see, s), 1);
    assert_int_equal(s->n, 1500);
    free(s);
    close_n(&o);
}

/* ---- records ------------------------------------------------------------------------------------- */

/* Bytes are bytes: NUL and high bytes survive insert, get, scan, due, claim and quarantine. */
static void redis_binary_records(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    static const unsigned char bytes[] = {0, 1, 0, 0xff, '\r', '\n', 0x80, 0};
    raw_put(b, "bin", T0, bytes, sizeof bytes);
    seen *s = new_seen();
    assert_int_equal(b->ops->get(b, "bin", see, s), 0);
    assert_int_equal(s->lens[0], sizeof bytes);
    assert_memory_equal(s->data, bytes, sizeof bytes);
    assert_int_equal(s->times[0], T0);
    assert_int_equal(s->tokens[0], 0);
    memset(s, 0, sizeof *s);
    assert_int_equal(b->ops->claim(b, T0, "me", LEASE, 1, see, s), 0);
    assert_int_equal(s->lens[0], sizeof bytes);
    assert_memory_equal(s->data, bytes, sizeof bytes);
    static const unsigned char other[] = {0, 1, 0, 0xff, '\r', '\n', 0x80, 1};
    assert_int_equal(b->ops->quarantine(b, "bin", other, sizeof other, "r", T0), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "bin", bytes, sizeof bytes - 1, "r", T0), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->quarantine(b, "bin", bytes, sizeof bytes, "r", T0), 0);
    free(s);
    close_n(&o);
}

typedef struct q_seen {
    int n;
    char ids[256];
    char reasons[256];
    asyncz_time_t at[4];
    size_t len[4];
    unsigned char data[4][16];
} q_seen;

static int see_quarantined(const az_quarantine_rec *q, void *userdata)
{
    q_seen *s = userdata;
    size_t l = strlen(s->ids), r = strlen(s->reasons);
    snprintf(s->ids + l, sizeof s->ids - l, "%s%s", l ? "," : "", q->id);
    snprintf(s->reasons + r, sizeof s->reasons - r, "%s%s", r ? "|" : "", q->reason);
    if (s->n < 4) {
        s->at[s->n] = q->at;
        s->len[s->n] = q->len;
        memcpy(s->data[s->n], q->data, q->len < 16 ? q->len : 16);
    }
    s->n++;
    return 0;
}

/* The quarantine keeps every entry (several per id), oldest first, with its reason, time and bytes;
 * a record that is gone or changed is not moved. */
static void redis_quarantine_entries(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    raw_put(b, "q", T0, "a\0b", 3);
    assert_int_equal(b->ops->quarantine(b, "q", (const unsigned char *)"a\0b", 3, "first, reason", -7), 0);
    assert_int_equal(b->ops->quarantine(b, "q", (const unsigned char *)"a\0b", 3, "again", 0), ASYNCZ_ESTATE);
    raw_put(b, "q", T0, "zz", 2);
    assert_int_equal(b->ops->quarantine(b, "q", (const unsigned char *)"zz", 2, "second ünïcode", T0), 0);
    raw_put(b, "q", T0, "yy", 2);
    assert_int_equal(b->ops->quarantine(b, "q", (const unsigned char *)"zz", 2, "stale", T0), ASYNCZ_ESTATE);
    q_seen s = {0};
    assert_int_equal(b->ops->quarantined(b, see_quarantined, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.ids, "q,q");
    assert_string_equal(s.reasons, "first, reason|second ünïcode");
    assert_int_equal(s.at[0], -7);
    assert_int_equal(s.at[1], T0);
    assert_int_equal(s.len[0], 3);
    assert_memory_equal(s.data[0], "a\0b", 3);
    size_t n = 0;
    assert_int_equal(b->ops->count(b, &n), 0);
    assert_int_equal(n, 1);
    close_n(&o);
}

/* ---- scripts and connections --------------------------------------------------------------------- */

/* After the server forgot its scripts (SCRIPT FLUSH, a restart), each call sends the script again. */
static void redis_script_flush(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_test_add(o.st, "before", T0);
    redisContext *c = admin();
    freeReplyObject(admin_cmd(c, "SCRIPT FLUSH"));
    redisFree(c);
    az_test_add(o.st, "after", T0 + 1);
    asyncz_time_t e = 0;
    assert_int_equal(ops(o.st)->earliest(o.st, &e), 0);
    assert_int_equal(e, T0);
    size_t n = 0;
    assert_int_equal(ops(o.st)->count(o.st, &n), 0);
    assert_int_equal(n, 2);
    close_n(&o);
}

/* A connection the server dropped: the next call fails with a message naming the store and what it was
 * doing; the call after it reconnects and finds everything in place. */
static void redis_reconnect_after_kill(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_test_add(o.st, "kept", T0);
    assert_int_equal(kill_connections(false), 1);
    asyncz_time_t e = 0;
    assert_int_equal(ops(o.st)->earliest(o.st, &e), ASYNCZ_ESTORE);
    expect_message("redis ");
    expect_message("EVALSHA earliest");
    assert_int_equal(ops(o.st)->earliest(o.st, &e), 0);
    assert_int_equal(e, T0);
    assert_int_equal(kill_connections(false), 1);
    size_t n = 0;
    assert_int_equal(ops(o.st)->count(o.st, &n), ASYNCZ_ESTORE);
    expect_message("HLEN");
    assert_int_equal(ops(o.st)->count(o.st, &n), 0);
    assert_int_equal(n, 1);
    close_n(&o);
}

/* Keys of the wrong type (another program wrote there): each operation fails with a message naming the
 * store and the operation, and nothing crashes. */
static void redis_wrong_type(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    redisContext *c = admin();
    freeReplyObject(admin_cmd(c, "SET %s not-a-hash", key_of(1, "tasks")));
    freeReplyObject(admin_cmd(c, "SET %s not-a-list", key_of(1, "tasks.quarantine")));
    freeReplyObject(admin_cmd(c, "SET %s not-a-hash", key_of(1, "tasks.instances")));
    redisFree(c);
    asyncz_task *t = az_test_task("x", T0);
    assert_int_equal(ops(o.st)->add(o.st, t), ASYNCZ_ESTORE);
    expect_message("EVALSHA insert");
    expect_message("WRONGTYPE");
    asyncz_task_free(t);
    size_t n = 0;
    assert_int_equal(ops(o.st)->count(o.st, &n), ASYNCZ_ESTORE);
    expect_message("HLEN");
    az_backend *b = raw(&o);
    assert_int_equal(b->ops->quarantined(b, see_quarantined, &(q_seen){0}), ASYNCZ_ESTORE);
    assert_int_equal(b->ops->instances(b, ignore_instance, NULL), ASYNCZ_ESTORE);
    assert_int_equal(b->ops->put_instance(b, "i", (const unsigned char *)"{}", 2), ASYNCZ_ESTORE);
    assert_int_equal(b->ops->remove_instance(b, "i"), ASYNCZ_ESTORE);
    /* remove_all deletes the keys whatever their type; the store works again. */
    assert_int_equal(ops(o.st)->remove_all(o.st), 0);
    az_test_add(o.st, "x", T0);
    close_n(&o);
}

/* A store that is not open refuses calls (no connection is made behind the scheduler's back). */
static void redis_not_open(void **state)
{
    (void)state;
    char url[512];
    redis_url(url, sizeof url, 1);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    az_backend *b = az_persist_backend(st);
    size_t n = 0;
    assert_int_equal(b->ops->count(b, &n), ASYNCZ_ESTATE);
    assert_int_equal(b->ops->remove(b, "x"), ASYNCZ_ESTATE);
    assert_int_equal(asyncz_store_connect(st), 0);
    assert_int_equal(b->ops->count(b, &n), 0);
    asyncz_store_free(st);
}

/* ---- wake-ups ------------------------------------------------------------------------------------ */

/* An insert or replace through one store object wakes the other, never itself: a's own message reaches
 * it before b's, so once b's has woken a, a's count shows whether its own was skipped. */
static void redis_wakeup_two_objects(void **state)
{
    (void)state;
    opened a, b;
    open_n(&a, 1);
    open_n(&b, 1);
    az_test_add(a.st, "from-a", T0);
    assert_true(woken(&b, 1));
    az_test_add(b.st, "from-b", T0);
    assert_true(woken(&a, 1));
    asyncz_task *t = az_test_task("from-a", T0 + SEC);
    assert_int_equal(ops(a.st)->update(a.st, t), 0);
    asyncz_task_free(t);
    assert_true(woken(&b, 2));
    az_test_add(b.st, "again-b", T0);
    assert_true(woken(&a, 2));
    assert_int_equal(wakeups(&a), 2);
    /* Claims and releases do not publish: only new work wakes others. */
    asyncz_claim c[4];
    size_t n = 0;
    assert_int_equal(ops(a.st)->claim(a.st, T0, "a", LEASE, 4, c, &n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops(a.st)->release(a.st, asyncz_task_id(c[i].task), c[i].token, NULL), 0);
        asyncz_task_free(c[i].task);
    }
    az_test_add(a.st, "last", T0);
    assert_true(woken(&b, 3));
    assert_int_equal(wakeups(&b), 3);
    close_n(&a);
    close_n(&b);
}

/* The subscriber survives a dropped connection: it reconnects, wakes its scheduler (it may have missed
 * messages), and goes on receiving. */
static void redis_wakeup_after_subscriber_killed(void **state)
{
    (void)state;
    opened a, b;
    open_n(&a, 1);
    open_n(&b, 1);
    assert_int_equal(kill_connections(true), 2);
    assert_true(woken(&b, 1));
    int before = wakeups(&b);
    az_test_add(a.st, "after", T0);
    assert_true(woken(&b, before + 1));
    close_n(&a);
    close_n(&b);
}

/* ---- journals ------------------------------------------------------------------------------------ */

/* Journal entry i of task `task`: id numbered i (ids of larger i sort after), at = end = T0 + i s. */
static az_jentry jentry(char id[AZ_JOURNAL_ID_LEN + 1], unsigned i, const char *task, int status,
                        const char *who, const void *data, size_t len)
{
    snprintf(id, AZ_JOURNAL_ID_LEN + 1, "0190%04x-0000-7000-8000-%012x", i >> 16, i);
    return (az_jentry){.id = id,
                       .task_id = task,
                       .at = T0 + (asyncz_time_t)i * SEC,
                       .end_at = T0 + (asyncz_time_t)i * SEC,
                       .status = status,
                       .who = who,
                       .data = data,
                       .len = len};
}

static void jput_n(az_backend *b, az_journal j, unsigned first, unsigned n, const char *task, int status,
                   const char *who, const void *data, size_t len)
{
    az_jentry *e = calloc(n, sizeof *e);
    char(*ids)[AZ_JOURNAL_ID_LEN + 1] = calloc(n, sizeof *ids);
    assert_true(e && ids);
    for (unsigned k = 0; k < n; k++)
        e[k] = jentry(ids[k], first + k, task, status, who, data, len);
    int rc = b->ops->journal_put(b, j, e, n);
    if (rc)
        fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    free(e);
    free(ids);
}

/* What a listing handed out: the entries' numbers, and their total length. */
typedef struct jseen {
    char list[1024];
    size_t n;
    size_t bytes;
} jseen;

static int jsee(const az_jentry *e, void *userdata)
{
    jseen *s = userdata;
    size_t used = strlen(s->list);
    snprintf(s->list + used, sizeof s->list - used, "%s%u", s->n++ ? "," : "",
             (unsigned)strtoul(e->id + 24, NULL, 16));
    s->bytes += e->len;
    return 0;
}

static const char *jlist(az_backend *b, az_journal j, const az_jquery *q, jseen *s)
{
    memset(s, 0, sizeof *s);
    int rc = b->ops->journal_list(b, j, q, jsee, s);
    if (rc)
        fail_msg("journal_list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return s->list;
}

static az_jquery every(size_t limit)
{
    return (az_jquery){.since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = limit};
}

/* The documented keys of a journal: six of them whatever the number of entries (no key per entry or per
 * task), the indexes in step with the entries through an upsert that changes task, status and end, and
 * through pruning; the audit journal has its own keys. */
static void redis_journal_layout(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    jput_n(b, AZ_JOURNAL_RUNS, 1, 10, "a", 0, "s1", "{}", 2);
    jput_n(b, AZ_JOURNAL_RUNS, 11, 10, "b", 2, "s1", "{}", 2);
    redisContext *c = admin();
    static const char *const hashes[] = {"tasks.runs", "tasks.runs.meta"};
    static const char *const sets[] = {"tasks.runs.ids", "tasks.runs.tasks", "tasks.runs.statuses",
                                       "tasks.runs.ends"};
    for (int k = 0; k < 2; k++)
        assert_int_equal(admin_int(c, "HLEN %s", key_of(1, hashes[k])), 20);
    for (int k = 0; k < 4; k++)
        assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, sets[k])), 20);
    redisReply *r = admin_cmd(c, "KEYS %s*", key_of(1, "tasks.runs"));
    assert_int_equal(r->elements, 6);
    freeReplyObject(r);
    /* Entry 5 moves from task a, status 0 to task "bb", status 3, and ends later: its old members go. */
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = jentry(id, 5, "bb", 3, "s2", "{\"v\":2}", 7);
    e.end_at = T0 + 100 * SEC;
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_RUNS, &e, 1), 0);
    for (int k = 0; k < 4; k++)
        assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, sets[k])), 20);
    assert_int_equal(admin_int(c, "ZLEXCOUNT %s [00 (01", key_of(1, "tasks.runs.statuses")), 9);
    assert_int_equal(admin_int(c, "ZLEXCOUNT %s [03 (04", key_of(1, "tasks.runs.statuses")), 1);
    assert_int_equal(admin_int(c, "ZLEXCOUNT %s [01a (01b", key_of(1, "tasks.runs.tasks")), 9);
    assert_int_equal(admin_int(c, "ZLEXCOUNT %s [02bb (02bc", key_of(1, "tasks.runs.tasks")), 1);
    jseen s;
    az_jquery q = every(100);
    q.task_id = "a";
    assert_string_equal(jlist(b, AZ_JOURNAL_RUNS, &q, &s), "10,9,8,7,6,4,3,2,1");
    q.task_id = "bb";
    assert_string_equal(jlist(b, AZ_JOURNAL_RUNS, &q, &s), "5");
    /* Pruning ends before T0 + 15 s: 1-4 and 6-14 (13 entries), not 5 (it ends at 100 s). */
    size_t removed = 0;
    assert_int_equal(b->ops->journal_prune_age(b, AZ_JOURNAL_RUNS, T0 + 15 * SEC, 256, &removed), 0);
    assert_int_equal(removed, 13);
    for (int k = 0; k < 2; k++)
        assert_int_equal(admin_int(c, "HLEN %s", key_of(1, hashes[k])), 7);
    for (int k = 0; k < 4; k++)
        assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, sets[k])), 7);
    /* The audit journal: its own keys. */
    jput_n(b, AZ_JOURNAL_AUDIT, 1, 3, "a", 1, "alice", "{}", 2);
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks.audit")), 3);
    assert_int_equal(admin_int(c, "ZCARD %s", key_of(1, "tasks.audit.ids")), 3);
    assert_int_equal(admin_int(c, "HLEN %s", key_of(1, "tasks.runs")), 7);
    redisFree(c);
    close_n(&o);
}

/* A listing carries on over several scripts: past the members one script may look at (a filter that
 * matches little) and past the bytes one script may return (large entries), in order, nothing twice. */
static void redis_journal_list_continues(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    jput_n(b, AZ_JOURNAL_RUNS, 1, 2, "t", 0, "rare", "{}", 2);
    jput_n(b, AZ_JOURNAL_RUNS, 3, 4500, "t", 0, "common", "{}", 2);
    jput_n(b, AZ_JOURNAL_RUNS, 4503, 1, "t", 0, "rare", "{}", 2);
    jseen s;
    az_jquery q = every(10);
    q.who = "rare";
    assert_string_equal(jlist(b, AZ_JOURNAL_RUNS, &q, &s), "4503,2,1");
    q.who = "nobody";
    assert_string_equal(jlist(b, AZ_JOURNAL_RUNS, &q, &s), "");
    /* Twelve entries of 1 MiB: more than one script returns. */
    size_t len = 1024 * 1024;
    char *big = calloc(1, len);
    assert_non_null(big);
    jput_n(b, AZ_JOURNAL_AUDIT, 1, 12, "big", 0, "", big, len);
    free(big);
    q = every(100);
    assert_string_equal(jlist(b, AZ_JOURNAL_AUDIT, &q, &s), "12,11,10,9,8,7,6,5,4,3,2,1");
    assert_int_equal(s.bytes, 12 * len);
    close_n(&o);
}

/* Journal writes publish no wake-up (only new work does): after a journal put and a task insert, the
 * channel carries one message before a marker sent after them. */
static void redis_journal_no_wakeup(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    redisContext *sub = admin();
    freeReplyObject(admin_cmd(sub, "SUBSCRIBE %s", key_of(1, "tasks.wakeup")));
    jput_n(raw(&o), AZ_JOURNAL_RUNS, 1, 3, "t", 1, "s", "{}", 2);
    jput_n(raw(&o), AZ_JOURNAL_AUDIT, 1, 1, "t", 1, "s", "{}", 2);
    az_test_add(o.st, "task", T0);
    redisContext *c = admin();
    freeReplyObject(admin_cmd(c, "PUBLISH %s marker", key_of(1, "tasks.wakeup")));
    redisFree(c);
    int before_marker = 0;
    for (;;) {
        redisReply *m = NULL;
        assert_int_equal(redisGetReply(sub, (void **)&m), REDIS_OK);
        bool marker =
            m->type == REDIS_REPLY_ARRAY && m->elements == 3 && strcmp(m->element[2]->str, "marker") == 0;
        freeReplyObject(m);
        if (marker)
            break;
        before_marker++;
    }
    assert_int_equal(before_marker, 1);
    redisFree(sub);
    close_n(&o);
}

/* A journal op on a dropped connection fails naming the script; the next call reconnects. Keys of the
 * wrong type fail cleanly too. */
static void redis_journal_failures(void **state)
{
    (void)state;
    opened o;
    open_n(&o, 1);
    az_backend *b = raw(&o);
    jput_n(b, AZ_JOURNAL_RUNS, 1, 1, "t", 1, "s", "{}", 2);
    assert_int_equal(kill_connections(false), 1);
    jseen s = {0};
    az_jquery q = every(10);
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, jsee, &s), ASYNCZ_ESTORE);
    expect_message("EVALSHA journal_list");
    assert_string_equal(jlist(b, AZ_JOURNAL_RUNS, &q, &s), "1");
    redisContext *c = admin();
    freeReplyObject(admin_cmd(c, "SET %s not-a-set", key_of(1, "tasks.audit.ids")));
    redisFree(c);
    char id[AZ_JOURNAL_ID_LEN + 1];
    az_jentry e = jentry(id, 1, "t", 0, "", "{}", 2);
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_AUDIT, &e, 1), ASYNCZ_ESTORE);
    expect_message("EVALSHA journal_put");
    expect_message("WRONGTYPE");
    assert_int_equal(b->ops->journal_list(b, AZ_JOURNAL_AUDIT, &q, jsee, &s), ASYNCZ_ESTORE);
    /* What the layout cannot hold is refused before anything is sent. */
    e.status = 32;
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_RUNS, &e, 1), ASYNCZ_EINVAL);
    expect_message("status");
    close_n(&o);
}

/* Delete this process's keys, so that a run leaves nothing behind on a server it shares. */
static int delete_keys(void **state)
{
    (void)state;
    if (!used_server)
        return 0;
    redisContext *c = admin();
    char pattern[48];
    snprintf(pattern, sizeof pattern, "azt.%ld.*", (long)getpid());
    char cursor[32] = "0";
    do {
        redisReply *r = admin_cmd(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            freeReplyObject(admin_cmd(c, "DEL %b", r->element[1]->element[i]->str,
                                      (size_t)r->element[1]->element[i]->len));
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    redisFree(c);
    return 0;
}

int main(int argc, char **argv)
{
    az_store_url = redis_url;
    az_store_factory = az_persist_factory;
    az_store_unreachable_url = "redis://:secret-password@127.0.0.1:1/0";
    az_store_bad_option_url = "redis://127.0.0.1:1/0?bogus_option=1";
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(redis_url_forms),
        cmocka_unit_test(redis_url_defaults),
        cmocka_unit_test(redis_url_bad_db),
        cmocka_unit_test(redis_url_bad_names),
        cmocka_unit_test(redis_url_key_collision),
        cmocka_unit_test(redis_password_wrong),
        cmocka_unit_test(redis_layout),
        cmocka_unit_test(redis_order_extremes),
        cmocka_unit_test(redis_lapsed_claim_merged),
        cmocka_unit_test(redis_lapsed_claims_sorted),
        cmocka_unit_test(redis_scan_pages_with_claims),
        cmocka_unit_test(redis_binary_records),
        cmocka_unit_test(redis_quarantine_entries),
        cmocka_unit_test(redis_script_flush),
        cmocka_unit_test(redis_reconnect_after_kill),
        cmocka_unit_test(redis_wrong_type),
        cmocka_unit_test(redis_not_open),
        cmocka_unit_test(redis_wakeup_two_objects),
        cmocka_unit_test(redis_wakeup_after_subscriber_killed),
        cmocka_unit_test(redis_journal_layout),
        cmocka_unit_test(redis_journal_list_continues),
        cmocka_unit_test(redis_journal_no_wakeup),
        cmocka_unit_test(redis_journal_failures),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, delete_keys);
}
