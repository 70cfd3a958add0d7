/* Reading a request's parts and writing a response: the helpers every handler uses. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "http.h"

static const char *const role_names[] = {"none", "viewer", "operator", "admin"};

const char *az_http_role_name(az_http_role role)
{
    return (unsigned)role < sizeof role_names / sizeof *role_names ? role_names[role] : "none";
}

int az_http_role_parse(const char *name, az_http_role *out)
{
    for (unsigned i = AZ_HTTP_ROLE_VIEWER; i < sizeof role_names / sizeof *role_names; i++)
        if (name && strcmp(name, role_names[i]) == 0) {
            *out = (az_http_role)i;
            return 0;
        }
    return -1;
}

/* ---- requests -------------------------------------------------------------------------------------------
 */

static const char *find_pair(const az_http_pair *pairs, size_t n, const char *name, bool fold)
{
    for (size_t i = 0; i < n; i++)
        if (fold ? strcasecmp(pairs[i].name, name) == 0 : strcmp(pairs[i].name, name) == 0)
            return pairs[i].value;
    return NULL;
}

const char *az_http_query(const az_http_request *r, const char *name)
{
    return find_pair(r->query, r->n_query, name, false);
}

const char *az_http_header(const az_http_request *r, const char *name)
{
    return find_pair(r->headers, r->n_headers, name, true);
}

const char *az_http_cookie(const az_http_request *r, const char *name)
{
    return find_pair(r->cookies, r->n_cookies, name, false);
}

const char *az_http_param(const az_http_request *r, const char *name)
{
    return find_pair(r->params, r->n_params, name, false);
}

/* ---- responses ------------------------------------------------------------------------------------------
 */

static int internal_error(az_http_response *resp)
{
    az_http_response_clear(resp);
    resp->status = 500;
    return -1;
}

int az_http_reply_json(az_http_response *resp, int status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(doc);
    if (!text)
        return internal_error(resp);
    free(resp->body);
    resp->body = text;
    resp->body_len = strlen(text);
    resp->status = status;
    resp->content_type = "application/json";
    return 0;
}

static int reply_error_v(az_http_response *resp, int status, const char *code, json_t *extra, const char *fmt,
                         va_list ap)
{
    char *message = NULL;
    if (vasprintf(&message, fmt, ap) < 0) {
        json_decref(extra);
        return internal_error(resp);
    }
    /* The message may quote what the client sent (a path, a value): az_cli_json_text escapes what is not
     * UTF-8 instead of failing. */
    json_t *error = json_pack("{s:s, s:o}", "code", code, "message", az_cli_json_text(message));
    free(message);
    if (error && extra)
        json_object_update_missing(error, extra);
    json_decref(extra);
    return az_http_reply_json(resp, status, error ? json_pack("{s:o}", "error", error) : NULL);
}

int az_http_reply_error(az_http_response *resp, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = reply_error_v(resp, status, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int az_http_reply_error_with(az_http_response *resp, int status, const char *code, json_t *extra,
                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = reply_error_v(resp, status, code, extra, fmt, ap);
    va_end(ap);
    return rc;
}

int az_http_reply_text(az_http_response *resp, int status, const char *content_type, const char *text,
                       size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return internal_error(resp);
    memcpy(copy, text, len);
    copy[len] = '\0';
    free(resp->body);
    resp->body = copy;
    resp->body_len = len;
    resp->status = status;
    resp->content_type = content_type;
    return 0;
}

int az_http_add_header(az_http_response *resp, const char *name, const char *value)
{
    if (resp->n_headers == AZ_HTTP_MAX_HEADERS)
        return -1;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    resp->headers[resp->n_headers].name = n;
    resp->headers[resp->n_headers].value = v;
    resp->n_headers++;
    return 0;
}

void az_http_response_clear(az_http_response *resp)
{
    free(resp->body);
    for (size_t i = 0; i < resp->n_headers; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    *resp = (az_http_response){0};
}
