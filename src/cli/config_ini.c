/* Reading the config file's INI text into sections and entries, with libinih.
 *
 * libinih splits "key = value" lines and removes comments; Debian's build of it does not tell the handler
 * the line number, continues indented lines into the previous value and cuts lines longer than its buffer
 * into pieces. So the text reaches libinih through our own line reader (ini_parse_stream): it counts lines,
 * refuses over-long ones instead of letting them split, strips indentation (so an indented line never
 * continues another), and keeps track of section headers itself, so that empty and repeated sections are
 * seen too. The handler then records each entry with the line the reader last gave out. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"

typedef struct reader {
    const char *text; /* the rest of the file's text (read whole, NUL-free) */
    int line;         /* lines given out so far */
    char *raw;        /* the current line as read (no newline) */
    size_t raw_cap;
    bool want_entry; /* the current line should produce an entry */
    bool got_entry;  /* ... and did */
    az_cfg_ini *ini;
    az_cfg_errors *errs;
    az_cfg_section *current; /* NULL before the first valid section header */
    bool skip_section;       /* the current header was bad: its keys are not looked at */
} reader;

/* Keys whose values are shell text or JSON: a " ;" in them is much more likely meant than a comment. */
static const char *const literal_keys[] = {"command", "args", "kwargs", NULL};

/* ---- errors -------------------------------------------------------------------------------------- */

/* The message of an error recorded without memory to format it: never freed. */
static char oom_message[] = "out of memory while reading the config";
/* The list of a first error recorded without memory for a list: never freed either. */
static az_cfg_error oom_items[1] = {{.line = 0, .message = oom_message}};

static bool errors_grow(az_cfg_errors *e)
{
    if (e->n < e->cap)
        return true;
    size_t cap = e->cap ? e->cap * 2 : 8;
    az_cfg_error *items =
        e->items == oom_items ? malloc(cap * sizeof *items) : realloc(e->items, cap * sizeof *items);
    if (!items)
        return false;
    if (e->items == oom_items)
        memcpy(items, oom_items, sizeof oom_items);
    e->items = items;
    e->cap = cap;
    return true;
}

void az_cfg_error_oom(az_cfg_errors *e)
{
    e->failure = true;
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].message == oom_message)
            return; /* said once is enough */
    if (errors_grow(e)) {
        e->items[e->n++] = (az_cfg_error){.line = 0, .message = oom_message};
    } else if (e->n > 0) {
        /* No room for one more: the last error gives way, the load fails all the same. */
        free(e->items[e->n - 1].message);
        e->items[e->n - 1] = (az_cfg_error){.line = 0, .message = oom_message};
    } else {
        e->items = oom_items;
        e->n = e->cap = 1;
    }
}

static void error_add(az_cfg_errors *e, int line, bool alone, const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        az_cfg_error_oom(e);
        return;
    }
    if (!errors_grow(e)) {
        free(msg);
        az_cfg_error_oom(e);
        return;
    }
    e->items[e->n++] = (az_cfg_error){.line = line, .message = msg, .alone = alone};
}

void az_cfg_error_add(az_cfg_errors *e, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_add(e, line, false, fmt, ap);
    va_end(ap);
}

void az_cfg_error_add_alone(az_cfg_errors *e, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_add(e, line, true, fmt, ap);
    va_end(ap);
}

void az_cfg_errors_free(az_cfg_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->items[i].message != oom_message)
            free(e->items[i].message);
    if (e->items != oom_items)
        free(e->items);
    *e = (az_cfg_errors){0};
}

int az_cfg_errors_status(const az_cfg_errors *e)
{
    return e->n == 0 ? 0 : e->failure ? AZ_CLI_EXIT_FAILURE : AZ_CLI_EXIT_USAGE;
}

void az_cfg_error_format(const az_cfg_errors *e, size_t i, const char *path, char *buf, size_t size)
{
    const az_cfg_error *err = &e->items[i];
    if (err->line > 0)
        snprintf(buf, size, "%s:%d: %s", path, err->line, err->message);
    else
        snprintf(buf, size, "%s: %s", path, err->message);
}

/* ---- sections and entries ------------------------------------------------------------------------- */

/* items (n used of *cap) with room for one more, perhaps moved; NULL when out of memory (items is then
 * unchanged and still the caller's). */
static void *grow(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(items, c * size);
    if (p)
        *cap = c;
    return p;
}

static az_cfg_section *find_section(az_cfg_ini *ini, const char *kind, const char *name)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->sections[i].kind, kind) == 0 && strcmp(ini->sections[i].name, name) == 0)
            return &ini->sections[i];
    return NULL;
}

static bool known_kind(const char *kind)
{
    return strcmp(kind, "scheduler") == 0 || strcmp(kind, "store") == 0 || strcmp(kind, "executor") == 0 ||
           strcmp(kind, "task") == 0 || strcmp(kind, "http") == 0;
}

/* [scheduler] and [http] are one of a kind, without a name. */
static bool single_kind(const char *kind)
{
    return strcmp(kind, "scheduler") == 0 || strcmp(kind, "http") == 0;
}

/* Check a header's kind and name; records the error and returns false when they are wrong. */
static bool header_valid(reader *r, const char *label, const char *kind, const char *name)
{
    if (!known_kind(kind)) {
        az_cfg_error_add(r->errs, r->line,
                         "[%s]: unknown section (sections: [scheduler], [store NAME], [executor NAME], "
                         "[task ID], [http])",
                         label);
        return false;
    }
    if (single_kind(kind) && *name) {
        az_cfg_error_add(r->errs, r->line, "[%s]: [%s] takes no name", label, kind);
        return false;
    }
    if (!single_kind(kind) && !*name) {
        az_cfg_error_add(r->errs, r->line, "[%s]: a %s section needs a name: [%s NAME]", label, kind, kind);
        return false;
    }
    const az_cfg_section *seen = find_section(r->ini, kind, name);
    if (seen) {
        az_cfg_error_add(r->errs, r->line, "[%s]: duplicate section (first at line %d)", label, seen->line);
        return false;
    }
    return true;
}

static void open_section(reader *r, const char *label, const char *kind, const char *name)
{
    r->current = NULL;
    r->skip_section = !header_valid(r, label, kind, name);
    if (r->skip_section)
        return;
    az_cfg_ini *ini = r->ini;
    az_cfg_section sec = {
        .kind = strdup(kind), .name = strdup(name), .label = strdup(label), .line = r->line};
    az_cfg_section *sections =
        sec.kind && sec.name && sec.label ? grow(ini->sections, &ini->cap, ini->n, sizeof *sections) : NULL;
    if (!sections) {
        free(sec.kind);
        free(sec.name);
        free(sec.label);
        az_cfg_error_oom(r->errs);
        r->skip_section = true;
        return;
    }
    ini->sections = sections;
    r->current = &ini->sections[ini->n++];
    *r->current = sec;
}

/* Report text, a part of the current line, when it is not valid UTF-8 (where: "[task a] command"; what:
 * "value"); true then. Every text of the file ends up in messages, task documents and JSON output, which take
 * only UTF-8; the error is the only one of its line, the others would follow from it. */
static bool bad_utf8(reader *r, const char *where, const char *what, const char *text)
{
    ptrdiff_t at = az_cli_utf8_invalid(text);
    if (at < 0)
        return false;
    char *shown = az_cli_utf8_escape(text);
    if (!shown) {
        az_cfg_error_oom(r->errs);
        return true;
    }
    az_cfg_error_add_alone(r->errs, r->line,
                           "%s: not valid UTF-8: byte 0x%02X at byte %td of the %s ('%s'): write the file in "
                           "UTF-8 (iconv -f latin1 -t utf-8 converts Latin-1)",
                           where, (unsigned char)text[at], at + 1, what, shown);
    free(shown);
    return true;
}

/* "[ task  backup ]" -> label "task backup", kind "task", name "backup". */
static void read_header(reader *r, const char *line)
{
    const char *close = strchr(line, ']');
    const char *after = close ? close + 1 : "";
    while (*after == ' ' || *after == '\t')
        after++;
    if (!close || (*after && *after != ';' && *after != '#')) {
        az_cfg_error_add(r->errs, r->line, "a section header is one '[...]' on its own line");
        r->current = NULL;
        r->skip_section = true;
        return;
    }
    char label[512];
    snprintf(label, sizeof label, "%.*s", (int)(close - line - 1), line + 1);
    if (bad_utf8(r, "a section header", "header", label)) {
        r->current = NULL;
        r->skip_section = true;
        return;
    }
    char *start = label, *end = label + strlen(label);
    while (isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        *--end = '\0';
    char kind[64];
    size_t klen = strcspn(start, " \t");
    snprintf(kind, sizeof kind, "%.*s", (int)klen, start);
    const char *name = start + klen;
    while (isspace((unsigned char)*name))
        name++;
    open_section(r, start, kind, name);
}

az_cfg_entry *az_cfg_get(az_cfg_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->n; i++)
        if (strcmp(sec->entries[i].key, key) == 0) {
            sec->entries[i].used = true;
            return &sec->entries[i];
        }
    return NULL;
}

static const az_cfg_entry *find_entry(const az_cfg_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->n; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

/* Whether the raw line has a blank followed by ';' after its '=' or ':': libinih cut the value there. */
static bool has_inline_comment(const char *raw)
{
    const char *p = raw + strcspn(raw, "=:");
    for (; *p; p++)
        if (p[0] == ';' && p > raw && (p[-1] == ' ' || p[-1] == '\t'))
            return true;
    return false;
}

static bool is_literal_key(const char *key)
{
    for (const char *const *k = literal_keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static void add_entry(reader *r, const char *key, const char *value)
{
    az_cfg_section *sec = r->current;
    const az_cfg_entry *seen = find_entry(sec, key);
    if (seen) {
        az_cfg_error_add(r->errs, r->line, "[%s] %s: duplicate key (first at line %d)", sec->label, key,
                         seen->line);
        return;
    }
    /* The entry is kept all the same, so that the rest of the section is checked as written. */
    if (is_literal_key(key) && has_inline_comment(r->raw))
        az_cfg_error_add(r->errs, r->line,
                         "[%s] %s: ' ;' starts a comment in this file, which would cut the value short: "
                         "write ';' without a blank before it (a; b), or put the command in a script",
                         sec->label, key);
    az_cfg_entry e = {.key = strdup(key), .value = strdup(value), .line = r->line};
    az_cfg_entry *entries = e.key && e.value ? grow(sec->entries, &sec->cap, sec->n, sizeof *entries) : NULL;
    if (!entries) {
        free(e.key);
        free(e.value);
        az_cfg_error_oom(r->errs);
        return;
    }
    sec->entries = entries;
    sec->entries[sec->n++] = e;
}

/* Add an entry; a value that is not valid UTF-8 (bad, already reported) is kept with its bad bytes written
 * as \xHH, so that the section is still checked as written without the bytes reaching a JSON document. */
static void add_value(reader *r, const char *key, const char *value, bool bad)
{
    if (!bad) {
        add_entry(r, key, value);
        return;
    }
    char *escaped = az_cli_utf8_escape(value);
    if (!escaped) {
        az_cfg_error_oom(r->errs);
        return;
    }
    add_entry(r, key, escaped);
    free(escaped);
}

/* libinih's handler: one "key = value" of the current line. */
static int on_entry(void *user, const char *section, const char *name, const char *value)
{
    (void)section; /* the reader tracks sections itself */
    reader *r = user;
    r->got_entry = true;
    if (!*name) {
        az_cfg_error_add(r->errs, r->line, "a line '= value' without a key");
        return 1;
    }
    if (bad_utf8(r, "a key", "key", name))
        return 1;
    char key[128];
    snprintf(key, sizeof key, "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    value = value ? value : "";
    char where[sizeof key + 520];
    snprintf(where, sizeof where, "%s%s%s%s", r->current ? "[" : "", r->current ? r->current->label : "",
             r->current ? "] " : "", key);
    bool bad = bad_utf8(r, where, "value", value);
    if (r->skip_section)
        return 1;
    if (!r->current) {
        az_cfg_error_add(r->errs, r->line, "%s: a key before the first section header", name);
        return 1;
    }
    add_value(r, key, value, bad);
    return 1;
}

/* ---- the line reader ------------------------------------------------------------------------------ */

/* The next physical line into r->raw (no newline, no CR before it). False at the end, and when out of
 * memory (recorded: the rest of the file is not read, and the load fails). */
static bool next_line(reader *r)
{
    if (!*r->text)
        return false;
    size_t n = strcspn(r->text, "\n");
    if (n + 1 > r->raw_cap) {
        char *raw = realloc(r->raw, n + 1);
        if (!raw) {
            az_cfg_error_oom(r->errs);
            return false;
        }
        r->raw = raw;
        r->raw_cap = n + 1;
    }
    memcpy(r->raw, r->text, n);
    r->text += n + (r->text[n] == '\n');
    if (n > 0 && r->raw[n - 1] == '\r')
        n--;
    r->raw[n] = '\0';
    return true;
}

/* A line that gave no entry though it should have: libinih found no '=' or ':' in it. */
static void check_previous(reader *r)
{
    if (r->want_entry && !r->got_entry)
        az_cfg_error_add(r->errs, r->line, "expected 'key = value' or a '[section]' header");
    r->want_entry = r->got_entry = false;
}

/* Classify a line (without its indentation): headers are handled here, entries are left to libinih. */
static void look_at(reader *r, const char *line)
{
    if (*line == '[')
        read_header(r, line);
    else if (*line && *line != ';' && *line != '#')
        r->want_entry = true;
}

/* The key of an over-long line is kept (with its value as written) although the line was refused, so that
 * the section does not also look as if it lacked the key. */
static void keep_long_entry(reader *r, const char *line)
{
    size_t klen = strcspn(line, "=:");
    if (!line[klen] || !r->current || r->skip_section || *line == '[')
        return;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(klen < 127 ? klen : 127), line);
    for (char *p = key + strlen(key); p > key && (p[-1] == ' ' || p[-1] == '\t');)
        *--p = '\0';
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    const char *value = line + klen + 1;
    value += strspn(value, " \t");
    if (*key && !find_entry(r->current, key))
        add_value(r, key, value, az_cli_utf8_invalid(value) >= 0);
}

/* libinih's reader: hand out one line at a time, as fgets would. */
static char *read_line(char *str, int num, void *stream)
{
    reader *r = stream;
    check_previous(r);
    if (!next_line(r))
        return NULL;
    r->line++;
    const char *line = r->raw + strspn(r->raw, " \t");
    if (r->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;
    size_t len = strlen(line);
    if (num < 3 || len > (size_t)num - 2) {
        az_cfg_error_add_alone(r->errs, r->line,
                               "line longer than %d characters (the INI reader's limit): put a long command "
                               "in a script",
                               num - 2);
        keep_long_entry(r, line);
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    look_at(r, line);
    if (*line == '[')
        line = ""; /* the header is ours; libinih need not see it */
    snprintf(str, (size_t)num, "%s\n", line);
    return str;
}

static void finish(reader *r)
{
    check_previous(r);
    free(r->raw);
}

/* The whole file into *text (NUL-terminated, *size bytes before the NUL), at most AZ_CFG_FILE_MAX bytes.
 * Returns 0, or -1 with the error recorded: a read error or no memory is a failure (exit 1), a file too
 * large is bad input (exit 2). Reading stops one byte past the limit, so /dev/zero is refused at once. */
static int slurp(FILE *f, char **text, size_t *size, az_cfg_errors *errs)
{
    const size_t limit = AZ_CFG_FILE_MAX;
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (cap - n < 2) {
            size_t next = cap ? cap * 2 : 64 * 1024;
            next = next > limit + 2 ? limit + 2 : next;
            char *grown = realloc(buf, next);
            if (!grown) {
                free(buf);
                az_cfg_error_oom(errs);
                return -1;
            }
            buf = grown;
            cap = next;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > limit) {
            free(buf);
            az_cfg_error_add(errs, 0,
                             "larger than %zu MiB, the limit of a config file: is it the right file? (asyncz "
                             "start --config FILE)",
                             limit / (1024 * 1024));
            return -1;
        }
        if (got == 0)
            break;
    }
    int err = errno;
    if (ferror(f)) {
        free(buf);
        errs->failure = true;
        az_cfg_error_add(errs, 0, "cannot read the config file: %s", strerror(err ? err : EIO));
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *size = n;
    return 0;
}

/* A NUL byte would cut its line short without a word: a config is text. Records the first one. */
static int check_nul(const char *text, size_t size, az_cfg_errors *errs)
{
    const char *nul = memchr(text, '\0', size);
    if (!nul)
        return 0;
    int line = 1;
    const char *line_start = text;
    for (const char *p = text; p < nul; p++)
        if (*p == '\n') {
            line++;
            line_start = p + 1;
        }
    az_cfg_error_add(errs, line,
                     "a NUL byte (at byte %td of the line): a config file is text; is it the right file?",
                     nul - line_start + 1);
    return -1;
}

static void parse_text(const char *text, az_cfg_ini *ini, az_cfg_errors *errs)
{
    reader r = {.text = text, .ini = ini, .errs = errs};
    ini_parse_stream(read_line, &r, on_entry, &r);
    finish(&r);
}

int az_cfg_ini_read(const char *path, az_cfg_ini *ini, az_cfg_errors *errs)
{
    *ini = (az_cfg_ini){0};
    FILE *f = fopen(path, "re");
    if (!f) {
        int err = errno;
        /* A file that is not there or not readable is a mistake on the command line, not a failure. */
        errs->failure =
            err != ENOENT && err != EACCES && err != ENOTDIR && err != ELOOP && err != ENAMETOOLONG;
        az_cfg_error_add(errs, 0, "cannot read the config file: %s", strerror(err));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        az_cfg_error_add(errs, 0, "a directory, not a config file (asyncz start --config FILE)");
        return -1;
    }
    char *text = NULL;
    size_t size = 0;
    int rc = slurp(f, &text, &size, errs);
    fclose(f);
    if (rc == 0)
        rc = check_nul(text, size, errs);
    if (rc == 0)
        parse_text(text, ini, errs);
    free(text);
    return rc;
}

int az_cfg_ini_read_string(const char *text, az_cfg_ini *ini, az_cfg_errors *errs)
{
    *ini = (az_cfg_ini){0};
    parse_text(text, ini, errs);
    return 0;
}

void az_cfg_ini_free(az_cfg_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        az_cfg_section *s = &ini->sections[i];
        for (size_t j = 0; j < s->n; j++) {
            free(s->entries[j].key);
            free(s->entries[j].value);
        }
        free(s->entries);
        free(s->kind);
        free(s->name);
        free(s->label);
    }
    free(ini->sections);
    *ini = (az_cfg_ini){0};
}

/* The keys of each section kind, for the message about an unknown one. */
static const char *known_keys(const char *kind)
{
    if (strcmp(kind, "scheduler") == 0)
        return "timezone, identity, log_level, log, shutdown_timeout, plugins, misfire_grace_time, coalesce, "
               "max_instances, executor, store, on_failure, on_failure_interval, on_failure_timeout";
    if (strcmp(kind, "store") == 0)
        return "url";
    if (strcmp(kind, "executor") == 0)
        return "type, workers";
    if (strcmp(kind, "http") == 0)
        return "listen, tls_cert, tls_key, trusted_proxies, base_path, max_connections, "
               "max_connections_per_client, max_body, timeout, users_file, tokens_file, allow_commands, "
               "session_idle, session_max, port_file: see docs/http-api.md";
    return "a trigger in the words of asyncz preview, command, timeout, function, args, kwargs, name, store, "
           "executor, paused, misfire_grace_time, coalesce, max_instances, on_failure, on_failure_interval, "
           "on_failure_timeout: see docs/daemon.md";
}

void az_cfg_report_unused(const az_cfg_section *sec, az_cfg_errors *errs)
{
    for (size_t i = 0; i < sec->n; i++)
        if (!sec->entries[i].used)
            az_cfg_error_add(errs, sec->entries[i].line, "[%s] %s: unknown key (keys here: %s)", sec->label,
                             sec->entries[i].key, known_keys(sec->kind));
}

/* Of the errors of a line with one recorded alone, keep only the first such one. The errors are sorted, so
 * a line's errors are next to each other. */
static void drop_consequences(az_cfg_errors *e)
{
    size_t kept = 0;
    for (size_t start = 0, end; start < e->n; start = end) {
        size_t alone = e->n;
        for (end = start; end < e->n && e->items[end].line == e->items[start].line; end++)
            if (e->items[end].alone && alone == e->n)
                alone = end;
        for (size_t i = start; i < end; i++) {
            if (alone == e->n || i == alone || e->items[i].line == 0)
                e->items[kept++] = e->items[i];
            else if (e->items[i].message != oom_message)
                free(e->items[i].message);
        }
    }
    e->n = kept;
}

void az_cfg_errors_sort(az_cfg_errors *e)
{
    /* Insertion sort: stable, and a file has few errors. */
    for (size_t i = 1; i < e->n; i++) {
        az_cfg_error x = e->items[i];
        size_t j = i;
        for (; j > 0 && e->items[j - 1].line > x.line; j--)
            e->items[j] = e->items[j - 1];
        e->items[j] = x;
    }
    drop_consequences(e);
}
