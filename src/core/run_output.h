/* The output a run keeps (docs/history.md "Run output"): lines with their stream and time, the newest
 * max_bytes of text at most (older lines are dropped, and the drop marked), valid UTF-8 whatever was written.
 * Internal; one per scheduled time of a run that printed something (az_run_outcome.output). Not locked
 * itself: a run guards its outputs with its output_lock (run_internal.h) while it is in flight, since the
 * thread that runs it appends and the scheduler's round copies them (az_output_copy) to publish them; it
 * moves to the run history when the run is done. */
#ifndef AZ_CORE_RUN_OUTPUT_H
#define AZ_CORE_RUN_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "asyncz/history.h"

typedef struct az_output {
    asyncz_output_line *lines; /* lines[head .. n): kept, oldest first; each text owned */
    size_t head, n, cap;
    size_t bytes;     /* text bytes kept */
    size_t max_bytes; /* > 0 */
    bool truncated;   /* older output was dropped */
} az_output;

/* A new empty output keeping at most max_bytes (> 0) of text. NULL: out of memory. */
az_output *az_output_new(size_t max_bytes);
void az_output_free(az_output *o); /* NULL-safe */

/* Add a line (len bytes of text, borrowed; a trailing newline is dropped; bytes that are not UTF-8 become
 * U+FFFD). A line longer than max_bytes keeps its end. Errors: ASYNCZ_ENOMEM (nothing added). */
int az_output_add(az_output *o, asyncz_time_t t, asyncz_output_stream stream, const char *text, size_t len);

/* The kept lines, oldest first (borrowed while o lives and is not added to). */
const asyncz_output_line *az_output_lines(const az_output *o, size_t *n);

/* A copy of o (its lines, truncation and bound), or NULL when out of memory. o may be NULL: NULL. */
az_output *az_output_copy(const az_output *o);

/* Add the lines of a JSON array [[time, stream, text], ...] (az_output_to_json's form) after o's, and mark o
 * truncated when `truncated`. Errors: ASYNCZ_EPARSE (a malformed line: the lines before it stay added),
 * ASYNCZ_ENOMEM. */
int az_output_add_json(az_output *o, const json_t *lines, bool truncated);

/* The lines as a JSON array [[time, stream, text], ...] (a new reference; NULL: out of memory; o may be NULL:
 * an empty array), and back: *out a new output (NULL when the array is empty or absent). Errors:
 * ASYNCZ_EPARSE, ASYNCZ_ENOMEM. */
json_t *az_output_to_json(const az_output *o);
int az_output_from_json(const json_t *lines, bool truncated, size_t max_bytes, az_output **out);

#endif
