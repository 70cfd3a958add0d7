/* The file store's files (see file_internal.h): header lines, atomic writes, the counter, the lock, the
 * quarantine and the instances directories. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"

#define MAGIC "asyncz-file/1"
#define Q_MAGIC "asyncz-quarantine/1"
#define Q_REASON_MAX 1000

int az_fs_fail(const fs_backend *fb, int code, int err, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (err)
        return az_store_fail(code, "file %s: %s: %s", fb->dir, what, strerror(err));
    return az_store_fail(code, "file %s: %s", fb->dir, what);
}

/* ---- %-encoding ---------------------------------------------------------------------------------- */

static bool plain_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '@' || c == '+' || c == '-';
}

int az_fs_pct_encode(const char *s, size_t n, bool leading_dot, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = plain_byte(c) && !(i == 0 && c == '.' && leading_dot);
        if (j + (plain ? 1 : 3) >= size)
            return -1;
        if (plain) {
            out[j++] = (char)c;
            continue;
        }
        out[j++] = '%';
        out[j++] = hex[c >> 4];
        out[j++] = hex[c & 15];
    }
    out[j] = '\0';
    return (int)j;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool az_fs_pct_decode(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r != '%') {
            *w++ = *r;
            continue;
        }
        int hi = hex_digit(r[1]), lo = hi < 0 ? -1 : hex_digit(r[2]);
        if (lo < 0 || (hi == 0 && lo == 0))
            return false;
        *w++ = (char)(hi * 16 + lo);
        r += 2;
    }
    *w = '\0';
    return true;
}

/* ---- header lines -------------------------------------------------------------------------------- */

static void format_time(asyncz_time_t t, char *buf, size_t size)
{
    if (t == ASYNCZ_TIME_NONE)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%" PRId64, t);
}

size_t az_fs_header_format(const fs_header *h, char *buf)
{
    char next[24], lease[24], owner[3 * FS_OWNER_MAX + 1] = "-";
    format_time(h->next_run_time, next, sizeof next);
    format_time(h->lease_until, lease, sizeof lease);
    if (strcmp(h->owner, "-") == 0)
        snprintf(owner, sizeof owner, "%%2D"); /* "-" alone means no owner */
    else if (h->owner[0])
        az_fs_pct_encode(h->owner, strlen(h->owner), false, owner, sizeof owner);
    int n = snprintf(buf, FS_HEADER_MAX,
                     MAGIC " next=%s seq=%" PRIu64 " token=%" PRIu64 " lease=%s owner=%s len=%zu\n", next,
                     h->seq, h->token, lease, owner, h->len);
    return (size_t)n;
}

/* The value of the next field "key=value" at *cur (which moves past it). */
static char *take_field(char **cur, const char *key)
{
    size_t klen = strlen(key);
    char *s = *cur;
    if (strncmp(s, key, klen) != 0 || s[klen] != '=')
        return NULL;
    char *v = s + klen + 1;
    char *end = strchr(v, ' ');
    if (end) {
        *end = '\0';
        *cur = end + 1;
    } else {
        *cur = v + strlen(v);
    }
    return v;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 20)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_time(const char *s, asyncz_time_t *out)
{
    if (s && strcmp(s, "-") == 0)
        return (*out = ASYNCZ_TIME_NONE), true;
    bool neg = s && *s == '-';
    uint64_t v = 0;
    if (!parse_u64(neg ? s + 1 : s, &v) || v > (uint64_t)INT64_MAX)
        return false;
    *out = neg ? -(asyncz_time_t)v : (asyncz_time_t)v;
    return true;
}

static bool parse_owner(char *s, fs_header *h)
{
    if (!s)
        return false;
    if (strcmp(s, "-") == 0) {
        h->owner[0] = '\0';
        return true;
    }
    if (!az_fs_pct_decode(s) || !*s || strlen(s) > FS_OWNER_MAX)
        return false;
    memcpy(h->owner, s, strlen(s) + 1);
    return true;
}

static bool why_not(char *why, size_t size, const char *text)
{
    snprintf(why, size, "%s", text);
    return false;
}

/* The header line (without '\n') copied out of buf, or false with why. */
static bool header_line(const char *buf, size_t n, char *line, size_t *line_len, char *why, size_t why_size)
{
    size_t lim = n < FS_HEADER_MAX ? n : FS_HEADER_MAX;
    const char *nl = memchr(buf, '\n', lim);
    if (!nl)
        return why_not(why, why_size, "no header line (no newline in its first 1024 bytes)");
    size_t len = (size_t)(nl - buf);
    if (memchr(buf, '\0', len))
        return why_not(why, why_size, "a NUL byte in the header line");
    memcpy(line, buf, len);
    line[len] = '\0';
    *line_len = len + 1;
    return true;
}

bool az_fs_header_parse(const char *buf, size_t n, fs_header *h, char *why, size_t why_size)
{
    char line[FS_HEADER_MAX + 1];
    *h = (fs_header){0};
    if (!header_line(buf, n, line, &h->line_len, why, why_size))
        return false;
    if (strncmp(line, MAGIC " ", sizeof MAGIC) != 0)
        return why_not(why, why_size, "the header line does not start with \"" MAGIC "\"");
    char *cur = line + sizeof MAGIC;
    uint64_t len = 0;
    bool ok =
        parse_time(take_field(&cur, "next"), &h->next_run_time) &&
        parse_u64(take_field(&cur, "seq"), &h->seq) && parse_u64(take_field(&cur, "token"), &h->token) &&
        parse_time(take_field(&cur, "lease"), &h->lease_until) && parse_owner(take_field(&cur, "owner"), h) &&
        parse_u64(take_field(&cur, "len"), &len) && *cur == '\0';
    if (!ok)
        return why_not(why, why_size,
                       "a malformed header line (expected " MAGIC " next= seq= token= lease= owner= len=)");
    if ((h->lease_until == ASYNCZ_TIME_NONE) != (h->owner[0] == '\0'))
        return why_not(why, why_size, "a header line with a lease but no owner, or an owner but no lease");
    h->len = (size_t)len;
    return true;
}

/* ---- names ---------------------------------------------------------------------------------------- */

bool az_fs_task_name(const fs_backend *fb, const char *name, size_t *id_len)
{
    size_t n = strlen(name), s = strlen(fb->suffix);
    if (name[0] == '.' || n <= s || strcmp(name + n - s, fb->suffix) != 0)
        return false;
    /* A name with control characters was not made by a store (az_fs_name refuses such ids): not a task. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    *id_len = n - s;
    return true;
}

int az_fs_name(const fs_backend *fb, const char *id, char *name)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n + strlen(fb->suffix) > NAME_MAX)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0,
                          "task id of %zu bytes: with the suffix \"%s\" it is no file name "
                          "(1-%d bytes)",
                          n, fb->suffix, NAME_MAX);
    bool plain = id[0] != '.';
    for (size_t i = 0; plain && i < n; i++)
        plain = id[i] != '/' && (unsigned char)id[i] >= 0x20 && id[i] != 0x7f;
    if (!plain)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0,
                          "task id \"%.64s\" is not a plain file name (no '/', no control "
                          "characters, not starting with '.')",
                          id);
    memcpy(name, id, n);
    memcpy(name + n, fb->suffix, strlen(fb->suffix) + 1);
    return 0;
}

/* ---- writing -------------------------------------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_temp(fs_backend *fb, int dfd, const char *tmp, const void *head, size_t head_len,
                      const void *data, size_t len)
{
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "create %s", tmp);
    int rc = 0;
    if (write_all(fd, head, head_len) || write_all(fd, data, len))
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "write %s", tmp);
    else if (fdatasync(fd) != 0)
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "fdatasync %s", tmp);
    if (close(fd) != 0 && !rc)
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "close %s", tmp);
    return rc;
}

int az_fs_write(fs_backend *fb, int dfd, const char *name, const void *head, size_t head_len,
                const void *data, size_t len, bool noreplace)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s%lu", fb->tmp_prefix, fb->tmp_n++);
    int rc = write_temp(fb, dfd, tmp, head, head_len, data, len);
    if (!rc && noreplace && renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) != 0)
        rc = errno == EEXIST ? ASYNCZ_EEXISTS : az_fs_fail(fb, ASYNCZ_EIO, errno, "rename to %s", name);
    else if (!rc && !noreplace && renameat(dfd, tmp, dfd, name) != 0)
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "rename to %s", name);
    if (rc)
        unlinkat(dfd, tmp, 0); /* the temp file never lingers */
    return rc;
}

int az_fs_sync_dir(fs_backend *fb, int dfd, const char *what)
{
    if (fsync(dfd) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "fsync the %s directory", what);
    return 0;
}

/* ---- reading -------------------------------------------------------------------------------------- */

int az_fs_read_header(fs_backend *fb, const char *name, fs_header *h, char *why, size_t why_size)
{
    int fd = openat(fb->dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ASYNCZ_ENOTFOUND : az_fs_fail(fb, ASYNCZ_EIO, errno, "open %s", name);
    char buf[FS_HEADER_MAX];
    struct stat st;
    ssize_t n = -1;
    int rc = 0;
    if (fstat(fd, &st) != 0 || (S_ISREG(st.st_mode) && (n = pread(fd, buf, sizeof buf, 0)) < 0))
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "read %s", name);
    close(fd);
    if (rc || !S_ISREG(st.st_mode))
        return rc ? rc : ASYNCZ_ENOTFOUND; /* not a task file, whatever its name */
    if (!az_fs_header_parse(buf, (size_t)n, h, why, why_size))
        return ASYNCZ_EPARSE;
    if ((uint64_t)st.st_size != h->line_len + h->len) {
        snprintf(why, why_size, "the header line says len=%zu but %lld bytes follow it", h->len,
                 (long long)st.st_size - (long long)h->line_len);
        return ASYNCZ_EPARSE;
    }
    return 0;
}

static int read_fd(fs_backend *fb, int fd, const char *name, size_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "stat %s", name);
    if (!S_ISREG(st.st_mode))
        return ASYNCZ_ENOTFOUND;
    if ((uint64_t)st.st_size > FS_HEADER_MAX + AZ_RECORD_MAX)
        return ASYNCZ_EPARSE;
    size_t want = (size_t)st.st_size;
    if (want + 1 > fb->cap) {
        unsigned char *grown = realloc(fb->buf, want + 1);
        if (!grown)
            return ASYNCZ_ENOMEM;
        fb->buf = grown;
        fb->cap = want + 1;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(fd, fb->buf + got, want - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return az_fs_fail(fb, ASYNCZ_EIO, r < 0 ? errno : EIO, "read %s", name);
        got += (size_t)r;
    }
    *size = want;
    return 0;
}

int az_fs_read_file(fs_backend *fb, int dfd, const char *name, size_t *size)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ASYNCZ_ENOTFOUND : az_fs_fail(fb, ASYNCZ_EIO, errno, "open %s", name);
    int rc = read_fd(fb, fd, name, size);
    close(fd);
    return rc;
}

int az_fs_read_record(fs_backend *fb, const char *name, fs_header *h, const unsigned char **data, char *why,
                      size_t why_size)
{
    size_t size = 0;
    int rc = az_fs_read_file(fb, fb->dirfd, name, &size);
    if (rc == ASYNCZ_EPARSE)
        snprintf(why, why_size, "larger than any record");
    if (rc)
        return rc;
    if (!az_fs_header_parse((const char *)fb->buf, size, h, why, why_size))
        return ASYNCZ_EPARSE;
    if (h->line_len + h->len != size) {
        snprintf(why, why_size, "the header line says len=%zu but %zu bytes follow it", h->len,
                 size - h->line_len);
        return ASYNCZ_EPARSE;
    }
    *data = fb->buf + h->line_len;
    return 0;
}

/* ---- the counter and the lock ---------------------------------------------------------------------- */

/* The counter is a fixed-width decimal line rewritten in place under the lock. It is not fsynced: a crash
 * of a process keeps what it wrote (the page cache survives it), and after a crash of the machine every
 * process sharing this local directory is gone too; the counter also never goes below the largest seq or
 * token in the task files (ix.max_seen), so a record on disk never sees one of its values again. */
int az_fs_counter_take(fs_backend *fb, uint64_t k, uint64_t *first)
{
    char buf[32];
    ssize_t n = pread(fb->seqfd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "read .seq");
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    uint64_t v = 0;
    if (n > 0 && !parse_u64(buf, &v))
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0,
                          ".seq does not hold a counter; remove it and the next "
                          "values continue from the task files");
    if (v < fb->ix.max_seen)
        v = fb->ix.max_seen;
    if (k > UINT64_MAX - v)
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0, "the counter in .seq is exhausted");
    char out[24];
    int len = snprintf(out, sizeof out, "%020" PRIu64 "\n", v + k);
    if (pwrite(fb->seqfd, out, (size_t)len, 0) != len)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "write .seq");
    *first = v + 1;
    fb->ix.max_seen = v + k;
    return 0;
}

int az_fs_lock(fs_backend *fb, const char *op)
{
    while (flock(fb->lockfd, LOCK_EX) != 0) {
        if (errno != EINTR)
            return az_fs_fail(fb, ASYNCZ_EIO, errno, "%s: flock .lock", op);
    }
    return 0;
}

void az_fs_unlock(fs_backend *fb)
{
    flock(fb->lockfd, LOCK_UN);
}

/* ---- the quarantine ------------------------------------------------------------------------------- */

int az_fs_quarantine_add(fs_backend *fb, const char *id, const char *reason, asyncz_time_t at,
                         const unsigned char *data, size_t len)
{
    size_t rlen = strnlen(reason, Q_REASON_MAX), idlen = strlen(id);
    size_t size = 3 * (rlen + idlen) + 128;
    char *line = malloc(size);
    if (!line)
        return ASYNCZ_ENOMEM;
    int n = snprintf(line, size, Q_MAGIC " at=%" PRId64 " id=", at);
    n += az_fs_pct_encode(id, idlen, false, line + n, size - (size_t)n);
    n += snprintf(line + n, size - (size_t)n, " reason=");
    n += az_fs_pct_encode(reason, rlen, false, line + n, size - (size_t)n);
    n += snprintf(line + n, size - (size_t)n, " len=%zu\n", len);
    uint64_t seq = 0;
    int rc = az_fs_counter_take(fb, 1, &seq);
    char name[32];
    snprintf(name, sizeof name, "%020" PRIu64 ".q", seq);
    if (!rc)
        rc = az_fs_write(fb, fb->qdirfd, name, line, (size_t)n, data, len, true);
    free(line);
    return rc ? rc : az_fs_sync_dir(fb, fb->qdirfd, "quarantine");
}

void az_fs_quarantine_malformed(fs_backend *fb, const char *name, const char *why)
{
    char id[NAME_MAX + 1];
    size_t id_len = 0, size = 0;
    if (!az_fs_task_name(fb, name, &id_len) || az_fs_read_file(fb, fb->dirfd, name, &size) != 0)
        return;
    snprintf(id, sizeof id, "%.*s", (int)id_len, name);
    fs_header h;
    char again[200];
    if (az_fs_header_parse((const char *)fb->buf, size, &h, again, sizeof again) &&
        h.line_len + h.len == size) {
        az_fs_index_put(&fb->ix, id, &h); /* rewritten meanwhile: it is fine now */
        return;
    }
    char reason[320];
    snprintf(reason, sizeof reason, "task file %s: %s", name, why);
    if (fb->host && fb->host->inspect) { /* a tool looks at the store: tell, and leave the file alone */
        asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER, "task \"%s\" cannot be read, left in place: %s", id,
                   reason);
        if (fb->host->quarantined)
            fb->host->quarantined(fb->host->host_data, id, reason);
        return;
    }
    int rc = az_fs_quarantine_add(fb, id, reason, asyncz_now(), fb->buf, size);
    if (!rc && unlinkat(fb->dirfd, name, 0) != 0)
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "remove %s", name);
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    az_fs_index_del(&fb->ix, id);
    if (rc) {
        asyncz_log(ASYNCZ_LOG_ERROR, FS_LOGGER, "%s; and it could not be quarantined: %s", reason,
                   asyncz_store_errmsg());
        return;
    }
    asyncz_log(ASYNCZ_LOG_ERROR, FS_LOGGER, "task \"%s\" quarantined: %s", id, reason);
    if (fb->host && fb->host->quarantined)
        fb->host->quarantined(fb->host->host_data, id, reason);
}

bool az_fs_quarantine_parse(char *line, az_quarantine_rec *q, size_t *len)
{
    if (strncmp(line, Q_MAGIC " ", sizeof Q_MAGIC) != 0)
        return false;
    char *cur = line + sizeof Q_MAGIC;
    char *at = take_field(&cur, "at"), *id = take_field(&cur, "id"), *reason = take_field(&cur, "reason");
    uint64_t n = 0;
    if (!parse_time(at, &q->at) || !id || !reason || !parse_u64(take_field(&cur, "len"), &n) || *cur)
        return false;
    if (!az_fs_pct_decode(id) || !az_fs_pct_decode(reason))
        return false;
    q->id = id;
    q->reason = reason;
    *len = (size_t)n;
    return true;
}
#endif
