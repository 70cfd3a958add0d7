/* Many records decoded at once (see record_batch.h). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/record_batch.h"

/* Records a thread takes from the batch at a time. */
#define CHUNK 256

static int reserve_bytes(az_record_batch *b, size_t more)
{
    if (b->size - b->used >= more)
        return 0;
    size_t size = b->size ? b->size : 64 * 1024;
    while (size - b->used < more) {
        if (size > SIZE_MAX / 2)
            return ASYNCZ_ENOMEM;
        size *= 2;
    }
    unsigned char *grown = realloc(b->bytes, size);
    if (!grown)
        return ASYNCZ_ENOMEM;
    b->bytes = grown;
    b->size = size;
    return 0;
}

static int reserve_rec(az_record_batch *b)
{
    if (b->n < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 256;
    az_batch_rec *grown = realloc(b->recs, cap * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    b->recs = grown;
    b->cap = cap;
    return 0;
}

int az_record_batch_add(az_record_batch *b, const az_found *rec)
{
    size_t id_len = strlen(rec->id) + 1;
    if (rec->len > SIZE_MAX - id_len || reserve_rec(b) || reserve_bytes(b, id_len + rec->len))
        return ASYNCZ_ENOMEM;
    az_batch_rec *r = &b->recs[b->n++];
    *r = (az_batch_rec){.id_at = b->used,
                        .data_at = b->used + id_len,
                        .len = rec->len,
                        .next_run_time = rec->next_run_time,
                        .lease_until = rec->lease_until,
                        .token = rec->token};
    memcpy(b->bytes + r->id_at, rec->id, id_len);
    if (rec->len)
        memcpy(b->bytes + r->data_at, rec->data, rec->len);
    b->used += id_len + rec->len;
    return 0;
}

void az_record_batch_found(const az_record_batch *b, size_t i, az_found *out)
{
    const az_batch_rec *r = &b->recs[i];
    *out = (az_found){.id = (const char *)b->bytes + r->id_at,
                      .next_run_time = r->next_run_time,
                      .data = b->bytes + r->data_at,
                      .len = r->len,
                      .token = r->token,
                      .lease_until = r->lease_until};
}

/* ---- decoding ------------------------------------------------------------------------------------ */

typedef struct job {
    const az_record_batch *b;
    const az_sealer *sealer;
    const char *alias;
    az_decoded *out;
    atomic_size_t next; /* the first record no thread has taken yet */
} job;

static void decode_one(job *j, size_t i, az_trigger_memo *memo)
{
    az_found rec;
    az_record_batch_found(j->b, i, &rec);
    az_decoded *d = &j->out[i];
    char reason[320] = "";
    d->rc = az_record_decode(j->sealer, rec.id, rec.next_run_time, rec.data, rec.len, j->alias, memo,
                             &d->task, reason, sizeof reason);
    if (d->rc && d->rc != ASYNCZ_ENOMEM && !(d->reason = strdup(reason)))
        d->rc = ASYNCZ_ENOMEM;
}

/* Take chunks of records until none is left. */
static void *decode_chunks(void *arg)
{
    job *j = arg;
    az_trigger_memo memo = {0};
    for (;;) {
        size_t first = atomic_fetch_add(&j->next, CHUNK);
        if (first >= j->b->n)
            break;
        size_t end = j->b->n - first < CHUNK ? j->b->n : first + CHUNK;
        for (size_t i = first; i < end; i++)
            decode_one(j, i, &memo);
    }
    az_trigger_memo_clear(&memo);
    return NULL;
}

static size_t helpers_wanted(size_t n)
{
    if (n < AZ_BATCH_PARALLEL_MIN)
        return 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t threads = cpus < 1 ? 1 : cpus > AZ_BATCH_THREADS ? AZ_BATCH_THREADS : (size_t)cpus;
    size_t by_size = n / (AZ_BATCH_PARALLEL_MIN / 2);
    return (threads < by_size ? threads : by_size) - 1;
}

int az_record_batch_decode(const az_record_batch *b, const az_sealer *sealer, const char *alias,
                           az_decoded **out)
{
    *out = NULL;
    az_decoded *d = calloc(b->n ? b->n : 1, sizeof *d);
    if (!d)
        return ASYNCZ_ENOMEM;
    job j = {.b = b, .sealer = sealer, .alias = alias, .out = d};
    atomic_init(&j.next, 0);
    pthread_t helpers[AZ_BATCH_THREADS];
    size_t started = 0, wanted = helpers_wanted(b->n);
    /* Helpers block every signal (they inherit the mask they are created with): the application's signals
     * go to its own threads. One that cannot start leaves its share to the others and to the caller. */
    sigset_t all, old;
    sigfillset(&all);
    if (wanted)
        pthread_sigmask(SIG_SETMASK, &all, &old);
    while (started < wanted && pthread_create(&helpers[started], NULL, decode_chunks, &j) == 0)
        started++;
    if (wanted)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    decode_chunks(&j);
    for (size_t i = 0; i < started; i++)
        pthread_join(helpers[i], NULL);
    *out = d;
    return 0;
}

void az_decoded_free(az_decoded *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++) {
        asyncz_task_free(d[i].task);
        free(d[i].reason);
    }
    free(d);
}

void az_record_batch_free(az_record_batch *b)
{
    free(b->recs);
    free(b->bytes);
    memset(b, 0, sizeof *b);
}
