/* The file store's directory (see file_internal.h): opening it (created if missing, refused unless only
 * its owner can write it), and closing it, with cleanup_directory's removal of everything. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"

/* ---- opening: the directory and its files --------------------------------------------------------- */

/* mkdir -p with the store's mode. */
static int make_dirs(fs_backend *fb, const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return ASYNCZ_ENOMEM;
    int rc = 0;
    for (char *p = copy + 1; !rc; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(copy, fb->mode) != 0 && errno != EEXIST)
            rc = az_fs_fail(fb, ASYNCZ_ESTORE, errno, "create the directory %s", copy);
        *p = c;
        if (!c)
            break;
    }
    free(copy);
    return rc;
}

/* Only the user who runs the scheduler may write the directory (the store's, or its quarantine/,
 * instances/, runs/ or audit/ at path): whoever can write a task file chooses what runs, and whoever can
 * write a journal rewrites history. */
static int check_dir(fs_backend *fb, int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "stat");
    if (st.st_uid != geteuid())
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0,
                          "the directory %s is owned by uid %u, not by this user (uid %u): "
                          "refusing a store that someone else controls (fix: chown %u %s)",
                          path, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), path);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0,
                          "the directory %s has mode %04o, writable by %s: refusing it, since "
                          "whoever can write a task file chooses what runs (fix: chmod go-w %s)",
                          path, (unsigned)(st.st_mode & 07777),
                          (st.st_mode & S_IWOTH) ? "everyone" : "its group", path);
    return 0;
}

static int open_dir(fs_backend *fb)
{
    fb->dirfd = open(fb->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fb->dirfd < 0 && errno == ENOENT && fb->host && fb->host->existing)
        return az_fs_fail(fb, ASYNCZ_ENOTFOUND, 0, "there is no such directory");
    if (fb->dirfd < 0 && errno == ENOENT) {
        int rc = make_dirs(fb, fb->dir);
        if (rc)
            return rc;
        fb->dirfd = open(fb->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fb->dirfd < 0 && errno == ENOTDIR)
        return az_fs_fail(fb, ASYNCZ_ESTORE, 0, "not a directory (the file store needs a directory path)");
    if (fb->dirfd < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "open the directory");
    return check_dir(fb, fb->dirfd, fb->dir);
}

static int open_file(fs_backend *fb, const char *name, int *out)
{
    *out = openat(fb->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*out < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "open %s", name);
    return 0;
}

static int open_subdir(fs_backend *fb, const char *name, int *out)
{
    if (mkdirat(fb->dirfd, name, fb->mode) != 0 && errno != EEXIST)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "create %s/", name);
    *out = openat(fb->dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*out < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "open %s/", name);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fb->dir, name);
    return check_dir(fb, *out, path);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_all(fs_backend *fb)
{
    az_fs_watch_stop(fb);
    close_fd(&fb->dirfd);
    close_fd(&fb->lockfd);
    close_fd(&fb->seqfd);
    close_fd(&fb->qdirfd);
    close_fd(&fb->idirfd);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        az_fj_close(&fb->jr[j]);
    az_fs_index_clear(&fb->ix);
    fb->host = NULL;
}

/* The first scan, under the lock, after the watch is set: a change made meanwhile is then both seen by
 * the scan and queued, and reading its header twice is harmless. */
static int first_scan(fs_backend *fb)
{
    int rc = az_fs_lock(fb, "open");
    if (rc)
        return rc;
    rc = az_fs_rescan(fb);
    az_fs_unlock(fb);
    return rc;
}

int az_fs_open(az_backend *b, const asyncz_store_host *host)
{
    fs_backend *fb = (fs_backend *)b;
    fb->host = host;
    int rc = open_dir(fb);
    if (!rc)
        rc = open_file(fb, ".lock", &fb->lockfd);
    if (!rc)
        rc = open_file(fb, ".seq", &fb->seqfd);
    if (!rc)
        rc = open_subdir(fb, "quarantine", &fb->qdirfd);
    if (!rc)
        rc = open_subdir(fb, "instances", &fb->idirfd);
    for (int j = 0; !rc && j < AZ_JOURNAL_COUNT; j++) {
        int dfd = -1;
        rc = open_subdir(fb, az_journal_name((az_journal)j), &dfd);
        if (dfd >= 0)
            fb->jr[j].dfd = dfd;
        if (!rc)
            rc = az_fj_open(fb, (az_journal)j, dfd);
    }
    if (!rc)
        rc = az_fs_watch_start(fb);
    if (!rc)
        rc = first_scan(fb);
    if (!rc && host && host->wakeup)
        rc = az_fs_watch_thread(fb);
    if (rc) {
        if (rc != ASYNCZ_ENOMEM && rc != ASYNCZ_ENOTFOUND)
            rc = ASYNCZ_ESTORE; /* an open that fails is a store failure, whatever the step */
        close_all(fb);
    }
    return rc;
}

/* ---- closing: cleanup_directory ---------------------------------------------------------------------- */

static void remove_entries(int dfd, bool tasks_only, const fs_backend *fb)
{
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t id_len = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if (!tasks_only || az_fs_task_name(fb, n, &id_len) || strncmp(n, ".tmp.", 5) == 0)
            unlinkat(dfd, n, 0);
    }
    closedir(d);
}

/* cleanup_directory: remove what this store keeps in the directory, then the directory if it is empty. */
static void cleanup_dir(fs_backend *fb)
{
    if (az_fs_lock(fb, "cleanup") != 0)
        return;
    remove_entries(fb->qdirfd, false, fb);
    remove_entries(fb->idirfd, false, fb);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        if (fb->jr[j].dfd >= 0)
            remove_entries(fb->jr[j].dfd, false, fb);
    remove_entries(fb->dirfd, true, fb);
    unlinkat(fb->dirfd, "quarantine", AT_REMOVEDIR);
    unlinkat(fb->dirfd, "instances", AT_REMOVEDIR);
    for (int j = 0; j < AZ_JOURNAL_COUNT; j++)
        unlinkat(fb->dirfd, az_journal_name((az_journal)j), AT_REMOVEDIR);
    unlinkat(fb->dirfd, ".seq", 0);
    unlinkat(fb->dirfd, ".lock", 0);
    az_fs_unlock(fb);
    if (rmdir(fb->dir) != 0)
        asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER, "cleanup_directory: %s was not removed: %s", fb->dir,
                   strerror(errno));
}

void az_fs_close(az_backend *b)
{
    fs_backend *fb = (fs_backend *)b;
    az_fs_watch_stop(fb);
    if (fb->cleanup && fb->dirfd >= 0)
        cleanup_dir(fb);
    close_all(fb);
}
#endif
