/* The file store's index kept fresh: a full scan of the header lines at open, then inotify on the directory.
 *
 * One inotify descriptor serves two readers under ev_lock: the watcher thread, which wakes the host when
 * another process adds or replaces a task, and every store operation, which drains what is queued before
 * it trusts the index. Both note the names that changed; the operation then re-reads their header lines.
 * inotify queues an event inside the system call that caused it, so once we hold the store's flock every
 * change another process made under that lock is already in our queue: draining it makes the index exact.
 *
 * Our own writes are recognised by their temp file names (tmp_prefix): a rename from one of them is paired
 * with its target by the rename cookie and skipped, since the operation already put it in the index. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"

#define WATCH_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
/* More changed names than this between two operations: a rescan is cheaper than remembering them. */
#define DIRTY_MAX 65536

/* ---- events ---------------------------------------------------------------------------------------- */

static void drop_dirty(fs_backend *fb)
{
    for (size_t i = 0; i < fb->n_dirty; i++)
        free(fb->dirty[i]);
    free(fb->dirty);
    fb->dirty = NULL;
    fb->n_dirty = fb->cap_dirty = 0;
}

/* Remember a changed name; when that fails (memory, too many), fall back to a rescan. */
static void add_dirty(fs_backend *fb, const char *name)
{
    if (fb->rescan)
        return;
    if (fb->n_dirty == fb->cap_dirty) {
        size_t cap = fb->cap_dirty ? fb->cap_dirty * 2 : 16;
        char **grown = cap <= DIRTY_MAX ? realloc(fb->dirty, cap * sizeof *grown) : NULL;
        if (!grown) {
            drop_dirty(fb);
            fb->rescan = true;
            return;
        }
        fb->dirty = grown;
        fb->cap_dirty = cap;
    }
    char *copy = strdup(name);
    if (!copy) {
        drop_dirty(fb);
        fb->rescan = true;
        return;
    }
    fb->dirty[fb->n_dirty++] = copy;
}

/* Note one event; true when it is another process adding or replacing a task. */
static bool one_event(fs_backend *fb, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        drop_dirty(fb);
        fb->rescan = true;
        return true;
    }
    if (!ev->len)
        return false;
    if ((ev->mask & IN_MOVED_FROM) && strncmp(ev->name, fb->tmp_prefix, strlen(fb->tmp_prefix)) == 0) {
        fb->own_cookie = ev->cookie;
        return false;
    }
    size_t id_len = 0;
    if (!az_fs_task_name(fb, ev->name, &id_len))
        return false;
    if ((ev->mask & IN_MOVED_TO) && ev->cookie && ev->cookie == fb->own_cookie) {
        fb->own_cookie = 0;
        return false;
    }
    add_dirty(fb, ev->name);
    return (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) != 0;
}

/* Read everything queued (under ev_lock). */
static bool read_events(fs_backend *fb)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool wake = false;
    for (;;) {
        ssize_t n = read(fb->infd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return wake;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            wake |= one_event(fb, ev);
            p += sizeof *ev + ev->len;
        }
    }
}

static void wake_host(const fs_backend *fb)
{
    if (fb->host && fb->host->wakeup)
        fb->host->wakeup(fb->host->host_data);
}

/* ---- the watcher thread -------------------------------------------------------------------------- */

static void *watch_main(void *arg)
{
    fs_backend *fb = arg;
    struct pollfd p[2] = {{.fd = fb->infd, .events = POLLIN}, {.fd = fb->stopfd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || p[1].revents || (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)))
            return NULL;
        pthread_mutex_lock(&fb->ev_lock);
        bool wake = read_events(fb);
        pthread_mutex_unlock(&fb->ev_lock);
        if (wake)
            wake_host(fb);
    }
}

int az_fs_watch_start(fs_backend *fb)
{
    fb->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fb->infd < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "inotify_init1");
    if (inotify_add_watch(fb->infd, fb->dir, WATCH_MASK) < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "inotify_add_watch");
    fb->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fb->stopfd < 0)
        return az_fs_fail(fb, ASYNCZ_ESTORE, errno, "eventfd");
    return 0;
}

int az_fs_watch_thread(fs_backend *fb)
{
    /* The thread takes no signals: they belong to the application's threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&fb->thread, NULL, watch_main, fb);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        return az_fs_fail(fb, ASYNCZ_ESTORE, err, "start the watcher thread");
    fb->thread_started = true;
    return 0;
}

void az_fs_watch_stop(fs_backend *fb)
{
    if (fb->thread_started) {
        uint64_t one = 1;
        if (write(fb->stopfd, &one, sizeof one) != sizeof one)
            asyncz_log(ASYNCZ_LOG_ERROR, FS_LOGGER, "cannot stop the watcher thread: %s", strerror(errno));
        pthread_join(fb->thread, NULL);
        fb->thread_started = false;
    }
    if (fb->infd >= 0)
        close(fb->infd);
    if (fb->stopfd >= 0)
        close(fb->stopfd);
    fb->infd = fb->stopfd = -1;
    drop_dirty(fb);
    fb->rescan = false;
    fb->own_cookie = 0;
}

/* ---- scanning ------------------------------------------------------------------------------------ */

typedef struct bad_file {
    char *name;
    char why[200];
} bad_file;

typedef struct bad_list {
    bad_file *items;
    size_t n;
} bad_list;

static int note_bad(bad_list *l, const char *name, const char *why)
{
    bad_file *grown = realloc(l->items, (l->n + 1) * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    l->items = grown;
    if (!(grown[l->n].name = strdup(name)))
        return ASYNCZ_ENOMEM;
    snprintf(grown[l->n].why, sizeof grown[l->n].why, "%s", why);
    l->n++;
    return 0;
}

/* Quarantine what was found malformed, after the scan (the quarantine needs the index's counter floor). */
static void quarantine_bad(fs_backend *fb, bad_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        az_fs_quarantine_malformed(fb, l->items[i].name, l->items[i].why);
        free(l->items[i].name);
    }
    free(l->items);
    *l = (bad_list){0};
}

/* One directory entry: into the index, onto the bad list, or ignored. */
static int scan_one(fs_backend *fb, const char *name, bad_list *bad)
{
    size_t id_len = 0;
    if (!az_fs_task_name(fb, name, &id_len))
        return 0;
    fs_header h;
    char why[200];
    int rc = az_fs_read_header(fb, name, &h, why, sizeof why);
    if (rc == ASYNCZ_ENOTFOUND)
        return 0;
    if (rc == ASYNCZ_EPARSE)
        return note_bad(bad, name, why);
    if (rc)
        return rc;
    char id[NAME_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)id_len, name);
    return az_fs_index_append(&fb->ix, id, &h);
}

int az_fs_rescan(fs_backend *fb)
{
    int fd = openat(fb->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return az_fs_fail(fb, ASYNCZ_EIO, err, "list the store directory");
    }
    az_fs_index_clear(&fb->ix);
    bad_list bad = {0};
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d)) != NULL;)
        rc = scan_one(fb, de->d_name, &bad);
    closedir(d);
    az_fs_index_sort(&fb->ix);
    quarantine_bad(fb, &bad);
    return rc;
}

/* Re-read one changed task file's header line. */
static int refresh_one(fs_backend *fb, const char *name)
{
    size_t id_len = 0;
    if (!az_fs_task_name(fb, name, &id_len))
        return 0;
    char id[NAME_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)id_len, name);
    fs_header h;
    char why[200];
    int rc = az_fs_read_header(fb, name, &h, why, sizeof why);
    if (rc == ASYNCZ_ENOTFOUND) {
        az_fs_index_del(&fb->ix, id);
        return 0;
    }
    if (rc == ASYNCZ_EPARSE) {
        az_fs_quarantine_malformed(fb, name, why);
        return 0;
    }
    return rc ? rc : az_fs_index_put(&fb->ix, id, &h);
}

int az_fs_refresh(fs_backend *fb)
{
    pthread_mutex_lock(&fb->ev_lock);
    bool wake = read_events(fb);
    char **dirty = fb->dirty;
    size_t n = fb->n_dirty;
    bool rescan = fb->rescan;
    fb->dirty = NULL;
    fb->n_dirty = fb->cap_dirty = 0;
    fb->rescan = false;
    pthread_mutex_unlock(&fb->ev_lock);
    if (wake)
        wake_host(fb); /* the watcher thread will not see these events: we took them */
    int rc = rescan ? az_fs_rescan(fb) : 0;
    for (size_t i = 0; i < n; i++) {
        if (!rescan && !rc)
            rc = refresh_one(fb, dirty[i]);
        free(dirty[i]);
    }
    free(dirty);
    if (rc) {
        /* Some changes were not applied: the next operation starts from a full scan. */
        pthread_mutex_lock(&fb->ev_lock);
        drop_dirty(fb);
        fb->rescan = true;
        pthread_mutex_unlock(&fb->ev_lock);
    }
    return rc;
}
#endif
