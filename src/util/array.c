/* The growable array (see array.h). */
#include <stdint.h>
#include <stdlib.h>

#include "asyncz/error.h"
#include "util/array.h"

#define MIN_CAP 16

int az_array_reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    if (size == 0 || need > SIZE_MAX / size)
        return ASYNCZ_ENOMEM;
    size_t n = *cap < MIN_CAP ? MIN_CAP : *cap;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (n > SIZE_MAX / size)
        n = need; /* doubling overshot what fits: take exactly what was asked */
    void *p = realloc(*items, n * size);
    if (!p)
        return ASYNCZ_ENOMEM;
    *items = p;
    *cap = n;
    return 0;
}
