/* The config file's [http] section: the daemon's HTTP API and console (docs/http-api.md). Values are checked
 * here, files (certificates, users, tokens) when the server starts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define MAX_PROXIES 64

void az_http_settings_free(az_http_settings *s)
{
    free(s->host);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->trusted_proxies);
    free(s->base_path);
    free(s->users_file);
    free(s->tokens_file);
    free(s->port_file);
    *s = (az_http_settings){0};
}

static char *copy(const char *text, az_cfg_errors *errs)
{
    char *c = strdup(text);
    if (!c)
        az_cfg_error_oom(errs);
    return c;
}

/* ---- listen = HOST:PORT ------------------------------------------------------------------------------- */

static int parse_port(const char *text, unsigned *out)
{
    if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 5)
        return -1;
    unsigned long n = strtoul(text, NULL, 10);
    if (n > 65535)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static bool is_address(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* "127.0.0.1:8080", "[::1]:8080", "8080" (on 127.0.0.1), "0.0.0.0:80". */
static int read_listen(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "listen");
    const char *text = e ? e->value : AZ_HTTP_DEFAULT_HOST ":8080";
    char host[64] = AZ_HTTP_DEFAULT_HOST;
    const char *port = text;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close && close[1] == ':' && (size_t)(close - text - 1) < sizeof host) {
            memcpy(host, text + 1, (size_t)(close - text - 1));
            host[close - text - 1] = '\0';
            port = close + 2;
        } else {
            port = NULL;
        }
    } else if (strchr(text, ':')) {
        const char *colon = strrchr(text, ':');
        if (strchr(text, ':') != colon || (size_t)(colon - text) >= sizeof host)
            port = NULL; /* an IPv6 address without brackets */
        else {
            memcpy(host, text, (size_t)(colon - text));
            host[colon - text] = '\0';
            port = colon + 1;
        }
    }
    if (!port || parse_port(port, &out->port) != 0) {
        az_cfg_error_add(
            errs, e->line,
            "[http] listen: '%s' is not an address and port (127.0.0.1:8080, [::1]:8080, or a port "
            "alone for 127.0.0.1)",
            text);
        return -1;
    }
    if (!is_address(host)) {
        az_cfg_error_add(errs, e->line,
                         "[http] listen: '%s': '%s' is not an IP address (a host name is not resolved: write "
                         "127.0.0.1, ::1, 0.0.0.0 or ::)",
                         text, host);
        return -1;
    }
    return (out->host = copy(host, errs)) ? 0 : -1;
}

/* ---- trusted_proxies = 10.0.0.1, 192.168.0.0/16, ::1 --------------------------------------------------- */

static int parse_cidr(const char *text, az_http_cidr *out)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    if (len == 0 || len >= sizeof addr)
        return -1;
    memcpy(addr, text, len);
    addr[len] = '\0';
    unsigned max_bits;
    unsigned char v4[4];
    memset(out->addr, 0, sizeof out->addr);
    if (inet_pton(AF_INET, addr, v4) == 1) {
        out->addr[10] = out->addr[11] = 0xff; /* ::ffff:a.b.c.d */
        memcpy(out->addr + 12, v4, 4);
        max_bits = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        max_bits = 128;
    } else {
        return -1;
    }
    unsigned bits = max_bits;
    if (slash) {
        const char *b = slash + 1;
        if (!*b || strspn(b, "0123456789") != strlen(b) || strlen(b) > 3)
            return -1;
        bits = (unsigned)atoi(b);
        if (bits > max_bits)
            return -1;
    }
    out->bits = max_bits == 32 ? bits + 96 : bits;
    return 0;
}

static int read_proxies(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "trusted_proxies");
    if (!e)
        return 0;
    char *list = copy(e->value, errs);
    out->trusted_proxies = calloc(MAX_PROXIES, sizeof *out->trusted_proxies);
    if (!list || !out->trusted_proxies) {
        free(list);
        if (list)
            az_cfg_error_oom(errs);
        return -1;
    }
    int rc = 0;
    char *save = NULL;
    for (char *item = strtok_r(list, ", \t", &save); item; item = strtok_r(NULL, ", \t", &save)) {
        if (out->n_trusted_proxies == MAX_PROXIES) {
            az_cfg_error_add(errs, e->line, "[http] trusted_proxies: more than %d addresses", MAX_PROXIES);
            rc = -1;
            break;
        }
        if (parse_cidr(item, &out->trusted_proxies[out->n_trusted_proxies]) != 0) {
            az_cfg_error_add(errs, e->line,
                             "[http] trusted_proxies: '%s' is not an IP address or network (10.0.0.1, "
                             "192.168.0.0/16, ::1, fd00::/8)",
                             item);
            rc = -1;
            continue;
        }
        out->n_trusted_proxies++;
    }
    free(list);
    return rc;
}

/* ---- base_path = /asyncz ------------------------------------------------------------------------------ */

static bool path_char(char c)
{
    return isalnum((unsigned char)c) || strchr("/-._~", c);
}

static int read_base_path(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "base_path");
    const char *text = e ? e->value : "";
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '/') /* "/" and "/asyncz/" mean "" and "/asyncz" */
        len--;
    bool ok = len == 0 || text[0] == '/';
    for (size_t i = 0; ok && i < len; i++)
        ok = path_char(text[i]) && !(text[i] == '/' && i + 1 < len && text[i + 1] == '/');
    if (ok && len > 0) {
        char padded[1024];
        snprintf(padded, sizeof padded, "%.*s/", (int)len, text);
        ok = len < 512 && !strstr(padded, "/../") && !strstr(padded, "/./");
    }
    if (!ok) {
        az_cfg_error_add(
            errs, e->line,
            "[http] base_path: '%s' is not a URL path prefix (like /asyncz: starts with '/', letters, "
            "digits and - . _ ~ /, no '..')",
            text);
        return -1;
    }
    out->base_path = strndup(text, len);
    if (!out->base_path)
        az_cfg_error_oom(errs);
    return out->base_path ? 0 : -1;
}

/* ---- numbers, sizes, durations, files -------------------------------------------------------------------
 */

static int read_count(az_cfg_section *sec, const char *key, unsigned fallback, unsigned *out,
                      az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    uint32_t n = fallback;
    if (e && az_cfg_parse_uint(sec, e, 1, 65535, &n, errs))
        return -1;
    *out = n;
    return 0;
}

static int read_seconds(az_cfg_section *sec, const char *key, unsigned fallback, unsigned *out,
                        az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    *out = fallback;
    if (!e)
        return 0;
    int64_t usec;
    if (az_cfg_parse_duration(sec, e, false, &usec, errs))
        return -1;
    if (usec < ASYNCZ_USEC_PER_SEC || usec / ASYNCZ_USEC_PER_SEC > 366 * 86400) {
        az_cfg_error_add(errs, e->line, "[http] %s: '%s': from 1s to 366d", key, e->value);
        return -1;
    }
    *out = (unsigned)(usec / ASYNCZ_USEC_PER_SEC);
    return 0;
}

static int read_max_body(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, "max_body");
    out->max_body = AZ_HTTP_DEFAULT_MAX_BODY;
    if (!e)
        return 0;
    long long n = az_cfg_parse_size(e->value);
    if (n < 1 || n > 64 * 1024 * 1024) {
        az_cfg_error_add(errs, e->line, "[http] max_body: '%s': %s (bytes, or with K or M: 256K; 1 to 64M)",
                         e->value, n < 0 ? "not a size" : "out of range");
        return -1;
    }
    out->max_body = (size_t)n;
    return 0;
}

static int read_path(az_cfg_section *sec, const char *key, char **out, az_cfg_errors *errs)
{
    az_cfg_entry *e = az_cfg_get(sec, key);
    if (!e)
        return 0;
    if (!*e->value) {
        az_cfg_error_add(errs, e->line, "[http] %s: empty: give a file's path", key);
        return -1;
    }
    return (*out = copy(e->value, errs)) ? 0 : -1;
}

static int read_files(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    int rc = 0;
    if (read_path(sec, "tls_cert", &out->tls_cert, errs) || read_path(sec, "tls_key", &out->tls_key, errs))
        rc = -1;
    else if (!out->tls_cert != !out->tls_key) {
        az_cfg_error_add(errs, sec->line, "[http]: tls_cert and tls_key go together: %s is missing",
                         out->tls_cert ? "tls_key" : "tls_cert");
        rc = -1;
    }
    if (read_path(sec, "users_file", &out->users_file, errs) ||
        read_path(sec, "tokens_file", &out->tokens_file, errs) ||
        read_path(sec, "port_file", &out->port_file, errs))
        rc = -1;
    return rc;
}

int az_cfg_read_http(az_cfg_section *sec, az_http_settings *out, az_cfg_errors *errs)
{
    *out = (az_http_settings){0};
    if (!sec)
        return 0;
    out->enabled = true;
    out->line = sec->line;
    int rc = 0;
    az_cfg_entry *e;
    if (read_listen(sec, out, errs) || read_proxies(sec, out, errs) || read_base_path(sec, out, errs))
        rc = -1;
    if (read_count(sec, "max_connections", AZ_HTTP_DEFAULT_MAX_CONNECTIONS, &out->max_connections, errs) ||
        read_count(sec, "max_connections_per_client", AZ_HTTP_DEFAULT_MAX_PER_CLIENT, &out->max_per_client,
                   errs) ||
        read_max_body(sec, out, errs))
        rc = -1;
    if (read_seconds(sec, "timeout", AZ_HTTP_DEFAULT_TIMEOUT_SEC, &out->timeout_sec, errs) ||
        read_seconds(sec, "session_idle", AZ_HTTP_DEFAULT_SESSION_IDLE_SEC, &out->session_idle_sec, errs) ||
        read_seconds(sec, "session_max", AZ_HTTP_DEFAULT_SESSION_MAX_SEC, &out->session_max_sec, errs))
        rc = -1;
    if ((e = az_cfg_get(sec, "allow_commands")) && az_cfg_parse_bool(sec, e, &out->allow_commands, errs))
        rc = -1;
    if (read_files(sec, out, errs))
        rc = -1;
    if (rc == 0 && out->session_idle_sec > out->session_max_sec) {
        az_cfg_error_add(errs, sec->line, "[http]: session_idle (%us) is longer than session_max (%us)",
                         out->session_idle_sec, out->session_max_sec);
        rc = -1;
    }
    az_cfg_report_unused(sec, errs);
    return rc;
}
