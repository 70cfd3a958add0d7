/* The file store (docs/stores.md): file:///absolute/dir, one file per task in a directory that
 * several processes may share.
 *
 * Every operation on tasks holds flock(LOCK_EX) on <dir>/.lock, first brings the in-memory index up to date
 * (file_watch.c), then works from it: the index knows each task's order and claim columns, so only the
 * files an operation returns or changes are read. Writes replace whole files atomically (a temp file,
 * fdatasync, rename, then fsync of the directory), so a reader never sees half a task. The counter for seq
 * values and fencing tokens is <dir>/.seq, under the same lock. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"

#define KNOWN_OPTIONS "suffix, mode, cleanup_directory"

static fs_backend *FB(az_backend *b)
{
    return (fs_backend *)b;
}

static void f_destroy(az_backend *b)
{
    fs_backend *fb = FB(b);
    az_fs_index_free(&fb->ix);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        az_fj_close(&fb->jr[j]);
    pthread_mutex_destroy(&fb->ev_lock);
    free(fb->dir);
    free(fb->suffix);
    free(fb->buf);
    free(fb);
}

/* ---- a locked, fresh index around each operation ---------------------------------------------------- */

static int begin(fs_backend *fb, const char *op)
{
    int rc = az_fs_lock(fb, op);
    if (rc)
        return rc;
    rc = az_fs_refresh(fb);
    if (rc)
        az_fs_unlock(fb);
    return rc;
}

static int end(fs_backend *fb, int rc)
{
    az_fs_unlock(fb);
    return rc;
}

/* Write a task file for id with these columns and bytes; on success the index holds them. */
static int write_task(fs_backend *fb, const char *id, const char *name, const fs_header *h,
                      const unsigned char *data, bool noreplace)
{
    char line[FS_HEADER_MAX];
    size_t n = az_fs_header_format(h, line);
    int rc = az_fs_write(fb, fb->dirfd, name, line, n, data, h->len, noreplace);
    return rc ? rc : az_fs_index_put(&fb->ix, id, h);
}

static fs_header unclaimed(const az_record *rec, uint64_t seq, uint64_t token)
{
    return (fs_header){.next_run_time = rec->next_run_time,
                       .seq = seq,
                       .token = token,
                       .lease_until = ASYNCZ_TIME_NONE,
                       .len = rec->len};
}

/* ---- writes ---------------------------------------------------------------------------------------- */

static int check_record(fs_backend *fb, const az_record *rec, char *name)
{
    if (rec->len > AZ_RECORD_MAX)
        return az_fs_fail(fb, ASYNCZ_ETOOBIG, 0, "task \"%s\": a record of %zu bytes (at most %u)", rec->id,
                          rec->len, (unsigned)AZ_RECORD_MAX);
    return az_fs_name(fb, rec->id, name);
}

static int f_insert(az_backend *b, const az_record *rec)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = check_record(fb, rec, name);
    if (rc || (rc = begin(fb, "insert")) != 0)
        return rc;
    uint64_t seq = 0;
    if (az_fs_index_find(&fb->ix, rec->id))
        return end(fb, ASYNCZ_EEXISTS);
    rc = az_fs_counter_take(fb, 1, &seq);
    fs_header h = unclaimed(rec, seq, 0);
    if (!rc)
        rc = write_task(fb, rec->id, name, &h, rec->data, true);
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

static int f_replace(az_backend *b, const az_record *rec)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = check_record(fb, rec, name);
    if (rc || (rc = begin(fb, "replace")) != 0)
        return rc;
    const fs_entry *e = az_fs_index_find(&fb->ix, rec->id);
    if (!e)
        return end(fb, ASYNCZ_ENOTFOUND);
    uint64_t seq = 0;
    rc = az_fs_counter_take(fb, 1, &seq);
    /* Token 0: a release repeated from before this write is refused, not taken for a repeat. */
    fs_header h = unclaimed(rec, seq, 0);
    if (!rc)
        rc = write_task(fb, rec->id, name, &h, rec->data, false);
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

/* Remove a task file (under the lock) and its index entry. */
static int unlink_task(fs_backend *fb, const char *id, const char *name)
{
    int rc = 0;
    if (unlinkat(fb->dirfd, name, 0) != 0 && errno != ENOENT)
        rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "remove %s", name);
    if (!rc)
        az_fs_index_del(&fb->ix, id);
    return rc;
}

static int f_remove(az_backend *b, const char *id)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = az_fs_name(fb, id, name);
    if (rc || (rc = begin(fb, "remove")) != 0)
        return rc;
    if (!az_fs_index_find(&fb->ix, id))
        return end(fb, ASYNCZ_ENOTFOUND);
    rc = unlink_task(fb, id, name);
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

static int f_remove_all(az_backend *b)
{
    fs_backend *fb = FB(b);
    int rc = begin(fb, "remove_all");
    if (rc)
        return rc;
    char name[NAME_MAX + 1];
    while (!rc && fb->ix.n) {
        const char *id = fb->ix.order[fb->ix.n - 1]->id;
        rc = az_fs_name(fb, id, name);
        if (!rc)
            rc = unlink_task(fb, id, name);
    }
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

/* ---- reads ----------------------------------------------------------------------------------------- */

/* Read entry e's file and pass it on. A file that vanished or went bad without the lock is skipped (the
 * event it caused brings the index up to date next time). */
static int pass_record(fs_backend *fb, const fs_entry *e, uint64_t token, asyncz_time_t lease,
                       az_found_fn each, void *userdata, bool *passed)
{
    char name[NAME_MAX + 1], why[200];
    fs_header h;
    const unsigned char *data = NULL;
    *passed = false;
    int rc = az_fs_name(fb, e->id, name);
    if (!rc)
        rc = az_fs_read_record(fb, name, &h, &data, why, sizeof why);
    if (rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EPARSE)
        return 0;
    if (rc)
        return rc;
    *passed = true;
    az_found f = {.id = e->id,
                  .next_run_time = h.next_run_time,
                  .data = data,
                  .len = h.len,
                  .token = token,
                  .lease_until = lease};
    return each(&f, userdata);
}

static int f_get(az_backend *b, const char *id, az_found_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = az_fs_name(fb, id, name);
    if (rc || (rc = begin(fb, "get")) != 0)
        return rc;
    const fs_entry *e = az_fs_index_find(&fb->ix, id);
    bool passed = false;
    rc = e ? pass_record(fb, e, 0, ASYNCZ_TIME_NONE, each, userdata, &passed) : 0;
    return end(fb, rc ? rc : passed ? 0 : ASYNCZ_ENOTFOUND);
}

static int f_scan(az_backend *b, az_found_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    int rc = begin(fb, "scan");
    if (rc)
        return rc;
    bool passed = false;
    for (size_t i = 0; !rc && i < fb->ix.n; i++)
        rc = pass_record(fb, fb->ix.order[i], 0, ASYNCZ_TIME_NONE, each, userdata, &passed);
    return end(fb, rc);
}

/* The due entries into a new array (*out, freed by the caller). */
static int select_due(fs_backend *fb, asyncz_time_t now, size_t max, fs_entry ***out, size_t *n)
{
    size_t room = max < fb->ix.n ? max : fb->ix.n;
    *out = malloc((room ? room : 1) * sizeof **out);
    if (!*out)
        return ASYNCZ_ENOMEM;
    *n = az_fs_index_due(&fb->ix, now, room, *out);
    return 0;
}

static int f_due(az_backend *b, asyncz_time_t now, size_t max, az_found_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    int rc = begin(fb, "due");
    if (rc)
        return rc;
    fs_entry **sel = NULL;
    size_t n = 0;
    rc = select_due(fb, now, max, &sel, &n);
    bool passed = false;
    for (size_t i = 0; !rc && i < n; i++)
        rc = pass_record(fb, sel[i], 0, ASYNCZ_TIME_NONE, each, userdata, &passed);
    free(sel);
    return end(fb, rc);
}

static int f_earliest(az_backend *b, asyncz_time_t *out)
{
    fs_backend *fb = FB(b);
    int rc = begin(fb, "earliest");
    if (rc)
        return rc;
    *out = az_fs_index_earliest(&fb->ix);
    return end(fb, 0);
}

static int f_count(az_backend *b, size_t *out)
{
    fs_backend *fb = FB(b);
    int rc = begin(fb, "count");
    if (rc)
        return rc;
    *out = fb->ix.n;
    return end(fb, 0);
}

/* ---- claims ---------------------------------------------------------------------------------------- */

typedef struct claim_req {
    asyncz_time_t now, lease_until;
    const char *owner;
    az_found_fn each;
    void *userdata;
} claim_req;

/* Claim one selected entry with token: rewrite its file with the claim in its header, then hand it out.
 * *stop gets what each returned. */
static int claim_one(fs_backend *fb, fs_entry *e, uint64_t token, const claim_req *req, int *stop)
{
    char name[NAME_MAX + 1], why[200];
    fs_header h;
    const unsigned char *data = NULL;
    int rc = az_fs_name(fb, e->id, name);
    if (!rc)
        rc = az_fs_read_record(fb, name, &h, &data, why, sizeof why);
    if (rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EPARSE)
        return 0; /* changed without the lock: the refresh of the next call sees it */
    if (rc)
        return rc;
    h.token = token;
    h.lease_until = req->lease_until;
    snprintf(h.owner, sizeof h.owner, "%s", req->owner);
    char *id = e->id;
    rc = write_task(fb, id, name, &h, data, false);
    if (rc)
        return rc;
    az_found f = {.id = id,
                  .next_run_time = h.next_run_time,
                  .data = data,
                  .len = h.len,
                  .token = token,
                  .lease_until = h.lease_until};
    *stop = req->each(&f, req->userdata);
    return 0;
}

static int claim_selected(fs_backend *fb, fs_entry **sel, size_t n, const claim_req *req)
{
    uint64_t first = 0;
    int rc = az_fs_counter_take(fb, n, &first);
    int stop = 0;
    /* No directory sync: a claim that a crash of the machine loses leaves the task unclaimed, which is
     * right, since every process that could hold a claim on this local directory died with it. Each file's
     * data is synced before its rename all the same, so the name never points at a file not yet written. */
    for (size_t i = 0; !rc && !stop && i < n; i++)
        rc = claim_one(fb, sel[i], first + i, req, &stop);
    return rc ? rc : stop;
}

static int check_owner(fs_backend *fb, const char *owner, int64_t lease_usec, asyncz_time_t now)
{
    if (!owner || !*owner || strlen(owner) > FS_OWNER_MAX)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0, "claim: the owner must be 1-%d bytes", FS_OWNER_MAX);
    if (lease_usec <= 0 || now == ASYNCZ_TIME_NONE || now > INT64_MAX - lease_usec)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0,
                          "claim: the lease must be positive and end before the year 292277");
    return 0;
}

static int f_claim(az_backend *b, asyncz_time_t now, const char *owner, int64_t lease_usec, size_t max,
                   az_found_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    int rc = check_owner(fb, owner, lease_usec, now);
    if (rc || (rc = begin(fb, "claim")) != 0)
        return rc;
    fs_entry **sel = NULL;
    size_t n = 0;
    rc = select_due(fb, now, max, &sel, &n);
    claim_req req = {
        .now = now, .lease_until = now + lease_usec, .owner = owner, .each = each, .userdata = userdata};
    if (!rc && n)
        rc = claim_selected(fb, sel, n, &req);
    free(sel);
    return end(fb, rc);
}

static int f_release(az_backend *b, const char *id, uint64_t token, const az_record *next)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = next ? check_record(fb, next, name) : az_fs_name(fb, id, name);
    if (!rc && next && strcmp(next->id, id) != 0)
        rc = az_fs_fail(fb, ASYNCZ_EINVAL, 0, "release \"%s\": the next record is \"%s\"", id, next->id);
    if (rc || (rc = begin(fb, "release")) != 0)
        return rc;
    const fs_entry *e = az_fs_index_find(&fb->ix, id);
    if (!e)
        return end(fb, ASYNCZ_ENOTFOUND);
    if (token == 0 || e->token != token)
        return end(fb, ASYNCZ_ESTATE);
    if (e->lease_until == ASYNCZ_TIME_NONE) /* this release already took effect: a repeat */
        return end(fb, 0);
    uint64_t seq = 0;
    if (!next) {
        rc = unlink_task(fb, id, name);
    } else if ((rc = az_fs_counter_take(fb, 1, &seq)) == 0) {
        fs_header h = unclaimed(next, seq, token);
        rc = write_task(fb, id, name, &h, next->data, false);
    }
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

/* ---- quarantine ------------------------------------------------------------------------------------ */

static int f_quarantine(az_backend *b, const char *id, const unsigned char *data, size_t len,
                        const char *reason, asyncz_time_t at)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1], why[200];
    int rc = az_fs_name(fb, id, name);
    if (rc || (rc = begin(fb, "quarantine")) != 0)
        return rc;
    fs_header h;
    const unsigned char *cur = NULL;
    if (!az_fs_index_find(&fb->ix, id))
        return end(fb, ASYNCZ_ESTATE);
    rc = az_fs_read_record(fb, name, &h, &cur, why, sizeof why);
    if (rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EPARSE ||
        (!rc && (h.len != len || memcmp(cur, data, len) != 0)))
        return end(fb, ASYNCZ_ESTATE);
    /* The entry is written before the task file goes: a crash in between leaves a copy, never a loss. */
    if (!rc)
        rc = az_fs_quarantine_add(fb, id, reason, at, cur, len);
    if (!rc)
        rc = unlink_task(fb, id, name);
    if (!rc)
        rc = az_fs_sync_dir(fb, fb->dirfd, "store");
    return end(fb, rc);
}

static int f_quarantined(az_backend *b, az_quarantine_rec_fn each, void *userdata)
{
    return az_fs_quarantined(FB(b), each, userdata);
}

/* ---- construction ---------------------------------------------------------------------------------- */

static const char *f_local_path(az_backend *b)
{
    return FB(b)->dir;
}

static const az_backend_ops file_ops = {
    .name = "file",
    .caps = ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY,
    .local_path = f_local_path,
    .open = az_fs_open,
    .close = az_fs_close,
    .destroy = f_destroy,
    .insert = f_insert,
    .replace = f_replace,
    .remove = f_remove,
    .remove_all = f_remove_all,
    .get = f_get,
    .scan = f_scan,
    .due = f_due,
    .earliest = f_earliest,
    .count = f_count,
    .claim = f_claim,
    .release = f_release,
    .quarantine = f_quarantine,
    .quarantined = f_quarantined,
    .quarantine_drop = az_fs_quarantine_drop,
    .put_instance = az_fs_put_instance,
    .instances = az_fs_instances,
    .remove_instance = az_fs_remove_instance,
    .journal_put = az_fs_journal_put,
    .journal_list = az_fs_journal_list,
    .journal_get = az_fs_journal_get,
    .journal_prune_age = az_fs_journal_prune_age,
    .journal_trim_task = az_fs_journal_trim_task,
};

static int url_fail(const az_url *url, const char *what)
{
    return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": %s", url->text, what);
}

/* The directory: an absolute path without a host (file:///dir, or file://localhost/dir), trailing '/'
 * dropped. */
static int parse_dir(const az_url *url, char **out)
{
    if (url->host && strcmp(url->host, "localhost") != 0)
        return url_fail(url, "a file store URL names no host: file:///absolute/directory");
    if (url->user || url->port)
        return url_fail(url, "a file store URL has no user, password or port: file:///absolute/directory");
    if (!url->path || url->path[0] != '/')
        return url_fail(url, "the file store needs an absolute directory: file:///absolute/directory");
    size_t n = strlen(url->path);
    while (n > 1 && url->path[n - 1] == '/')
        n--;
    if (n == 1)
        return url_fail(url, "the file store will not use / as its directory");
    if (n >= PATH_MAX)
        return url_fail(url, "the directory path is too long");
    *out = strndup(url->path, n);
    return *out ? 0 : ASYNCZ_ENOMEM;
}

static int parse_mode(const az_url *url, const char *text, mode_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 8);
    if (!*text || *end || errno || v > 07777 || *text == '-' || *text == '+' || *text == ' ')
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": option mode: \"%s\" is not an octal mode such as "
                             "0700",
                             url->text, text);
    if (v & (S_IWGRP | S_IWOTH))
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": option mode: %04lo lets others write the directory, "
                             "which the file store refuses (whoever can write a task file chooses what runs)",
                             url->text, v);
    if ((v & 0700) != 0700)
        return az_store_fail(ASYNCZ_EINVAL,
                             "store URL \"%s\": option mode: %04lo must give its owner rwx (0700)", url->text,
                             v);
    *out = (mode_t)v;
    return 0;
}

static int parse_options(az_url *url, fs_backend *fb)
{
    const char *suffix = az_url_get(url, "suffix", ".task");
    int rc = az_url_name("suffix", suffix, true);
    if (!rc && (strcmp(suffix, ".q") == 0 || suffix[strlen(suffix) - 1] == '.'))
        rc = url_fail(url, "option suffix: choose a suffix such as .task");
    if (!rc)
        rc = parse_mode(url, az_url_get(url, "mode", "0700"), &fb->mode);
    if (!rc)
        rc = az_url_bool("cleanup_directory", az_url_get(url, "cleanup_directory", "false"), &fb->cleanup);
    if (!rc)
        rc = az_url_check_options(url, KNOWN_OPTIONS);
    if (!rc && !(fb->suffix = strdup(suffix)))
        rc = ASYNCZ_ENOMEM;
    return rc;
}

static void set_tmp_prefix(fs_backend *fb)
{
    /* Random, so that every store object, in this process or another, knows its own temp files. */
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
        r = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)fb;
    snprintf(fb->tmp_prefix, sizeof fb->tmp_prefix, ".tmp.%016" PRIx64 ".", r);
}

int az_backend_file_new(az_url *url, az_backend **out)
{
    fs_backend *fb = calloc(1, sizeof *fb);
    if (!fb || pthread_mutex_init(&fb->ev_lock, NULL) != 0) {
        free(fb);
        return ASYNCZ_ENOMEM;
    }
    fb->base.ops = &file_ops;
    fb->dirfd = fb->lockfd = fb->seqfd = fb->qdirfd = fb->idirfd = fb->infd = fb->stopfd = -1;
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        fb->jr[j] = (fj_journal){.which = (az_journal)j, .dfd = -1, .lockfd = -1, .logfd = -1};
    set_tmp_prefix(fb);
    int rc = az_fs_index_init(&fb->ix);
    if (!rc)
        rc = parse_dir(url, &fb->dir);
    if (!rc)
        rc = parse_options(url, fb);
    if (rc) {
        f_destroy(&fb->base);
        return rc;
    }
    *out = &fb->base;
    return 0;
}
