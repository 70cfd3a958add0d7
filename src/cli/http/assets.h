/* Files embedded in the tool at build time (cmake/embed.cmake): the console's pages, scripts and styles
 * (console/) and the OpenAPI document (src/cli/http/openapi.json). Read-only, static storage.
 */
#ifndef AZ_CLI_HTTP_ASSETS_H
#define AZ_CLI_HTTP_ASSETS_H

#include <stddef.h>

typedef struct az_http_asset {
    const char *path;          /* below its root: "index.html", "assets/app.js", "openapi.json" */
    const unsigned char *data; /* len bytes, followed by a NUL */
    size_t len;
    const char *content_type; /* from the extension: "text/javascript; charset=utf-8" */
    const char *etag;         /* a quoted strong ETag: the start of the file's SHA-256 */
} az_http_asset;

/* The table, ended by an entry whose path is NULL. */
extern const az_http_asset az_http_assets[];

/* The asset at path (exactly, no leading '/'), or NULL. Any thread. */
const az_http_asset *az_http_asset_find(const char *path);

#endif
