/* The HTTP server on libmicrohttpd (server.h).
 *
 * Mode: a thread per connection (MHD_USE_THREAD_PER_CONNECTION with an internal listening thread). A
 * handler may wait on a store, and an event stream waits for the next event: with a thread each, neither
 * holds up another connection, and a slow store delays only the requests that need it. The number of
 * threads is bounded by [http] max_connections (and max_connections_per_client for one address).
 *
 * A request is read whole before its handler runs: libmicrohttpd calls on_request once with the headers,
 * then with each piece of the body, then once more with nothing; the body is kept (at most max_body
 * bytes; a larger one is answered 413 without reading the rest) and the last call builds an
 * az_http_request and hands it to az_http_handle (handle.c).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "server.h"
#include "settings.h"

#define LOGGER "asyncz.http"
#define MAX_PAIRS 64      /* headers, query arguments or cookies of one request that are looked at */
#define MAX_PEM (1 << 20) /* a certificate chain or key larger than this is not one */

struct az_http_server {
    struct MHD_Daemon *mhd;
    az_http_app *app;
    unsigned port;
    char *cert, *key; /* PEM text, kept while the daemon runs */
};

/* What a connection's request has so far (libmicrohttpd's per-request pointer). */
typedef struct pending {
    char *body;
    size_t len, cap;
    bool too_large;
    struct timespec started;
} pending;

typedef struct pairs {
    az_http_pair items[MAX_PAIRS];
    size_t n;
} pairs;

/* ---- reading the request ------------------------------------------------------------------------------ */

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    pairs *p = cls;
    if (p->n == MAX_PAIRS)
        return MHD_NO;
    p->items[p->n++] = (az_http_pair){key, value ? value : ""};
    return MHD_YES;
}

static bool body_append(pending *pd, const char *data, size_t size, size_t max)
{
    if (pd->too_large || size > max - pd->len) {
        pd->too_large = true;
        return false;
    }
    if (pd->len + size + 1 > pd->cap) {
        size_t cap = pd->cap ? pd->cap : 4096;
        while (cap < pd->len + size + 1)
            cap *= 2;
        char *body = realloc(pd->body, cap);
        if (!body) {
            pd->too_large = true; /* out of memory: refused as too large rather than cut */
            return false;
        }
        pd->body = body;
        pd->cap = cap;
    }
    memcpy(pd->body + pd->len, data, size);
    pd->len += size;
    pd->body[pd->len] = '\0';
    return true;
}

/* ---- the client's address, and what a trusted proxy says about it ----------------------------------- */

static void to_v6(const struct sockaddr *sa, uint8_t out[16])
{
    memset(out, 0, 16);
    if (sa->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

static bool in_cidr(const uint8_t addr[16], const az_http_cidr *c)
{
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(addr, c->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (addr[full] & mask) == (c->addr[full] & mask);
}

static bool trusted(const az_http_settings *st, const uint8_t addr[16])
{
    for (size_t i = 0; i < st->n_trusted_proxies; i++)
        if (in_cidr(addr, &st->trusted_proxies[i]))
            return true;
    return false;
}

static bool parse_addr(const char *text, uint8_t out[16])
{
    unsigned char v4[4];
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, v4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, text, out) == 1;
}

static void addr_text(const uint8_t addr[16], char *buf, size_t size)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, mapped, 12) == 0)
        inet_ntop(AF_INET, addr + 12, buf, (socklen_t)size);
    else
        inet_ntop(AF_INET6, addr, buf, (socklen_t)size);
}

/* X-Forwarded-For from a trusted proxy: the nearest address that is not a trusted proxy itself, walking
 * from the right (the left part is whatever the client claimed). */
static void forwarded_client(const az_http_settings *st, const char *xff, uint8_t addr[16])
{
    char list[1024];
    snprintf(list, sizeof list, "%s", xff);
    for (;;) {
        char *comma = strrchr(list, ',');
        char *item = comma ? comma + 1 : list;
        while (*item == ' ' || *item == '\t')
            item++;
        size_t len = strcspn(item, " \t");
        item[len] = '\0';
        uint8_t a[16];
        if (!parse_addr(item, a))
            return; /* garbage: keep the last good one */
        memcpy(addr, a, 16);
        if (!trusted(st, a) || !comma)
            return;
        *comma = '\0';
    }
}

static bool prefix_acceptable(const char *p)
{
    if (p[0] != '/' || strlen(p) > 256 || strstr(p, ".."))
        return false;
    for (; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
            !strchr("/-._~", *p))
            return false;
    return true;
}

typedef struct origin {
    char client[INET6_ADDRSTRLEN];
    char prefix[260];
    bool tls;
} origin;

static void find_origin(az_http_server *srv, struct MHD_Connection *c, const az_http_request *req, origin *o)
{
    const az_http_settings *st = srv->app->settings;
    uint8_t addr[16] = {0};
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        to_v6(ci->client_addr, addr);
    o->tls = srv->cert != NULL;
    snprintf(o->prefix, sizeof o->prefix, "%s", st->base_path ? st->base_path : "");
    if (trusted(st, addr)) {
        const char *xff = az_http_header(req, "X-Forwarded-For");
        const char *proto = az_http_header(req, "X-Forwarded-Proto");
        const char *prefix = az_http_header(req, "X-Forwarded-Prefix");
        if (xff)
            forwarded_client(st, xff, addr);
        if (proto)
            o->tls = strcasecmp(proto, "https") == 0;
        if (prefix && prefix_acceptable(prefix)) {
            size_t len = strlen(prefix);
            while (len > 0 && prefix[len - 1] == '/')
                len--;
            snprintf(o->prefix, sizeof o->prefix, "%.*s%s", (int)len, prefix,
                     st->base_path ? st->base_path : "");
        }
    }
    addr_text(addr, o->client, sizeof o->client);
}

/* ---- answering ------------------------------------------------------------------------------------------
 */

typedef struct stream_box {
    az_http_stream_fn fn;
    void (*free)(void *);
    void *ctx;
} stream_box;

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_box *b = cls;
    long n = b->fn(b->ctx, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void free_stream(void *cls)
{
    stream_box *b = cls;
    if (b->free)
        b->free(b->ctx);
    free(b);
}

static struct MHD_Response *make_response(az_http_response *resp)
{
    if (resp->stream) {
        stream_box *b = malloc(sizeof *b);
        if (!b) {
            if (resp->stream_free)
                resp->stream_free(resp->stream_ctx);
            return NULL;
        }
        *b = (stream_box){resp->stream, resp->stream_free, resp->stream_ctx};
        resp->stream = NULL;
        struct MHD_Response *r =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, b, free_stream);
        if (!r)
            free_stream(b);
        return r;
    }
    if (resp->body) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer_with_free_callback(resp->body_len, resp->body, free);
        if (r)
            resp->body = NULL; /* the response owns it now */
        return r;
    }
    return MHD_create_response_from_buffer(resp->static_body ? resp->body_len : 0, (void *)resp->static_body,
                                           MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result send_response(struct MHD_Connection *c, const az_http_request *req,
                                     az_http_response *resp)
{
    az_http_secure_headers(req, resp);
    struct MHD_Response *r = make_response(resp);
    if (!r) {
        az_http_response_clear(resp);
        return MHD_NO;
    }
    if (resp->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    for (size_t i = 0; i < resp->n_headers; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    az_http_response_clear(resp);
    return rc;
}

static int64_t usec_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* ---- the request handler libmicrohttpd calls ------------------------------------------------------------
 */

static enum MHD_Result serve(az_http_server *srv, struct MHD_Connection *c, const char *url,
                             const char *method, pending *pd)
{
    pairs headers = {0}, query = {0}, cookies = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect, &headers);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &query);
    MHD_get_connection_values(c, MHD_COOKIE_KIND, collect, &cookies);
    az_http_request req = {
        .method = method,
        .path = url,
        .query = query.items,
        .n_query = query.n,
        .headers = headers.items,
        .n_headers = headers.n,
        .cookies = cookies.items,
        .n_cookies = cookies.n,
        .body = pd->body,
        .body_len = pd->len,
    };
    origin o;
    find_origin(srv, c, &req, &o);
    req.client = o.client;
    req.prefix = o.prefix;
    req.tls = o.tls;
    az_http_response resp = {0};
    const az_http_route *route = NULL;
    if (pd->too_large)
        az_http_reply_error(&resp, 413, "body_too_large",
                            "the body is larger than [http] max_body (%zu bytes)",
                            srv->app->settings->max_body);
    else
        az_http_handle(srv->app, &req, &resp, &route);
    int status = resp.status;
    enum MHD_Result rc = send_response(c, &req, &resp);
    if (srv->app->metrics)
        az_metrics_on_request(srv->app->metrics, method, route ? route->pattern : NULL, status,
                              usec_since(&pd->started));
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)version;
    az_http_server *srv = cls;
    pending *pd = *req_cls;
    if (!pd) { /* the headers are in: start the request */
        if (!(pd = calloc(1, sizeof *pd)))
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &pd->started);
        const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        *req_cls = pd;
        if (length && strtoull(length, NULL, 10) > srv->app->settings->max_body) {
            pd->too_large = true; /* answered now, on the headers: the body is not read */
            return serve(srv, c, url, method, pd);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        body_append(pd, upload_data, *upload_data_size, srv->app->settings->max_body);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return serve(srv, c, url, method, pd);
}

/* libmicrohttpd's decoding of %XX in the path and the query, but for %00: a decoded NUL would end the
 * string early ("app.js%00.png" would name app.js), so it stays as written and handle.c refuses the path. */
static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    char *out = s;
    for (const char *in = s; *in;) {
        int hi = in[0] == '%' ? hex_value(in[1]) : -1, lo = hi >= 0 ? hex_value(in[2]) : -1;
        if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    pending *pd = *req_cls;
    if (pd) {
        free(pd->body);
        free(pd);
        *req_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    /* A client that goes away mid-answer (a closed event stream, a browser tab) is routine, not a warning. */
    bool routine =
        strstr(msg, "no longer available") || strstr(msg, "reset by peer") || strstr(msg, "timed out");
    asyncz_log(routine ? ASYNCZ_LOG_DEBUG : ASYNCZ_LOG_WARNING, LOGGER, "%s", msg);
}

/* ---- starting and stopping --------------------------------------------------------------------------------
 */

static int read_pem(const char *path, const char *key, char **out, char *why, size_t why_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, why_size, "[http] %s: '%s': %s", key, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > MAX_PEM) {
        snprintf(why, why_size, "[http] %s: '%s': not a PEM file (a regular file of at most 1 MiB)", key,
                 path);
        close(fd);
        return -1;
    }
    char *text = calloc(1, (size_t)st.st_size + 1);
    ssize_t got = text ? read(fd, text, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size || !strstr(text, "-----BEGIN ")) {
        snprintf(why, why_size, "[http] %s: '%s': %s", key, path,
                 got < 0 ? strerror(errno) : "not a PEM file (no -----BEGIN line)");
        free(text);
        return -1;
    }
    *out = text;
    return 0;
}

static int listen_address(const az_http_settings *st, struct sockaddr_storage *ss, unsigned *flags)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, st->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)st->port);
        return 0;
    }
    if (inet_pton(AF_INET6, st->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)st->port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

static unsigned bound_port(struct MHD_Daemon *mhd)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (!info || getsockname(info->listen_fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int start_daemon(az_http_server *srv, char *why, size_t why_size)
{
    const az_http_settings *st = srv->app->settings;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct sockaddr_storage ss;
    if (listen_address(st, &ss, &flags) != 0) {
        snprintf(why, why_size, "[http] listen: '%s' is not an IP address", st->host);
        return -1;
    }
    if (srv->cert)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls[] = {
        {srv->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv->cert},
        {srv->cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->key},
        {MHD_OPTION_END, 0, NULL},
    };
    errno = 0;
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)st->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)st->max_per_client,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)st->timeout_sec, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!srv->mhd) {
        int err = errno;
        snprintf(why, why_size, "cannot listen on %s%s%s:%u%s%s", strchr(st->host, ':') ? "[" : "", st->host,
                 strchr(st->host, ':') ? "]" : "", st->port, err ? ": " : "", err ? strerror(err) : "");
        return -1;
    }
    srv->port = bound_port(srv->mhd);
    return 0;
}

static void write_port_file(const az_http_settings *st, unsigned port)
{
    if (!st->port_file)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", st->port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, st->port_file) != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, LOGGER, "[http] port_file: cannot write '%s': %s", st->port_file,
                   strerror(errno));
}

int az_http_server_start(az_http_server **out, az_http_app *app, char *why, size_t why_size)
{
    const az_http_settings *st = app->settings;
    az_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    srv->app = app;
    if (st->tls_cert && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        snprintf(why, why_size, "[http] tls_cert: this libmicrohttpd was built without TLS");
        goto fail;
    }
    if (st->tls_cert && (read_pem(st->tls_cert, "tls_cert", &srv->cert, why, why_size) != 0 ||
                         read_pem(st->tls_key, "tls_key", &srv->key, why, why_size) != 0))
        goto fail;
    if (start_daemon(srv, why, why_size) != 0)
        goto fail;
    write_port_file(st, srv->port);
    *out = srv;
    return 0;
fail:
    free(srv->cert);
    free(srv->key);
    free(srv);
    return -1;
}

unsigned az_http_server_port(const az_http_server *srv)
{
    return srv->port;
}

void az_http_server_stop(az_http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->mhd);
    if (srv->key) /* the key's text is a secret: not left in freed memory */
        explicit_bzero(srv->key, strlen(srv->key));
    free(srv->cert);
    free(srv->key);
    free(srv);
}
