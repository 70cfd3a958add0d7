/* The file store's journal removals (see file_internal.h): the log `removed` of frames that no longer
 * count, read by every process after the segments, and written by prune and trim; then the bounded
 * housekeeping that gives the space back: segments with no live frame unlinked, at most one mostly dead
 * segment rewritten per call, and the log itself rewritten once most of its records are obsolete.
 *
 * A removal names every frame of the entry, not only its current one: an older frame left unnamed would
 * come back as the entry once the newer one is gone from the disk. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"
#include "util/array.h"

#define LOG_NAME "removed"
#define REC_SIZE 24
#define REC_MAGIC "AZD1"
/* The log is rewritten when it holds more than this many records and most of them are obsolete. */
#define LOG_REWRITE_MIN 4096

/* ---- records ------------------------------------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void rec_encode(unsigned char *p, uint64_t num, uint32_t ver, uint32_t off)
{
    memcpy(p, REC_MAGIC, 4);
    put32(p + 8, (uint32_t)num);
    put32(p + 12, (uint32_t)(num >> 32));
    put32(p + 16, ver);
    put32(p + 20, off);
    put32(p + 4, az_fj_crc32c(p + 8, REC_SIZE - 8));
}

static bool rec_parse(const unsigned char *p, uint64_t *num, uint32_t *ver, uint32_t *off)
{
    if (memcmp(p, REC_MAGIC, 4) != 0 || get32(p + 4) != az_fj_crc32c(p + 8, REC_SIZE - 8))
        return false;
    *num = (uint64_t)get32(p + 8) | (uint64_t)get32(p + 12) << 32;
    *ver = get32(p + 16);
    *off = get32(p + 20);
    return true;
}

/* ---- reading the log ----------------------------------------------------------------------------- */

/* The frame (num, ver, off) no longer counts: the entry it is the current frame of goes. */
static int apply_record(fj_journal *j, uint64_t num, uint32_t ver, uint32_t off)
{
    fj_seg *s = az_fj_seg(j, num);
    const fj_frame *f = s && s->ver == ver ? az_fj_seg_frame(s, off) : NULL;
    if (!f)
        return 0; /* a version since rewritten, or a segment gone: obsolete */
    if (az_array_reserve((void **)&s->dead, &s->cap_dead, s->n_dead + 1, sizeof *s->dead))
        return ASYNCZ_ENOMEM;
    s->dead[s->n_dead++] = off;
    fj_entry *e = &j->e[f->ref];
    if (e->live && e->seg == num && e->off == off)
        az_fj_kill(j, e);
    return 0;
}

/* Follow the log's file: reopen it when it was rewritten (or first made), from its start. */
static int follow_log(fs_backend *fb, fj_journal *j, struct stat *st, bool *present)
{
    *present = fstatat(j->dfd, LOG_NAME, st, 0) == 0;
    if (!*present && errno != ENOENT)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "stat %s/" LOG_NAME, az_journal_name(j->which));
    if (*present && j->logfd >= 0 && st->st_ino == j->log_ino)
        return 0;
    if (j->logfd >= 0)
        close(j->logfd);
    j->logfd = -1;
    j->log_seen = 0;
    for (size_t i = 0; i < j->n_segs; i++)
        j->segs[i].n_dead = 0; /* read again from the start */
    if (!*present)
        return 0;
    j->logfd = openat(j->dfd, LOG_NAME, O_RDWR | O_CLOEXEC);
    if (j->logfd < 0 || fstat(j->logfd, st) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "open %s/" LOG_NAME, az_journal_name(j->which));
    j->log_ino = st->st_ino;
    return 0;
}

int az_fj_read_removed(fs_backend *fb, fj_journal *j)
{
    struct stat st;
    bool present = false;
    int rc = follow_log(fb, j, &st, &present);
    uint64_t whole = present ? (uint64_t)st.st_size / REC_SIZE * REC_SIZE : 0;
    if (rc || whole <= j->log_seen)
        return rc;
    size_t want = (size_t)(whole - j->log_seen);
    rc = az_fj_grow_buf(j, want);
    int err = rc ? 0 : az_fj_pread_all(j->logfd, j->buf, want, j->log_seen);
    if (err)
        return az_fs_fail(fb, ASYNCZ_EIO, err, "read %s/" LOG_NAME, az_journal_name(j->which));
    uint64_t num;
    uint32_t ver, off;
    for (size_t at = 0; !rc && at < want; at += REC_SIZE) {
        if (rec_parse(j->buf + at, &num, &ver, &off))
            rc = apply_record(j, num, ver, off);
        else
            asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER,
                       "%s/%s/" LOG_NAME ": a damaged record at %" PRIu64 ": skipped", fb->dir,
                       az_journal_name(j->which), j->log_seen + at);
    }
    az_fj_purge(j);
    if (!rc)
        j->log_seen = whole;
    return rc;
}

/* ---- writing records ------------------------------------------------------------------------------ */

typedef struct rec_buf {
    unsigned char *p;
    size_t n, cap; /* records */
} rec_buf;

static int rec_add(rec_buf *b, uint64_t num, uint32_t ver, uint32_t off)
{
    if (az_array_reserve((void **)&b->p, &b->cap, (b->n + 1) * REC_SIZE, 1))
        return ASYNCZ_ENOMEM;
    rec_encode(b->p + b->n * REC_SIZE, num, ver, off);
    b->n++;
    return 0;
}

/* A record for every frame of a doomed entry in the segments numbered lo..hi, oldest segment first. */
static int name_frames(fj_journal *j, uint64_t lo, uint64_t hi, rec_buf *b)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < j->n_segs; i++) {
        fj_seg *s = &j->segs[i];
        if (s->num < lo || s->num > hi)
            continue;
        for (size_t k = 0; !rc && k < s->n_frames; k++) {
            const fj_entry *e = &j->e[s->frames[k].ref];
            if (e->live && e->doomed)
                rc = rec_add(b, s->num, s->ver, s->frames[k].off);
        }
    }
    return rc;
}

static int open_log_for_append(fs_backend *fb, fj_journal *j, uint64_t *end)
{
    if (j->logfd < 0) {
        j->logfd = openat(j->dfd, LOG_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        struct stat st;
        if (j->logfd < 0 || fstat(j->logfd, &st) != 0)
            return az_fs_fail(fb, ASYNCZ_EIO, errno, "create %s/" LOG_NAME, az_journal_name(j->which));
        j->log_ino = st.st_ino;
        j->log_seen = 0;
    }
    struct stat st;
    if (fstat(j->logfd, &st) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "stat %s/" LOG_NAME, az_journal_name(j->which));
    *end = (uint64_t)st.st_size / REC_SIZE * REC_SIZE;
    /* A record torn by a crash at the end: cut it, or every record after it would be misaligned. */
    if (*end != (uint64_t)st.st_size && ftruncate(j->logfd, (off_t)*end) != 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "truncate %s/" LOG_NAME, az_journal_name(j->which));
    return 0;
}

/* Append the records, synced; then they apply to our index as to anyone's. */
static int write_records(fs_backend *fb, fj_journal *j, const rec_buf *b)
{
    uint64_t end = 0;
    int rc = open_log_for_append(fb, j, &end);
    if (rc)
        return rc;
    int err = az_fj_write_at(j->logfd, b->p, b->n * REC_SIZE, end);
    if (!err && fdatasync(j->logfd) != 0)
        err = errno;
    if (err) {
        if (ftruncate(j->logfd, (off_t)end) != 0)
            asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER, "%s/%s/" LOG_NAME ": a failed append was not cut: %s",
                       fb->dir, az_journal_name(j->which), strerror(errno));
        return az_fs_fail(fb, ASYNCZ_EIO, err, "append to %s/" LOG_NAME, az_journal_name(j->which));
    }
    uint64_t num;
    uint32_t ver, off;
    for (size_t i = 0; !rc && i < b->n; i++)
        if (rec_parse(b->p + i * REC_SIZE, &num, &ver, &off))
            rc = apply_record(j, num, ver, off);
    if (j->log_seen == end)
        j->log_seen = end + b->n * REC_SIZE;
    return rc;
}

/* ---- housekeeping: segments ------------------------------------------------------------------------ */

static bool keeps(const fj_journal *j, const fj_seg *s, const fj_frame *f)
{
    const fj_entry *e = &j->e[f->ref];
    return e->live && e->seg == s->num && e->off == f->off;
}

static uint64_t live_bytes(const fj_journal *j, const fj_seg *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->n_frames; i++)
        if (keeps(j, s, &s->frames[i]))
            n += j->e[s->frames[i].ref].flen;
    return n;
}

static int drop_seg(fs_backend *fb, fj_journal *j, fj_seg *s)
{
    char name[40];
    az_fj_seg_file(s->num, s->ver, name);
    if (unlinkat(j->dfd, name, 0) != 0 && errno != ENOENT)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "remove %s/%s", az_journal_name(j->which), name);
    az_fj_seg_forget(j, s);
    return 0;
}

/* Copy the frames s keeps into out; their new offsets into frames. Returns the size. */
static size_t gather(const fj_journal *j, const fj_seg *s, unsigned char *out, fj_frame *frames, size_t *n)
{
    size_t w = 0;
    *n = 0;
    for (size_t i = 0; i < s->n_frames; i++) {
        const fj_frame *f = &s->frames[i];
        if (!keeps(j, s, f))
            continue;
        uint32_t flen = j->e[f->ref].flen;
        memcpy(out + w, j->buf + f->off, flen);
        frames[(*n)++] = (fj_frame){.ref = f->ref, .off = (uint32_t)w};
        w += flen;
    }
    return w;
}

/* Write size bytes into a new temp file in the journal's directory, synced, and name it `name` (which must
 * not exist). Its fd into *fd. */
static int write_new(fs_backend *fb, fj_journal *j, const void *p, size_t size, const char *name, int *fd,
                     bool replace)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s%lu", fb->tmp_prefix, fb->tmp_n++);
    *fd = openat(j->dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (*fd < 0)
        return az_fs_fail(fb, ASYNCZ_EIO, errno, "create %s/%s", az_journal_name(j->which), tmp);
    int err = az_fj_write_at(*fd, p, size, 0);
    if (!err && fdatasync(*fd) != 0)
        err = errno;
    if (!err && (replace ? renameat(j->dfd, tmp, j->dfd, name)
                         : renameat2(j->dfd, tmp, j->dfd, name, RENAME_NOREPLACE)) != 0)
        err = errno;
    if (!err)
        return 0;
    close(*fd);
    unlinkat(j->dfd, tmp, 0);
    return az_fs_fail(fb, ASYNCZ_EIO, err, "write %s/%s", az_journal_name(j->which), name);
}

/* The new version takes s's place: its fd and frames; the entries kept learn their new offsets. */
static void swap_in(fj_journal *j, fj_seg *s, int fd, fj_frame *frames, size_t n, size_t size)
{
    close(s->fd);
    s->fd = fd;
    s->ver++;
    free(s->frames);
    s->frames = frames;
    s->n_frames = s->cap_frames = n;
    s->n_dead = 0;
    s->end = s->size_seen = size;
    s->min_end = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
        fj_entry *e = &j->e[frames[i].ref];
        e->off = frames[i].off;
        if (e->end_at < s->min_end)
            s->min_end = e->end_at;
    }
}

/* Rewrite s as its next version with only its live frames; the new one is durable before the old goes. */
static int compact(fs_backend *fb, fj_journal *j, fj_seg *s)
{
    char name[40], old[40];
    az_fj_seg_file(s->num, s->ver, old);
    az_fj_seg_file(s->num, s->ver + 1, name);
    size_t size = (size_t)s->end;
    unsigned char *out = malloc(size ? size : 1);
    fj_frame *frames = malloc((s->n_frames ? s->n_frames : 1) * sizeof *frames);
    int rc = out && frames ? az_fj_grow_buf(j, size) : ASYNCZ_ENOMEM;
    int err = rc ? 0 : az_fj_pread_all(s->fd, j->buf, size, 0);
    if (err)
        rc = az_fs_fail(fb, ASYNCZ_EIO, err, "read %s/%s", az_journal_name(j->which), old);
    size_t n = 0, kept = rc ? 0 : gather(j, s, out, frames, &n);
    int fd = -1;
    if (!rc)
        rc = write_new(fb, j, out, kept, name, &fd, false);
    if (!rc)
        rc = az_fs_sync_dir(fb, j->dfd, az_journal_name(j->which));
    free(out);
    if (rc) {
        free(frames);
        return rc;
    }
    swap_in(j, s, fd, frames, n, kept);
    unlinkat(j->dfd, old, 0); /* if this fails, the next writer's listing removes it */
    return 0;
}

/* Among the segments lo..hi but the newest: unlink those with nothing live; rewrite the one with the most
 * dead bytes if they are most of it. *changed: files were added or removed. */
static int tidy_segments(fs_backend *fb, fj_journal *j, uint64_t lo, uint64_t hi, bool *changed)
{
    uint64_t newest = j->n_segs ? j->segs[j->n_segs - 1].num : 0, worst_num = 0, worst = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < j->n_segs;) {
        fj_seg *s = &j->segs[i];
        uint64_t live = s->num >= lo && s->num <= hi && s->num != newest ? live_bytes(j, s) : UINT64_MAX;
        if (live == 0) {
            rc = drop_seg(fb, j, s);
            *changed |= !rc;
            continue;
        }
        if (live != UINT64_MAX && s->end - live > worst && (s->end - live) * 2 > s->end) {
            worst = s->end - live;
            worst_num = s->num;
        }
        i++;
    }
    fj_seg *s = worst && !rc ? az_fj_seg(j, worst_num) : NULL;
    if (s && (rc = compact(fb, j, s)) == 0)
        *changed = true;
    return rc;
}

/* ---- housekeeping: the log ------------------------------------------------------------------------- */

/* Rewrite the log with only the records that still name a frame, once most of them are obsolete. */
static int tidy_log(fs_backend *fb, fj_journal *j, bool *changed)
{
    size_t total = (size_t)(j->log_seen / REC_SIZE), live = 0;
    for (size_t i = 0; i < j->n_segs; i++)
        live += j->segs[i].n_dead;
    if (total <= LOG_REWRITE_MIN || total <= 2 * live)
        return 0;
    rec_buf b = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < j->n_segs; i++)
        for (size_t k = 0; !rc && k < j->segs[i].n_dead; k++)
            rc = rec_add(&b, j->segs[i].num, j->segs[i].ver, j->segs[i].dead[k]);
    int fd = -1;
    if (!rc)
        rc = write_new(fb, j, b.p ? b.p : (unsigned char *)"", b.n * REC_SIZE, LOG_NAME, &fd, true);
    free(b.p);
    if (rc)
        return rc;
    struct stat st;
    close(j->logfd);
    j->logfd = fd;
    j->log_ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
    j->log_seen = b.n * REC_SIZE;
    *changed = true;
    return 0;
}

/* ---- removing -------------------------------------------------------------------------------------- */

int az_fj_remove_doomed(fs_backend *fb, fj_journal *j, fj_entry **doomed, size_t n)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < n; i++) {
        lo = doomed[i]->first_seg < lo ? doomed[i]->first_seg : lo;
        hi = doomed[i]->seg > hi ? doomed[i]->seg : hi;
    }
    rec_buf b = {0};
    int rc = name_frames(j, lo, hi, &b);
    if (!rc && b.n)
        rc = write_records(fb, j, &b);
    free(b.p);
    for (size_t i = 0; i < n; i++) {
        if (!rc && doomed[i]->live) /* named in the log: gone, whatever became of its frames' records */
            az_fj_kill(j, doomed[i]);
        doomed[i]->doomed = false;
    }
    az_fj_purge(j);
    if (rc)
        return rc;
    bool changed = false;
    rc = tidy_segments(fb, j, lo, hi, &changed);
    if (!rc)
        rc = tidy_log(fb, j, &changed);
    int rc2 = changed ? az_fs_sync_dir(fb, j->dfd, az_journal_name(j->which)) : 0;
    if (changed && !rc2)
        rc2 = az_fj_bump_gen(fb, j);
    return rc ? rc : rc2;
}
#endif
