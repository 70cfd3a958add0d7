/* The file store: the conformance and persistent-store suites on file:///<tmp>/asyncz-file-<pid>/ns<n>, plus
 * what is particular to this store: URL forms and options, the directory checks, the layout on disk
 * (header lines, no temp files left), ids that are no safe file names, the index kept fresh across store
 * objects and processes, malformed header lines, the counter file, wake-ups through inotify. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "persist_suite.h"
#include "store/backend.h"
#include "store/file_internal.h"
#include "core/store_open.h"

#define T0 INT64_C(1800000000000000)
#define SEC ASYNCZ_USEC_PER_SEC
#define LEASE (60 * SEC)

/* This process's directories, removed at exit: the suites' namespaces on a RAM file system when there is
 * one (tens of thousands of fsyncs on a shared disk take minutes, and prove nothing a test can observe), and
 * the directories of the tests below on the disk under $TMPDIR. */
static char base_dir[256];
static char disk_dir[256];
static char unreachable_url[300];
static char bad_option_url[300];

static const asyncz_store_ops *ops(asyncz_store *st)
{
    return ASYNCZ_STORE_BASE(st)->ops;
}

static void file_url(char *buf, size_t size, unsigned n)
{
    snprintf(buf, size, "file://%s/ns%u", base_dir, n);
}

/* A fresh directory path under disk_dir (not created). */
static void fresh_dir(char *buf, size_t size, const char *tag)
{
    static unsigned n;
    snprintf(buf, size, "%s/%s%u", disk_dir, tag, n++);
}

static void remove_tree(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", path);
}

static void remove_base(void)
{
    remove_tree(base_dir);
    remove_tree(disk_dir);
}

static void make_base(char *buf, size_t size, const char *parent)
{
    snprintf(buf, size, "%s/asyncz-file-%ld", parent, (long)getpid());
    if (mkdir(buf, 0700) != 0)
        fprintf(stderr, "cannot create %s: %s\n", buf, strerror(errno));
}

static void noop_wakeup(void *data)
{
    (void)data;
}

typedef struct host_counts {
    int wakeups;
    int quarantined;
    char last_id[256];
} host_counts;

static void count_wakeup(void *data)
{
    __atomic_add_fetch(&((host_counts *)data)->wakeups, 1, __ATOMIC_SEQ_CST);
}

static void count_quarantined(void *data, const char *id, const char *reason)
{
    host_counts *h = data;
    (void)reason;
    h->quarantined++;
    snprintf(h->last_id, sizeof h->last_id, "%s", id);
}

/* Open url as a store (the host must outlive it); returns open()'s result. */
static int try_open(const char *url, asyncz_store **st, asyncz_store_host *host, host_counts *counts)
{
    int rc = asyncz_store_open(st, url);
    if (rc)
        return rc;
    *host = (asyncz_store_host){.alias = "default",
                                .identity = "tester",
                                .wakeup = counts ? count_wakeup : noop_wakeup,
                                .quarantined = counts ? count_quarantined : NULL,
                                .host_data = counts};
    return az_store_do_open(*st, host);
}

static asyncz_store *open_dir_store(const char *dir, const char *query, asyncz_store_host *host,
                                    host_counts *counts)
{
    char url[600];
    snprintf(url, sizeof url, "file://%s%s", dir, query ? query : "");
    asyncz_store *st = NULL;
    int rc = try_open(url, &st, host, counts);
    if (rc)
        fail_msg("open %s: %s: %s", url, asyncz_strerror(rc), asyncz_store_errmsg());
    return st;
}

/* This file's short names for the shared helpers (az_test.h). */
static asyncz_task *make_task(const char *id, asyncz_time_t when)
{
    return az_test_task(id, when);
}

static void add(asyncz_store *st, const char *id, asyncz_time_t when)
{
    az_test_add(st, id, when);
}

static size_t count(asyncz_store *st)
{
    size_t n = 99999;
    assert_int_equal(ops(st)->count(st, &n), 0);
    return n;
}

/* The whole of a file, NUL-terminated; NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* How many entries of dir start with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- URL forms and options ------------------------------------------------------------------------- */

static void expect_url(const char *url, int want, const char *in_message)
{
    asyncz_store *st = (asyncz_store *)&st;
    int rc = asyncz_store_open(&st, url);
    if (rc != want)
        fail_msg("%s: got %s, want %s (%s)", url, asyncz_err_name(rc), asyncz_err_name(want),
                 asyncz_store_errmsg());
    if (in_message && !strstr(asyncz_store_errmsg(), in_message))
        fail_msg("%s: the message \"%s\" does not say \"%s\"", url, asyncz_store_errmsg(), in_message);
    if (!rc) {
        assert_string_equal(asyncz_store_kind(st), "file");
        assert_int_equal(ops(st)->caps,
                         ASYNCZ_STORE_CAP_PERSISTENT | ASYNCZ_STORE_CAP_SHARED | ASYNCZ_STORE_CAP_NOTIFY);
        asyncz_store_free(st);
    } else {
        assert_null(st);
    }
}

static void file_url_forms(void **state)
{
    (void)state;
    expect_url("file:///var/lib/asyncz", 0, NULL);
    expect_url("file:///var/lib/asyncz/", 0, NULL);
    expect_url("file://localhost/var/lib/asyncz", 0, NULL);
    expect_url("FILE:///var/lib/asyncz", 0, NULL);
    expect_url("file:///var/lib/with%20space", 0, NULL);
    expect_url("file://server/var/lib/asyncz", ASYNCZ_EINVAL, "no host");
    expect_url("file://user@/var/lib/asyncz", ASYNCZ_EINVAL, "no user");
    expect_url("file://", ASYNCZ_EINVAL, "absolute directory");
    expect_url("file:///", ASYNCZ_EINVAL, "will not use /");
    expect_url("file:////", ASYNCZ_EINVAL, "will not use /");
    expect_url("file:relative/dir", ASYNCZ_EINVAL, NULL);
}

static void file_options(void **state)
{
    (void)state;
    expect_url("file:///d?suffix=.job&mode=0750&cleanup_directory=true", 0, NULL);
    expect_url("file:///d?mode=700", 0, NULL);
    expect_url("file:///d?cleanup_directory=no", 0, NULL);
    expect_url("file:///d?bogus_option=1", ASYNCZ_EINVAL, "bogus_option");
    expect_url("file:///d?tablename=x", ASYNCZ_EINVAL, "suffix, mode, cleanup_directory");
    /* Names reach the file system: a suffix is a plain name, never a path. */
    expect_url("file:///d?suffix=/../../etc/passwd", ASYNCZ_EINVAL, "suffix");
    expect_url("file:///d?suffix=.task%2F..", ASYNCZ_EINVAL, "suffix");
    expect_url("file:///d?suffix=", ASYNCZ_EINVAL, "suffix");
    expect_url("file:///d?suffix=.q", ASYNCZ_EINVAL, "suffix");
    expect_url("file:///d?suffix=task.", ASYNCZ_EINVAL, "suffix");
    expect_url("file:///d?mode=0777", ASYNCZ_EINVAL, "refuses");
    expect_url("file:///d?mode=0720", ASYNCZ_EINVAL, "refuses");
    expect_url("file:///d?mode=0600", ASYNCZ_EINVAL, "0700");
    expect_url("file:///d?mode=rwx", ASYNCZ_EINVAL, "octal");
    expect_url("file:///d?mode=0800", ASYNCZ_EINVAL, "octal");
    expect_url("file:///d?mode=-700", ASYNCZ_EINVAL, "octal");
    expect_url("file:///d?mode=", ASYNCZ_EINVAL, "octal");
    expect_url("file:///d?mode=017777", ASYNCZ_EINVAL, "octal");
    expect_url("file:///d?cleanup_directory=maybe", ASYNCZ_EINVAL, "cleanup_directory");
}

/* A suffix other than the default names the files. */
static void file_custom_suffix(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "suffix");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, "?suffix=.job", &host, NULL);
    add(st, "alpha", T0);
    snprintf(path, sizeof path, "%s/alpha.job", dir);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/alpha.task", dir);
    assert_false(exists(path));
    /* Files with another suffix are not tasks of this store. */
    snprintf(path, sizeof path, "%s/stranger.task", dir);
    spit(path, "hello\n", 6);
    asyncz_store_free(st);
    st = open_dir_store(dir, "?suffix=.job", &host, NULL);
    assert_int_equal(count(st), 1);
    assert_true(exists(path));
    asyncz_store_free(st);
}

/* ---- the directory --------------------------------------------------------------------------------- */

static int open_rc(const char *dir, const char *query)
{
    char url[600];
    snprintf(url, sizeof url, "file://%s%s", dir, query ? query : "");
    asyncz_store *st = NULL;
    asyncz_store_host host;
    int rc = try_open(url, &st, &host, NULL);
    asyncz_store_free(st);
    return rc;
}

/* A tool's connection to a store that must exist: a missing directory is ASYNCZ_ENOTFOUND and nothing is
 * made; an existing one connects. */
static void file_connect_existing(void **state)
{
    (void)state;
    char dir[300], url[400];
    fresh_dir(dir, sizeof dir, "typo");
    snprintf(url, sizeof url, "file://%s", dir);
    asyncz_store *st = NULL;
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect_existing(st, NULL, NULL), ASYNCZ_ENOTFOUND);
    if (!strstr(asyncz_store_errmsg(), dir) || !strstr(asyncz_store_errmsg(), "no such directory"))
        fail_msg("unexpected message: %s", asyncz_store_errmsg());
    assert_false(exists(dir));
    assert_int_equal(asyncz_store_connect(st), 0); /* a scheduler's connection creates it */
    asyncz_store_free(st);
    assert_true(exists(dir));
    assert_int_equal(asyncz_store_open(&st, url), 0);
    assert_int_equal(asyncz_store_connect_existing(st, NULL, NULL), 0);
    asyncz_store_free(st);
}

static void file_creates_directory(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "made");
    strcat(dir, "/deeper/still");
    mode_t old = umask(022);
    assert_int_equal(open_rc(dir, "?mode=0750"), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    snprintf(path, sizeof path, "%s/quarantine", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    snprintf(path, sizeof path, "%s/instances", dir);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/.lock", dir);
    assert_true(exists(path));
    static const char *const journals[] = {"runs", "audit"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, journals[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0750);
        snprintf(path, sizeof path, "%s/%s/.lock", dir, journals[i]);
        assert_true(exists(path));
    }
}

static void file_refuses_world_writable(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "open");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(open_rc(dir, NULL), ASYNCZ_ESTORE);
    const char *msg = asyncz_store_errmsg();
    if (!strstr(msg, "0777") || !strstr(msg, "chmod go-w") || !strstr(msg, dir) || !strstr(msg, "everyone"))
        fail_msg("unclear message: %s", msg);
    /* Nothing was created in a directory that was refused. */
    assert_int_equal(count_prefixed(dir, "."), 2);
    assert_int_equal(count_prefixed(dir, "quarantine"), 0);
    assert_int_equal(chmod(dir, 0700), 0);
    assert_int_equal(open_rc(dir, NULL), 0);
}

static void file_refuses_group_writable(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "group");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(open_rc(dir, NULL), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "its group"));
    assert_non_null(strstr(asyncz_store_errmsg(), "0770"));
}

/* A writable quarantine/, instances/, runs/ or audit/ directory is refused, and the message names that
 * directory and the chmod that fixes it, not the store's directory. */
static void file_refuses_writable_subdir(void **state)
{
    (void)state;
    char dir[300], sub[400], fix[420];
    fresh_dir(dir, sizeof dir, "subdir");
    assert_int_equal(open_rc(dir, NULL), 0);
    static const char *const subdirs[] = {"quarantine", "instances", "runs", "audit"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, subdirs[i]);
        assert_int_equal(chmod(sub, 0777), 0);
        assert_int_equal(open_rc(dir, NULL), ASYNCZ_ESTORE);
        const char *msg = asyncz_store_errmsg();
        snprintf(fix, sizeof fix, "chmod go-w %s)", sub);
        if (!strstr(msg, "0777") || !strstr(msg, fix) || !strstr(msg, "the directory " /* named */) ||
            !strstr(msg, sub))
            fail_msg("%s: unclear message: %s", subdirs[i], msg);
        assert_int_equal(chmod(sub, 0700), 0);
        assert_int_equal(open_rc(dir, NULL), 0);
    }
}

static void file_refuses_other_owner(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* only root can give a directory away */
    char dir[300];
    fresh_dir(dir, sizeof dir, "owned");
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(chown(dir, 65534, 65534), 0);
    assert_int_equal(open_rc(dir, NULL), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "owned by uid 65534"));
}

static void file_refuses_a_file(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "plainfile");
    spit(dir, "not a directory\n", 16);
    assert_int_equal(open_rc(dir, NULL), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), "not a directory"));
    /* Nor a path through a file. */
    char below[400];
    snprintf(below, sizeof below, "%s/below", dir);
    assert_int_equal(open_rc(below, NULL), ASYNCZ_ESTORE);
}

static void file_cleanup_directory(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "cleanup");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, "?cleanup_directory=true", &host, NULL);
    add(st, "one", T0);
    add(st, "two", T0 + SEC);
    asyncz_instance me = {.id = "sched", .hostname = "h", .pid = 1, .version = "0.1.0"};
    assert_int_equal(ops(st)->heartbeat(st, &me), 0);
    az_backend *b = az_persist_backend(st);
    az_jentry e = {.id = "0190a000-0000-7000-8000-000000000001",
                   .task_id = "one",
                   .at = T0,
                   .end_at = T0,
                   .who = "",
                   .data = (const unsigned char *)"{}",
                   .len = 2};
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_RUNS, &e, 1), 0);
    assert_int_equal(b->ops->journal_put(b, AZ_JOURNAL_AUDIT, &e, 1), 0);
    assert_true(exists(dir));
    az_store_do_close(st);
    assert_false(exists(dir));
    asyncz_store_free(st);
}

static void file_no_cleanup_by_default(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "kept");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, "?cleanup_directory=false", &host, NULL);
    add(st, "one", T0);
    asyncz_store_free(st);
    snprintf(path, sizeof path, "%s/one.task", dir);
    assert_true(exists(path));
}

/* ---- layout ---------------------------------------------------------------------------------------- */

static void file_layout(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "layout");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    add(st, "first", T0);
    add(st, "paused", ASYNCZ_TIME_NONE);
    snprintf(path, sizeof path, "%s/first.task", dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_non_null(text);
    char want[200];
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    snprintf(want, sizeof want, "asyncz-file/1 next=%lld seq=1 token=0 lease=- owner=- len=%zu",
             (long long)T0, len - (size_t)(nl + 1 - text));
    assert_memory_equal(text, want, strlen(want));
    assert_int_equal(nl - text, strlen(want));
    assert_int_equal(nl[1], '{'); /* the task document follows in the clear (no key set) */
    free(text);
    snprintf(path, sizeof path, "%s/paused.task", dir);
    text = slurp(path, NULL);
    assert_non_null(strstr(text, "asyncz-file/1 next=- seq=2 token=0 lease=- owner=- len="));
    free(text);
    /* A claim writes its owner (%-encoded), lease and token into the header. */
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0, "host 1:42", LEASE, 4, &c, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(c.token, 3);
    snprintf(path, sizeof path, "%s/first.task", dir);
    text = slurp(path, NULL);
    snprintf(want, sizeof want,
             "asyncz-file/1 next=%lld seq=1 token=3 lease=%lld owner=host%%201:42 len=", (long long)T0,
             (long long)(T0 + LEASE));
    assert_memory_equal(text, want, strlen(want));
    free(text);
    snprintf(path, sizeof path, "%s/.seq", dir);
    text = slurp(path, NULL);
    assert_string_equal(text, "00000000000000000003\n");
    free(text);
    asyncz_task_free(c.task);
    assert_int_equal(count_prefixed(dir, ".tmp."), 0);
    asyncz_store_free(st);
}

/* No temp file is left behind, after writes that succeed and after one that fails at its rename. */
static void file_no_temp_lingers(void **state)
{
    (void)state;
    char dir[300], path[400], outside[400];
    fresh_dir(dir, sizeof dir, "temps");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        add(st, id, T0 + i);
        asyncz_task *t = make_task(id, T0 + 100 + i);
        assert_int_equal(ops(st)->update(st, t), 0);
        asyncz_task_free(t);
    }
    asyncz_claim c[8];
    size_t n = 0;
    assert_int_equal(ops(st)->claim(st, T0 + 200, "me", LEASE, 8, c, &n), 0);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(
            ops(st)->release(st, asyncz_task_id(c[i].task), c[i].token, i % 2 ? c[i].task : NULL), 0);
        asyncz_task_free(c[i].task);
    }
    assert_int_equal(count_prefixed(dir, ".tmp."), 0);
    /* A file the index does not know (linked in: no event the store watches) makes the insert's rename
     * fail; the insert reports it exists and removes its temp file. */
    fresh_dir(outside, sizeof outside, "outside");
    spit(outside, "x", 1);
    snprintf(path, sizeof path, "%s/sneaky.task", dir);
    assert_int_equal(link(outside, path), 0);
    az_backend *b = az_persist_backend(st);
    az_record rec = {.id = "sneaky", .next_run_time = T0, .data = (const unsigned char *)"{}", .len = 2};
    assert_int_equal(b->ops->insert(b, &rec), ASYNCZ_EEXISTS);
    assert_int_equal(count_prefixed(dir, ".tmp."), 0);
    asyncz_store_free(st);
}

static void file_unsafe_ids(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "ids");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    az_backend *b = az_persist_backend(st);
    char long_id[256];
    memset(long_id, 'a', 251);
    long_id[251] = '\0'; /* 251 + ".task" > NAME_MAX */
    const char *bad[] = {"../escape", "a/b", ".hidden", "..", "", "tab\there", long_id};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        az_record rec = {.id = bad[i], .next_run_time = T0, .data = (const unsigned char *)"{}", .len = 2};
        assert_int_equal(b->ops->insert(b, &rec), ASYNCZ_EINVAL);
        assert_int_equal(b->ops->remove(b, bad[i]), ASYNCZ_EINVAL);
    }
    assert_non_null(strstr(asyncz_store_errmsg(), "no file name"));
    /* 250 bytes + ".task" is exactly NAME_MAX: accepted. */
    long_id[250] = '\0';
    add(st, long_id, T0);
    assert_int_equal(count(st), 1);
    asyncz_store_free(st);
    char parent[400];
    snprintf(parent, sizeof parent, "%s/../escape.task", dir);
    assert_false(exists(parent));
}

/* Entries that are not task files of this store are left alone: not listed, not quarantined, not removed. */
static void file_ignores_other_entries(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "others");
    assert_int_equal(open_rc(dir, NULL), 0);
    const char *names[] = {".hidden.task", "tab\there.task", "noext", "x.task.bak", ".task"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        spit(path, "junk", 4);
    }
    snprintf(path, sizeof path, "%s/sub.task", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    host_counts hc = {0};
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, &hc);
    assert_int_equal(count(st), 0);
    assert_int_equal(ops(st)->remove_all(st), 0);
    assert_int_equal(hc.quarantined, 0);
    asyncz_store_free(st);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        assert_true(exists(path));
    }
}

/* ---- the index across store objects ---------------------------------------------------------------- */

static int first_id(asyncz_task *task, void *userdata)
{
    snprintf(userdata, 64, "%s", asyncz_task_id(task));
    return 1;
}

static void file_index_sees_other_object(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "shared");
    asyncz_store_host ha, hb;
    asyncz_store *a = open_dir_store(dir, NULL, &ha, NULL);
    asyncz_store *b = open_dir_store(dir, NULL, &hb, NULL);
    add(a, "x", T0 + 5 * SEC);
    assert_int_equal(count(b), 1);
    asyncz_time_t e = 0;
    assert_int_equal(ops(b)->earliest(b, &e), 0);
    assert_int_equal(e, T0 + 5 * SEC);
    /* An update by a reorders b's view. */
    add(b, "y", T0 + 3 * SEC);
    asyncz_task *t = make_task("x", T0 + SEC);
    assert_int_equal(ops(a)->update(a, t), 0);
    asyncz_task_free(t);
    char id[64] = "";
    assert_int_equal(ops(b)->list(b, first_id, id), 1);
    assert_string_equal(id, "x");
    /* A claim by a hides the task from b's due list and sets b's earliest to the lease. */
    asyncz_claim c;
    size_t n = 0;
    assert_int_equal(ops(a)->claim(a, T0 + 2 * SEC, "a", LEASE, 1, &c, &n), 0);
    assert_int_equal(n, 1);
    id[0] = '\0';
    assert_int_equal(ops(b)->due(b, T0 + 4 * SEC, 10, first_id, id), 1);
    assert_string_equal(id, "y");
    assert_int_equal(ops(b)->earliest(b, &e), 0);
    assert_int_equal(e, T0 + 3 * SEC);
    /* b cannot release a's claim with a wrong token; a can. */
    assert_int_equal(ops(b)->release(b, "x", c.token + 1, NULL), ASYNCZ_ESTATE);
    assert_int_equal(ops(a)->release(a, "x", c.token, NULL), 0);
    asyncz_task_free(c.task);
    assert_int_equal(count(b), 1);
    assert_int_equal(ops(a)->remove(a, "y"), 0);
    assert_int_equal(count(b), 0);
    assert_int_equal(ops(b)->earliest(b, &e), 0);
    assert_int_equal(e, ASYNCZ_TIME_NONE);
    asyncz_store_free(a);
    asyncz_store_free(b);
}

/* Two processes claim from one directory: each task is handed out exactly once. */
#define PROC_TASKS 120

static void claim_all_into(const char *dir, int fd, const char *owner)
{
    asyncz_store_host host;
    asyncz_store *st = NULL;
    char url[600];
    snprintf(url, sizeof url, "file://%s", dir);
    if (try_open(url, &st, &host, NULL) != 0)
        _exit(2);
    for (;;) {
        asyncz_claim c[5];
        size_t n = 0;
        if (ops(st)->claim(st, T0, owner, LEASE, 5, c, &n) != 0)
            _exit(3);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            char line[64];
            int len = snprintf(line, sizeof line, "%s\n", asyncz_task_id(c[i].task));
            if (write(fd, line, (size_t)len) != len)
                _exit(4);
            asyncz_task_free(c[i].task);
        }
    }
    asyncz_store_free(st);
    _exit(0);
}

static void file_two_processes_claim_once(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "procs");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    for (int i = 0; i < PROC_TASKS; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        add(st, id, T0 - i);
    }
    asyncz_store_free(st); /* no thread of ours runs across the fork */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            close(fds[0]);
            claim_all_into(dir, fds[1], k ? "kid-b" : "kid-a");
        }
    }
    close(fds[1]);
    int seen[PROC_TASKS] = {0};
    FILE *in = fdopen(fds[0], "r");
    char line[64];
    int total = 0;
    while (fgets(line, sizeof line, in)) {
        int i = atoi(line + 1);
        assert_true(i >= 0 && i < PROC_TASKS);
        seen[i]++;
        total++;
    }
    fclose(in);
    for (int k = 0; k < 2; k++) {
        int status = 0;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    assert_int_equal(total, PROC_TASKS);
    for (int i = 0; i < PROC_TASKS; i++)
        assert_int_equal(seen[i], 1);
}

/* ---- malformed files ------------------------------------------------------------------------------- */

typedef struct qseen {
    int n;
    char ids[256];
    char reason[512];
    size_t len;
} qseen;

static int q_each(const asyncz_quarantined *q, void *userdata)
{
    qseen *s = userdata;
    size_t l = strlen(s->ids);
    snprintf(s->ids + l, sizeof s->ids - l, "%s%s", l ? "," : "", q->task_id);
    snprintf(s->reason, sizeof s->reason, "%s", q->reason);
    s->len = q->len;
    s->n++;
    return 0;
}

static void file_malformed_header_quarantined(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "malformed");
    host_counts hc = {0};
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, &hc);
    add(st, "good", T0);
    static const char junk[] = "this is no header\n{\"id\": \"bad\"}";
    snprintf(path, sizeof path, "%s/bad.task", dir);
    spit(path, junk, sizeof junk - 1); /* written in place: an IN_CLOSE_WRITE event */
    char id[64] = "";
    assert_int_equal(ops(st)->list(st, first_id, id), 1);
    assert_string_equal(id, "good");
    assert_int_equal(count(st), 1);
    assert_false(exists(path));
    assert_int_equal(hc.quarantined, 1);
    assert_string_equal(hc.last_id, "bad");
    qseen q = {0};
    assert_int_equal(asyncz_store_quarantined(st, q_each, &q), 0);
    assert_int_equal(q.n, 1);
    assert_string_equal(q.ids, "bad");
    assert_non_null(strstr(q.reason, "asyncz-file/1"));
    assert_int_equal(q.len, sizeof junk - 1); /* the whole file, as it was */
    asyncz_store_free(st);
}

/* The backend itself reports a malformed header line (a scheduler's host, and a tool's unreadable
 * callback): the report comes after the store's lock is released, so the callback may read the same store.
 * Before, it came from inside the backend call and the callback deadlocked (the alarm ends the test). */
typedef struct malformed_reentry {
    asyncz_store *st;
    int calls;
    int listed; /* quarantine entries a nested listing saw */
    size_t counted;
    int failures;
} malformed_reentry;

static void reenter_on_malformed(void *data, const char *id, const char *reason)
{
    malformed_reentry *r = data;
    (void)reason;
    assert_string_equal(id, "bad");
    r->calls++;
    qseen q = {0};
    if (asyncz_store_quarantined(r->st, q_each, &q) != 0 || ops(r->st)->count(r->st, &r->counted) != 0)
        r->failures++;
    r->listed += q.n;
}

static void file_malformed_header_reentry(void **state)
{
    (void)state;
    char dir[300], path[400], url[600];
    fresh_dir(dir, sizeof dir, "malformed_reentry");
    snprintf(url, sizeof url, "file://%s", dir);
    static const char junk[] = "this is no header\n{\"id\": \"bad\"}";
    snprintf(path, sizeof path, "%s/bad.task", dir);
    alarm(30);
    /* A tool: told, and the file left in place. */
    malformed_reentry tool = {0};
    assert_int_equal(asyncz_store_open(&tool.st, url), 0);
    assert_int_equal(asyncz_store_connect_inspect(tool.st, reenter_on_malformed, &tool), 0);
    add(tool.st, "good", T0);
    spit(path, junk, sizeof junk - 1);
    char id[64] = "";
    assert_int_equal(ops(tool.st)->list(tool.st, first_id, id), 1);
    assert_int_equal(tool.calls, 1);
    assert_int_equal(tool.listed, 0);
    assert_true(exists(path));
    asyncz_store_free(tool.st);
    /* A scheduler: the file is quarantined before the host is told. */
    assert_int_equal(unlink(path), 0); /* written again once it is open, not met at the scan of open */
    malformed_reentry sched = {0};
    assert_int_equal(asyncz_store_open(&sched.st, url), 0);
    asyncz_store_host host = {
        .alias = "default", .identity = "tester", .quarantined = reenter_on_malformed, .host_data = &sched};
    assert_int_equal(az_store_do_open(sched.st, &host), 0);
    assert_int_equal(sched.calls, 0);
    spit(path, junk, sizeof junk - 1);
    assert_int_equal(ops(sched.st)->list(sched.st, first_id, id), 1);
    alarm(0);
    assert_int_equal(sched.calls, 1);
    assert_int_equal(sched.listed, 1);
    assert_int_equal(sched.counted, 1);
    assert_int_equal(sched.failures + tool.failures, 0);
    assert_false(exists(path));
    asyncz_store_free(sched.st);
}

/* Malformed files found by the scan at open, each for its own reason. */
static void file_malformed_at_open(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "atopen");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    add(st, "good", T0);
    asyncz_store_free(st);
    static const struct {
        const char *id, *text, *why;
    } cases[] = {
        {"short", "asyncz-file/1 next=1 seq=1 token=0 lease=- owner=- len=10\n{}", "len=10"},
        {"nonl", "asyncz-file/1 next=1 seq=1 token=0 lease=- owner=- len=0", "no header line"},
        {"order", "asyncz-file/1 seq=1 next=1 token=0 lease=- owner=- len=0\n", "malformed header"},
        {"number", "asyncz-file/1 next=1x seq=1 token=0 lease=- owner=- len=0\n", "malformed header"},
        {"huge", "asyncz-file/1 next=1 seq=99999999999999999999 token=0 lease=- owner=- len=0\n",
         "malformed"},
        {"owner", "asyncz-file/1 next=1 seq=1 token=3 lease=5 owner=- len=0\n", "no owner"},
        {"escape", "asyncz-file/1 next=1 seq=1 token=3 lease=5 owner=%zz len=0\n", "malformed"},
        {"extra", "asyncz-file/1 next=1 seq=1 token=0 lease=- owner=- len=0 more=1\n", "malformed"},
        {"empty", "", "no header line"},
    };
    size_t n_cases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n_cases; i++) {
        snprintf(path, sizeof path, "%s/%s.task", dir, cases[i].id);
        spit(path, cases[i].text, strlen(cases[i].text));
    }
    snprintf(path, sizeof path, "%s/nul.task", dir);
    spit(path, "asyncz-file/1 next=1\0 seq=1\n", 28);
    host_counts hc = {0};
    st = open_dir_store(dir, NULL, &host, &hc);
    assert_int_equal(count(st), 1);
    assert_int_equal(hc.quarantined, (int)n_cases + 1);
    qseen q = {0};
    assert_int_equal(asyncz_store_quarantined(st, q_each, &q), 0);
    assert_int_equal(q.n, (int)n_cases + 1);
    for (size_t i = 0; i < n_cases; i++) {
        if (!strstr(q.ids, cases[i].id))
            fail_msg("%s not quarantined: %s", cases[i].id, q.ids);
        snprintf(path, sizeof path, "%s/%s.task", dir, cases[i].id);
        assert_false(exists(path));
    }
    asyncz_store_free(st);
    /* The reasons: each file alone, so that its reason is the last one listed. */
    for (size_t i = 0; i < n_cases; i++) {
        char one[300];
        fresh_dir(one, sizeof one, "reason");
        assert_int_equal(open_rc(one, NULL), 0);
        snprintf(path, sizeof path, "%s/%s.task", one, cases[i].id);
        spit(path, cases[i].text, strlen(cases[i].text));
        st = open_dir_store(one, NULL, &host, NULL);
        memset(&q, 0, sizeof q);
        assert_int_equal(asyncz_store_quarantined(st, q_each, &q), 0);
        if (q.n != 1 || !strstr(q.reason, cases[i].why))
            fail_msg("%s: reason \"%s\" does not say \"%s\"", cases[i].id, q.reason, cases[i].why);
        asyncz_store_free(st);
    }
}

static void file_corrupt_counter(void **state)
{
    (void)state;
    char dir[300], path[400];
    fresh_dir(dir, sizeof dir, "counter");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    add(st, "a", T0);
    snprintf(path, sizeof path, "%s/.seq", dir);
    spit(path, "garbage\n", 8);
    asyncz_task *t = make_task("b", T0);
    assert_int_equal(ops(st)->add(st, t), ASYNCZ_ESTORE);
    assert_non_null(strstr(asyncz_store_errmsg(), ".seq"));
    assert_non_null(strstr(asyncz_store_errmsg(), dir));
    /* Removed, the counter continues above every value in the task files. */
    assert_int_equal(unlink(path), 0);
    asyncz_store_free(st);
    st = open_dir_store(dir, NULL, &host, NULL);
    assert_int_equal(ops(st)->add(st, t), 0);
    asyncz_task_free(t);
    snprintf(path, sizeof path, "%s/b.task", dir);
    char *text = slurp(path, NULL);
    assert_non_null(strstr(text, " seq=2 "));
    free(text);
    asyncz_store_free(st);
}

/* ---- wake-ups -------------------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int wait_wakeups(host_counts *h, int at_least)
{
    for (int i = 0; i < 1000 && __atomic_load_n(&h->wakeups, __ATOMIC_SEQ_CST) < at_least; i++)
        sleep_ms(10);
    return __atomic_load_n(&h->wakeups, __ATOMIC_SEQ_CST);
}

static void file_wakeup_across_objects(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "wake");
    host_counts ca = {0}, cb = {0};
    asyncz_store_host ha, hb;
    asyncz_store *a = open_dir_store(dir, NULL, &ha, &ca);
    asyncz_store *b = open_dir_store(dir, NULL, &hb, &cb);
    add(a, "ping", T0);
    assert_true(wait_wakeups(&cb, 1) >= 1);
    int before = wait_wakeups(&cb, 1);
    /* A replace wakes too; a removal does not. */
    asyncz_task *t = make_task("ping", T0 + SEC);
    assert_int_equal(ops(a)->update(a, t), 0);
    asyncz_task_free(t);
    assert_true(wait_wakeups(&cb, before + 1) > before);
    /* b's own writes do not wake b, and a's never woke a. */
    add(b, "pong", T0);
    assert_true(wait_wakeups(&ca, 1) >= 1);
    sleep_ms(200);
    assert_int_equal(__atomic_load_n(&ca.wakeups, __ATOMIC_SEQ_CST), 1);
    asyncz_store_free(a);
    asyncz_store_free(b);
}

/* When an operation drains the event before the watcher thread does, the operation wakes the host. */
static void file_wakeup_from_operation(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "wakeop");
    host_counts cb = {0};
    asyncz_store_host ha, hb;
    asyncz_store *a = open_dir_store(dir, NULL, &ha, NULL);
    asyncz_store *b = open_dir_store(dir, NULL, &hb, &cb);
    for (int i = 0; i < 50; i++) {
        char id[16];
        snprintf(id, sizeof id, "w%d", i);
        add(a, id, T0);
        assert_int_equal(count(b), (size_t)i + 1); /* races the watcher thread for the events */
    }
    assert_true(wait_wakeups(&cb, 1) >= 1);
    asyncz_store_free(a);
    asyncz_store_free(b);
}

/* ---- instances ------------------------------------------------------------------------------------- */

static int inst_ids(const asyncz_instance *i, void *userdata)
{
    char *buf = userdata;
    size_t l = strlen(buf);
    snprintf(buf + l, 512 - l, "%s%s", l ? "," : "", i->id);
    return 0;
}

static void file_instance_names(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "inst");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    asyncz_instance odd = {.id = ".host/with slash%", .hostname = "h", .pid = 1, .version = "0.1.0"};
    assert_int_equal(ops(st)->heartbeat(st, &odd), 0);
    char ids[512] = "";
    assert_int_equal(asyncz_store_instances(st, inst_ids, ids), 0);
    assert_string_equal(ids, ".host/with slash%");
    char path[400];
    snprintf(path, sizeof path, "%s/instances/%%2Ehost%%2Fwith%%20slash%%25", dir);
    assert_true(exists(path));
    assert_int_equal(ops(st)->remove_instance(st, ".host/with slash%"), 0);
    assert_int_equal(ops(st)->remove_instance(st, ".host/with slash%"), ASYNCZ_ENOTFOUND);
    char long_id[200];
    memset(long_id, '/', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    odd.id = long_id;
    assert_int_equal(ops(st)->heartbeat(st, &odd), ASYNCZ_EINVAL);
    asyncz_store_free(st);
}

/* ---- header lines ---------------------------------------------------------------------------------- */

static void file_header_round_trip(void **state)
{
    (void)state;
    const char *owners[] = {"", "-", "a b%c\n", "host:1@x+y.z_w-v"};
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        fs_header h = {.next_run_time = i % 2 ? ASYNCZ_TIME_NONE : -5,
                       .seq = UINT64_MAX,
                       .token = 7,
                       .lease_until = owners[i][0] ? T0 : ASYNCZ_TIME_NONE,
                       .len = 3};
        snprintf(h.owner, sizeof h.owner, "%s", owners[i]);
        char line[FS_HEADER_MAX + 8];
        size_t n = az_fs_header_format(&h, line);
        memcpy(line + n, "abc", 3);
        fs_header back;
        char why[200];
        assert_true(az_fs_header_parse(line, n + 3, &back, why, sizeof why));
        assert_int_equal(back.next_run_time, h.next_run_time);
        assert_true(back.seq == UINT64_MAX);
        assert_int_equal(back.token, 7);
        assert_int_equal(back.lease_until, h.lease_until);
        assert_string_equal(back.owner, owners[i]);
        assert_int_equal(back.len, 3);
        assert_int_equal(back.line_len, n);
    }
    /* The longest owner fits in a header line. */
    fs_header h = {.next_run_time = INT64_MAX, .seq = 1, .lease_until = INT64_MAX, .len = 1};
    memset(h.owner, '\n', FS_OWNER_MAX);
    char line[FS_HEADER_MAX];
    size_t n = az_fs_header_format(&h, line);
    assert_true(n < FS_HEADER_MAX);
    fs_header back;
    char why[200];
    assert_true(az_fs_header_parse(line, n, &back, why, sizeof why));
    assert_int_equal(strlen(back.owner), FS_OWNER_MAX);
}

/* ---- journals -------------------------------------------------------------------------------------- */

/* Journal entry ids: larger n sorts after (is newer than) smaller n. */
static const char *journal_id(char *buf, unsigned n)
{
    snprintf(buf, AZ_JOURNAL_ID_LEN + 1, "0190%04x-%04x-7000-8000-%012x", n >> 16, n & 0xffff, n);
    return buf;
}

/* The data of entry n, version v: len bytes that say which. */
static void journal_data(unsigned char *buf, size_t len, unsigned n, unsigned v)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (unsigned char)(n * 31 + v * 7 + k);
}

static void journal_put_n(az_backend *b, const char *task, unsigned first, unsigned count, unsigned step,
                          size_t len, asyncz_time_t end_at, unsigned v)
{
    az_jentry *e = calloc(count, sizeof *e);
    char(*ids)[AZ_JOURNAL_ID_LEN + 1] = calloc(count, sizeof *ids);
    unsigned char *data = malloc(count * len);
    assert_true(e && ids && data);
    for (unsigned i = 0; i < count; i++) {
        unsigned n = first + i * step;
        journal_data(data + i * len, len, n, v);
        e[i] = (az_jentry){.id = journal_id(ids[i], n),
                           .task_id = task,
                           .at = T0 + n,
                           .end_at = end_at,
                           .status = (int)(n % 3),
                           .who = "w",
                           .data = data + i * len,
                           .len = len};
    }
    int rc = b->ops->journal_put(b, AZ_JOURNAL_RUNS, e, count);
    if (rc)
        fail_msg("journal_put: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    free(e);
    free(ids);
    free(data);
}

/* What a listing saw: how many entries, of which task, and whether every entry's bytes are those of its id
 * (in some version) with the task's status rule. */
typedef struct jcheck {
    size_t n, of_task;
    const char *task;
    bool bad;
    char last[AZ_JOURNAL_ID_LEN + 1];
} jcheck;

static int journal_check(const az_jentry *e, void *userdata)
{
    jcheck *c = userdata;
    unsigned n = (unsigned)strtoul(e->id + 24, NULL, 16);
    bool ok = e->len > 0 && e->status == (int)(n % 3) && e->at == T0 + n && strcmp(e->who, "w") == 0;
    for (unsigned v = 0; ok && v < 4; v++) {
        unsigned char want[64];
        size_t k = e->len < sizeof want ? e->len : sizeof want;
        journal_data(want, k, n, v);
        if (memcmp(want, e->data, k) == 0)
            break;
        ok = v < 3;
    }
    if (c->last[0] && strcmp(e->id, c->last) >= 0)
        ok = false; /* newest first, each once */
    snprintf(c->last, sizeof c->last, "%s", e->id);
    c->bad |= !ok;
    c->n++;
    c->of_task += c->task && strcmp(e->task_id, c->task) == 0;
    return 0;
}

static jcheck journal_scan(az_backend *b, const char *task_filter, const char *count_task)
{
    jcheck c = {.task = count_task};
    az_jquery q = {
        .task_id = task_filter, .since = ASYNCZ_TIME_NONE, .until = ASYNCZ_TIME_NONE, .limit = 10000};
    int rc = b->ops->journal_list(b, AZ_JOURNAL_RUNS, &q, journal_check, &c);
    if (rc)
        fail_msg("journal_list: %s: %s", asyncz_strerror(rc), asyncz_store_errmsg());
    return c;
}

/* A journal's layout: runs/ holds numbered segments of frames, removals a log of fixed-size records. */
static void file_journal_layout(void **state)
{
    (void)state;
    char dir[300], path[500];
    fresh_dir(dir, sizeof dir, "jlayout");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    az_backend *b = az_persist_backend(st);
    journal_put_n(b, "t", 1, 10, 1, 100, T0, 0);
    snprintf(path, sizeof path, "%s/runs/00000000000000000001.0000000000.seg", dir);
    size_t len = 0;
    char *text = slurp(path, &len);
    assert_non_null(text);
    assert_memory_equal(text, "AZJ1", 4);
    free(text);
    size_t removed = 0;
    assert_int_equal(b->ops->journal_trim_task(b, AZ_JOURNAL_RUNS, "t", 4, 100, &removed), 0);
    assert_int_equal(removed, 6);
    snprintf(path, sizeof path, "%s/runs/removed", dir);
    text = slurp(path, &len);
    assert_non_null(text);
    assert_int_equal(len, 6 * 24);
    free(text);
    snprintf(path, sizeof path, "%s/audit", dir);
    assert_int_equal(count_prefixed(path, "0"), 0); /* the other journal has no segment yet */
    asyncz_store_free(st);
    /* Other files in a journal's directory are no segments: left alone, never read. */
    static const char *const junk[] = {"notes.txt", "00000000000000000009.seg", "1.0.seg",
                                       "00000000000000000000.0000000000.seg", ".hidden"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        snprintf(path, sizeof path, "%s/runs/%s", dir, junk[i]);
        spit(path, "AZJ1 junk", 9);
    }
    snprintf(path, sizeof path, "%s/runs/00000000000000000005.0000000000.seg", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    st = open_dir_store(dir, NULL, &host, NULL);
    b = az_persist_backend(st);
    jcheck c = journal_scan(b, NULL, NULL);
    assert_int_equal(c.n, 4);
    assert_false(c.bad);
    asyncz_store_free(st);
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        snprintf(path, sizeof path, "%s/runs/%s", dir, junk[i]);
        assert_true(exists(path));
    }
}

/* A frame torn by a crash (the end of a segment that is no whole frame) is skipped, never read as an
 * entry, and nothing is appended after it. */
static void file_journal_torn_frame(void **state)
{
    (void)state;
    char dir[300], path[500];
    fresh_dir(dir, sizeof dir, "jtorn");
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    journal_put_n(az_persist_backend(st), "t", 1, 3, 1, 50, T0, 0);
    asyncz_store_free(st);
    /* Half of a copy of the first frame, then a whole frame with one byte of its data changed. */
    snprintf(path, sizeof path, "%s/runs/00000000000000000001.0000000000.seg", dir);
    size_t len = 0;
    char *seg = slurp(path, &len);
    assert_non_null(seg);
    size_t frame = len / 3;
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(seg, 1, frame / 2, f), frame / 2);
    assert_int_equal(fclose(f), 0);
    st = open_dir_store(dir, NULL, &host, NULL);
    az_backend *b = az_persist_backend(st);
    jcheck c = journal_scan(b, NULL, NULL);
    assert_int_equal(c.n, 3);
    assert_false(c.bad);
    journal_put_n(b, "t", 4, 1, 1, 50, T0, 0);
    snprintf(path, sizeof path, "%s/runs/00000000000000000002.0000000000.seg", dir);
    assert_true(exists(path)); /* a new segment, not after the torn frame */
    c = journal_scan(b, NULL, NULL);
    assert_int_equal(c.n, 4);
    assert_false(c.bad);
    asyncz_store_free(st);
    /* A changed byte inside a frame: its checksum no longer matches, so it is not read. */
    snprintf(path, sizeof path, "%s/runs/00000000000000000002.0000000000.seg", dir);
    char *seg2 = slurp(path, &len);
    assert_non_null(seg2);
    seg2[len - 1] ^= 0x5a;
    spit(path, seg2, len);
    st = open_dir_store(dir, NULL, &host, NULL);
    c = journal_scan(az_persist_backend(st), NULL, NULL);
    assert_int_equal(c.n, 3);
    assert_false(c.bad);
    asyncz_store_free(st);
    free(seg);
    free(seg2);
}

/* Remove entries that have older frames in older segments, and fill and empty segments until they are
 * unlinked and rewritten: no removed entry comes back, for this store object, another one that was open
 * all along, or one opened afresh. */
static void file_journal_removed_stay_removed(void **state)
{
    (void)state;
    char dir[300], path[500];
    fresh_dir(dir, sizeof dir, "jgone");
    asyncz_store_host ha, hb;
    asyncz_store *sa = open_dir_store(dir, NULL, &ha, NULL);
    asyncz_store *sb = open_dir_store(dir, NULL, &hb, NULL);
    az_backend *a = az_persist_backend(sa), *b = az_persist_backend(sb);
    /* Entries 1..20 of task old (end_at T0) in segment 1, 6 MiB of task big (end_at T0 + 1 h) to roll over,
     * then 1..20 again (a newer version of each) in segment 2. */
    journal_put_n(a, "old", 1, 20, 1, 100, T0, 0);
    journal_put_n(b, "big", 1000, 6, 1, 1024 * 1024, T0 + 3600 * SEC, 1);
    journal_put_n(a, "old", 1, 20, 1, 100, T0, 2);
    snprintf(path, sizeof path, "%s/runs/00000000000000000002.0000000000.seg", dir);
    assert_true(exists(path));
    assert_int_equal(journal_scan(b, "old", "old").n, 20);
    size_t removed = 0;
    assert_int_equal(a->ops->journal_prune_age(a, AZ_JOURNAL_RUNS, T0 + SEC, 256, &removed), 0);
    assert_int_equal(removed, 20);
    assert_int_equal(journal_scan(a, NULL, NULL).n, 6);
    assert_int_equal(journal_scan(b, NULL, NULL).n, 6);
    /* The big entries go too, in two calls: segment 1 holds nothing live and is unlinked. */
    assert_int_equal(b->ops->journal_prune_age(b, AZ_JOURNAL_RUNS, T0 + 7200 * SEC, 4, &removed), 0);
    assert_int_equal(removed, 4);
    assert_int_equal(b->ops->journal_prune_age(b, AZ_JOURNAL_RUNS, T0 + 7200 * SEC, 4, &removed), 0);
    assert_int_equal(removed, 2);
    snprintf(path, sizeof path, "%s/runs/00000000000000000001.0000000000.seg", dir);
    assert_false(exists(path));
    assert_int_equal(journal_scan(a, NULL, NULL).n, 0);
    /* New entries; the ones removed stay removed in a fresh store object. */
    journal_put_n(a, "new", 100, 5, 1, 100, T0, 0);
    asyncz_store *sc = open_dir_store(dir, NULL, &ha, NULL);
    jcheck c = journal_scan(az_persist_backend(sc), NULL, "new");
    assert_int_equal(c.n, 5);
    assert_int_equal(c.of_task, 5);
    assert_false(c.bad);
    asyncz_store_free(sc);
    asyncz_store_free(sa);
    asyncz_store_free(sb);
}

/* Trimming a task whose entries are spread over segments rewrites a mostly dead segment as its next
 * version; the entries kept read back whole, here and in another store object. */
static void file_journal_compaction(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "jcompact");
    asyncz_store_host ha, hb;
    asyncz_store *sa = open_dir_store(dir, NULL, &ha, NULL);
    asyncz_store *sb = open_dir_store(dir, NULL, &hb, NULL);
    az_backend *a = az_persist_backend(sa), *b = az_persist_backend(sb);
    /* ~6 MiB: task x (even n, 4 KiB each) and y (odd n, 1 KiB each). */
    for (unsigned k = 0; k < 5; k++) {
        journal_put_n(a, "x", 2 + 512 * k, 256, 2, 4096, T0, 0);
        journal_put_n(a, "y", 3 + 512 * k, 256, 2, 1024, T0, 0);
    }
    assert_int_equal(journal_scan(b, NULL, NULL).n, 2560);
    size_t removed = 0, total = 0;
    do {
        assert_int_equal(a->ops->journal_trim_task(a, AZ_JOURNAL_RUNS, "x", 100, 200, &removed), 0);
        total += removed;
    } while (removed == 200);
    assert_int_equal(total, 1280 - 100);
    int versions = 0;
    char path[500];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        versions += strstr(de->d_name, ".0000000000.seg") == NULL && strstr(de->d_name, ".seg") != NULL;
    closedir(d);
    assert_true(versions >= 1); /* at least one segment was rewritten */
    for (int round = 0; round < 2; round++) {
        az_backend *r = round ? b : a;
        jcheck c = journal_scan(r, NULL, "x");
        assert_int_equal(c.n, 1280 + 100);
        assert_int_equal(c.of_task, 100);
        assert_false(c.bad);
    }
    asyncz_store *sc = open_dir_store(dir, NULL, &ha, NULL);
    jcheck c = journal_scan(az_persist_backend(sc), "x", "x");
    assert_int_equal(c.n, 100);
    assert_false(c.bad);
    asyncz_store_free(sc);
    asyncz_store_free(sa);
    asyncz_store_free(sb);
}

/* A writer in another process and this one append, upsert, trim and read one journal at once: nothing is
 * lost, torn or read twice. */
#define FORK_ROUNDS 60

static void journal_writer(const char *dir, const char *task, unsigned parity)
{
    asyncz_store_host host;
    asyncz_store *st = NULL;
    char url[600];
    snprintf(url, sizeof url, "file://%s", dir);
    if (try_open(url, &st, &host, NULL) != 0)
        _exit(2);
    az_backend *b = az_persist_backend(st);
    for (unsigned r = 0; r < FORK_ROUNDS; r++) {
        journal_put_n(b, task, 2 * 40 * r + parity, 40, 2, 3000, T0, 0);
        journal_put_n(b, task, 2 * 40 * r + parity, 10, 2, 3000, T0, 1); /* upserts */
        jcheck c = journal_scan(b, NULL, NULL);
        if (c.bad)
            _exit(3);
        size_t removed = 0;
        if (r % 10 == 9 && b->ops->journal_trim_task(b, AZ_JOURNAL_RUNS, task, 300, 150, &removed) != 0)
            _exit(4);
    }
    asyncz_store_free(st);
}

static void file_journal_two_processes(void **state)
{
    (void)state;
    char dir[300];
    fresh_dir(dir, sizeof dir, "jprocs");
    assert_int_equal(open_rc(dir, NULL), 0);
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0) {
        journal_writer(dir, "kid", 1);
        _exit(0);
    }
    journal_writer(dir, "parent", 0);
    int status = 0;
    assert_int_equal(waitpid(kid, &status, 0), kid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    asyncz_store_host host;
    asyncz_store *st = open_dir_store(dir, NULL, &host, NULL);
    az_backend *b = az_persist_backend(st);
    size_t removed = 0;
    for (int t = 0; t < 2; t++) {
        const char *task = t ? "kid" : "parent";
        do
            assert_int_equal(b->ops->journal_trim_task(b, AZ_JOURNAL_RUNS, task, 300, 100, &removed), 0);
        while (removed == 100);
    }
    jcheck c = journal_scan(b, NULL, "kid");
    assert_int_equal(c.n, 600);
    assert_int_equal(c.of_task, 300);
    assert_false(c.bad);
    asyncz_store_free(st);
}

/* The in-memory index (file_index.c, on the util map): ids added, updated, removed in any order stay found
 * with their own columns, and in store order. */
static void file_index_by_id(void **state)
{
    (void)state;
    enum { N = 500 };
    fs_index ix;
    assert_int_equal(az_fs_index_init(&ix), 0);
    char id[32];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "t%d", i);
        fs_header h = {.next_run_time = 1000 + i, .seq = (uint64_t)i + 1, .lease_until = ASYNCZ_TIME_NONE};
        assert_int_equal(az_fs_index_put(&ix, id, &h), 0);
    }
    for (int i = 0; i < N; i += 3) {
        snprintf(id, sizeof id, "t%d", i);
        az_fs_index_del(&ix, id);
    }
    for (int i = 0; i < N / 3; i++) { /* new ids take the places the removals freed */
        snprintf(id, sizeof id, "u%d", i);
        fs_header h = {
            .next_run_time = 9000 + i, .seq = (uint64_t)2 * N + i, .lease_until = ASYNCZ_TIME_NONE};
        assert_int_equal(az_fs_index_put(&ix, id, &h), 0);
    }
    for (int i = 1; i < N; i += 3) { /* an update after the removals moved entries */
        snprintf(id, sizeof id, "t%d", i);
        fs_header h = {.next_run_time = 5000 + i, .seq = (uint64_t)N + i, .lease_until = ASYNCZ_TIME_NONE};
        assert_int_equal(az_fs_index_put(&ix, id, &h), 0);
    }
    size_t live = 0;
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof id, "t%d", i);
        const fs_entry *e = az_fs_index_find(&ix, id);
        if (i % 3 == 0) {
            assert_null(e);
            continue;
        }
        live++;
        assert_non_null(e);
        assert_string_equal(e->id, id);
        assert_int_equal(e->next_run_time, (i % 3 == 1 ? 5000 : 1000) + i);
    }
    for (int i = 0; i < N / 3; i++) {
        snprintf(id, sizeof id, "u%d", i);
        const fs_entry *e = az_fs_index_find(&ix, id);
        assert_non_null(e);
        assert_string_equal(e->id, id);
        live++;
    }
    assert_int_equal(ix.n, live);
    for (size_t i = 1; i < ix.n; i++)
        assert_true(ix.order[i - 1]->next_run_time < ix.order[i]->next_run_time);
    az_fs_index_clear(&ix);
    assert_null(az_fs_index_find(&ix, "t1"));
    az_fs_index_free(&ix);
}

int main(int argc, char **argv)
{
    const char *tmp = getenv("TMPDIR");
    tmp = tmp && *tmp ? tmp : "/tmp";
    make_base(disk_dir, sizeof disk_dir, tmp);
    make_base(base_dir, sizeof base_dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmp);
    atexit(remove_base);
    snprintf(unreachable_url, sizeof unreachable_url, "file:///proc/self/no-such-dir/asyncz");
    snprintf(bad_option_url, sizeof bad_option_url, "file://%s/bad?bogus_option=1", base_dir);
    az_store_url = file_url;
    az_store_unreachable_url = unreachable_url;
    az_store_bad_option_url = bad_option_url;
    az_store_factory = az_persist_factory;
    const struct CMUnitTest tests[] = {
        AZ_STORE_SUITES,
        cmocka_unit_test(file_url_forms),
        cmocka_unit_test(file_index_by_id),
        cmocka_unit_test(file_options),
        cmocka_unit_test(file_custom_suffix),
        cmocka_unit_test(file_connect_existing),
        cmocka_unit_test(file_creates_directory),
        cmocka_unit_test(file_refuses_world_writable),
        cmocka_unit_test(file_refuses_group_writable),
        cmocka_unit_test(file_refuses_writable_subdir),
        cmocka_unit_test(file_refuses_other_owner),
        cmocka_unit_test(file_refuses_a_file),
        cmocka_unit_test(file_cleanup_directory),
        cmocka_unit_test(file_no_cleanup_by_default),
        cmocka_unit_test(file_layout),
        cmocka_unit_test(file_no_temp_lingers),
        cmocka_unit_test(file_unsafe_ids),
        cmocka_unit_test(file_ignores_other_entries),
        cmocka_unit_test(file_index_sees_other_object),
        cmocka_unit_test(file_two_processes_claim_once),
        cmocka_unit_test(file_malformed_header_quarantined),
        cmocka_unit_test(file_malformed_at_open),
        cmocka_unit_test(file_malformed_header_reentry),
        cmocka_unit_test(file_corrupt_counter),
        cmocka_unit_test(file_wakeup_across_objects),
        cmocka_unit_test(file_wakeup_from_operation),
        cmocka_unit_test(file_instance_names),
        cmocka_unit_test(file_header_round_trip),
        cmocka_unit_test(file_journal_layout),
        cmocka_unit_test(file_journal_torn_frame),
        cmocka_unit_test(file_journal_removed_stay_removed),
        cmocka_unit_test(file_journal_compaction),
        cmocka_unit_test(file_journal_two_processes),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
