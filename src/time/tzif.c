/* TZif reader (RFC 8536). The file is a v1 header and data block, then for v2 and later a second header
 * and a block with 64-bit times, then a footer with a POSIX TZ string between newlines. */
#include <stdlib.h>
#include <string.h>

#include "asyncz/error.h"
#include "time/tzif.h"

typedef struct tzif_header {
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

/* A bounds-checked reader: every take fails once the data is exhausted. */
typedef struct reader {
    const uint8_t *p;
    size_t left;
} reader;

static const uint8_t *take(reader *r, size_t n)
{
    if (n > r->left)
        return NULL;
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_header(reader *r, tzif_header *h)
{
    const uint8_t *p = take(r, 44);
    if (!p || memcmp(p, "TZif", 4) != 0)
        return ASYNCZ_ETZDATA;
    h->version = (char)p[4];
    if (h->version != '\0' && (h->version < '2' || h->version > '4'))
        return ASYNCZ_ETZDATA;
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    /* RFC 8536 §3.1: at least one type and one abbreviation byte; indicator counts are 0 or typecnt. */
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0)
        return ASYNCZ_ETZDATA;
    if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) || (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
        return ASYNCZ_ETZDATA;
    return 0;
}

/* The size of a data block; the counts are 32-bit, so the sum fits in 64 bits without overflow. */
static uint64_t block_size(const tzif_header *h, size_t time_size)
{
    return (uint64_t)h->timecnt * (time_size + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (time_size + 4) + h->isstdcnt + h->isutcnt;
}

static int read_transitions(reader *r, const tzif_header *h, size_t tsize, az_tzif *out)
{
    const uint8_t *times = take(r, (size_t)h->timecnt * tsize);
    const uint8_t *idx = take(r, h->timecnt);
    if (!times || !idx)
        return ASYNCZ_ETZDATA;
    for (uint32_t i = 0; i < h->timecnt; i++) {
        const uint8_t *p = times + (size_t)i * tsize;
        out->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
        out->trans_type[i] = idx[i];
        if (idx[i] >= h->typecnt || (i > 0 && out->trans[i] <= out->trans[i - 1]))
            return ASYNCZ_ETZDATA;
    }
    return 0;
}

/* Copy an abbreviation out of the string block; it must be NUL-terminated inside the block. */
static int copy_abbr(const uint8_t *chars, uint32_t charcnt, uint8_t idx, char *out)
{
    if (idx >= charcnt)
        return ASYNCZ_ETZDATA;
    const uint8_t *nul = memchr(chars + idx, '\0', charcnt - idx);
    if (!nul)
        return ASYNCZ_ETZDATA;
    size_t n = (size_t)(nul - (chars + idx));
    if (n >= AZ_ABBR_MAX)
        n = AZ_ABBR_MAX - 1;
    memcpy(out, chars + idx, n);
    out[n] = '\0';
    return 0;
}

static int read_types(reader *r, const tzif_header *h, az_tzif *out)
{
    const uint8_t *types = take(r, (size_t)h->typecnt * 6);
    const uint8_t *chars = take(r, h->charcnt);
    if (!types || !chars)
        return ASYNCZ_ETZDATA;
    out->ntypes = h->typecnt;
    for (uint32_t i = 0; i < h->typecnt; i++) {
        const uint8_t *p = types + i * 6;
        int32_t utoff = (int32_t)be32(p);
        if (utoff < AZ_UTOFF_MIN || utoff > AZ_UTOFF_MAX || p[4] > 1)
            return ASYNCZ_ETZDATA;
        out->types[i].utoff = utoff;
        out->types[i].isdst = p[4];
        if (copy_abbr(chars, h->charcnt, p[5], out->types[i].abbr) < 0)
            return ASYNCZ_ETZDATA;
    }
    return 0;
}

/* Leap-second records are skipped (POSIX time ignores leap seconds); the std/wall and UT/local indicators
 * only matter for reading the obsolete posixrules file, so they are checked for shape and ignored. */
static int skip_tail(reader *r, const tzif_header *h, size_t tsize)
{
    if (!take(r, (size_t)h->leapcnt * (tsize + 4)))
        return ASYNCZ_ETZDATA;
    const uint8_t *std = take(r, h->isstdcnt);
    const uint8_t *ut = take(r, h->isutcnt);
    if (!std || !ut)
        return ASYNCZ_ETZDATA;
    for (uint32_t i = 0; i < h->isstdcnt; i++)
        if (std[i] > 1)
            return ASYNCZ_ETZDATA;
    for (uint32_t i = 0; i < h->isutcnt; i++)
        if (ut[i] > 1)
            return ASYNCZ_ETZDATA;
    return 0;
}

static int read_block(reader *r, const tzif_header *h, size_t tsize, az_tzif *out)
{
    if (block_size(h, tsize) > r->left)
        return ASYNCZ_ETZDATA;
    out->ntrans = h->timecnt;
    out->trans = malloc(sizeof *out->trans * (h->timecnt ? h->timecnt : 1));
    out->trans_type = malloc(h->timecnt ? h->timecnt : 1);
    if (!out->trans || !out->trans_type)
        return ASYNCZ_ENOMEM;
    int rc = read_transitions(r, h, tsize, out);
    if (rc == 0)
        rc = read_types(r, h, out);
    if (rc == 0)
        rc = skip_tail(r, h, tsize);
    return rc;
}

/* The footer: '\n', a TZ string without NUL or newline, '\n'. An empty string means no rule. Bytes after
 * the footer are ignored, as glibc does. */
static int read_footer(reader *r, az_tzif *out)
{
    const uint8_t *nl = take(r, 1);
    if (!nl || *nl != '\n')
        return ASYNCZ_ETZDATA;
    const uint8_t *end = memchr(r->p, '\n', r->left);
    if (!end)
        return ASYNCZ_ETZDATA;
    size_t n = (size_t)(end - r->p);
    if (n == 0)
        return 0;
    char buf[128];
    if (n >= sizeof buf || memchr(r->p, '\0', n))
        return ASYNCZ_ETZDATA;
    memcpy(buf, r->p, n);
    buf[n] = '\0';
    if (az_posix_tz_parse(buf, &out->footer) < 0)
        return ASYNCZ_ETZDATA;
    out->has_footer = true;
    return 0;
}

static int parse(reader *r, az_tzif *out)
{
    tzif_header h;
    int rc = read_header(r, &h);
    if (rc < 0)
        return rc;
    if (h.version == '\0')
        return read_block(r, &h, 4, out);
    if (block_size(&h, 4) > r->left)
        return ASYNCZ_ETZDATA;
    take(r, (size_t)block_size(&h, 4));
    rc = read_header(r, &h);
    if (rc == 0 && h.version == '\0')
        rc = ASYNCZ_ETZDATA;
    if (rc == 0)
        rc = read_block(r, &h, 8, out);
    if (rc == 0)
        rc = read_footer(r, out);
    return rc;
}

int az_tzif_parse(const uint8_t *data, size_t len, az_tzif *out)
{
    memset(out, 0, sizeof *out);
    if (!data)
        return ASYNCZ_ETZDATA;
    reader r = {data, len};
    int rc = parse(&r, out);
    if (rc < 0)
        az_tzif_free(out);
    return rc;
}

void az_tzif_free(az_tzif *t)
{
    if (!t)
        return;
    free(t->trans);
    free(t->trans_type);
    t->trans = NULL;
    t->trans_type = NULL;
    t->ntrans = 0;
}
