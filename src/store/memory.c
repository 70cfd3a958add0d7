/* Memory store: placeholder until the heap+hash store lands. */
#include "asyncz/error.h"
#include "asyncz/store.h"

int asyncz_store_memory_new(asyncz_store **out)
{
    (void)out;
    return ASYNCZ_EUNSUPPORTED;
}
