/* The file store's journal segments (see file_internal.h): frames, the journal directories, the index kept
 * up to date with the segment files under the journal's flock, appends, and removals by rewriting segments.
 *
 * Every frame carries a CRC-32C of everything after its checksum field, its length included, so a frame
 * torn by a crash (or any later damage) is detected and never misread: the scan of a segment stops at the
 * first frame that does not check out, and no writer appends after one (it starts a new segment). */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"
#include "util/array.h"

#define MAGIC "AZJ1"

/* ---- CRC-32C (Castagnoli), reflected, table-driven 8 bytes at a time ------------------------------- */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t az_fj_crc32c(const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (; n >= 8; n -= 8, b += 8) {
        uint32_t lo =
            c ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
        c = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
            crc_table[4][lo >> 24] ^ crc_table[3][b[4]] ^ crc_table[2][b[5]] ^ crc_table[1][b[6]] ^
            crc_table[0][b[7]];
    }
    while (n--)
        c = (c >> 8) ^ crc_table[0][(c ^ *b++) & 0xff];
    return ~c;
}

/* ---- frames ---------------------------------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

size_t az_fj_frame_size(const az_jentry *e)
{
    return FJ_HEAD + strlen(e->task_id) + strlen(e->who ? e->who : "") + e->len;
}

void az_fj_frame_encode(const az_jentry *e, unsigned char *out)
{
    const char *who = e->who ? e->who : "";
    size_t tl = strlen(e->task_id), wl = strlen(who), flen = FJ_HEAD + tl + wl + e->len;
    memcpy(out, MAGIC, 4);
    put32(out + 8, (uint32_t)flen);
    put32(out + 12, (uint32_t)e->len);
    put64(out + 16, (uint64_t)e->at);
    put64(out + 24, (uint64_t)e->end_at);
    out[32] = (unsigned char)e->status;
    out[33] = (unsigned char)tl;
    out[34] = (unsigned char)wl;
    out[35] = 0;
    memcpy(out + 36, e->id, AZ_JOURNAL_ID_LEN);
    memcpy(out + FJ_HEAD, e->task_id, tl);
    memcpy(out + FJ_HEAD + tl, who, wl);
    memcpy(out + FJ_HEAD + tl + wl, e->data, e->len);
    put32(out + 4, az_fj_crc32c(out + 8, flen - 8));
}

bool az_fj_frame_parse(const unsigned char *p, size_t avail, fj_cols *c)
{
    if (avail < FJ_HEAD || memcmp(p, MAGIC, 4) != 0)
        return false;
    uint32_t flen = get32(p + 8), len = get32(p + 12);
    size_t tl = p[33], wl = p[34];
    if (flen > avail || flen != FJ_HEAD + tl + wl + len || tl == 0 || p[32] >= FJ_STATUS_N || p[35] != 0)
        return false;
    if (get32(p + 4) != az_fj_crc32c(p + 8, flen - 8))
        return false;
    *c = (fj_cols){.id = (const char *)p + 36,
                   .task = (const char *)p + FJ_HEAD,
                   .task_len = tl,
                   .who = (const char *)p + FJ_HEAD + tl,
                   .who_len = wl,
                   .at = (asyncz_time_t)get64(p + 16),
                   .end_at = (asyncz_time_t)get64(p + 24),
                   .status = p[32],
                   .data = p + FJ_HEAD + tl + wl,
                   .len = len,
                   .flen = flen};
    return true;
}

/* ---- opening and closing a journal ----------------------------------------------------------------- */

int az_fj_open(fs_backend *fb, az_journal which, int dfd)
{
    fj_journal *j = &fb->jr[which];
    j->which = which;
    j->dfd = dfd;
    j->lockfd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lockfd < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "open %s/.lock", az_journal_name(which));
    return 0;
}

void az_fj_close(fj_journal *j)
{
    az_fj_index_clear(j);
    if (j->logfd >= 0)
        close(j->logfd);
    if (j->lockfd >= 0)
        close(j->lockfd);
    if (j->dfd >= 0)
        close(j->dfd);
    j->lockfd = j->dfd = j->logfd = -1;
}

/* ---- the generation in .lock --------------------------------------------------------------------- */

static int read_gen(fs_backend *fb, fj_journal *j, uint64_t *gen)
{
    char buf[32];
    ssize_t n = pread(j->lockfd, buf, sizeof buf - 1, 0);
    if (n < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "read %s/.lock", az_journal_name(j->which));
    buf[n] = '\0';
    *gen = strtoull(buf, NULL, 10); /* an empty or damaged file reads as 0: a change is still a change */
    return 0;
}

/* Tell the other processes that the set of segments changed (under the exclusive lock). */
int az_fj_bump_gen(fs_backend *fb, fj_journal *j)
{
    uint64_t gen = 0;
    int rc = read_gen(fb, j, &gen);
    if (rc)
        return rc;
    char out[24];
    int len = snprintf(out, sizeof out, "%020" PRIu64 "\n", gen + 1);
    if (pwrite(j->lockfd, out, (size_t)len, 0) != len)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "write %s/.lock", az_journal_name(j->which));
    j->gen = gen + 1;
    return 0;
}

/* ---- reading segments ------------------------------------------------------------------------------ */

void az_fj_seg_file(uint64_t num, uint32_t ver, char *name)
{
    snprintf(name, 40, "%020" PRIu64 ".%010" PRIu32 ".seg", num, ver);
}

/* n decimal digits at s. */
static bool digits(const char *s, int n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (max - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool seg_name(const char *name, uint64_t *num, uint32_t *ver)
{
    uint64_t v = 0;
    if (strlen(name) != 35 || name[20] != '.' || strcmp(name + 31, ".seg") != 0 ||
        !digits(name, 20, UINT64_MAX, num) || !digits(name + 21, 10, UINT32_MAX, &v))
        return false;
    *ver = (uint32_t)v;
    return *num > 0;
}

int az_fj_grow_buf(fj_journal *j, size_t need)
{
    if (need <= j->cap)
        return 0;
    unsigned char *p = realloc(j->buf, need);
    if (!p)
        return ASYNCZ_ENOMEM;
    j->buf = p;
    j->cap = need;
    return 0;
}

int az_fj_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int open_seg(fs_backend *fb, fj_journal *j, fj_seg *s)
{
    char name[40];
    az_fj_seg_file(s->num, s->ver, name);
    s->fd = openat(j->dfd, name, O_RDWR | O_CLOEXEC);
    if (s->fd < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "open %s/%s", az_journal_name(j->which), name);
    return 0;
}

/* Index the frames s gained since its last scan; stop at the first that does not check out. */
static int scan_seg(fs_backend *fb, fj_journal *j, fj_seg *s)
{
    struct stat st;
    if (fstat(s->fd, &st) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "stat a segment of %s", az_journal_name(j->which));
    uint64_t size = (uint64_t)st.st_size;
    if (size == s->size_seen || size <= s->end)
        return 0;
    size_t want = (size_t)(size - s->end);
    int rc = az_fj_grow_buf(j, want);
    int err = rc ? 0 : az_fj_pread_all(s->fd, j->buf, want, s->end);
    if (err)
        return az_fs_fail(fb, ASYNCZ_EIO, err, "read a segment of %s", az_journal_name(j->which));
    size_t at = 0;
    fj_cols c;
    while (!rc && at < want && az_fj_frame_parse(j->buf + at, want - at, &c)) {
        rc = az_fj_apply(j, s, (uint32_t)(s->end + at), &c);
        at += c.flen;
    }
    if (rc)
        return rc;
    if (at < want)
        asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER,
                   "%s/%s/%020" PRIu64 ".%010" PRIu32 ".seg: %zu bytes at offset %" PRIu64
                   " are no intact frame (a write torn by a crash?): skipped",
                   fb->dir, az_journal_name(j->which), s->num, s->ver, want - at, s->end + at);
    s->end += at;
    s->size_seen = size;
    return 0;
}

typedef struct seg_id {
    uint64_t num;
    uint32_t ver;
} seg_id;

static int seg_id_cmp(const void *a, const void *b)
{
    const seg_id *x = a, *y = b;
    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    return x->ver < y->ver ? -1 : x->ver > y->ver;
}

/* Keep the newest version of each number; unlink older ones when we may (a rewrite cut short by a crash). */
static size_t newest_versions(fj_journal *j, seg_id *ids, size_t n, bool exclusive)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && ids[i + 1].num == ids[i].num) {
            char name[40];
            az_fj_seg_file(ids[i].num, ids[i].ver, name);
            if (exclusive)
                unlinkat(j->dfd, name, 0);
            continue;
        }
        ids[w++] = ids[i];
    }
    return w;
}

/* The segments in the journal's directory (the newest version of each), by number ascending. */
static int list_segs(fs_backend *fb, fj_journal *j, bool exclusive, seg_id **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int fd = openat(j->dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return az_fs_fail(fb, ASYNCZ_EIO, err, "list %s/", az_journal_name(j->which));
    }
    size_t cap = 0;
    int rc = 0;
    seg_id id;
    for (struct dirent *de; !rc && (de = readdir(d)) != NULL;) {
        if (!seg_name(de->d_name, &id.num, &id.ver))
            continue;
        rc = az_array_reserve((void **)out, &cap, *n + 1, sizeof **out);
        if (!rc)
            (*out)[(*n)++] = id;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof **out, seg_id_cmp);
    *n = newest_versions(j, *out, *n, exclusive);
    return rc;
}

static const seg_id *find_id(const seg_id *ids, size_t n, uint64_t num)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i].num == num)
            return &ids[i];
    return NULL;
}

/* Whether segment s was removed or rewritten by another process. */
static bool seg_changed(const fj_seg *s, const seg_id *ids, size_t n)
{
    const seg_id *id = find_id(ids, n, s->num);
    struct stat st;
    return !id || id->ver != s->ver || fstat(s->fd, &st) != 0 || (uint64_t)st.st_size < s->end;
}

/* Bring the index in line with the directory: entries whose segment was removed or rewritten are
 * unplaced, every segment is scanned (new and rewritten ones whole), the unplaced entries not found again
 * go, and then the records of `removed` apply. */
static int reconcile(fs_backend *fb, fj_journal *j, bool exclusive)
{
    seg_id *ids = NULL;
    size_t n = 0;
    int rc = list_segs(fb, j, exclusive, &ids, &n);
    for (size_t i = 0; !rc && i < j->n_segs; i++) {
        fj_seg *s = &j->segs[i];
        s->changed = seg_changed(s, ids, n);
        if (s->changed)
            rc = az_fj_seg_unplace(j, s);
    }
    for (size_t i = j->n_segs; !rc && i-- > 0;) {
        if (j->segs[i].changed)
            az_fj_seg_forget(j, &j->segs[i]);
    }
    for (size_t i = 0; !rc && i < n; i++) {
        fj_seg *s = az_fj_seg(j, ids[i].num);
        if (!s && !(s = az_fj_seg_add(j, ids[i].num)))
            rc = ASYNCZ_ENOMEM;
        else if (s->fd < 0) {
            s->ver = ids[i].ver;
            rc = open_seg(fb, j, s);
        }
    }
    for (size_t i = 0; !rc && i < j->n_segs; i++)
        rc = scan_seg(fb, j, &j->segs[i]);
    az_fj_kill_unplaced(j);
    az_fj_purge(j);
    free(ids);
    return rc ? rc : az_fj_read_removed(fb, j);
}

static int refresh(fs_backend *fb, fj_journal *j, bool exclusive)
{
    uint64_t gen = 0;
    int rc = read_gen(fb, j, &gen);
    if (rc)
        return rc;
    if (j->loaded && gen == j->gen) { /* only the newest segment and `removed` grow */
        rc = j->n_segs ? scan_seg(fb, j, &j->segs[j->n_segs - 1]) : 0;
        return rc ? rc : az_fj_read_removed(fb, j);
    }
    rc = reconcile(fb, j, exclusive);
    if (!rc) {
        j->gen = gen;
        j->loaded = true;
    }
    return rc;
}

int az_fj_begin(fs_backend *fb, fj_journal *j, bool exclusive, const char *op)
{
    if (j->lockfd < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0, "%s: the store is not open", op);
    while (flock(j->lockfd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR)
            return az_fs_fail(fb, ASYNCZ_EIO, errno, "%s: flock %s/.lock", op, az_journal_name(j->which));
    }
    int rc = refresh(fb, j, exclusive);
    if (rc) {
        az_fj_index_clear(j); /* start over from the files next time */
        flock(j->lockfd, LOCK_UN);
    }
    return rc;
}

void az_fj_end(fj_journal *j)
{
    flock(j->lockfd, LOCK_UN);
}

int az_fj_read(fs_backend *fb, fj_journal *j, const fj_entry *e, fj_cols *c)
{
    const fj_seg *s = az_fj_seg(j, e->seg);
    int rc = s ? az_fj_grow_buf(j, e->flen) : ASYNCZ_EIO;
    if (rc)
        return rc == ASYNCZ_ENOMEM ? rc
                                   : az_fs_fail(fb, ASYNCZ_EIO, 0, "entry %s: its segment is gone", e->id);
    int err = az_fj_pread_all(s->fd, j->buf, e->flen, e->off);
    if (err)
        return az_fs_fail(fb, ASYNCZ_EIO, err, "read entry %s of %s", e->id, az_journal_name(j->which));
    if (!az_fj_frame_parse(j->buf, e->flen, c) || c->flen != e->flen ||
        memcmp(c->id, e->id, AZ_JOURNAL_ID_LEN))
        return az_fs_fail(fb, ASYNCZ_EIO, 0, "entry %s of %s: its frame in %020" PRIu64 ".seg is damaged",
                          e->id, az_journal_name(j->which), e->seg);
    return 0;
}

/* ---- appending ------------------------------------------------------------------------------------- */

/* Start segment num (a new file), and tell the other processes. */
static int new_seg(fs_backend *fb, fj_journal *j, uint64_t num, fj_seg **out)
{
    char name[40];
    az_fj_seg_file(num, 0, name);
    int fd = openat(j->dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "create %s/%s", az_journal_name(j->which), name);
    fj_seg *s = az_fj_seg_add(j, num);
    if (!s) {
        close(fd);
        unlinkat(j->dfd, name, 0);
        return ASYNCZ_ENOMEM;
    }
    s->fd = fd;
    *out = s;
    int rc = az_fs_sync_dir(fb, j->dfd, az_journal_name(j->which));
    return rc ? rc : az_fj_bump_gen(fb, j);
}

/* The segment to append to: the newest, unless it is full or ends in a torn frame. */
static int append_target(fs_backend *fb, fj_journal *j, fj_seg **out)
{
    fj_seg *s = j->n_segs ? &j->segs[j->n_segs - 1] : NULL;
    if (s && s->end < FJ_SEGMENT_MAX && s->size_seen == s->end) {
        *out = s;
        return 0;
    }
    return new_seg(fb, j, s ? s->num + 1 : 1, out);
}

int az_fj_write_at(int fd, const void *buf, size_t n, uint64_t off)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

/* Write the n frames in buf (size bytes) at the end of the target segment, sync, and index them. */
static int append_chunk(fs_backend *fb, fj_journal *j, const unsigned char *buf, size_t size)
{
    fj_seg *s = NULL;
    int rc = append_target(fb, j, &s);
    if (rc)
        return rc;
    int err = az_fj_write_at(s->fd, buf, size, s->end);
    if (!err && fdatasync(s->fd) != 0)
        err = errno;
    if (err) {
        if (ftruncate(s->fd, (off_t)s->end) != 0) /* else the next scan finds a torn frame and skips it */
            s->size_seen = UINT64_MAX;
        return az_fs_fail(fb, ASYNCZ_EIO, err, "append to a segment of %s", az_journal_name(j->which));
    }
    uint64_t base = s->end;
    fj_cols c;
    for (size_t at = 0; !rc && at < size; at += c.flen) {
        if (!az_fj_frame_parse(buf + at, size - at, &c))
            return az_fs_fail(fb, ASYNCZ_ESTORE, 0, "a frame failed to encode");
        rc = az_fj_apply(j, s, (uint32_t)(base + at), &c);
    }
    s->end = s->size_seen = base + size;
    return rc;
}

int az_fj_append(fs_backend *fb, fj_journal *j, const az_jentry *entries, size_t n)
{
    unsigned char *buf = NULL;
    size_t cap = 0, used = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t size = az_fj_frame_size(&entries[i]);
        rc = az_array_reserve((void **)&buf, &cap, used + size, 1);
        if (rc)
            break;
        az_fj_frame_encode(&entries[i], buf + used);
        used += size;
        /* A chunk per segment's worth: memory stays bounded and so do the segments. */
        if (used >= FJ_SEGMENT_MAX || i + 1 == n) {
            rc = append_chunk(fb, j, buf, used);
            used = 0;
        }
    }
    free(buf);
    return rc;
}

#endif
