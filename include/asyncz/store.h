/* Stores: where tasks live. DESIGN §9. A store is made, then handed to a scheduler
 * (asyncz_scheduler_add_store), which owns it from then on. Custom stores: see asyncz/sys/store.h. */
#ifndef ASYNCZ_STORE_H
#define ASYNCZ_STORE_H

#include "asyncz/common.h"

ASYNCZ_BEGIN_DECLS

typedef struct asyncz_store asyncz_store;

/* A store kept in this process's memory: a 4-ary heap by (next run time, sequence) and a hash by id.
 * Tasks are lost when the process ends. Errors: ASYNCZ_ENOMEM. */
ASYNCZ_API int asyncz_store_memory_new(asyncz_store **out);

/* Open a store by URL: "memory://" (more schemes as backends are built). url borrowed.
 * Errors: ASYNCZ_EINVAL (malformed URL), ASYNCZ_EUNSUPPORTED (scheme not built in), and the backend's. */
ASYNCZ_API int asyncz_store_open(asyncz_store **out, const char *url);

/* The backend's name ("memory"). Borrowed. */
ASYNCZ_API const char *asyncz_store_kind(const asyncz_store *st);

/* Free a store not handed to a scheduler (NULL-safe). */
ASYNCZ_API void asyncz_store_free(asyncz_store *st);

ASYNCZ_END_DECLS

#endif
