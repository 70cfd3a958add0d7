/* The stored form of a run record (docs/design.md "Run history"): one JSON document per record, which the
 * persist layer seals like a task document and keeps in its backend's runs journal. Internal. */
#ifndef AZ_CODEC_RUN_CODEC_H
#define AZ_CODEC_RUN_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "asyncz/history.h"

/* The version the documents carry ("v"); a reader refuses others. */
#define AZ_RUN_DOC_VERSION 1

/* Encode rec (borrowed) with its output lines. *out: malloc'd text, *len its length (no NUL counted).
 * Errors: ASYNCZ_ENOMEM; ASYNCZ_EINVAL (a string that is not valid UTF-8: jansson refuses it). */
int az_run_encode(const asyncz_run_record *rec, char **out, size_t *len);

/* Decode len bytes of text into *rec, which then owns every string (az_run_record_clear frees them);
 * output lines only when with_output. Unknown members are ignored (a newer writer's). Errors:
 * ASYNCZ_EPARSE (not a run document: why (size bytes) says what, naming the member), ASYNCZ_ENOMEM. */
int az_run_decode(const char *text, size_t len, bool with_output, asyncz_run_record *rec, char *why,
                  size_t size);

#endif
