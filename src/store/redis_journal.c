/* The journals of the Redis store (backend.h, "journals"): run history and the audit trail. Each journal
 * is a hash of entries, a hash of their columns and four sorted sets that index them by id, by task, by
 * status and by end (redis_lua.c describes the encodings; docs/stores.md the keys). Every op is one Lua
 * script per call, so each entry is written or removed atomically with its index members. Journal writes
 * publish nothing: the scheduler's wake-ups are for task records only. */
#ifdef ASYNCZ_WITH_REDIS

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "store/backend.h"
#include "store/redis.h"

/* The columns' fixed head: at and end_at (16 hex each), status and the task's length (2 hex each). */
#define META_HEAD 36
#define META_MAX (META_HEAD + 255 + 255)
/* A put sends at most this many entries, and about this many bytes, per script: a script blocks the
 * server while it runs, and a batch need not be atomic as a whole. */
#define PUT_ENTRIES 1000
#define PUT_BYTES (16u << 20)
/* One listing script looks at no more than this many index members (about 2 us of the server's time
 * each at 1,000,000 entries) and returns no more than about this many bytes; the listing then carries on
 * with another script below the last member looked at. A filter that matches little thus costs many short
 * scripts, never a long one that would hold up every other client of the server. */
#define LIST_EXAMINE "2000"
#define LIST_BYTES "8388608"
/* prune_age and trim_task drop at most this many entries per script. */
#define DROP_CHUNK 256

/* ---- checks and encodings -------------------------------------------------------------------------- */

static int bad_entry(az_backend *b, az_journal j, const char *id, const char *why)
{
    return az_store_fail(ASYNCZ_EINVAL, "%s: %s entry \"%.64s\": %s", az_redis_where(b), az_journal_name(j),
                         id ? id : "", why);
}

/* What the layout needs of an entry: an id, a task id of 1-255 bytes, a status of 0-31, bytes. */
static int check_entry(az_backend *b, az_journal j, const az_jentry *e)
{
    if (!e->id || !e->id[0] || strlen(e->id) > 255)
        return bad_entry(b, j, e->id, "the id must be 1-255 bytes");
    size_t task_len = e->task_id ? strlen(e->task_id) : 0;
    if (task_len < 1 || task_len > 255)
        return bad_entry(b, j, e->id, "the task id must be 1-255 bytes");
    if (e->who && strlen(e->who) > 255)
        return bad_entry(b, j, e->id, "who must be at most 255 bytes");
    if (e->status < 0 || e->status > 31)
        return bad_entry(b, j, e->id, "the status must be 0-31");
    if (!e->data || e->len == 0)
        return bad_entry(b, j, e->id, "an entry has bytes");
    return 0;
}

/* An entry's columns (out: META_MAX + 1 bytes at least); returns their length. */
static size_t encode_meta(char *out, const az_jentry *e)
{
    size_t task_len = strlen(e->task_id), who_len = e->who ? strlen(e->who) : 0;
    az_redis_hex_time(out, e->at);
    az_redis_hex_time(out + 16, e->end_at);
    az_redis_hex(out + 32, (uint64_t)e->status, 2);
    az_redis_hex(out + 34, task_len, 2);
    memcpy(out + META_HEAD, e->task_id, task_len);
    if (who_len)
        memcpy(out + META_HEAD + task_len, e->who, who_len);
    return META_HEAD + task_len + who_len;
}

static bool parse_hex2(const char *s, int *out)
{
    char buf[16] = "00000000000000";
    memcpy(buf + 14, s, 2);
    uint64_t v = 0;
    if (!az_redis_parse_hex16(buf, &v))
        return false;
    *out = (int)v;
    return true;
}

/* Columns read back, with the task id and who as strings. */
typedef struct meta {
    char task[256];
    char who[256];
} meta;

static bool decode_meta(const redisReply *m, az_jentry *e, meta *text)
{
    uint64_t at = 0, end = 0;
    int task_len = 0;
    if (m->type != REDIS_REPLY_STRING || m->len < META_HEAD || !az_redis_parse_hex16(m->str, &at) ||
        !az_redis_parse_hex16(m->str + 16, &end) || !parse_hex2(m->str + 32, &e->status) ||
        !parse_hex2(m->str + 34, &task_len) || m->len < META_HEAD + (size_t)task_len ||
        m->len - META_HEAD - (size_t)task_len > 255)
        return false;
    size_t who_len = m->len - META_HEAD - (size_t)task_len;
    memcpy(text->task, m->str + META_HEAD, (size_t)task_len);
    text->task[task_len] = '\0';
    memcpy(text->who, m->str + META_HEAD + task_len, who_len);
    text->who[who_len] = '\0';
    e->at = az_redis_unbias(at);
    e->end_at = az_redis_unbias(end);
    e->task_id = text->task;
    e->who = text->who;
    return true;
}

static int bad_reply(az_backend *b, const char *what)
{
    return az_store_fail(ASYNCZ_ESTORE, "%s: %s: unexpected reply (is another program using these keys?)",
                         az_redis_where(b), what);
}

/* Hand one entry (id, columns, bytes as the scripts return them) to each. */
static int pass_entry(az_backend *b, const char *what, redisReply **f, az_jentry_fn each, void *userdata)
{
    meta text;
    az_jentry e = {0};
    if (f[0]->type != REDIS_REPLY_STRING || f[2]->type != REDIS_REPLY_STRING || !decode_meta(f[1], &e, &text))
        return bad_reply(b, what);
    e.id = f[0]->str;
    e.data = (const unsigned char *)f[2]->str;
    e.len = f[2]->len;
    return each(&e, userdata);
}

/* A script whose answer is a count. */
static int eval_count(az_backend *b, az_journal j, int script, int argc, const char **v, size_t *len,
                      long long *out)
{
    redisReply *reply = NULL;
    int rc = az_redis_journal_eval(b, j, script, argc, v, len, &reply);
    if (rc)
        return rc;
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
        *out = reply->integer;
    else
        rc = bad_reply(b, az_redis_scripts[script].name);
    freeReplyObject(reply);
    return rc;
}

/* ---- put ------------------------------------------------------------------------------------------- */

/* How many of entries (n > 0) the next script takes: PUT_ENTRIES at most, PUT_BYTES or so, one at least. */
static size_t put_chunk_size(const az_jentry *entries, size_t n)
{
    size_t k = 0, bytes = 0;
    while (k < n && k < PUT_ENTRIES && (k == 0 || bytes + entries[k].len <= PUT_BYTES))
        bytes += entries[k++].len;
    return k;
}

/* One script for n entries (already checked): id, columns, bytes each. */
static int put_chunk(az_backend *b, az_journal j, const az_jentry *entries, size_t n)
{
    size_t argc = AZ_REDIS_JOURNAL_HEAD + 3 * n;
    const char **v = malloc(argc * sizeof *v);
    size_t *len = malloc(argc * sizeof *len);
    char *metas = malloc(n * (META_MAX + 1));
    int rc = v && len && metas ? 0 : ASYNCZ_ENOMEM;
    for (size_t i = 0, k = AZ_REDIS_JOURNAL_HEAD; !rc && i < n; i++, k += 3) {
        char *m = metas + i * (META_MAX + 1);
        v[k] = entries[i].id;
        len[k] = strlen(entries[i].id);
        v[k + 1] = m;
        len[k + 1] = encode_meta(m, &entries[i]);
        v[k + 2] = (const char *)entries[i].data;
        len[k + 2] = entries[i].len;
    }
    long long written = 0;
    if (!rc)
        rc = eval_count(b, j, AZ_REDIS_JOURNAL_PUT, (int)argc, v, len, &written);
    if (!rc && (size_t)written != n)
        rc = bad_reply(b, "journal_put");
    free(v);
    free(len);
    free(metas);
    return rc;
}

int az_redis_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = check_entry(b, j, &entries[i]);
        if (rc)
            return rc;
    }
    for (size_t done = 0; done < n;) {
        size_t k = put_chunk_size(entries + done, n - done);
        int rc = put_chunk(b, j, entries + done, k);
        if (rc)
            return rc;
        done += k;
    }
    return 0;
}

/* ---- list ------------------------------------------------------------------------------------------ */

/* A listing's arguments (ARGV of journal_list, see redis_lua.c), with the buffers they point into. */
typedef struct list_args {
    const char *v[AZ_REDIS_JOURNAL_HEAD + 10];
    size_t len[AZ_REDIS_JOURNAL_HEAD + 10];
    char prefix[2 + 255 + 1];
    char before[256];
    char want[24];
    char flags[33];
    char since[17];
    char until[17];
    char who[1 + 256];
} list_args;

enum { A_INDEX, A_PREFIX, A_BEFORE, A_WANT, A_EXAMINE, A_FLAGS, A_SINCE, A_UNTIL, A_WHO, A_BYTES, A_N };

static void set_arg(list_args *a, int i, const char *s, size_t len)
{
    a->v[AZ_REDIS_JOURNAL_HEAD + i] = s;
    a->len[AZ_REDIS_JOURNAL_HEAD + i] = len;
}

/* The status wanted when the query asks for exactly one, else -1. */
static int single_status(uint32_t statuses)
{
    return statuses && !(statuses & (statuses - 1)) ? __builtin_ctz(statuses) : -1;
}

/* The index to walk, most selective first: the task's, else the one status's, else every id. Filters the
 * index answers for itself are left out. */
static void choose_index(list_args *a, const az_jquery *q)
{
    int status = single_status(q->statuses);
    size_t task_len = q->task_id ? strlen(q->task_id) : 0;
    if (q->task_id) {
        az_redis_hex(a->prefix, task_len, 2);
        memcpy(a->prefix + 2, q->task_id, task_len);
        set_arg(a, A_INDEX, "k", 1);
        set_arg(a, A_PREFIX, a->prefix, 2 + task_len);
    } else if (status >= 0) {
        az_redis_hex(a->prefix, (uint64_t)status, 2);
        set_arg(a, A_INDEX, "s", 1);
        set_arg(a, A_PREFIX, a->prefix, 2);
    } else {
        set_arg(a, A_INDEX, "a", 1);
        set_arg(a, A_PREFIX, "", 0);
    }
    bool status_filter = q->statuses && (q->task_id || status < 0);
    for (int s = 0; s < 32; s++)
        a->flags[s] = q->statuses >> s & 1 ? '1' : '0';
    set_arg(a, A_FLAGS, a->flags, status_filter ? 32 : 0);
}

static void time_arg(list_args *a, int i, char *buf, asyncz_time_t t)
{
    if (t != ASYNCZ_TIME_NONE)
        az_redis_hex_time(buf, t);
    set_arg(a, i, buf, t != ASYNCZ_TIME_NONE ? 16 : 0);
}

static int list_args_make(az_backend *b, az_journal j, const az_jquery *q, list_args *a)
{
    if ((q->task_id && (!q->task_id[0] || strlen(q->task_id) > 255)) || (q->who && strlen(q->who) > 255) ||
        (q->before && strlen(q->before) > 255))
        return az_store_fail(ASYNCZ_EINVAL, "%s: %s query: a task id, who or cursor longer than 255 bytes",
                             az_redis_where(b), az_journal_name(j));
    choose_index(a, q);
    snprintf(a->before, sizeof a->before, "%s", q->before ? q->before : "");
    set_arg(a, A_BEFORE, a->before, strlen(a->before));
    set_arg(a, A_EXAMINE, LIST_EXAMINE, strlen(LIST_EXAMINE));
    time_arg(a, A_SINCE, a->since, q->since);
    time_arg(a, A_UNTIL, a->until, q->until);
    snprintf(a->who, sizeof a->who, "=%s", q->who ? q->who : "");
    set_arg(a, A_WHO, a->who, q->who ? strlen(a->who) : 0);
    set_arg(a, A_BYTES, LIST_BYTES, strlen(LIST_BYTES));
    return 0;
}

/* One script of a listing: hands its entries on, counts them in *found, and moves the cursor (a->before)
 * on; *more is false when the index has nothing left below it. */
static int list_step(az_backend *b, az_journal j, list_args *a, size_t limit, size_t *found, bool *more,
                     az_jentry_fn each, void *userdata)
{
    snprintf(a->want, sizeof a->want, "%zu", limit - *found);
    set_arg(a, A_WANT, a->want, strlen(a->want));
    redisReply *reply = NULL;
    int rc =
        az_redis_journal_eval(b, j, AZ_REDIS_JOURNAL_LIST, AZ_REDIS_JOURNAL_HEAD + A_N, a->v, a->len, &reply);
    if (rc)
        return rc;
    const redisReply *next = reply->type == REDIS_REPLY_ARRAY && reply->elements ? reply->element[0] : NULL;
    if (!next || next->type != REDIS_REPLY_STRING || next->len >= sizeof a->before ||
        (reply->elements - 1) % 3 || (reply->elements - 1) / 3 > limit - *found)
        rc = bad_reply(b, "journal_list");
    for (size_t i = 1; !rc && i < reply->elements; i += 3, ++*found)
        rc = pass_entry(b, "journal_list", reply->element + i, each, userdata);
    if (!rc) {
        memcpy(a->before, next->str, next->len);
        a->before[next->len] = '\0';
        set_arg(a, A_BEFORE, a->before, next->len);
        *more = next->len > 0;
    }
    freeReplyObject(reply);
    return rc;
}

int az_redis_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata)
{
    list_args a;
    int rc = list_args_make(b, j, q, &a);
    size_t found = 0;
    bool more = true;
    while (!rc && more && found < q->limit)
        rc = list_step(b, j, &a, q->limit, &found, &more, each, userdata);
    return rc;
}

/* ---- get ------------------------------------------------------------------------------------------- */

int az_redis_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata)
{
    const char *v[AZ_REDIS_JOURNAL_HEAD + 1];
    size_t len[AZ_REDIS_JOURNAL_HEAD + 1];
    v[AZ_REDIS_JOURNAL_HEAD] = id;
    len[AZ_REDIS_JOURNAL_HEAD] = strlen(id);
    redisReply *reply = NULL;
    int rc = az_redis_journal_eval(b, j, AZ_REDIS_JOURNAL_GET, AZ_REDIS_JOURNAL_HEAD + 1, v, len, &reply);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || (reply->elements != 0 && reply->elements != 2))
        rc = bad_reply(b, "journal_get");
    else if (reply->elements == 0)
        rc = az_store_fail(ASYNCZ_ENOTFOUND, "%s: no %s entry \"%.64s\"", az_redis_where(b),
                           az_journal_name(j), id);
    else {
        /* The script answers (columns, bytes): put the id in front to reuse pass_entry. */
        redisReply idr = {.type = REDIS_REPLY_STRING, .str = (char *)id, .len = strlen(id)};
        redisReply *f[3] = {&idr, reply->element[0], reply->element[1]};
        rc = pass_entry(b, "journal_get", f, each, userdata);
    }
    freeReplyObject(reply);
    return rc;
}

/* ---- pruning --------------------------------------------------------------------------------------- */

/* Run a dropping script (its first argument in arg/arg_len, then a number, then the chunk size) until max
 * entries went or one call dropped fewer than it could. */
static int drop_loop(az_backend *b, az_journal j, int script, const char *arg, size_t arg_len,
                     const char *number, size_t max, size_t *removed)
{
    const char *v[AZ_REDIS_JOURNAL_HEAD + 3];
    size_t len[AZ_REDIS_JOURNAL_HEAD + 3];
    int argc = AZ_REDIS_JOURNAL_HEAD;
    v[argc] = arg;
    len[argc++] = arg_len;
    if (number) {
        v[argc] = number;
        len[argc++] = strlen(number);
    }
    char chunk[24];
    v[argc] = chunk;
    *removed = 0;
    while (*removed < max) {
        size_t want = max - *removed < DROP_CHUNK ? max - *removed : DROP_CHUNK;
        snprintf(chunk, sizeof chunk, "%zu", want);
        len[argc] = strlen(chunk);
        long long n = 0;
        int rc = eval_count(b, j, script, argc + 1, v, len, &n);
        if (rc)
            return rc;
        *removed += (size_t)n < want ? (size_t)n : want;
        if ((size_t)n < want)
            break;
    }
    return 0;
}

int az_redis_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed)
{
    char bound[17];
    az_redis_hex_time(bound, cutoff);
    return drop_loop(b, j, AZ_REDIS_JOURNAL_PRUNE, bound, 16, NULL, max, removed);
}

int az_redis_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                               size_t *removed)
{
    size_t task_len = strlen(task_id);
    *removed = 0;
    if (task_len < 1 || task_len > 255)
        return 0; /* no entry has such a task id */
    char prefix[2 + 255], keep_s[24];
    az_redis_hex(prefix, task_len, 2);
    memcpy(prefix + 2, task_id, task_len);
    snprintf(keep_s, sizeof keep_s, "%zu", keep);
    return drop_loop(b, j, AZ_REDIS_JOURNAL_TRIM, prefix, 2 + task_len, keep_s, max, removed);
}

#endif
