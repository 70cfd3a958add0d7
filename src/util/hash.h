/* The string hash of the library's hash tables. */
#ifndef AZ_UTIL_HASH_H
#define AZ_UTIL_HASH_H

#include <stdint.h>

/* FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211), of the NUL-terminated string s.
 * Not keyed: the tables hashed with it hold ids their owner chose (tasks, functions), not input from
 * strangers. */
uint64_t az_hash_str(const char *s);

#endif
