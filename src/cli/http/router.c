/* Finding a request's route: each table is searched in order for a pattern whose segments match the path's
 * ("{NAME}" matches any one non-empty segment and becomes a path parameter). A path that a pattern matches
 * with another method is told apart from a path nothing matches (405 and its Allow header, not 404).
 */
#include <stdio.h>
#include <string.h>

#include "http.h"

/* Match one pattern against path, filling params when it matches. */
static bool pattern_matches(const char *pattern, const char *path, az_http_request *req, char *buf,
                            size_t buf_size)
{
    size_t n_params = 0, used = 0;
    const char *p = pattern, *q = path;
    while (*p && *q) {
        if (*p != '/' || *q != '/')
            return false;
        p++, q++;
        const char *pend = strchr(p, '/'), *qend = strchr(q, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t qlen = qend ? (size_t)(qend - q) : strlen(q);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (qlen == 0 || n_params == AZ_HTTP_MAX_PARAMS || used + plen - 2 + 1 + qlen + 1 > buf_size)
                return false;
            char *name = buf + used;
            memcpy(name, p + 1, plen - 2);
            name[plen - 2] = '\0';
            used += plen - 1;
            char *value = buf + used;
            memcpy(value, q, qlen);
            value[qlen] = '\0';
            used += qlen + 1;
            req->params[n_params++] = (az_http_pair){name, value};
        } else if (plen != qlen || memcmp(p, q, plen) != 0) {
            return false;
        }
        p += plen, q += qlen;
    }
    if (*p || *q)
        return false;
    req->n_params = n_params;
    return true;
}

static void add_allowed(char *allow, size_t size, const char *method)
{
    if (!allow || strstr(allow, method))
        return;
    size_t len = strlen(allow);
    snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

/* The parameters' text lives in a buffer of the request's thread: a request is handled by one thread at a
 * time and its parameters are not used after its handler returns. */
static _Thread_local char param_text[2048];

az_http_match az_http_route_find(const az_http_route *const *tables, size_t n_tables, az_http_request *req,
                                 const az_http_route **route, char *allow, size_t allow_size)
{
    char scratch[sizeof param_text];
    az_http_request probe;
    bool path_known = false;
    if (allow && allow_size)
        *allow = '\0';
    for (size_t t = 0; t < n_tables; t++) {
        for (const az_http_route *r = tables[t]; r->method; r++) {
            if (strcmp(r->method, req->method) == 0) {
                if (pattern_matches(r->pattern, req->path, req, param_text, sizeof param_text)) {
                    *route = r;
                    return AZ_HTTP_MATCHED;
                }
            } else if (pattern_matches(r->pattern, req->path, &probe, scratch, sizeof scratch)) {
                path_known = true;
                add_allowed(allow, allow_size, r->method);
            }
        }
    }
    req->n_params = 0;
    return path_known ? AZ_HTTP_METHOD_NOT_ALLOWED : AZ_HTTP_NO_ROUTE;
}
