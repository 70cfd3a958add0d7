/* The run-record model shared by the store history ops, the scheduler's recording and the API (history.c). */
#ifndef AZ_CORE_HISTORY_H
#define AZ_CORE_HISTORY_H

#include "asyncz/history.h"
#include "asyncz/sys/store.h"

/* The store's five history ops when it has them all (a table of version 4 or later), else NULL. */
bool az_store_has_history(const asyncz_store_ops *ops);

/* Check a query and copy it into *out as the library's version, limit filled in. NULL: the defaults.
 * Errors: ASYNCZ_EINVAL with why in why (size bytes). */
int az_history_query_read(const asyncz_history_query *in, asyncz_history_query *out, char *why, size_t size);

/* The page fields every query has: a limit of 0 becomes ASYNCZ_HISTORY_DEFAULT_LIMIT, one over
 * ASYNCZ_HISTORY_MAX_LIMIT is refused; a NULL cursor becomes "", one longer than any cursor is refused.
 * Errors: ASYNCZ_EINVAL with why (size bytes). */
int az_page_read(size_t *limit, const char **cursor, char *why, size_t size);

/* Whether rec matches q's filters (task, outcomes, time range, scheduler; not the cursor or limit). */
bool az_history_matches(const asyncz_run_record *rec, const asyncz_history_query *q);

/* Deep-copy src into dst (whose old content is not freed), with its output lines unless skip_output.
 * Errors: ASYNCZ_ENOMEM (dst then holds nothing to free). */
int az_run_record_copy_into(asyncz_run_record *dst, const asyncz_run_record *src, bool skip_output);

/* Free what dst owns (as made by az_run_record_copy_into) and reset it with asyncz_run_record_init. */
void az_run_record_clear(asyncz_run_record *rec);

#endif
