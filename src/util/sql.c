/* Table names in SQL statement texts (see sql.h). */
#include <stdlib.h>
#include <string.h>

#include "util/sql.h"

#define PLACEHOLDER_LEN (sizeof AZ_SQL_TABLE - 1)

char *az_sql_with_table(const char *tmpl, const char *table)
{
    size_t tlen = strlen(table), n = 0;
    for (const char *p = strstr(tmpl, AZ_SQL_TABLE); p; p = strstr(p + PLACEHOLDER_LEN, AZ_SQL_TABLE))
        n++;
    size_t len = strlen(tmpl);
    if (tlen > PLACEHOLDER_LEN && n > ((size_t)-1 - len - 1) / (tlen - PLACEHOLDER_LEN))
        return NULL;
    char *out = malloc(len - n * PLACEHOLDER_LEN + n * tlen + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, AZ_SQL_TABLE, PLACEHOLDER_LEN) == 0) {
            memcpy(o, table, tlen);
            o += tlen;
            p += PLACEHOLDER_LEN;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}
