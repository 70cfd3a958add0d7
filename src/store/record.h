/* Tasks to records and back for the persist layer: the JSON document, sealed when a key is set, and the
 * checks on what is read back. Internal. */
#ifndef AZ_STORE_RECORD_H
#define AZ_STORE_RECORD_H

#include "asyncz/sys/store.h"
#include "codec/seal.h"
#include "codec/task_decode.h"

/* The next run time a record's index column holds for task: ASYNCZ_TIME_NONE when paused. */
asyncz_time_t az_record_next_run_time(const asyncz_task *task);

/* Encode task (it has an id) as the bytes of its record: its JSON document, sealed for its id when the
 * sealer has a key. *out malloc'd. Errors: the codec's (ASYNCZ_EINVAL, ASYNCZ_EUNSUPPORTED, ASYNCZ_ETOOBIG),
 * ASYNCZ_ECRYPTO, ASYNCZ_ENOMEM. */
int az_record_encode(const az_sealer *sealer, const asyncz_task *task, unsigned char **out, size_t *len);

/* Decode the record stored under id with index column next_run_time into a task of the store alias (NULL
 * or "default": the task keeps the default store); memo (NULL: none; one thread's) keeps
 * cron triggers for the records that follow (see codec/task_decode.h). On failure, reason (size bytes)
 * says why in words fit for a log and the quarantine. Errors: ASYNCZ_ECRYPTO (a sealed record that does not
 * open with this key or for this id; a plaintext record while a key is set), ASYNCZ_EPARSE / ASYNCZ_EINVAL /
 * ASYNCZ_EUNSUPPORTED / ASYNCZ_EZONE (the document), ASYNCZ_ESTATE (a valid document that disagrees with
 * its key or its index column), ASYNCZ_ENOMEM; and AZ_RECORD_NO_KEY below. */
int az_record_decode(const az_sealer *sealer, const char *id, asyncz_time_t next_run_time,
                     const unsigned char *data, size_t len, const char *alias, az_trigger_memo *memo,
                     asyncz_task **out, char *reason, size_t size);

/* az_record_decode's result for a sealed record read while no key is set: not the record's fault, so the
 * record is left in place (not quarantined). It never leaves the persist layer (which reports
 * ASYNCZ_ECRYPTO). */
#define AZ_RECORD_NO_KEY (-1000)

/* For a record out of the quarantine, which keeps no index column: open it as az_record_decode does, hand
 * back its plaintext document (*document malloc'd, NUL-terminated, *doc_len bytes; NULL when a sealed record
 * does not open) and decode it into *out, checking that it is the task of id (not its next run time, which
 * the document alone now says). A plaintext record while a key is set is refused (ASYNCZ_ECRYPTO) with its
 * document still handed back. Errors: as az_record_decode (AZ_RECORD_NO_KEY included); reason says why. */
int az_record_open_quarantined(const az_sealer *sealer, const char *id, const unsigned char *data, size_t len,
                               char **document, size_t *doc_len, asyncz_task **out, char *reason,
                               size_t size);

/* Whether a decode failure moves the record to the quarantine (everything but out of memory,
 * AZ_RECORD_NO_KEY and the zone errors below). */
bool az_record_quarantines(int rc);

/* Whether a decode failure is this host's, not the record's: a well-formed zone name whose zone does not
 * load here (ASYNCZ_EZONE: zone data missing or elsewhere, TZDIR wrong; ASYNCZ_ETZDATA: its file malformed
 * or truncated). Such a record is skipped and left in place, and read again later (a claimed one when its
 * lease lapses); the reason says `time zone "NAME" does not load here: ...`. */
bool az_record_zone_missing(int rc);

/* An instance (heartbeat) as a JSON document and back. */
int az_instance_encode(const asyncz_instance *inst, char **out, size_t *len);
/* A decoded instance: inst's strings point into the parsed document. */
typedef struct az_instance_doc {
    asyncz_instance inst;
    void *root; /* json_t */
    asyncz_inflight *running;
} az_instance_doc;

/* Errors: ASYNCZ_EPARSE (not an instance document), ASYNCZ_ENOMEM. Free with az_instance_doc_free. */
int az_instance_decode(const unsigned char *data, size_t len, az_instance_doc *out);
void az_instance_doc_free(az_instance_doc *doc);

#endif
