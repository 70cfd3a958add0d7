/* A run's kept output (run_output.h): a window over an array of lines, dropping from the front. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "core/run_output.h"

az_output *az_output_new(size_t max_bytes)
{
    az_output *o = calloc(1, sizeof *o);
    if (o)
        o->max_bytes = max_bytes ? max_bytes : 1;
    return o;
}

void az_output_free(az_output *o)
{
    if (!o)
        return;
    for (size_t i = o->head; i < o->n; i++)
        free((char *)o->lines[i].text);
    free(o->lines);
    free(o);
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len = p[0] < 0x80             ? 1
                 : (p[0] & 0xe0) == 0xc0 ? 2
                 : (p[0] & 0xf0) == 0xe0 ? 3
                 : (p[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n || (len == 2 && p[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (len == 3) {
        unsigned cp = ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    if (len == 4) {
        unsigned cp =
            ((p[0] & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
        if (cp < 0x10000 || cp > 0x10ffff)
            return 0;
    }
    return len;
}

/* text as valid UTF-8 without NUL bytes: a malloc'd copy, each bad byte replaced by U+FFFD. */
static char *clean_copy(const char *text, size_t len, size_t *out_len)
{
    char *out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] ? utf8_seq(p + i, len - i) : 0;
        if (n) {
            memcpy(out + w, p + i, n);
            w += n;
            i += n;
        } else {
            memcpy(out + w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    out[w] = '\0';
    *out_len = w;
    return out;
}

/* Keep the last `keep` bytes of a line, starting on a character boundary. */
static void keep_tail(char *text, size_t *len, size_t keep)
{
    size_t from = *len - keep;
    while (from < *len && ((unsigned char)text[from] & 0xc0) == 0x80)
        from++;
    memmove(text, text + from, *len - from + 1);
    *len -= from;
}

static void drop_oldest(az_output *o)
{
    asyncz_output_line *l = &o->lines[o->head++];
    o->bytes -= strlen(l->text);
    free((char *)l->text);
    o->truncated = true;
}

static int make_room(az_output *o)
{
    if (o->head > 0 && o->head * 2 >= o->n) {
        memmove(o->lines, o->lines + o->head, (o->n - o->head) * sizeof *o->lines);
        o->n -= o->head;
        o->head = 0;
    }
    if (o->n < o->cap)
        return 0;
    size_t cap = o->cap ? o->cap * 2 : 16;
    asyncz_output_line *lines = realloc(o->lines, cap * sizeof *lines);
    if (!lines)
        return ASYNCZ_ENOMEM;
    o->lines = lines;
    o->cap = cap;
    return 0;
}

int az_output_add(az_output *o, asyncz_time_t t, asyncz_output_stream stream, const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    size_t clean_len;
    char *clean = clean_copy(text ? text : "", text ? len : 0, &clean_len);
    if (!clean || make_room(o) != 0) {
        free(clean);
        return ASYNCZ_ENOMEM;
    }
    if (clean_len > o->max_bytes) {
        keep_tail(clean, &clean_len, o->max_bytes);
        o->truncated = true;
    }
    while (o->head < o->n && o->bytes + clean_len > o->max_bytes)
        drop_oldest(o);
    o->lines[o->n++] = (asyncz_output_line){t, stream, clean};
    o->bytes += clean_len;
    return 0;
}

const asyncz_output_line *az_output_lines(const az_output *o, size_t *n)
{
    *n = o ? o->n - o->head : 0;
    return o ? o->lines + o->head : NULL;
}

json_t *az_output_to_json(const az_output *o)
{
    json_t *a = json_array();
    for (size_t i = o ? o->head : 0; a && o && i < o->n; i++) {
        const asyncz_output_line *l = &o->lines[i];
        if (json_array_append_new(a, json_pack("[Iis]", (json_int_t)l->time, (int)l->stream, l->text)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

az_output *az_output_copy(const az_output *o)
{
    az_output *c = o ? az_output_new(o->max_bytes) : NULL;
    size_t n = o ? o->n - o->head : 0;
    if (!c || n == 0)
        return c;
    if (!(c->lines = malloc(n * sizeof *c->lines))) {
        az_output_free(c);
        return NULL;
    }
    c->cap = n;
    for (; c->n < n; c->n++) {
        const asyncz_output_line *l = &o->lines[o->head + c->n];
        char *text = strdup(l->text);
        if (!text) {
            az_output_free(c);
            return NULL;
        }
        c->lines[c->n] = (asyncz_output_line){l->time, l->stream, text};
    }
    c->bytes = o->bytes;
    c->truncated = o->truncated;
    return c;
}

int az_output_add_json(az_output *o, const json_t *lines, bool truncated)
{
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        json_int_t t;
        int stream;
        const char *text;
        if (json_unpack(l, "[Iis]", &t, &stream, &text) != 0 || stream < ASYNCZ_OUTPUT_STDOUT ||
            stream > ASYNCZ_OUTPUT_NOTE)
            return ASYNCZ_EPARSE;
        if (az_output_add(o, t, (asyncz_output_stream)stream, text, strlen(text)) != 0)
            return ASYNCZ_ENOMEM;
    }
    o->truncated = o->truncated || truncated;
    return 0;
}

int az_output_from_json(const json_t *lines, bool truncated, size_t max_bytes, az_output **out)
{
    *out = NULL;
    if (!lines || json_array_size(lines) == 0)
        return 0;
    az_output *o = az_output_new(max_bytes);
    if (!o)
        return ASYNCZ_ENOMEM;
    int rc = az_output_add_json(o, lines, truncated);
    if (rc) {
        az_output_free(o);
        return rc;
    }
    *out = o;
    return 0;
}
