/* The stored form of an audit entry: one JSON document per entry, sealed by the persist layer like a run
 * record, kept in its backend's audit journal. Internal. */
#ifndef AZ_CODEC_AUDIT_CODEC_H
#define AZ_CODEC_AUDIT_CODEC_H

#include <stddef.h>

#include "asyncz/audit.h"

#define AZ_AUDIT_DOC_VERSION 1

/* Encode e (borrowed): {"v": 1, "id", "at", "action" (by name), "task_id", "actor", "host", "pid",
 * "changes": {...}}. *out: malloc'd text of *len bytes. Errors: ASYNCZ_EINVAL (changes not a JSON object,
 * text that is not UTF-8), ASYNCZ_ENOMEM. */
int az_audit_encode(const asyncz_audit_entry *e, char **out, size_t *len);

/* Decode into *e, which then owns its strings (az_audit_entry_clear). Errors: ASYNCZ_EPARSE (why, size
 * bytes, says what), ASYNCZ_ENOMEM. */
int az_audit_decode(const char *text, size_t len, asyncz_audit_entry *e, char *why, size_t size);

#endif
