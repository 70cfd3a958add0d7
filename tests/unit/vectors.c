/* Helpers shared by the unit tests. */
#include <stdio.h>
#include <stdlib.h>

#include "az_test.h"

json_t *az_test_load_vectors(const char *name)
{
    const char *dir = getenv("ASYNCZ_VECTORS_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : ASYNCZ_VECTORS_DIR_DEFAULT, name);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    return root;
}

asyncz_time_t az_test_time(const char *text, const asyncz_zone *zone)
{
    asyncz_time_t t = 0;
    int col = 0;
    int rc = asyncz_time_parse(&t, text, zone, &col);
    if (rc < 0)
        fail_msg("cannot parse time \"%s\": %s (column %d)", text, asyncz_strerror(rc), col);
    return t;
}

asyncz_zone *az_test_zone(const char *name)
{
    asyncz_zone *z = NULL;
    int rc = asyncz_zone_get(&z, name);
    if (rc < 0)
        fail_msg("cannot load zone \"%s\": %s", name, asyncz_strerror(rc));
    return z;
}

const char *az_test_fmt(asyncz_time_t t, const asyncz_zone *zone)
{
    static char buf[4][ASYNCZ_TIME_FORMAT_SIZE];
    static int next;
    char *b = buf[next++ % 4];
    if (t == ASYNCZ_TIME_NONE)
        return "(none)";
    if (asyncz_time_format(b, ASYNCZ_TIME_FORMAT_SIZE, t, zone) < 0)
        snprintf(b, ASYNCZ_TIME_FORMAT_SIZE, "%lld us", (long long)t);
    return b;
}
