/* What every executor shares: the base and freeing. */
#include "asyncz/error.h"
#include "asyncz/sys/executor.h"

int asyncz_executor_base_init(asyncz_executor_base *base, const asyncz_executor_ops *ops)
{
    if (!base || !ops || ops->version != ASYNCZ_EXECUTOR_OPS_VERSION || !ops->name || !ops->submit ||
        !ops->shutdown || !ops->destroy)
        return ASYNCZ_EINVAL;
    base->ops = ops;
    return 0;
}

const char *asyncz_executor_kind(const asyncz_executor *ex)
{
    return ex ? ((const asyncz_executor_base *)ex)->ops->name : NULL;
}

void asyncz_executor_free(asyncz_executor *ex)
{
    if (ex)
        ASYNCZ_EXECUTOR_BASE(ex)->ops->destroy(ex);
}
