/* A cursor over text being parsed, shared by the ISO-8601 and duration parsers: it remembers the 1-based
 * column of the first offending character for the error report. */
#ifndef AZ_SCAN_H
#define AZ_SCAN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct az_scan {
    const char *s;
    size_t i;
    int col; /* 1-based column of the first offending character, once an error is found */
} az_scan;

/* Record the error position (0-based index `at`) and return code. */
static inline int az_scan_fail(az_scan *sc, size_t at, int code)
{
    sc->col = (int)at + 1;
    return code;
}

static inline bool az_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

#endif
