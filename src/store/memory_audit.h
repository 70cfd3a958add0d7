/* The memory store's audit trail (memory_audit.c): the newest entries in id order, at most
 * ASYNCZ_HISTORY_MEMORY_DEFAULT_MAX_RUNS of them (the oldest go first), with their own lock. */
#ifndef AZ_STORE_MEMORY_AUDIT_H
#define AZ_STORE_MEMORY_AUDIT_H

#include "asyncz/audit.h"

typedef struct az_mem_audit az_mem_audit;

/* Errors: ASYNCZ_ENOMEM. */
int az_mem_audit_new(az_mem_audit **out);
void az_mem_audit_free(az_mem_audit *a);

/* The audit ops (asyncz/sys/store.h), any thread; each takes the trail's own lock and calls back with it
 * released. */
int az_mem_audit_put(az_mem_audit *a, const asyncz_audit_entry *entries, size_t n);
int az_mem_audit_list(az_mem_audit *a, const asyncz_audit_query *q, asyncz_audit_fn each, void *userdata,
                      char *next_cursor);

#endif
