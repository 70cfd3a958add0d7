/* The file store (file.c, file_dir.c, file_index.c, file_io.c, file_aside.c, file_watch.c): one file per task
 * in a directory shared by every process that opens it. Internal.
 *
 * Each task file is a header line in the clear, then the record bytes:
 *   asyncz-file/1 next=<µs|-> seq=<n> token=<n> lease=<µs|-> owner=<%-encoded|-> len=<n>\n<bytes>
 * The header is all that ordering and claims need, so opening a store reads only header lines. */
#ifndef AZ_STORE_FILE_INTERNAL_H
#define AZ_STORE_FILE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/backend.h"
#include "util/map.h"

/* The longest header line we write or accept (a 255-byte owner %-encoded is 765 bytes). */
#define FS_HEADER_MAX 1024
#define FS_OWNER_MAX 255
#define FS_LOGGER "asyncz.store.file"

typedef struct fs_backend fs_backend;

/* A task file's header line. */
typedef struct fs_header {
    asyncz_time_t next_run_time; /* ASYNCZ_TIME_NONE: paused */
    uint64_t seq;
    uint64_t token;               /* the claim's, kept by its release; 0 after insert/replace */
    asyncz_time_t lease_until;    /* ASYNCZ_TIME_NONE: no claim */
    char owner[FS_OWNER_MAX + 1]; /* "" when no claim */
    size_t len;                   /* record bytes after the line */
    size_t line_len;              /* bytes of the line, '\n' included */
} fs_header;

/* ---- the in-memory index (file_index.c) ----------------------------------------------------------- */

typedef struct fs_entry {
    char *id;
    asyncz_time_t next_run_time;
    uint64_t seq;
    uint64_t token;
    asyncz_time_t lease_until;
    uint32_t ref;  /* index in fs_index.all + 1: the entry's reference in the map by id */
    uint32_t hash; /* az_map_hash(id) */
} fs_entry;

/* Entries by id (the util map over an array of every entry) and in store order (a sorted array of pointers;
 * seq values are unique, so (next_run_time, seq) finds an entry by binary search). Claimed entries are also
 * listed apart, since a lapsed lease matters to earliest() wherever its record sits in the order. */
typedef struct fs_index {
    fs_entry **all; /* every entry, in no order: a removal moves the last one into the gap */
    size_t n_all, cap_all;
    az_map by_id; /* ref: index in all + 1 */
    fs_entry **order;
    size_t n, cap;
    fs_entry **claimed;
    size_t n_claimed, cap_claimed;
    uint64_t max_seen; /* the largest seq or token seen: a floor for the counter */
} fs_index;

int az_fs_index_init(fs_index *ix);
void az_fs_index_free(fs_index *ix);
void az_fs_index_clear(fs_index *ix);
fs_entry *az_fs_index_find(const fs_index *ix, const char *id);
/* Insert or update id with h's columns. Errors: ASYNCZ_ENOMEM (the index is then unchanged). */
int az_fs_index_put(fs_index *ix, const char *id, const fs_header *h);
void az_fs_index_del(fs_index *ix, const char *id);
/* Bulk loading: add without keeping the order (id must be new), then sort once. */
int az_fs_index_append(fs_index *ix, const char *id, const fs_header *h);
void az_fs_index_sort(fs_index *ix);
/* Up to max entries due at now and not claimed at now, in order, into out (room for max). */
size_t az_fs_index_due(const fs_index *ix, asyncz_time_t now, size_t max, fs_entry **out);
asyncz_time_t az_fs_index_earliest(const fs_index *ix);

/* ---- the journals (file_jindex.c, file_jseg.c, file_jremove.c, file_journal.c) ---------------------
 *
 * Each journal (run history, audit trail) is a subdirectory named after it (runs/, audit/) holding
 * append-only segment files <number:20 digits>.<version:10 digits>.seg, a log of removed frames (removed)
 * and .lock. Every op flocks .lock (shared to read, exclusive to write). A segment is a sequence of frames:
 *   "AZJ1" crc32c(le32, of the rest of the frame) frame_len(le32) data_len(le32) at(le64) end_at(le64)
 *   status(u8) task_len(u8) who_len(u8) 0(u8) id(36 bytes) task who data
 * Appends go to the newest segment, a new one once it holds FJ_SEGMENT_MAX bytes (or ends in a torn
 * frame). An upsert appends a newer frame of the same id: the last frame in append order (segment number,
 * then offset) wins. A removal appends to `removed` a record per frame of the entry (its current one and
 * any older one still on disk), each "AZD1" crc32c(le32, of the rest) number(le64) version(le32)
 * offset(le32). A segment that holds no live frame any more is unlinked (never the newest, so numbers are
 * never reused); one that is mostly dead is rewritten as its next version without them (a new file, then
 * the old one unlinked: records of the old version no longer apply). `removed` is itself rewritten when most
 * of its records name versions that are gone. .lock holds a generation number that every change to the
 * set of files raises, so that other processes know to list the directory again. */

#define FJ_SEGMENT_MAX (4u * 1024u * 1024u)
#define FJ_HEAD 72 /* the fixed part of a frame, id included */
#define FJ_STATUS_N 32

/* A frame's columns, as parsed (pointers into the frame's bytes). */
typedef struct fj_cols {
    const char *id; /* AZ_JOURNAL_ID_LEN bytes, not NUL-terminated */
    const char *task, *who;
    size_t task_len, who_len;
    asyncz_time_t at, end_at;
    int status;
    const unsigned char *data;
    size_t len;
    uint32_t flen; /* the whole frame */
} fj_cols;

/* An entry in the index: its columns and where its current frame is. */
typedef struct fj_entry {
    char id[AZ_JOURNAL_ID_LEN + 1];
    bool live;
    bool doomed;   /* chosen for removal by the op under way */
    bool unplaced; /* reconciling: its segment was replaced; found again in the new version, or gone */
    uint8_t status;
    uint32_t task, who; /* index in fj_journal.tasks / whos */
    asyncz_time_t at, end_at;
    uint64_t seg;       /* the segment number of the current frame */
    uint64_t first_seg; /* no segment below this holds a frame of this id */
    uint32_t off, flen; /* the current frame */
} fj_entry;

/* Entry references (index in fj_journal.e), sorted by the entries' ids ascending. */
typedef struct fj_refs {
    uint32_t *v;
    size_t n, cap;
} fj_refs;

/* A frame of a segment: the entry it belongs to (current or superseded) and where it starts. */
typedef struct fj_frame {
    uint32_t ref, off;
} fj_frame;

typedef struct fj_seg {
    uint64_t num;
    uint32_t ver;
    int fd;
    uint64_t end;          /* the frames scanned end here */
    uint64_t size_seen;    /* the file's size when last scanned (> end: a torn frame at the end) */
    asyncz_time_t min_end; /* no frame scanned here has an end_at below this */
    bool changed;          /* reconciling: replaced or removed by another process */
    fj_frame *frames;      /* in offset order */
    size_t n_frames, cap_frames;
    uint32_t *dead; /* offsets of the frames `removed` names in this version */
    size_t n_dead, cap_dead;
} fj_seg;

typedef struct fj_task {
    char *name;
    fj_refs refs;
    bool dirty; /* holds references to entries killed since the last purge */
} fj_task;

typedef struct fj_journal {
    az_journal which;
    int dfd, lockfd, logfd; /* logfd: `removed`, -1 until first needed */
    ino_t log_ino;
    uint64_t log_seen;  /* bytes of `removed` applied */
    uint32_t *unplaced; /* reconciling: entries whose segment was replaced */
    size_t n_unplaced, cap_unplaced;
    bool loaded; /* the index below reflects the segments as of generation gen */
    uint64_t gen;
    fj_entry *e;
    size_t n_e, cap_e;
    uint32_t *free_e; /* slots of dead entries, reusable once purged from the lists */
    size_t n_free, cap_free;
    size_t n_killed; /* killed since the last purge */
    az_map by_id;    /* ref: index in e + 1 */
    fj_refs all;
    fj_refs by_status[FJ_STATUS_N];
    fj_task *tasks;
    size_t n_tasks, cap_tasks;
    az_map task_map;
    char **whos;
    size_t n_whos, cap_whos;
    az_map who_map;
    fj_seg *segs; /* by number ascending */
    size_t n_segs, cap_segs;
    unsigned char *buf; /* the last frame or segment read */
    size_t cap;
} fj_journal;

/* The index (file_jindex.c). Not locked: its owner holds the journal's flock and the persist mutex. */
void az_fj_index_clear(fj_journal *j);
/* The entry with this id (NUL-terminated), or NULL. */
fj_entry *az_fj_find(const fj_journal *j, const char *id);
/* A frame found at (seg, off): the entry's current frame if it is newer than what the index holds (an
 * upsert), else noted as a superseded frame of the segment. Errors: ASYNCZ_ENOMEM. */
int az_fj_apply(fj_journal *j, fj_seg *seg, uint32_t off, const fj_cols *c);
/* Take entry e out of the index (its references go at the next purge). */
void az_fj_kill(fj_journal *j, fj_entry *e);
/* Drop killed entries from every list and free their slots. */
void az_fj_purge(fj_journal *j);
/* The segment with this number, or NULL. */
fj_seg *az_fj_seg(const fj_journal *j, uint64_t num);
/* Add a segment (num above every other's or not present) with no frames; returns it or NULL (ENOMEM). */
fj_seg *az_fj_seg_add(fj_journal *j, uint64_t num);
/* Forget segment s (its frames list; not its entries: kill them first). Closes its fd. */
void az_fj_seg_forget(fj_journal *j, fj_seg *s);
/* Mark the entries whose current frame is in s unplaced (listed in j->unplaced), and empty s's lists. */
int az_fj_seg_unplace(fj_journal *j, fj_seg *s);
/* Kill the entries still unplaced. */
void az_fj_kill_unplaced(fj_journal *j);
/* The frame of s at offset off, or NULL. */
fj_frame *az_fj_seg_frame(const fj_seg *s, uint32_t off);
/* Note a frame (of entry index ref, at off) in s. Errors: ASYNCZ_ENOMEM. */
int az_fj_seg_note(fj_seg *s, uint32_t ref, uint32_t off);
/* The position in r of the first entry whose id is >= id (bytewise). */
size_t az_fj_refs_lower(const fj_journal *j, const fj_refs *r, const char *id);
const char *az_fj_task_name(const fj_journal *j, uint32_t task);
const char *az_fj_who(const fj_journal *j, uint32_t who);
/* The task index of name, or -1 when no entry ever had it. */
long az_fj_task_find(const fj_journal *j, const char *name);

/* Frames and segment files (file_jseg.c). */
uint32_t az_fj_crc32c(const void *p, size_t n);
size_t az_fj_frame_size(const az_jentry *e);
void az_fj_frame_encode(const az_jentry *e, unsigned char *out);
/* Parse the frame at p (avail bytes there); false when it is no whole, intact frame. */
bool az_fj_frame_parse(const unsigned char *p, size_t avail, fj_cols *c);

/* Open (creating it) journal j's directory; after the store directory is open. */
int az_fj_open(fs_backend *fb, az_journal which, int dfd);
void az_fj_close(fj_journal *j);
/* Lock journal j (exclusive or shared) and bring its index up to date. */
int az_fj_begin(fs_backend *fb, fj_journal *j, bool exclusive, const char *op);
void az_fj_end(fj_journal *j);
/* Append the frames of n entries to the newest segment (a new one when needed), fdatasync, index them. */
int az_fj_append(fs_backend *fb, fj_journal *j, const az_jentry *entries, size_t n);
/* Read entry e's frame into j->buf and parse it. ASYNCZ_EIO when the frame no longer checks out. */
int az_fj_read(fs_backend *fb, fj_journal *j, const fj_entry *e, fj_cols *c);
/* Name of segment num, version ver (32 bytes). */
void az_fj_seg_file(uint64_t num, uint32_t ver, char *name);
/* Raise the generation in .lock (the set of files changed). */
int az_fj_bump_gen(fs_backend *fb, fj_journal *j);
/* Write n bytes at off of fd, whole. Returns 0 or an errno. */
int az_fj_write_at(int fd, const void *p, size_t n, uint64_t off);
int az_fj_pread_all(int fd, void *buf, size_t n, uint64_t off);
/* Make j->buf hold need bytes. */
int az_fj_grow_buf(fj_journal *j, size_t need);

/* Removals (file_jremove.c). */
/* Apply the records appended to `removed` since last read (after the segments are up to date). */
int az_fj_read_removed(fs_backend *fb, fj_journal *j);
/* Remove the n doomed entries (marked doomed, live): a record per frame of theirs into `removed`, synced,
 * then out of the index; then at most one segment rewritten, and the segments left empty unlinked. */
int az_fj_remove_doomed(fs_backend *fb, fj_journal *j, fj_entry **doomed, size_t n);

/* The backend ops (file_journal.c). */
int az_fs_journal_put(az_backend *b, az_journal j, const az_jentry *entries, size_t n);
int az_fs_journal_list(az_backend *b, az_journal j, const az_jquery *q, az_jentry_fn each, void *userdata);
int az_fs_journal_get(az_backend *b, az_journal j, const char *id, az_jentry_fn each, void *userdata);
int az_fs_journal_prune_age(az_backend *b, az_journal j, asyncz_time_t cutoff, size_t max, size_t *removed);
int az_fs_journal_trim_task(az_backend *b, az_journal j, const char *task_id, size_t keep, size_t max,
                            size_t *removed);

/* ---- the backend ---------------------------------------------------------------------------------- */

struct fs_backend {
    az_backend base;
    char *dir;           /* absolute, no trailing '/' */
    char *suffix;        /* ".task" */
    mode_t mode;         /* for directories we create */
    bool cleanup;        /* cleanup_directory: remove everything on close */
    char tmp_prefix[32]; /* ".tmp.<16 hex>.": names of this object's temp files */
    unsigned long tmp_n;
    int dirfd, lockfd, seqfd, qdirfd, idirfd;
    fs_index ix;
    const asyncz_store_host *host;
    unsigned char *buf; /* the last record read */
    size_t cap;

    /* Shared with the watcher thread (file_watch.c), under ev_lock. */
    int infd, stopfd;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t ev_lock;
    char **dirty; /* task file names changed by others since the last refresh */
    size_t n_dirty, cap_dirty;
    bool rescan;
    uint32_t own_cookie; /* the rename cookie of our own last temp file moved, 0: none */

    fj_journal jr[AZ_JOURNAL_COUNT]; /* runs/ and audit/ */
};

/* ---- the directory (file_dir.c) ---------------------------------------------------------------------- */

/* The backend's open and close. */
int az_fs_open(az_backend *b, const asyncz_store_host *host);
void az_fs_close(az_backend *b);

/* ---- file I/O (file_io.c) -------------------------------------------------------------------------- */

/* Format h as a header line into buf (FS_HEADER_MAX bytes); returns its length. */
size_t az_fs_header_format(const fs_header *h, char *buf);
/* Parse a header line from the first n bytes of a file. On failure, why says what is wrong. */
bool az_fs_header_parse(const char *buf, size_t n, fs_header *h, char *why, size_t why_size);
/* %-encode s (n bytes) into out (size bytes; NUL-terminated): bytes outside [A-Za-z0-9._:@+-], and a
 * leading '.' when leading_dot. Returns the length, or -1 when it does not fit. */
int az_fs_pct_encode(const char *s, size_t n, bool leading_dot, char *out, size_t size);
/* Decode a %-encoded string in place; false when malformed. */
bool az_fs_pct_decode(char *s);

/* Whether name is a task file name of this store, and its id length. */
bool az_fs_task_name(const fs_backend *fb, const char *name, size_t *id_len);
/* Write <id><suffix> into name (NAME_MAX + 1 bytes). Errors: ASYNCZ_EINVAL (not a safe file name). */
int az_fs_name(const fs_backend *fb, const char *id, char *name);

/* Write the file name in directory dfd atomically: a temp file (O_EXCL, 0600), fsync, rename over; with
 * noreplace the rename fails with ASYNCZ_EEXISTS if name exists. The directory is not synced here. */
int az_fs_write(fs_backend *fb, int dfd, const char *name, const void *head, size_t head_len,
                const void *data, size_t len, bool noreplace);
/* fsync a directory. */
int az_fs_sync_dir(fs_backend *fb, int dfd, const char *what);

/* Read task file name's header (and check the file's size against it). Returns 0, ASYNCZ_ENOTFOUND,
 * ASYNCZ_EPARSE (malformed: why says how) or ASYNCZ_EIO. */
int az_fs_read_header(fs_backend *fb, const char *name, fs_header *h, char *why, size_t why_size);
/* Read a whole file into fb->buf; *size its length. Returns 0, ASYNCZ_ENOTFOUND, ASYNCZ_EPARSE (too large),
 * ASYNCZ_ENOMEM or ASYNCZ_EIO. */
int az_fs_read_file(fs_backend *fb, int dfd, const char *name, size_t *size);
/* Read a task file: its header and where its record bytes start in fb->buf. */
int az_fs_read_record(fs_backend *fb, const char *name, fs_header *h, const unsigned char **data, char *why,
                      size_t why_size);

/* Take k values from the store's counter (under the lock): the first is *first. */
int az_fs_counter_take(fs_backend *fb, uint64_t k, uint64_t *first);
/* flock the store (exclusive) / unlock it. */
int az_fs_lock(fs_backend *fb, const char *op);
void az_fs_unlock(fs_backend *fb);

/* Add an entry to the quarantine directory (and sync it). */
int az_fs_quarantine_add(fs_backend *fb, const char *id, const char *reason, asyncz_time_t at,
                         const unsigned char *data, size_t len);
/* Move a task file with a malformed header line to the quarantine, if it still has one. */
void az_fs_quarantine_malformed(fs_backend *fb, const char *name, const char *why);
/* Parse a quarantine entry's header line (without its '\n'; decoded in place: q's strings point into it). */
bool az_fs_quarantine_parse(char *line, az_quarantine_rec *q, size_t *len);

/* ---- the quarantine listed, and the instances (file_aside.c) ---------------------------------------- */

int az_fs_quarantined(fs_backend *fb, az_quarantine_rec_fn each, void *userdata);
/* Remove id's quarantine entries quarantined at `at` (ASYNCZ_TIME_NONE: all of them). */
int az_fs_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped);
int az_fs_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len);
int az_fs_instances(az_backend *b, az_instance_rec_fn each, void *userdata);
int az_fs_remove_instance(az_backend *b, const char *id);

/* ---- the index kept fresh (file_watch.c) ----------------------------------------------------------- */

/* Start watching the directory (before the first scan). Errors: ASYNCZ_ESTORE. */
int az_fs_watch_start(fs_backend *fb);
/* Start the thread that wakes the host up when another process writes a task. */
int az_fs_watch_thread(fs_backend *fb);
void az_fs_watch_stop(fs_backend *fb);
/* Read every task file's header into the index (and quarantine malformed ones). Under the lock. */
int az_fs_rescan(fs_backend *fb);
/* Bring the index up to date with what other processes wrote (under the lock). */
int az_fs_refresh(fs_backend *fb);

/* Record a failure of operation op (with errno's text when err is non-zero) for asyncz_store_errmsg. */
int az_fs_fail(const fs_backend *fb, int code, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
