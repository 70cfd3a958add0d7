/* Opening and closing a store (see store_open.h). */
#include <stddef.h>

#include "core/store_open.h"

int az_store_do_open(asyncz_store *st, const asyncz_store_host *host)
{
    asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (base->connected)
        az_store_do_close(st);
    int rc = base->ops->open ? base->ops->open(st, host) : 0;
    base->connected = rc == 0;
    return rc;
}

void az_store_do_close(asyncz_store *st)
{
    asyncz_store_base *base = ASYNCZ_STORE_BASE(st);
    if (base->connected && base->ops->close)
        base->ops->close(st);
    base->connected = false;
}
