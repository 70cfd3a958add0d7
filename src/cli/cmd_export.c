/* `asyncz export [--output FILE]` and `asyncz import [FILE|-] [--replace]`: every task of a store as JSON
 * lines, one task document (asyncz_task_to_json, the document the stores keep) per line, and back. This is
 * how tasks move between stores and between sealing keys (docs/stores.md, "Changing the key"): the export is
 * plaintext, so it is written 0600; the import seals with the key in the environment. An import checks every
 * line before it adds anything. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manage.h"

enum { OPT_OUTPUT = AZ_OPT_OWN, OPT_REPLACE };

static const struct option export_options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    {"output", required_argument, NULL, OPT_OUTPUT},
    {NULL, 0, NULL, 0},
};

static const struct option import_options[] = {
    AZ_CLI_COMMON_LONG_OPTIONS,
    {"replace", no_argument, NULL, OPT_REPLACE},
    {NULL, 0, NULL, 0},
};

/* ---- export ------------------------------------------------------------------------------------------- */

typedef struct export_args {
    const char *output; /* NULL or "-": stdout */
} export_args;

static int on_export_option(void *ctx, int code, const char *value)
{
    export_args *a = ctx;
    if (code == OPT_OUTPUT)
        return az_cli_set_once(export_options, &a->output, code, value);
    return az_cli_usage_error("unexpected argument '%s' (export writes every task; --output FILE)", value);
}

/* Where the lines go: stdout, or a new file beside FILE (0600 from the start: the commands are in clear)
 * that replaces FILE only once everything is written. */
typedef struct sink {
    FILE *f;
    char *tmp; /* NULL for stdout */
    const char *path;
} sink;

static int sink_open(sink *k, const char *path)
{
    *k = (sink){.f = stdout, .path = path};
    if (!path || strcmp(path, "-") == 0)
        return 0;
    size_t n = strlen(path) + 32;
    k->tmp = malloc(n);
    if (!k->tmp)
        return az_cli_failure("out of memory");
    snprintf(k->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(k->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    k->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!k->f) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        az_cli_failure("cannot create %s: %s", k->tmp, strerror(err));
        free(k->tmp);
        k->tmp = NULL;
        return AZ_CLI_EXIT_FAILURE;
    }
    return 0;
}

/* Finish the output: on success rename the new file over FILE; on failure remove it. */
static int sink_close(sink *k, int rc)
{
    if (!k->tmp)
        return rc;
    int err = 0;
    if ((fflush(k->f) != 0 || fsync(fileno(k->f)) != 0) && !rc)
        err = errno;
    if (fclose(k->f) != 0 && !rc && !err)
        err = errno;
    if (err)
        rc = az_cli_failure("cannot write %s: %s", k->tmp, strerror(err));
    if (!rc && rename(k->tmp, k->path) != 0)
        rc = az_cli_failure("cannot rename %s to %s: %s", k->tmp, k->path, strerror(errno));
    if (rc)
        unlink(k->tmp);
    free(k->tmp);
    return rc;
}

static int write_tasks(const az_task_vec *v, sink *k)
{
    for (size_t i = 0; i < v->n; i++) {
        char *doc = NULL;
        size_t len = 0;
        int rc = asyncz_task_to_json(v->items[i], &doc, &len);
        if (rc)
            return az_cli_failure("task \"%s\" cannot be written as a document: %s",
                                  asyncz_task_id(v->items[i]), asyncz_strerror(rc));
        bool ok = fwrite(doc, 1, len, k->f) == len && putc('\n', k->f) != EOF;
        free(doc);
        if (!ok)
            return az_cli_failure("cannot write %s: %s", k->tmp ? k->tmp : "to standard output",
                                  strerror(errno));
    }
    return 0;
}

static int do_export(az_cli_store *s, const az_cli_common *common, const asyncz_zone *zone, void *ctx)
{
    (void)common;
    (void)zone;
    export_args *a = ctx;
    az_task_vec v;
    int rc = az_cli_store_list(s, &v);
    sink k = {0};
    if (!rc)
        rc = sink_open(&k, a->output);
    if (!rc)
        rc = sink_close(&k, write_tasks(&v, &k));
    if (!rc && s->n_bad) {
        /* What cannot be read is not exported: say so, and fail, so that a migration does not lose it. */
        rc =
            az_cli_failure("%zu record%s cannot be read and %s not exported (see the warnings above; 'asyncz "
                           "doctor' tells why)",
                           s->n_bad, s->n_bad == 1 ? "" : "s", s->n_bad == 1 ? "was" : "were");
    }
    if (!rc && a->output && strcmp(a->output, "-") != 0) /* stdout is free: the tasks went to FILE */
        printf("%zu task%s written to %s\n", v.n, v.n == 1 ? "" : "s", a->output);
    az_task_vec_free(&v);
    return rc;
}

int az_cli_export(int argc, char **argv)
{
    export_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, export_options, &common, on_export_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "export"))
        return az_cli_finish(0);
    /* --json, which every command takes, changes nothing: the output is JSON lines already. */
    return az_cli_with_store(rc, &common, do_export, &a);
}

/* ---- import ------------------------------------------------------------------------------------------- */

/* Bad input (not a bad command line): the message and exit status 2, without the pointer to --help. */
static int bad_input(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_input(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    az_cli_failure("%s", msg);
    return AZ_CLI_EXIT_USAGE;
}

typedef struct import_args {
    const char *input; /* NULL or "-": stdin */
    bool replace;
} import_args;

static int on_import_option(void *ctx, int code, const char *value)
{
    import_args *a = ctx;
    if (code == OPT_REPLACE) {
        a->replace = true;
        return 0;
    }
    if (a->input)
        return az_cli_usage_error("unexpected argument '%s' (one input file only)", value);
    a->input = value;
    return 0;
}

/* The tasks read, with the line each came from. */
typedef struct parsed {
    asyncz_task **tasks;
    size_t *lines;
    bool *exists;
    size_t n, cap;
} parsed;

static void parsed_free(parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        asyncz_task_free(p->tasks[i]);
    free(p->tasks);
    free(p->lines);
    free(p->exists);
}

static int keep_parsed(parsed *p, asyncz_task *t, size_t line)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        asyncz_task **tasks = realloc(p->tasks, cap * sizeof *tasks);
        if (tasks)
            p->tasks = tasks;
        size_t *lines = tasks ? realloc(p->lines, cap * sizeof *lines) : NULL;
        if (lines)
            p->lines = lines;
        if (!lines)
            return az_cli_failure("out of memory");
        p->cap = cap;
    }
    p->tasks[p->n] = t;
    p->lines[p->n++] = line;
    return 0;
}

/* One line: empty lines are skipped; anything else must be a task document. */
static int parse_line(parsed *p, const char *name, const char *text, size_t len, size_t line)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len == 0)
        return 0;
    asyncz_task *t = NULL;
    asyncz_doc_error err = {0};
    int rc = asyncz_task_from_json(&t, text, len, &err);
    if (rc == ASYNCZ_ENOMEM)
        return az_cli_failure("out of memory");
    if (rc) {
        char why[300];
        asyncz_doc_error_format(&err, why, sizeof why);
        return bad_input("%s:%zu: not a task document: %s (nothing imported)", name, line, why);
    }
    rc = keep_parsed(p, t, line);
    if (rc)
        asyncz_task_free(t);
    return rc;
}

/* One line into *buf (grown as needed, without its newline); a line longer than a task document can be is
 * refused before it is read whole (the input may be endless). 1: a line, 0: end of input, else an exit
 * status. */
static int read_line(FILE *f, char **buf, size_t *cap, size_t *len, const char *name, size_t line)
{
    *len = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (*len >= (size_t)ASYNCZ_TASK_DOC_MAX + 1)
            return bad_input("%s:%zu: longer than a task document can be (%u bytes; nothing imported)", name,
                             line, (unsigned)ASYNCZ_TASK_DOC_MAX);
        if (*len + 1 >= *cap) {
            size_t grown_cap = *cap ? 2 * *cap : 4096;
            char *grown = realloc(*buf, grown_cap);
            if (!grown)
                return az_cli_failure("out of memory");
            *buf = grown;
            *cap = grown_cap;
        }
        (*buf)[(*len)++] = (char)c;
    }
    if (ferror(f))
        return az_cli_failure("cannot read %s: %s (nothing imported)", name, strerror(errno ? errno : EIO));
    return c == EOF && *len == 0 ? 0 : 1;
}

static int read_input(FILE *f, const char *name, parsed *p)
{
    char *buf = NULL;
    size_t cap = 0, len = 0, line = 0;
    int rc;
    errno = 0;
    while ((rc = read_line(f, &buf, &cap, &len, name, ++line)) == 1 &&
           (rc = parse_line(p, name, buf ? buf : "", len, line)) == 0)
        ;
    free(buf);
    return rc;
}

static int compare_ids(const void *a, const void *b)
{
    const asyncz_task *const *x = a, *const *y = b;
    return strcmp(asyncz_task_id(*x), asyncz_task_id(*y));
}

/* The same id twice in the input: name both lines. */
static int check_distinct(const parsed *p, const char *name)
{
    if (p->n < 2)
        return 0;
    asyncz_task **sorted = malloc(p->n * sizeof *sorted);
    if (!sorted)
        return az_cli_failure("out of memory");
    memcpy(sorted, p->tasks, p->n * sizeof *sorted);
    qsort(sorted, p->n, sizeof *sorted, compare_ids);
    const char *dup = NULL;
    for (size_t i = 1; i < p->n && !dup; i++)
        if (compare_ids(&sorted[i - 1], &sorted[i]) == 0)
            dup = asyncz_task_id(sorted[i]);
    free(sorted);
    if (!dup)
        return 0;
    size_t first = 0, second = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(asyncz_task_id(p->tasks[i]), dup) == 0) {
            if (!first)
                first = p->lines[i];
            else if (!second)
                second = p->lines[i];
        }
    return bad_input("%s:%zu: task \"%s\" is also on line %zu (nothing imported)", name, second, dup, first);
}

/* Which ids the store holds already (a record that cannot be read counts: its id is taken). */
static int find_existing(az_cli_store *s, parsed *p, const char *name, bool replace)
{
    p->exists = calloc(p->n ? p->n : 1, sizeof *p->exists);
    if (!p->exists)
        return az_cli_failure("out of memory");
    for (size_t i = 0; i < p->n; i++) {
        asyncz_task *t = NULL;
        int rc = asyncz_store_get_task(s->st, asyncz_task_id(p->tasks[i]), &t);
        asyncz_task_free(t);
        if (rc == ASYNCZ_ENOMEM || rc == ASYNCZ_ESTORE || rc == ASYNCZ_EIO)
            return az_cli_store_failed(rc, "cannot look the tasks up", NULL);
        p->exists[i] = rc != ASYNCZ_ENOTFOUND;
        if (p->exists[i] && !replace)
            return bad_input("%s:%zu: the store already holds a task \"%s\"; use --replace to overwrite "
                             "the tasks it holds (nothing imported)",
                             name, p->lines[i], asyncz_task_id(p->tasks[i]));
    }
    return 0;
}

/* New tasks in one call (all or none where the store allows), then the replaced ones one by one. */
static int add_tasks(az_cli_store *s, parsed *p, size_t *added, size_t *replaced)
{
    asyncz_task **fresh = malloc((p->n ? p->n : 1) * sizeof *fresh);
    if (!fresh)
        return az_cli_failure("out of memory");
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!p->exists[i])
            fresh[n++] = p->tasks[i];
    int rc = asyncz_store_add_tasks(s->st, fresh, n);
    free(fresh);
    if (rc)
        return az_cli_store_failed(rc, "cannot add the tasks (nothing imported)", NULL);
    *added = n;
    for (size_t i = 0; i < p->n; i++) {
        if (!p->exists[i])
            continue;
        rc = asyncz_store_add_task(s->st, p->tasks[i], true); /* replaces, or adds if removed meanwhile */
        if (rc)
            return az_cli_failure(
                "cannot replace task \"%s\": %s (%zu tasks were added and %zu replaced before "
                "this one)",
                asyncz_task_id(p->tasks[i]), asyncz_store_errmsg(), *added, *replaced);
        ++*replaced;
    }
    return 0;
}

static int report(const parsed *p, size_t added, size_t replaced, const az_cli_common *common)
{
    if (common->json)
        return az_cli_json_print(json_pack("{s:I, s:I, s:I}", "tasks", (json_int_t)p->n, "added",
                                           (json_int_t)added, "replaced", (json_int_t)replaced));
    printf("imported %zu task%s (%zu added, %zu replaced)\n", p->n, p->n == 1 ? "" : "s", added, replaced);
    return 0;
}

/* Read and check everything first, so that bad input changes nothing and creates no store. */
static int read_all(const import_args *a, parsed *p, const char **name)
{
    bool std_in = !a->input || strcmp(a->input, "-") == 0;
    *name = std_in ? "standard input" : a->input;
    FILE *f = std_in ? stdin : fopen(a->input, "re");
    if (!f)
        return az_cli_failure("cannot open %s: %s", a->input, strerror(errno));
    int rc = read_input(f, *name, p);
    if (!std_in)
        fclose(f);
    return rc ? rc : check_distinct(p, *name);
}

int az_cli_import(int argc, char **argv)
{
    import_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, import_options, &common, on_import_option, &a);
    if (rc == 0 && az_cli_help_requested(&common, "import"))
        return az_cli_finish(0);
    parsed p = {0};
    const char *name = NULL;
    if (rc == 0)
        rc = read_all(&a, &p, &name);
    az_cli_store s = {0};
    size_t added = 0, replaced = 0;
    if (rc == 0)
        rc = az_cli_store_open(&s, common.store, AZ_CLI_STORE_CREATE);
    if (rc == 0)
        rc = find_existing(&s, &p, name, a.replace);
    if (rc == 0)
        rc = add_tasks(&s, &p, &added, &replaced);
    if (rc == 0)
        rc = report(&p, added, replaced, &common);
    az_cli_store_close(&s);
    parsed_free(&p);
    return az_cli_finish(rc);
}
