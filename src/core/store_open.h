/* Opening and closing a store while keeping its base's `connected` flag. The scheduler opens the stores added
 * to it; the store layer (src/store) opens the standalone ones of asyncz_store_connect* and closes a store it
 * frees. Both go through the ops table of the public contract (asyncz/sys/store.h), so this lives in the
 * lower layer of the two. Internal. */
#ifndef AZ_STORE_OPEN_H
#define AZ_STORE_OPEN_H

#include "asyncz/sys/store.h"

/* Open st for host (closing it first if connected): ops->open when the store has one. Returns its result;
 * the store is connected when it is 0. */
int az_store_do_open(asyncz_store *st, const asyncz_store_host *host);
/* Close st if connected (ops->close when the store has one); it is then not connected. */
void az_store_do_close(asyncz_store *st);

#endif
