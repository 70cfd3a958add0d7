/* Looking up an embedded file (assets.h). The table is small (tens of files): a linear search. */
#include <string.h>

#include "assets.h"

const az_http_asset *az_http_asset_find(const char *path)
{
    for (const az_http_asset *a = az_http_assets; a->path; a++)
        if (strcmp(a->path, path) == 0)
            return a;
    return NULL;
}
