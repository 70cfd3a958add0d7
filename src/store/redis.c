/* The Redis store: a record backend (backend.h) over hiredis. Records live in a hash, their order in a
 * sorted set of fixed-width sortable members, and every operation that touches several keys is one Lua
 * script (redis_lua.c, which also describes the layout), so it is atomic with any number of schedulers.
 * Wake-ups come from a subscriber thread (redis_notify.c); connections from redis_conn.c. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/redis.h"

#define DEFAULT_TASKS_KEY "asyncz.tasks"
#define DEFAULT_RUN_TIMES_KEY "asyncz.run_times"
#define DEFAULT_PORT 6379

#define N_SCRIPT_KEYS 7    /* the keys every script gets, in this order (see redis_lua.c) */
#define HEAD_LEN 17        /* 'a' or 'b' and a biased time in 16 hex digits */
#define ORDER_KEY_LEN 33   /* the head and a seq in 16 hex digits */
#define SCAN_PAGE "1000"   /* records per scan page: small enough not to stall the server, large enough */
#define MAX_REASON 0xffffu /* a quarantine entry stores the reason's length in 4 hex digits */

enum { K_TASKS, K_RUN_TIMES, K_INDEX, K_LEASES, K_SEQ, K_QUARANTINE, K_CLAIMED, K_INSTANCES, N_KEYS };

typedef struct redis_backend {
    az_backend base;
    az_redis_conf conf;
    char *keys[N_KEYS];
    /* The journals' keys (redis_journal.c). */
    char *jkeys[AZ_JOURNAL_COUNT][AZ_REDIS_J_KEYS];
    char *channel;     /* <tasks_key>.wakeup */
    char self[24];     /* this store object's id in wake-up messages */
    char name[48];     /* its command connection's name (CLIENT SETNAME) */
    char sub_name[52]; /* its subscriber connection's name */
    char sha[AZ_REDIS_N_SCRIPTS][41];
    redisContext *c; /* NULL while disconnected: the next call connects */
    az_redis_sub *sub;
    bool open;
} redis_backend;

static redis_backend *RB(az_backend *b)
{
    return (redis_backend *)b;
}

/* ---- encodings ----------------------------------------------------------------------------------- */

void az_redis_hex(char *out, uint64_t v, int digits)
{
    static const char digit[] = "0123456789abcdef";
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        out[i] = digit[v & 15];
    out[digits] = '\0';
}

/* Times as unsigned with the sign bit flipped, so that their hex digits sort as the times do (negative
 * ones first). */
void az_redis_hex_time(char out[17], asyncz_time_t t)
{
    az_redis_hex(out, (uint64_t)t ^ (UINT64_C(1) << 63), 16);
}

bool az_redis_parse_hex16(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

asyncz_time_t az_redis_unbias(uint64_t v)
{
    return (asyncz_time_t)(v ^ (UINT64_C(1) << 63));
}

/* The head of a record's order key: 'a' and its time, or 'b' (after every 'a') when paused. */
static void make_head(char out[HEAD_LEN + 1], asyncz_time_t next_run_time)
{
    if (next_run_time == ASYNCZ_TIME_NONE) {
        memcpy(out, "b0000000000000000", HEAD_LEN + 1);
        return;
    }
    out[0] = 'a';
    az_redis_hex_time(out + 1, next_run_time);
}

/* An order key from a reply: its next run time, or false when it is malformed. */
static bool order_time(const redisReply *key, asyncz_time_t *out)
{
    uint64_t v = 0;
    if (key->type != REDIS_REPLY_STRING || key->len < ORDER_KEY_LEN ||
        !az_redis_parse_hex16(key->str + 1, &v))
        return false;
    if (key->str[0] == 'b')
        *out = ASYNCZ_TIME_NONE;
    else
        *out = az_redis_unbias(v);
    return key->str[0] == 'a' || key->str[0] == 'b';
}

static asyncz_time_t add_saturating(asyncz_time_t a, int64_t b)
{
    asyncz_time_t sum;
    if (__builtin_add_overflow(a, b, &sum))
        return b > 0 ? INT64_MAX : INT64_MIN + 1;
    return sum;
}

/* ---- talking to the server ----------------------------------------------------------------------- */

/* Arguments of one command, binary-safe. */
typedef struct args {
    const char *v[20];
    size_t len[20];
    int n;
} args;

static void arg(args *a, const void *p, size_t len)
{
    a->v[a->n] = p;
    a->len[a->n++] = len;
}

static void arg_str(args *a, const char *s)
{
    arg(a, s, strlen(s));
}

/* Connect when disconnected: once per call, so a lost server costs each call one attempt, no more. */
static int ensure(redis_backend *r)
{
    if (!r->open)
        return az_store_fail(ASYNCZ_ESTATE, "%s: the store is not open", r->conf.where);
    return r->c ? 0 : az_redis_connect(&r->conf, r->name, &r->c);
}

/* Record a failed command; a broken connection is dropped so that the next call reconnects. */
static int failed(redis_backend *r, const char *what, const redisReply *reply)
{
    int rc = az_redis_fail(&r->conf, what, r->c, reply);
    if (r->c && r->c->err) {
        redisFree(r->c);
        r->c = NULL;
    }
    return rc;
}

static int command(redis_backend *r, const char *what, const args *a, redisReply **out)
{
    int rc = ensure(r);
    if (rc)
        return rc;
    redisReply *reply = az_redis_command(r->c, a->n, a->v, a->len);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        rc = failed(r, what, reply);
        freeReplyObject(reply);
        return rc;
    }
    *out = reply;
    return 0;
}

static bool is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/* The start of every script call: EVALSHA, the script's SHA-1 and the keys. */
#define SCRIPT_HEAD (3 + N_SCRIPT_KEYS)

static void script_head(const redis_backend *r, int script, const char **v, size_t *len)
{
    v[0] = "EVALSHA";
    v[1] = r->sha[script];
    v[2] = "7";
    for (int i = 0; i < N_SCRIPT_KEYS; i++)
        v[3 + i] = r->keys[i];
    for (int i = 0; i < SCRIPT_HEAD; i++)
        len[i] = i == 1 ? 40 : strlen(v[i]);
}

/* Run a script whose command (argc words, starting with script_head's) is in v/len, by its SHA-1, sending
 * its text only when the server does not have it (first use, or after a restart or SCRIPT FLUSH). */
static int run_script(redis_backend *r, int script, int argc, const char **v, size_t *len, redisReply **out)
{
    redisReply *reply = az_redis_command(r->c, argc, v, len);
    if (is_noscript(reply)) {
        freeReplyObject(reply);
        v[0] = "EVAL";
        len[0] = 4;
        v[1] = az_redis_scripts[script].body;
        len[1] = strlen(az_redis_scripts[script].body);
        reply = az_redis_command(r->c, argc, v, len);
    }
    if (reply && reply->type != REDIS_REPLY_ERROR) {
        *out = reply;
        return 0;
    }
    char what[48];
    snprintf(what, sizeof what, "EVALSHA %s", az_redis_scripts[script].name);
    int rc = failed(r, what, reply);
    freeReplyObject(reply);
    return rc;
}

static int eval(redis_backend *r, int script, const args *a, redisReply **out)
{
    int rc = ensure(r);
    if (rc)
        return rc;
    const char *v[SCRIPT_HEAD + 20];
    size_t len[SCRIPT_HEAD + 20];
    script_head(r, script, v, len);
    memcpy(v + SCRIPT_HEAD, a->v, (size_t)a->n * sizeof *v);
    memcpy(len + SCRIPT_HEAD, a->len, (size_t)a->n * sizeof *len);
    return run_script(r, script, SCRIPT_HEAD + a->n, v, len, out);
}

int az_redis_journal_eval(az_backend *b, az_journal j, int script, int argc, const char **v, size_t *len,
                          redisReply **out)
{
    redis_backend *r = RB(b);
    if ((unsigned)j >= AZ_JOURNAL_COUNT)
        return az_store_fail(ASYNCZ_EINVAL, "%s: no journal %d", r->conf.where, (int)j);
    int rc = ensure(r);
    if (rc)
        return rc;
    _Static_assert(AZ_REDIS_J_KEYS == 6, "the key count below");
    v[0] = "EVALSHA";
    v[1] = r->sha[script];
    v[2] = "6";
    for (int k = 0; k < AZ_REDIS_J_KEYS; k++)
        v[3 + k] = r->jkeys[j][k];
    for (int i = 0; i < AZ_REDIS_JOURNAL_HEAD; i++)
        len[i] = i == 1 ? 40 : strlen(v[i]);
    return run_script(r, script, argc, v, len, out);
}

const char *az_redis_where(const az_backend *b)
{
    return ((const redis_backend *)b)->conf.where;
}

static int bad_reply(const redis_backend *r, const char *what)
{
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: unexpected reply (is another program using these keys?)",
                         r->conf.where, what);
}

/* A script whose answer is a status number: *status gets it. */
static int eval_status(redis_backend *r, int script, const args *a, long long *status)
{
    redisReply *reply = NULL;
    int rc = eval(r, script, a, &reply);
    if (rc)
        return rc;
    if (reply->type == REDIS_REPLY_INTEGER)
        *status = reply->integer;
    else
        rc = bad_reply(r, az_redis_scripts[script].name);
    freeReplyObject(reply);
    return rc;
}

/* ---- passing records on -------------------------------------------------------------------------- */

/* Records as scripts return them: n elements, stride per record (id, order key, [token,] bytes). A
 * record whose bytes are missing (nil) is skipped. */
static int pass_records(redis_backend *r, const char *what, redisReply **e, size_t n, size_t stride,
                        asyncz_time_t lease_until, az_found_fn each, void *userdata)
{
    if (n % stride)
        return bad_reply(r, what);
    for (size_t i = 0; i < n; i += stride) {
        redisReply **f = e + i;
        const redisReply *data = f[stride - 1];
        if (data->type == REDIS_REPLY_NIL)
            continue;
        az_found found = {.id = f[0]->str,
                          .data = (const unsigned char *)data->str,
                          .len = data->len,
                          .lease_until = lease_until};
        bool ok = f[0]->type == REDIS_REPLY_STRING && data->type == REDIS_REPLY_STRING &&
                  order_time(f[1], &found.next_run_time);
        if (ok && stride == 4)
            ok = f[2]->type == REDIS_REPLY_STRING && f[2]->len == 16 &&
                 az_redis_parse_hex16(f[2]->str, &found.token);
        if (!ok)
            return bad_reply(r, what);
        int rc = each(&found, userdata);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- writes -------------------------------------------------------------------------------------- */

static int write_record(redis_backend *r, int script, const az_record *rec, long long *status)
{
    char head[HEAD_LEN + 1];
    make_head(head, rec->next_run_time);
    args a = {.n = 0};
    arg_str(&a, rec->id);
    arg(&a, rec->data, rec->len);
    arg(&a, head, HEAD_LEN);
    arg_str(&a, r->channel);
    arg_str(&a, r->self);
    return eval_status(r, script, &a, status);
}

static int r_insert(az_backend *b, const az_record *rec)
{
    long long status = 0;
    int rc = write_record(RB(b), AZ_REDIS_INSERT, rec, &status);
    if (!rc && status == 1)
        return az_store_fail(ASYNCZ_EEXISTS, "%s: task \"%s\" already exists", RB(b)->conf.where, rec->id);
    return rc;
}

/* A batch's command: the script head, channel, sender, then id, bytes and head per record. heads holds
 * the records' order-key heads (HEAD_LEN bytes each), which the command borrows. */
typedef struct many_cmd {
    const char **v;
    size_t *len;
    char *heads;
    int argc;
} many_cmd;

static int many_cmd_build(redis_backend *r, const az_record *recs, size_t n, many_cmd *m)
{
    if (n > (INT_MAX - SCRIPT_HEAD - 2) / 3)
        return az_store_fail(ASYNCZ_EINVAL, "%s: too many tasks in one batch", r->conf.where);
    size_t argc = SCRIPT_HEAD + 2 + 3 * n;
    *m = (many_cmd){.v = malloc(argc * sizeof *m->v),
                    .len = malloc(argc * sizeof *m->len),
                    .heads = malloc(n * (HEAD_LEN + 1)),
                    .argc = (int)argc};
    if (!m->v || !m->len || !m->heads)
        return ASYNCZ_ENOMEM;
    script_head(r, AZ_REDIS_INSERT_MANY, m->v, m->len);
    size_t k = SCRIPT_HEAD;
    m->v[k] = r->channel;
    m->len[k++] = strlen(r->channel);
    m->v[k] = r->self;
    m->len[k++] = strlen(r->self);
    for (size_t i = 0; i < n; i++, k += 3) {
        char *head = m->heads + i * (HEAD_LEN + 1);
        make_head(head, recs[i].next_run_time);
        const char *v3[3] = {recs[i].id, (const char *)recs[i].data, head};
        size_t l3[3] = {strlen(recs[i].id), recs[i].len, HEAD_LEN};
        memcpy(m->v + k, v3, sizeof v3);
        memcpy(m->len + k, l3, sizeof l3);
    }
    return 0;
}

static void many_cmd_free(many_cmd *m)
{
    free(m->v);
    free(m->len);
    free(m->heads);
}

/* One script for the batch: Redis runs it atomically, and it writes nothing when an id is taken. */
static int r_insert_many(az_backend *b, const az_record *recs, size_t n)
{
    redis_backend *r = RB(b);
    many_cmd m = {0};
    int rc = ensure(r);
    if (!rc)
        rc = many_cmd_build(r, recs, n, &m);
    redisReply *reply = NULL;
    if (!rc)
        rc = run_script(r, AZ_REDIS_INSERT_MANY, m.argc, m.v, m.len, &reply);
    many_cmd_free(&m);
    if (rc)
        return rc;
    long long taken = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    freeReplyObject(reply);
    if (taken < 0 || (unsigned long long)taken > n)
        return bad_reply(r, "insert_many");
    if (taken > 0)
        return az_store_fail(ASYNCZ_EEXISTS, "%s: task \"%s\" already exists", r->conf.where,
                             recs[taken - 1].id);
    return 0;
}

static int not_found(const redis_backend *r, const char *id)
{
    return az_store_fail(ASYNCZ_ENOTFOUND, "%s: no task \"%s\"", r->conf.where, id);
}

static int r_replace(az_backend *b, const az_record *rec)
{
    long long status = 0;
    int rc = write_record(RB(b), AZ_REDIS_REPLACE, rec, &status);
    return !rc && status == 1 ? not_found(RB(b), rec->id) : rc;
}

static int r_remove(az_backend *b, const char *id)
{
    args a = {.n = 0};
    arg_str(&a, id);
    long long status = 0;
    int rc = eval_status(RB(b), AZ_REDIS_REMOVE, &a, &status);
    return !rc && status == 1 ? not_found(RB(b), id) : rc;
}

static int r_remove_all(az_backend *b)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "DEL");
    static const int records[] = {K_TASKS, K_RUN_TIMES, K_INDEX, K_LEASES, K_CLAIMED};
    for (size_t k = 0; k < sizeof records / sizeof records[0]; k++)
        arg_str(&a, r->keys[records[k]]);
    redisReply *reply = NULL;
    int rc = command(r, "DEL", &a, &reply);
    freeReplyObject(reply);
    return rc;
}

/* ---- reads --------------------------------------------------------------------------------------- */

static int r_get(az_backend *b, const char *id, az_found_fn each, void *userdata)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, id);
    redisReply *reply = NULL;
    int rc = eval(r, AZ_REDIS_GET, &a, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || (reply->elements != 0 && reply->elements != 2))
        rc = bad_reply(r, "get");
    else if (reply->elements == 0 || reply->element[1]->type == REDIS_REPLY_NIL)
        rc = not_found(r, id);
    else {
        /* The script answers (order key, bytes): put the id in front to reuse pass_records. */
        redisReply idr = {.type = REDIS_REPLY_STRING, .str = (char *)id, .len = strlen(id)};
        redisReply *e[3] = {&idr, reply->element[0], reply->element[1]};
        rc = pass_records(r, "get", e, 3, 3, ASYNCZ_TIME_NONE, each, userdata);
    }
    freeReplyObject(reply);
    return rc;
}

/* One page of the scan from cursor (the last member of the previous page); the next cursor replaces it
 * ("" at the end). Pages are read one script each: a scan is not one snapshot, but each record still
 * appears once unless it is rescheduled meanwhile. */
static int scan_page(redis_backend *r, char *cursor, size_t *cursor_len, az_found_fn each, void *userdata)
{
    args a = {.n = 0};
    arg(&a, cursor, *cursor_len);
    arg_str(&a, SCAN_PAGE);
    redisReply *reply = NULL;
    int rc = eval(r, AZ_REDIS_SCAN, &a, &reply);
    if (rc)
        return rc;
    const redisReply *next = reply->type == REDIS_REPLY_ARRAY && reply->elements ? reply->element[0] : NULL;
    if (!next || next->type != REDIS_REPLY_STRING || next->len > ORDER_KEY_LEN + 255)
        rc = bad_reply(r, "scan");
    else
        rc = pass_records(r, "scan", reply->element + 1, reply->elements - 1, 3, ASYNCZ_TIME_NONE, each,
                          userdata);
    if (!rc) {
        memcpy(cursor, next->str, next->len);
        *cursor_len = next->len;
    }
    freeReplyObject(reply);
    return rc;
}

static int r_scan(az_backend *b, az_found_fn each, void *userdata)
{
    char cursor[ORDER_KEY_LEN + 256];
    size_t len = 0;
    int rc;
    do
        rc = scan_page(RB(b), cursor, &len, each, userdata);
    while (!rc && len);
    return rc;
}

/* The bounds that select due records at now: order keys below *order, leases below *lease. */
static void due_bounds(asyncz_time_t now, char order[HEAD_LEN + 1], char lease[17])
{
    if (now == INT64_MAX) {
        strcpy(order, "b"); /* every scheduled record, no paused one */
        strcpy(lease, "g"); /* every lease */
        return;
    }
    make_head(order, now + 1);
    az_redis_hex_time(lease, now + 1);
}

static void due_args(args *a, asyncz_time_t now, size_t max, char order[HEAD_LEN + 1], char lease[17],
                     char count[24])
{
    due_bounds(now, order, lease);
    snprintf(count, 24, "%zu", max < INT32_MAX ? max : (size_t)INT32_MAX);
    arg_str(a, order);
    arg_str(a, lease);
    arg_str(a, count);
}

static int r_due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    redis_backend *r = RB(b);
    char order[HEAD_LEN + 1], lease[17], count[24];
    args a = {.n = 0};
    due_args(&a, now, max, order, lease, count);
    redisReply *reply = NULL;
    int rc = eval(r, AZ_REDIS_DUE, &a, &reply);
    if (rc)
        return rc;
    if (reply->type == REDIS_REPLY_ARRAY)
        rc = pass_records(r, "due", reply->element, reply->elements, 3, ASYNCZ_TIME_NONE, each, userdata);
    else
        rc = bad_reply(r, "due");
    freeReplyObject(reply);
    return rc;
}

/* The earliest time from the first members of R (an order key and id) and L (a lease and id). */
static bool earliest_of(const redisReply *first_r, const redisReply *first_l, asyncz_time_t *out)
{
    asyncz_time_t t = ASYNCZ_TIME_NONE;
    if (first_r->type != REDIS_REPLY_STRING || first_l->type != REDIS_REPLY_STRING)
        return false;
    if (first_r->len && !order_time(first_r, &t))
        return false;
    uint64_t v = 0;
    if (first_l->len && (first_l->len < 16 || !az_redis_parse_hex16(first_l->str, &v)))
        return false;
    if (first_l->len && (t == ASYNCZ_TIME_NONE || az_redis_unbias(v) < t))
        t = az_redis_unbias(v);
    *out = t;
    return true;
}

static int r_earliest(az_backend *b, asyncz_time_t *out)
{
    redis_backend *r = RB(b);
    redisReply *reply = NULL;
    int rc = eval(r, AZ_REDIS_EARLIEST, &(args){.n = 0}, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        !earliest_of(reply->element[0], reply->element[1], out))
        rc = bad_reply(r, "earliest");
    freeReplyObject(reply);
    return rc;
}

static int r_count(az_backend *b, size_t *out)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "HLEN");
    arg_str(&a, r->keys[K_TASKS]);
    redisReply *reply = NULL;
    int rc = command(r, "HLEN", &a, &reply);
    if (rc)
        return rc;
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
        *out = (size_t)reply->integer;
    else
        rc = bad_reply(r, "HLEN");
    freeReplyObject(reply);
    return rc;
}

/* ---- claims -------------------------------------------------------------------------------------- */

static int r_claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   az_found_fn each, void *userdata)
{
    redis_backend *r = RB(b);
    char order[HEAD_LEN + 1], lease[17], count[24], until[17];
    asyncz_time_t lease_until = add_saturating(now, lease_usec);
    az_redis_hex_time(until, lease_until);
    args a = {.n = 0};
    due_args(&a, now, max, order, lease, count);
    arg_str(&a, until);
    arg_str(&a, owner ? owner : "");
    redisReply *reply = NULL;
    int rc = eval(r, AZ_REDIS_CLAIM, &a, &reply);
    if (rc)
        return rc;
    if (reply->type == REDIS_REPLY_ARRAY)
        rc = pass_records(r, "claim", reply->element, reply->elements, 4, lease_until, each, userdata);
    else
        rc = bad_reply(r, "claim");
    freeReplyObject(reply);
    return rc;
}

static int r_release(az_backend *b, const char *id, uint64_t token, const az_record *next)
{
    redis_backend *r = RB(b);
    if (token == 0) /* never handed out */
        return az_store_fail(ASYNCZ_ESTATE, "%s: task \"%s\" is not claimed with token 0", r->conf.where, id);
    char tok[17], head[HEAD_LEN + 1] = "";
    az_redis_hex(tok, token, 16);
    if (next)
        make_head(head, next->next_run_time);
    args a = {.n = 0};
    arg_str(&a, id);
    arg(&a, tok, 16);
    arg_str(&a, head);
    arg(&a, next ? next->data : NULL, next ? next->len : 0);
    long long status = 0;
    int rc = eval_status(r, AZ_REDIS_RELEASE, &a, &status);
    if (!rc && status == 1)
        return not_found(r, id);
    if (!rc && status == 2)
        return az_store_fail(ASYNCZ_ESTATE, "%s: task \"%s\" is not claimed with token %" PRIu64,
                             r->conf.where, id, token);
    return rc;
}

/* ---- quarantine ---------------------------------------------------------------------------------- */

static int r_quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                        const char *reason, asyncz_time_t at)
{
    redis_backend *r = RB(b);
    size_t id_len = strlen(id), reason_len = strlen(reason);
    if (reason_len > MAX_REASON)
        reason_len = MAX_REASON;
    char header[25];
    az_redis_hex_time(header, at);
    az_redis_hex(header + 16, id_len, 4);
    az_redis_hex(header + 20, reason_len, 4);
    args a = {.n = 0};
    arg_str(&a, id);
    arg(&a, data, len);
    arg(&a, header, 24);
    arg(&a, reason, reason_len);
    long long status = 0;
    int rc = eval_status(r, AZ_REDIS_QUARANTINE, &a, &status);
    if (!rc && status == 2)
        return az_store_fail(ASYNCZ_ESTATE, "%s: task \"%s\" changed or went away before its quarantine",
                             r->conf.where, id);
    return rc;
}

static bool parse_hex4(const char *s, size_t *out)
{
    char buf[17] = "000000000000";
    memcpy(buf + 12, s, 4);
    uint64_t v = 0;
    if (!az_redis_parse_hex16(buf, &v))
        return false;
    *out = (size_t)v;
    return true;
}

/* One quarantine entry: header (time, id length, reason length), id, reason, bytes. */
static int pass_entry(const redisReply *e, az_quarantine_rec_fn each, void *userdata)
{
    uint64_t at = 0;
    size_t id_len = 0, reason_len = 0;
    if (e->type != REDIS_REPLY_STRING || e->len < 24 || !az_redis_parse_hex16(e->str, &at) ||
        !parse_hex4(e->str + 16, &id_len) || !parse_hex4(e->str + 20, &reason_len) || id_len > 255 ||
        24 + id_len + reason_len > e->len)
        return 1;
    char id[256], *reason = malloc(reason_len + 1);
    if (!reason)
        return ASYNCZ_ENOMEM;
    memcpy(id, e->str + 24, id_len);
    id[id_len] = '\0';
    memcpy(reason, e->str + 24 + id_len, reason_len);
    reason[reason_len] = '\0';
    size_t head = 24 + id_len + reason_len;
    az_quarantine_rec q = {.id = id,
                           .reason = reason,
                           .at = az_redis_unbias(at),
                           .data = (const unsigned char *)e->str + head,
                           .len = e->len - head};
    int rc = each(&q, userdata);
    free(reason);
    return rc;
}

static int r_quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "LRANGE");
    arg_str(&a, r->keys[K_QUARANTINE]);
    arg_str(&a, "0");
    arg_str(&a, "-1");
    redisReply *reply = NULL;
    int rc = command(r, "LRANGE quarantine", &a, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY)
        rc = bad_reply(r, "LRANGE quarantine");
    for (size_t i = 0; !rc && i < reply->elements; i++) {
        rc = pass_entry(reply->element[i], each, userdata);
        if (rc == 1)
            rc = bad_reply(r, "LRANGE quarantine");
    }
    freeReplyObject(reply);
    return rc;
}

/* One script: atomic. */
static int r_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped)
{
    redis_backend *r = RB(b);
    char when[17] = "";
    if (at != ASYNCZ_TIME_NONE)
        az_redis_hex_time(when, at);
    args a = {.n = 0};
    arg_str(&a, id);
    arg(&a, when, at != ASYNCZ_TIME_NONE ? 16 : 0);
    long long n = 0;
    int rc = eval_status(r, AZ_REDIS_QUARANTINE_DROP, &a, &n);
    *dropped = rc || n < 0 ? 0 : (size_t)n;
    return rc;
}

/* ---- heartbeats ---------------------------------------------------------------------------------- */

static int r_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "HSET");
    arg_str(&a, r->keys[K_INSTANCES]);
    arg_str(&a, id);
    arg(&a, data, len);
    redisReply *reply = NULL;
    int rc = command(r, "HSET instances", &a, &reply);
    freeReplyObject(reply);
    return rc;
}

static int r_instances(az_backend *b, az_instance_rec_fn each, void *userdata)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "HGETALL");
    arg_str(&a, r->keys[K_INSTANCES]);
    redisReply *reply = NULL;
    int rc = command(r, "HGETALL instances", &a, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2)
        rc = bad_reply(r, "HGETALL instances");
    for (size_t i = 0; !rc && i < reply->elements; i += 2) {
        const redisReply *k = reply->element[i], *v = reply->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            rc = bad_reply(r, "HGETALL instances");
        else
            rc = each(k->str, (const unsigned char *)v->str, v->len, userdata);
    }
    freeReplyObject(reply);
    return rc;
}

static int r_remove_instance(az_backend *b, const char *id)
{
    redis_backend *r = RB(b);
    args a = {.n = 0};
    arg_str(&a, "HDEL");
    arg_str(&a, r->keys[K_INSTANCES]);
    arg_str(&a, id);
    redisReply *reply = NULL;
    int rc = command(r, "HDEL instances", &a, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_INTEGER)
        rc = bad_reply(r, "HDEL instances");
    else if (reply->integer == 0)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "%s: no instance \"%s\"", r->conf.where, id);
    freeReplyObject(reply);
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------------------------------- */

static void r_close(az_backend *b)
{
    redis_backend *r = RB(b);
    az_redis_sub_stop(r->sub);
    r->sub = NULL;
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
    r->open = false;
}

static int r_open(az_backend *b, const asyncz_store_host *host)
{
    redis_backend *r = RB(b);
    r_close(b);
    int rc = az_redis_connect(&r->conf, r->name, &r->c);
    if (!rc && host && host->wakeup)
        rc = az_redis_sub_start(&r->conf, r->sub_name, r->channel, r->self, host, &r->sub);
    if (rc) {
        r_close(b);
        return rc;
    }
    r->open = true;
    return 0;
}

static void r_destroy(az_backend *b)
{
    redis_backend *r = RB(b);
    if (!r)
        return;
    r_close(b);
    for (int k = 0; k < N_KEYS; k++)
        free(r->keys[k]);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        for (int k = 0; k < AZ_REDIS_J_KEYS; k++)
            free(r->jkeys[j][k]);
    free(r->channel);
    free(r->conf.host);
    free(r->conf.user);
    if (r->conf.password)
        memset(r->conf.password, 0, strlen(r->conf.password));
    free(r->conf.password);
    free(r);
}

static const az_backend_ops redis_ops = {
    .name = "redis",
    .caps = ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY,
    .open = r_open,
    .close = r_close,
    .destroy = r_destroy,
    .insert = r_insert,
    .insert_many = r_insert_many,
    .replace = r_replace,
    .remove = r_remove,
    .remove_all = r_remove_all,
    .get = r_get,
    .scan = r_scan,
    .due = r_due,
    .earliest = r_earliest,
    .count = r_count,
    .claim = r_claim,
    .release = r_release,
    .quarantine = r_quarantine,
    .quarantined = r_quarantined,
    .quarantine_drop = r_quarantine_drop,
    .put_instance = r_put_instance,
    .instances = r_instances,
    .remove_instance = r_remove_instance,
    .journal_put = az_redis_journal_put,
    .journal_list = az_redis_journal_list,
    .journal_get = az_redis_journal_get,
    .journal_prune_age = az_redis_journal_prune_age,
    .journal_trim_task = az_redis_journal_trim_task,
};

/* ---- construction -------------------------------------------------------------------------------- */

static int parse_db(const az_url *url, int *out)
{
    const char *p = url->path[0] == '/' ? url->path + 1 : url->path;
    long db = 0;
    bool ok = strlen(p) <= 9;
    for (const char *s = p; ok && *s; s++) {
        ok = *s >= '0' && *s <= '9';
        db = db * 10 + (*s - '0');
    }
    if (!ok)
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": the path must be a database number (redis://host:port/0)",
                             url->text);
    *out = (int)db;
    return 0;
}

static int dup_or_null(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? ASYNCZ_ENOMEM : 0;
}

static int read_conf(az_redis_conf *conf, const az_url *url)
{
    int rc = parse_db(url, &conf->db);
    if (!rc)
        rc = dup_or_null(url->host ? url->host : "localhost", &conf->host);
    if (!rc)
        rc = dup_or_null(url->user, &conf->user);
    if (!rc)
        rc = dup_or_null(url->password, &conf->password);
    conf->port = url->port ? url->port : DEFAULT_PORT;
    bool v6 = conf->host && strchr(conf->host, ':');
    snprintf(conf->where, sizeof conf->where, "redis %s%.255s%s:%d/%d", v6 ? "[" : "",
             conf->host ? conf->host : "", v6 ? "]" : "", conf->port, conf->db);
    return rc;
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

/* The keys of each journal: "<tasks_key>.<journal>" and that with a suffix. */
static bool make_journal_keys(redis_backend *r, const char *tasks)
{
    static const char *const suffix[AZ_REDIS_J_KEYS] = {
        [AZ_REDIS_J_ENTRIES] = "",     [AZ_REDIS_J_META] = ".meta",         [AZ_REDIS_J_IDS] = ".ids",
        [AZ_REDIS_J_TASKS] = ".tasks", [AZ_REDIS_J_STATUSES] = ".statuses", [AZ_REDIS_J_ENDS] = ".ends"};
    bool ok = true;
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        for (int k = 0; k < AZ_REDIS_J_KEYS; k++) {
            char key[256];
            snprintf(key, sizeof key, "%s.%s%s", tasks, az_journal_name((az_journal)j), suffix[k]);
            r->jkeys[j][k] = strdup(key);
            ok = ok && r->jkeys[j][k];
        }
    return ok;
}

/* The keys: the two named by options, the others derived from tasks_key. */
static int make_keys(redis_backend *r, const char *tasks, const char *run_times)
{
    static const char *const suffix[N_KEYS] = {
        [K_INDEX] = ".index",           [K_LEASES] = ".leases",   [K_SEQ] = ".seq",
        [K_QUARANTINE] = ".quarantine", [K_CLAIMED] = ".claimed", [K_INSTANCES] = ".instances"};
    r->keys[K_TASKS] = strdup(tasks);
    r->keys[K_RUN_TIMES] = strdup(run_times);
    for (int k = K_INDEX; k < N_KEYS; k++)
        r->keys[k] = join(tasks, suffix[k]);
    r->channel = join(tasks, ".wakeup");
    bool ok = make_journal_keys(r, tasks) && r->channel != NULL;
    for (int k = 0; k < N_KEYS; k++)
        ok = ok && r->keys[k];
    return ok ? 0 : ASYNCZ_ENOMEM;
}

/* Whether name is one of the keys the store derives from tasks_key (records' or journals'). */
static bool derived_key(const redis_backend *r, const char *name)
{
    for (int k = 0; k < N_KEYS; k++)
        if (k != K_RUN_TIMES && strcmp(r->keys[k], name) == 0)
            return true;
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        for (int k = 0; k < AZ_REDIS_J_KEYS; k++)
            if (strcmp(r->jkeys[j][k], name) == 0)
                return true;
    return false;
}

static int read_keys(redis_backend *r, az_url *url)
{
    const char *tasks = az_url_get(url, "tasks_key", DEFAULT_TASKS_KEY);
    const char *run_times = az_url_get(url, "run_times_key", DEFAULT_RUN_TIMES_KEY);
    int rc = az_url_name("tasks_key", tasks, true);
    if (!rc)
        rc = az_url_name("run_times_key", run_times, true);
    if (!rc)
        rc = make_keys(r, tasks, run_times);
    if (!rc && derived_key(r, run_times))
        rc = az_store_fail(ASYNCZ_EINVAL,
                           "store URL \"%s\": run_times_key \"%s\" is a key the store already "
                           "uses for tasks_key \"%s\"",
                           url->text, run_times, tasks);
    return rc;
}

/* A random id for this store object: wake-up messages carry it so that its subscriber skips its own. */
static void make_ids(redis_backend *r)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
        v = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)r;
    az_redis_hex(r->self, v, 16);
    snprintf(r->name, sizeof r->name, "asyncz-%ld-%s", (long)getpid(), r->self);
    snprintf(r->sub_name, sizeof r->sub_name, "%s-sub", r->name);
}

static int hash_scripts(redis_backend *r)
{
    for (int i = 0; i < AZ_REDIS_N_SCRIPTS; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        const char *body = az_redis_scripts[i].body;
        if (EVP_Digest(body, strlen(body), md, &md_len, EVP_sha1(), NULL) != 1 || md_len != 20)
            return az_store_fail(ASYNCZ_ENOMEM, "redis store: cannot hash its scripts");
        for (unsigned j = 0; j < md_len; j++)
            az_redis_hex(r->sha[i] + 2 * j, md[j], 2);
    }
    return 0;
}

int az_backend_redis_new(az_url *url, az_backend **out)
{
    redis_backend *r = calloc(1, sizeof *r);
    if (!r)
        return ASYNCZ_ENOMEM;
    r->base.ops = &redis_ops;
    int rc = read_conf(&r->conf, url);
    if (!rc)
        rc = read_keys(r, url);
    if (!rc)
        rc = az_url_check_options(url, "tasks_key, run_times_key");
    if (!rc)
        rc = hash_scripts(r);
    if (rc) {
        r_destroy(&r->base);
        return rc;
    }
    make_ids(r);
    *out = &r->base;
    return 0;
}
