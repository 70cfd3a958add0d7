/* Many records decoded at once: what a listing of a whole store reads. The records a backend hands over are
 * copied as they come, then decoded on up to AZ_BATCH_THREADS threads (the decoding is most of a listing's
 * time), each with its own trigger memo. Internal. */
#ifndef AZ_STORE_RECORD_BATCH_H
#define AZ_STORE_RECORD_BATCH_H

#include "store/backend.h"
#include "store/record.h"

/* At most this many threads decode one batch, the caller's included. */
#define AZ_BATCH_THREADS 8
/* Fewer records than this are decoded by the caller alone: threads cost more than they save. */
#define AZ_BATCH_PARALLEL_MIN 2048

typedef struct az_batch_rec {
    size_t id_at, data_at, len; /* offsets into the batch's bytes */
    asyncz_time_t next_run_time, lease_until;
    uint64_t token;
} az_batch_rec;

typedef struct az_record_batch {
    az_batch_rec *recs;
    size_t n, cap;
    unsigned char *bytes; /* every record's id (NUL-terminated) and data */
    size_t used, size;
} az_record_batch;

/* A decoded record: a task, or the decode error and its reason. */
typedef struct az_decoded {
    asyncz_task *task; /* owned by the caller once decoded; NULL on failure */
    int rc;
    char *reason; /* malloc'd on failure other than out of memory, else NULL */
} az_decoded;

/* Copy rec (borrowed) to the end of the batch. Errors: ASYNCZ_ENOMEM. */
int az_record_batch_add(az_record_batch *b, const az_found *rec);

/* Record i as the backend handed it over (pointers into the batch, valid until it changes). */
void az_record_batch_found(const az_record_batch *b, size_t i, az_found *out);

/* Decode every record with sealer (borrowed; read only), giving each task the store alias (NULL or
 * "default": none). *out receives b->n results in the records' order (malloc'd; free with
 * az_decoded_free). Errors: ASYNCZ_ENOMEM (nothing to free). */
int az_record_batch_decode(const az_record_batch *b, const az_sealer *sealer, const char *alias,
                           az_decoded **out);

/* Free n results, their tasks included (those not taken: set task to NULL to keep one). */
void az_decoded_free(az_decoded *d, size_t n);

/* Release the batch's memory and empty it. */
void az_record_batch_free(az_record_batch *b);

#endif
