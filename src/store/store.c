/* What every store shares: the base, opening by URL, freeing. */
#include <string.h>

#include "asyncz/error.h"
#include "asyncz/sys/store.h"

int asyncz_store_base_init(asyncz_store_base *base, const asyncz_store_ops *ops)
{
    if (!base || !ops || ops->version != ASYNCZ_STORE_OPS_VERSION || !ops->name || !ops->add ||
        !ops->update || !ops->remove || !ops->remove_all || !ops->lookup || !ops->list || !ops->due ||
        !ops->earliest || !ops->count || !ops->claim || !ops->release || !ops->destroy)
        return ASYNCZ_EINVAL;
    base->ops = ops;
    return 0;
}

const char *asyncz_store_kind(const asyncz_store *st)
{
    return st ? ((const asyncz_store_base *)st)->ops->name : NULL;
}

void asyncz_store_free(asyncz_store *st)
{
    if (st)
        ASYNCZ_STORE_BASE(st)->ops->destroy(st);
}

int asyncz_store_open(asyncz_store **out, const char *url)
{
    if (!out || !url)
        return ASYNCZ_EINVAL;
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return ASYNCZ_EINVAL;
    size_t scheme_len = (size_t)(sep - url);
    if (scheme_len == 6 && strncmp(url, "memory", 6) == 0) {
        if (sep[3] != '\0')
            return ASYNCZ_EINVAL;
        return asyncz_store_memory_new(out);
    }
    return ASYNCZ_EUNSUPPORTED;
}
