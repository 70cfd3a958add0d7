/* What the public store API's files (store_tasks.c, store_filter.c) share: the checks every call makes and
 * the message of a failed store operation. */
#ifndef AZ_STORE_API_H
#define AZ_STORE_API_H

#include "asyncz/store.h"

/* Check st (not NULL, connected) and clear asyncz_store_errmsg(), so that a message the store sets during
 * the call is the one its caller reads. 0, or ASYNCZ_EINVAL / ASYNCZ_ESTATE with the message set. */
int az_store_api_check(asyncz_store *st);

/* After a store operation failed with rc: keep the store's message when it set one (prefixed with `task
 * "ID": ` when it does not name the task id), else write one naming the task id (NULL: none) and the store,
 * doing being the verb ("read", "list the tasks of"). Returns rc. */
int az_store_api_failed(asyncz_store *st, int rc, const char *id, const char *doing);

#endif
