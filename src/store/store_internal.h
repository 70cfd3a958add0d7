/* Opening and closing a store while keeping its base's `connected` flag. Internal. */
#ifndef AZ_STORE_INTERNAL_H
#define AZ_STORE_INTERNAL_H

#include "asyncz/sys/store.h"

/* Open st for host (closing it first if connected). */
int az_store_do_open(asyncz_store *st, const asyncz_store_host *host);
/* Close st if connected. */
void az_store_do_close(asyncz_store *st);

#endif
