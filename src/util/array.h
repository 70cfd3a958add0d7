/* The growable array: one reserve function for every array the library grows by doubling. */
#ifndef AZ_UTIL_ARRAY_H
#define AZ_UTIL_ARRAY_H

#include <stddef.h>

/* Make *items (an array of *cap elements of size bytes; NULL when *cap is 0) hold at least need elements:
 * realloc to the larger of need and twice *cap (at least 16), so that appending one at a time is amortised
 * O(1). On success *items and *cap are updated; on failure both are left as they were (the elements too).
 * Errors: ASYNCZ_ENOMEM (out of memory, or need * size does not fit a size_t). */
int az_array_reserve(void **items, size_t *cap, size_t need, size_t size);

#endif
