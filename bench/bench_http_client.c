/* The `http` suite's client side (bench_http.h): keep-alive GET requests over HTTP/1.1 (answers with a
 * Content-Length or chunked), a load sent at a fixed pace by a few threads (wrk has no rate option), and
 * event-stream readers that note when each event arrives. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_http.h"

#define MAX_ANSWER (64u << 20) /* an answer larger than this is an error */
#define MAX_LOAD_THREADS 64
#define BACKLOG_NS 100000000ull /* a paced thread further behind than this gives up the backlog */

/* ---- a connection -------------------------------------------------------------------------------------- */

int bh_connect(bh_conn *c, unsigned port)
{
    *c = (bh_conn){.fd = -1, .port = port};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    c->fd = fd;
    return 0;
}

void bh_close(bh_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    c->fd = -1;
    c->buf = NULL;
    c->len = c->cap = 0;
}

void bh_answer_clear(bh_answer *a)
{
    free(a->body);
    *a = (bh_answer){0};
}

/* Read what the socket has into c->buf (growing it). Returns 0, or -1 (closed, an error, too large). */
static int read_more(bh_conn *c)
{
    if (c->len + 1 >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16384;
        char *buf = cap <= MAX_ANSWER ? realloc(c->buf, cap) : NULL;
        if (!buf)
            return -1;
        c->buf = buf;
        c->cap = cap;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n > 0) {
            c->len += (size_t)n;
            c->buf[c->len] = '\0';
            return 0;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

static void consume(bh_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    if (c->buf)
        c->buf[c->len] = '\0';
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* The value of header `name` in the header block [p, end), or NULL. */
static const char *header_value(const char *p, const char *end, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            *len = (size_t)(eol - v);
            return v;
        }
        p = eol + 2;
    }
    return NULL;
}

/* The headers of an answer at the start of c->buf: status, where the body starts, and how it is framed. */
typedef struct head {
    int status;
    size_t body_at;
    bool chunked;
    long long length; /* -1: not given */
} head;

/* 1: a whole header block parsed into h; 0: more is needed; -1: malformed. */
static int parse_head(const bh_conn *c, head *h)
{
    const char *end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
    if (!end)
        return c->len > 65536 ? -1 : 0;
    if (c->len < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0)
        return -1;
    h->status = atoi(c->buf + 9);
    h->body_at = (size_t)(end - c->buf) + 4;
    size_t len = 0;
    const char *te = header_value(c->buf, end, "Transfer-Encoding", &len);
    h->chunked = te && len >= 7 && strncasecmp(te, "chunked", 7) == 0;
    const char *cl = header_value(c->buf, end, "Content-Length", &len);
    h->length = cl ? strtoll(cl, NULL, 10) : -1;
    return h->status >= 100 ? 1 : -1;
}

/* Decode a chunked body starting at c->buf + at into out. 1: complete, *used set to the bytes it took from
 * at; 0: more is needed; -1: malformed. */
static int dechunk(const bh_conn *c, size_t at, bh_answer *out, size_t *used)
{
    size_t p = at, total = 0;
    /* First pass: is it all here, and how large is it? */
    for (;;) {
        const char *eol = p < c->len ? memmem(c->buf + p, c->len - p, "\r\n", 2) : NULL;
        if (!eol)
            return 0;
        char *endp;
        unsigned long long size = strtoull(c->buf + p, &endp, 16);
        if (endp == c->buf + p)
            return -1;
        size_t data = (size_t)(eol - c->buf) + 2;
        if (size == 0) {
            if (c->len < data + 2)
                return 0;
            if (memcmp(c->buf + data, "\r\n", 2) != 0)
                return -1; /* trailers: none are sent here */
            *used = data + 2 - at;
            break;
        }
        if (size > MAX_ANSWER || c->len < data + size + 2)
            return size > MAX_ANSWER ? -1 : 0;
        total += size;
        p = data + size + 2;
    }
    out->body = malloc(total + 1);
    if (!out->body)
        return -1;
    out->body_len = 0;
    for (p = at;;) {
        const char *eol = memmem(c->buf + p, c->len - p, "\r\n", 2);
        size_t size = (size_t)strtoull(c->buf + p, NULL, 16), data = (size_t)(eol - c->buf) + 2;
        if (size == 0)
            break;
        memcpy(out->body + out->body_len, c->buf + data, size);
        out->body_len += size;
        p = data + size + 2;
    }
    out->body[out->body_len] = '\0';
    return 1;
}

/* Read one whole answer from c into out. */
static int read_answer(bh_conn *c, bh_answer *out)
{
    head h;
    int rc;
    while ((rc = parse_head(c, &h)) == 0)
        if (read_more(c) != 0)
            return -1;
    if (rc < 0)
        return -1;
    if (h.chunked) {
        size_t used = 0;
        while ((rc = dechunk(c, h.body_at, out, &used)) == 0)
            if (read_more(c) != 0)
                return -1;
        if (rc < 0)
            return -1;
        out->status = h.status;
        consume(c, h.body_at + used);
        return 0;
    }
    if (h.length < 0 || (unsigned long long)h.length > MAX_ANSWER)
        return -1; /* an answer framed by closing: not sent to these requests */
    size_t need = h.body_at + (size_t)h.length;
    while (c->len < need)
        if (read_more(c) != 0)
            return -1;
    out->body = malloc((size_t)h.length + 1);
    if (!out->body)
        return -1;
    memcpy(out->body, c->buf + h.body_at, (size_t)h.length);
    out->body[h.length] = '\0';
    out->body_len = (size_t)h.length;
    out->status = h.status;
    consume(c, need);
    return 0;
}

static int format_get(char *req, size_t size, unsigned port, const char *path, const char *token)
{
    int n = snprintf(req, size, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%sAccept: */*\r\n\r\n", path,
                     port, token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
    return n > 0 && (size_t)n < size ? n : -1;
}

int bh_get(bh_conn *c, const char *path, const char *token, bh_answer *out)
{
    char req[8192];
    *out = (bh_answer){0};
    int n = format_get(req, sizeof req, c->port, path, token);
    if (n < 0 || c->fd < 0 || send_all(c->fd, req, (size_t)n) != 0)
        return -1;
    if (read_answer(c, out) != 0) {
        bh_answer_clear(out);
        return -1;
    }
    return 0;
}

int bh_get_once(unsigned port, const char *path, const char *token, bh_answer *out)
{
    bh_conn c;
    *out = (bh_answer){0};
    if (bh_connect(&c, port) != 0)
        return -1;
    int rc = bh_get(&c, path, token, out);
    bh_close(&c);
    return rc;
}

int bh_url_encode(const char *text, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                     strchr("-._~", *p);
        if (o + (plain ? 1 : 3) >= size)
            return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

/* ---- percentiles --------------------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void bh_sort(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_i64);
}

int64_t bh_percentile(const int64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(q * (double)n);
    return v[i < n ? i : n - 1];
}

/* ---- the paced load ------------------------------------------------------------------------------------ */

typedef struct load_thread {
    struct bh_load *load;
    pthread_t thread;
    int index;
    uint64_t ok, failed;
} load_thread;

struct bh_load {
    unsigned port;
    char *path, *token;
    uint64_t period_ns; /* between two requests of one thread */
    uint64_t started_ns;
    atomic_bool stop;
    int n_threads;
    load_thread threads[MAX_LOAD_THREADS];
};

static void sleep_until(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *load_main(void *arg)
{
    load_thread *t = arg;
    bh_load *l = t->load;
    bh_conn c = {.fd = -1};
    /* The threads' schedules are staggered over one period so that the requests come evenly. */
    uint64_t next = l->started_ns + l->period_ns * (uint64_t)t->index / (uint64_t)l->n_threads;
    while (!atomic_load(&l->stop)) {
        uint64_t now = bench_now_ns();
        if (next > now)
            sleep_until(next);
        else if (now - next > BACKLOG_NS)
            next = now;
        if (atomic_load(&l->stop))
            break;
        if (c.fd < 0 && bh_connect(&c, l->port) != 0) {
            t->failed++;
            next += l->period_ns;
            continue;
        }
        bh_answer a;
        if (bh_get(&c, l->path, l->token, &a) != 0) {
            bh_close(&c);
            t->failed++;
        } else if (a.status != 200) {
            t->failed++;
        } else {
            t->ok++;
        }
        bh_answer_clear(&a);
        next += l->period_ns;
    }
    bh_close(&c);
    return NULL;
}

int bh_load_start(bh_load **out, unsigned port, const char *path, const char *token, double rate, int threads)
{
    if (threads < 1 || threads > MAX_LOAD_THREADS || !(rate > 0))
        return -1;
    bh_load *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    l->port = port;
    l->path = strdup(path);
    l->token = token ? strdup(token) : NULL;
    l->period_ns = (uint64_t)(1e9 * threads / rate);
    l->started_ns = bench_now_ns();
    l->n_threads = threads;
    for (int i = 0; i < threads; i++) {
        l->threads[i] = (load_thread){.load = l, .index = i};
        if (pthread_create(&l->threads[i].thread, NULL, load_main, &l->threads[i]) != 0) {
            l->n_threads = i;
            bh_load_stop(l, NULL, NULL);
            return -1;
        }
    }
    *out = l;
    return 0;
}

void bh_load_stop(bh_load *l, double *achieved_rate, uint64_t *failed)
{
    atomic_store(&l->stop, true);
    uint64_t ok = 0, bad = 0;
    for (int i = 0; i < l->n_threads; i++) {
        pthread_join(l->threads[i].thread, NULL);
        ok += l->threads[i].ok;
        bad += l->threads[i].failed;
    }
    double seconds = (double)(bench_now_ns() - l->started_ns) / 1e9;
    if (achieved_rate)
        *achieved_rate = seconds > 0 ? (double)ok / seconds : 0;
    if (failed)
        *failed = bad;
    free(l->path);
    free(l->token);
    free(l);
}

/* ---- event-stream readers ------------------------------------------------------------------------------ */

#define MAX_DELIVERIES 65536 /* per stream */

typedef struct reader {
    struct bh_streams *streams;
    pthread_t thread;
    bool started;
    bh_conn conn;
    /* the chunked framing */
    size_t chunk_left; /* data bytes of the current chunk still to come */
    int crlf_left;     /* bytes of the CRLF after a chunk's data still to skip */
    /* the current line and event */
    char line[8192];
    size_t line_len;
    uint64_t id;
    int64_t time_us; /* -1: none seen in this event */
    bh_delivery *deliveries;
    size_t n;
    bool ended_early;
} reader;

struct bh_streams {
    atomic_bool recording, stop;
    int n;
    reader *readers;
};

static int64_t real_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A whole line of the stream (without its newline). */
static void on_line(reader *r, const char *line, size_t len, int64_t now_us)
{
    if (len == 0) { /* the end of an event */
        if (r->id && r->time_us >= 0 && atomic_load(&r->streams->recording) && r->n < MAX_DELIVERIES)
            r->deliveries[r->n++] = (bh_delivery){r->id, now_us - r->time_us};
        r->id = 0;
        r->time_us = -1;
        return;
    }
    if (len > 4 && strncmp(line, "id: ", 4) == 0) {
        r->id = strtoull(line + 4, NULL, 10);
    } else if (len > 6 && strncmp(line, "data: ", 6) == 0) {
        const char *t = memmem(line, len, "\"time_us\":", 10);
        if (t)
            r->time_us = strtoll(t + 10, NULL, 10);
    }
}

static void on_data(reader *r, const char *p, size_t n, int64_t now_us)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            r->line[r->line_len] = '\0';
            on_line(r, r->line, r->line_len, now_us);
            r->line_len = 0;
        } else if (p[i] != '\r' && r->line_len + 1 < sizeof r->line) {
            r->line[r->line_len++] = p[i];
        }
    }
}

/* Take the stream's chunked framing off what c->buf holds, handing the data to on_data. Returns 0, or -1
 * (malformed, or the last chunk). */
static int unframe(reader *r, int64_t now_us)
{
    bh_conn *c = &r->conn;
    size_t p = 0;
    int rc = 0;
    while (p < c->len) {
        if (r->crlf_left > 0) {
            size_t k = (size_t)r->crlf_left < c->len - p ? (size_t)r->crlf_left : c->len - p;
            r->crlf_left -= (int)k;
            p += k;
        } else if (r->chunk_left > 0) {
            size_t k = r->chunk_left < c->len - p ? r->chunk_left : c->len - p;
            on_data(r, c->buf + p, k, now_us);
            r->chunk_left -= k;
            p += k;
            if (r->chunk_left == 0)
                r->crlf_left = 2;
        } else {
            const char *eol = memmem(c->buf + p, c->len - p, "\r\n", 2);
            if (!eol)
                break; /* the size line is not all here */
            char *endp;
            unsigned long long size = strtoull(c->buf + p, &endp, 16);
            if (endp == c->buf + p || size == 0) {
                rc = -1;
                break;
            }
            r->chunk_left = (size_t)size;
            p = (size_t)(eol - c->buf) + 2;
        }
    }
    consume(c, p);
    return rc;
}

static void *reader_main(void *arg)
{
    reader *r = arg;
    while (!atomic_load(&r->streams->stop)) {
        if (read_more(&r->conn) != 0 || unframe(r, real_now_us()) != 0) {
            r->ended_early = !atomic_load(&r->streams->stop);
            break;
        }
    }
    return NULL;
}

/* Connect reader r, ask for the stream and read its answer's headers. */
static int open_stream(reader *r, unsigned port, const char *token)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
                     "Accept: text/event-stream\r\n\r\n",
                     port, token);
    if (bh_connect(&r->conn, port) != 0 || send_all(r->conn.fd, req, (size_t)n) != 0)
        return -1;
    head h;
    int rc;
    while ((rc = parse_head(&r->conn, &h)) == 0)
        if (read_more(&r->conn) != 0)
            return -1;
    if (rc < 0 || h.status != 200 || !h.chunked) {
        fprintf(stderr, "asyncz-bench http: /api/v1/events answered %d%s\n", rc < 0 ? 0 : h.status,
                rc >= 0 && !h.chunked ? " (not chunked)" : "");
        return -1;
    }
    consume(&r->conn, h.body_at);
    return 0;
}

int bh_streams_open(bh_streams **out, unsigned port, const char *token, int clients)
{
    bh_streams *s = calloc(1, sizeof *s);
    if (!s || !(s->readers = calloc((size_t)clients, sizeof *s->readers))) {
        free(s);
        return -1;
    }
    s->n = clients;
    int rc = 0;
    for (int i = 0; i < clients; i++) {
        reader *r = &s->readers[i];
        *r = (reader){.streams = s, .conn = {.fd = -1}, .time_us = -1};
        r->deliveries = malloc(MAX_DELIVERIES * sizeof *r->deliveries);
        if (!r->deliveries || open_stream(r, port, token) != 0) {
            fprintf(stderr, "asyncz-bench http: event stream %d of %d could not be opened: %s\n", i + 1,
                    clients, strerror(errno));
            rc = -1;
            break;
        }
        if (pthread_create(&r->thread, NULL, reader_main, r) != 0) {
            rc = -1;
            break;
        }
        r->started = true;
    }
    if (rc) {
        bh_delivery *d = NULL;
        size_t n = 0;
        int early = 0;
        bh_streams_close(s, &d, &n, &early);
        free(d);
        return -1;
    }
    *out = s;
    return 0;
}

void bh_streams_record(bh_streams *s)
{
    atomic_store(&s->recording, true);
}

void bh_streams_close(bh_streams *s, bh_delivery **out, size_t *n, int *ended_early)
{
    atomic_store(&s->stop, true);
    size_t total = 0;
    *ended_early = 0;
    for (int i = 0; i < s->n; i++) {
        reader *r = &s->readers[i];
        if (r->conn.fd >= 0)
            shutdown(r->conn.fd, SHUT_RDWR); /* wakes a reader blocked in recv */
        if (r->started)
            pthread_join(r->thread, NULL);
        total += r->n;
        *ended_early += r->ended_early;
    }
    *out = malloc((total ? total : 1) * sizeof **out);
    *n = 0;
    for (int i = 0; i < s->n; i++) {
        reader *r = &s->readers[i];
        if (*out && r->n) {
            memcpy(*out + *n, r->deliveries, r->n * sizeof *r->deliveries);
            *n += r->n;
        }
        free(r->deliveries);
        bh_close(&r->conn);
    }
    free(s->readers);
    free(s);
}
