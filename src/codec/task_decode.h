/* Decoding many task documents in a row (a listing of a store): a memo of the triggers decoded last, so
 * that tasks written with the same cron trigger share one trigger object instead of parsing the crontab
 * again. Internal.
 *
 * Only cron triggers are kept: their decoding depends on the document alone (a jittered one only when its
 * seed is written, which the codec always does), so a shared object is exactly what decoding again would
 * give. Triggers are immutable and reference counted, so sharing is safe across tasks and threads; a memo
 * itself belongs to one thread. */
#ifndef AZ_CODEC_TASK_DECODE_H
#define AZ_CODEC_TASK_DECODE_H

#include <jansson.h>

#include "asyncz/task.h"

#define AZ_TRIGGER_MEMO_SIZE 4

typedef struct az_trigger_memo {
    json_t *doc[AZ_TRIGGER_MEMO_SIZE];             /* references; most recently used first */
    asyncz_trigger *trigger[AZ_TRIGGER_MEMO_SIZE]; /* references, decoded from doc[i] */
} az_trigger_memo;

/* An empty memo is all zeroes. Release its references and empty it. */
void az_trigger_memo_clear(az_trigger_memo *memo);

/* asyncz_task_from_json, taking and keeping triggers in memo (NULL: none, the same as
 * asyncz_task_from_json). Errors: those of asyncz_task_from_json. */
int az_task_from_json_memo(asyncz_task **out, const char *text, size_t len, az_trigger_memo *memo,
                           asyncz_doc_error *err);

#endif
