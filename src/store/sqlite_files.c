/* The SQLite store's files on disk: who may control them, and how a new database file is made. Whoever can
 * write the database (or its write-ahead log, or replace it in its directory) chooses the commands a
 * scheduler runs, so the store refuses files that another user owns or that others can write, under the
 * same rule as the file store's directory (file_dir.c); and it makes a new database file 0600, which
 * SQLite's -wal and -shm files then take over (SQLite gives them the database file's permissions). */
#ifdef ASYNCZ_WITH_SQLITE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "store/sqlite_internal.h"

/* The directory that holds path: "." for a bare name, "/" for a file at the root. malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static const char *writers(mode_t mode)
{
    return (mode & S_IWOTH) ? "everyone" : "its group";
}

/* The database file, its -wal or its -shm (what names it) at path, if it exists: owned by this user and
 * writable by no one else. */
static int check_file(az_sqlite *b, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? 0
                               : az_store_fail(ASYNCZ_ESTORE, "%s: open: cannot stat the %s %s: %s", b->label,
                                               what, path, strerror(errno));
    if (st.st_uid != geteuid())
        return az_store_fail(ASYNCZ_ESTORE,
                             "%s: open: the %s %s is owned by uid %u, not by this user (uid %u): refusing a "
                             "store that someone else controls (fix: chown %u %s, or use another file)",
                             b->label, what, path, (unsigned)st.st_uid, (unsigned)geteuid(),
                             (unsigned)geteuid(), path);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return az_store_fail(ASYNCZ_ESTORE,
                             "%s: open: the %s %s has mode %04o, writable by %s: refusing it, since whoever "
                             "can write it chooses what runs (fix: chmod go-w %s)",
                             b->label, what, path, (unsigned)(st.st_mode & 07777), writers(st.st_mode), path);
    return 0;
}

/* The directory that holds the database: whoever can write it can replace the database (or put a log of
 * their own beside it). Owned by this user or root, and writable by no one else. A missing directory is
 * made by this store (0700) before it is checked. */
static int check_dir(az_sqlite *b, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? 0
                               : az_store_fail(ASYNCZ_ESTORE, "%s: open: cannot stat the directory %s: %s",
                                               b->label, dir, strerror(errno));
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return az_store_fail(
            ASYNCZ_ESTORE,
            "%s: open: the directory %s of the database is owned by uid %u, neither this user "
            "(uid %u) nor root: refusing a store that someone else controls (fix: chown %u "
            "%s, or keep the database in a directory of its own)",
            b->label, dir, (unsigned)st.st_uid, (unsigned)geteuid(), (unsigned)geteuid(), dir);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return az_store_fail(ASYNCZ_ESTORE,
                             "%s: open: the directory %s of the database has mode %04o, writable by %s: "
                             "refusing it, since whoever can write it can replace the database (fix: chmod "
                             "go-w %s, or keep the database in a directory of its own)",
                             b->label, dir, (unsigned)(st.st_mode & 07777), writers(st.st_mode), dir);
    return 0;
}

/* The database at path (as SQLite will open it: symlinks resolved), its directory and the -wal and -shm
 * files SQLite makes beside it. */
static int check_database(az_sqlite *b, const char *path)
{
    char *dir = dir_of(path);
    size_t n = strlen(path) + 5;
    char *side = malloc(n);
    if (!dir || !side) {
        free(dir);
        free(side);
        return ASYNCZ_ENOMEM;
    }
    int rc = check_dir(b, dir);
    if (!rc)
        rc = check_file(b, "database file", path);
    if (!rc) {
        snprintf(side, n, "%s-wal", path);
        rc = check_file(b, "write-ahead log", side);
    }
    if (!rc) {
        snprintf(side, n, "%s-shm", path);
        rc = check_file(b, "shared-memory file", side);
    }
    free(dir);
    free(side);
    return rc;
}

/* A symlinked database is checked where it leads too: SQLite follows the link and keeps its -wal and -shm
 * beside the target, in a directory the link's own may not vouch for. The link's directory is checked as
 * well, since whoever can write it can point the link elsewhere. */
int az_sqlite_check_files(az_sqlite *b)
{
    int rc = check_database(b, b->path);
    struct stat st;
    if (rc || lstat(b->path, &st) != 0 || !S_ISLNK(st.st_mode))
        return rc;
    char *target = realpath(b->path, NULL);
    if (!target) /* dangling, too: SQLite would make the target in a directory nobody checked */
        return az_store_fail(ASYNCZ_ESTORE,
                             "%s: open: the database path %s is a symlink that cannot be "
                             "resolved: %s (point it at an existing database, or use the target's path)",
                             b->label, b->path, strerror(errno));
    rc = check_database(b, target);
    free(target);
    return rc;
}

int az_sqlite_create_file(az_sqlite *b)
{
    int fd = open(b->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EEXIST)
        return 0; /* there already (perhaps made by another process just now): checked as it is */
    return az_store_fail(ASYNCZ_EIO, "%s: open: cannot create the database file: %s", b->label,
                         strerror(errno));
}
#endif
