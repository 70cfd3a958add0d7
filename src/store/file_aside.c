/* The file store's side directories (see file_internal.h): the quarantine listed oldest first, and the
 * instances (heartbeats), one file each, which need no lock since rename and unlink are atomic. */
#ifdef ASYNCZ_WITH_FILE
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "asyncz/log.h"
#include "store/file_internal.h"

/* ---- listing a directory ------------------------------------------------------------------------- */

typedef struct name_list {
    char **names;
    size_t n, cap;
} name_list;

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    *l = (name_list){0};
}

static int names_add(name_list *l, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **grown = realloc(l->names, cap * sizeof *grown);
        if (!grown)
            return ASYNCZ_ENOMEM;
        l->names = grown;
        l->cap = cap;
    }
    if (!(l->names[l->n] = strdup(name)))
        return ASYNCZ_ENOMEM;
    l->n++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory dfd that do not start with '.', sorted. */
static int list_dir(fs_backend *fb, int dfd, const char *what, name_list *out)
{
    *out = (name_list){0};
    int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return az_fs_fail(fb, ASYNCZ_EIO, err, "list the %s directory", what);
    }
    int rc = 0;
    for (struct dirent *de; !rc && (de = readdir(d)) != NULL;)
        if (de->d_name[0] != '.')
            rc = names_add(out, de->d_name);
    closedir(d);
    if (rc)
        names_free(out);
    else if (out->n > 1)
        qsort(out->names, out->n, sizeof *out->names, name_cmp);
    return rc;
}

/* ---- reading the quarantine ---------------------------------------------------------------------- */

static bool is_entry_name(const char *name)
{
    size_t n = strlen(name);
    return n > 2 && strcmp(name + n - 2, ".q") == 0;
}

/* Read entry file `name` and parse its header line into *q, whose strings point into *line (malloc'd: the
 * caller frees it) and whose data into fb->buf. *line is NULL when the file is gone or its header is not an
 * entry's; *whole says whether the record after the header has the length the header gives. */
static int read_entry(fs_backend *fb, const char *name, char **line, az_quarantine_rec *q, bool *whole)
{
    *line = NULL;
    *q = (az_quarantine_rec){0};
    size_t size = 0;
    int rc = az_fs_read_file(fb, fb->qdirfd, name, &size);
    if (rc)
        return rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EPARSE ? 0 : rc;
    const unsigned char *nl = memchr(fb->buf, '\n', size);
    char *text = nl ? strndup((const char *)fb->buf, (size_t)(nl - fb->buf)) : NULL;
    if (nl && !text)
        return ASYNCZ_ENOMEM;
    size_t len = 0;
    if (!text || !az_fs_quarantine_parse(text, q, &len)) {
        free(text);
        return 0;
    }
    *line = text;
    q->data = nl + 1;
    q->len = len;
    *whole = (size_t)(nl + 1 - fb->buf) + len == size;
    return 0;
}

static int quarantined_one(fs_backend *fb, const char *name, az_quarantine_rec_fn each, void *userdata)
{
    char *line;
    az_quarantine_rec q;
    bool whole = false;
    int rc = read_entry(fb, name, &line, &q, &whole);
    if (rc)
        return rc;
    if (!line || !whole) {
        asyncz_log(ASYNCZ_LOG_WARNING, FS_LOGGER, "%s/quarantine/%s is not a quarantine entry: skipped",
                   fb->dir, name);
        free(line);
        return 0;
    }
    rc = each(&q, userdata);
    free(line);
    return rc;
}

int az_fs_quarantined(fs_backend *fb, az_quarantine_rec_fn each, void *userdata)
{
    name_list l;
    int rc = list_dir(fb, fb->qdirfd, "quarantine", &l);
    for (size_t i = 0; !rc && i < l.n; i++) {
        if (is_entry_name(l.names[i]))
            rc = quarantined_one(fb, l.names[i], each, userdata);
    }
    names_free(&l);
    return rc;
}

/* ---- dropping entries ------------------------------------------------------------------------------ */

/* Whether entry file `name` is one of id's quarantined at `at` (ASYNCZ_TIME_NONE: any time). An entry that
 * is gone or not an entry is not. */
static int entry_matches(fs_backend *fb, const char *name, const char *id, asyncz_time_t at, bool *match)
{
    char *line;
    az_quarantine_rec q;
    bool whole;
    int rc = read_entry(fb, name, &line, &q, &whole);
    *match = line && strcmp(q.id, id) == 0 && (at == ASYNCZ_TIME_NONE || q.at == at);
    free(line);
    return rc;
}

/* Under the store's lock, so that no entry is being written meanwhile; each unlink is atomic, the whole
 * drop is not (a crash part-way leaves some of the entries). */
int az_fs_quarantine_drop(az_backend *b, const char *id, asyncz_time_t at, size_t *dropped)
{
    fs_backend *fb = (fs_backend *)b;
    *dropped = 0;
    int rc = az_fs_lock(fb, "drop quarantine entry");
    if (rc)
        return rc;
    name_list l;
    rc = list_dir(fb, fb->qdirfd, "quarantine", &l);
    for (size_t i = 0; !rc && i < l.n; i++) {
        bool match = false;
        if (!is_entry_name(l.names[i]) || (rc = entry_matches(fb, l.names[i], id, at, &match)) != 0 || !match)
            continue;
        if (unlinkat(fb->qdirfd, l.names[i], 0) == 0)
            ++*dropped;
        else if (errno != ENOENT)
            rc = az_fs_fail(fb, ASYNCZ_EIO, errno, "remove quarantine/%s", l.names[i]);
    }
    names_free(&l);
    if (!rc && *dropped)
        rc = az_fs_sync_dir(fb, fb->qdirfd, "quarantine");
    az_fs_unlock(fb);
    return rc;
}

/* ---- instances ------------------------------------------------------------------------------------ */

static fs_backend *FB(az_backend *b)
{
    return (fs_backend *)b;
}

static int instance_name(fs_backend *fb, const char *id, char *name)
{
    if (!id || !*id || az_fs_pct_encode(id, strlen(id), true, name, NAME_MAX + 1) < 0)
        return az_fs_fail(fb, ASYNCZ_EINVAL, 0, "instance id \"%.64s\" is too long for a file name",
                          id ? id : "");
    return 0;
}

int az_fs_put_instance(az_backend *b, const char *id, const unsigned char *data, size_t len)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = instance_name(fb, id, name);
    return rc ? rc : az_fs_write(fb, fb->idirfd, name, data, len, NULL, 0, false);
}

int az_fs_instances(az_backend *b, az_instance_rec_fn each, void *userdata)
{
    fs_backend *fb = FB(b);
    name_list l;
    int rc = list_dir(fb, fb->idirfd, "instances", &l);
    for (size_t i = 0; !rc && i < l.n; i++) {
        size_t size = 0;
        rc = az_fs_read_file(fb, fb->idirfd, l.names[i], &size);
        if (rc == ASYNCZ_ENOTFOUND || rc == ASYNCZ_EPARSE) {
            rc = 0; /* removed meanwhile, or not an instance: skipped */
            continue;
        }
        if (!rc && az_fs_pct_decode(l.names[i]))
            rc = each(l.names[i], fb->buf, size, userdata);
    }
    names_free(&l);
    return rc;
}

int az_fs_remove_instance(az_backend *b, const char *id)
{
    fs_backend *fb = FB(b);
    char name[NAME_MAX + 1];
    int rc = instance_name(fb, id, name);
    if (rc)
        return rc;
    if (unlinkat(fb->idirfd, name, 0) != 0)
        return errno == ENOENT ? ASYNCZ_ENOTFOUND
                               : az_fs_fail(fb, ASYNCZ_EIO, errno, "remove instance %s", name);
    return 0;
}
#endif
