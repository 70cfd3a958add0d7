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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

typedef struct reader {
    FILE *file;       /* reading a file, or */
    const char *text; /* the rest of a string */
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

static void errors_grow(az_cfg_errors *e)
{
    if (e->n < e->cap)
        return;
    size_t cap = e->cap ? e->cap * 2 : 8;
    az_cfg_error *items = realloc(e->items, cap * sizeof *items);
    if (!items)
        abort(); /* the tool cannot report anything without memory */
    e->items = items;
    e->cap = cap;
}

void az_cfg_error_add(az_cfg_errors *e, int line, const char *fmt, ...)
{
    errors_grow(e);
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    e->items[e->n++] = (az_cfg_error){.line = line, .message = msg};
}

void az_cfg_errors_free(az_cfg_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i].message);
    free(e->items);
    *e = (az_cfg_errors){0};
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

static void *grow(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(items, c * size);
    if (!p)
        abort();
    *cap = c;
    return p;
}

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
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
           strcmp(kind, "task") == 0;
}

/* Check a header's kind and name; records the error and returns false when they are wrong. */
static bool header_valid(reader *r, const char *label, const char *kind, const char *name)
{
    if (!known_kind(kind)) {
        az_cfg_error_add(r->errs, r->line,
                         "[%s]: unknown section (sections: [scheduler], [store NAME], [executor NAME], "
                         "[task ID])",
                         label);
        return false;
    }
    if (strcmp(kind, "scheduler") == 0 && *name) {
        az_cfg_error_add(r->errs, r->line, "[%s]: [scheduler] takes no name", label);
        return false;
    }
    if (strcmp(kind, "scheduler") != 0 && !*name) {
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
    ini->sections = grow(ini->sections, &ini->cap, ini->n, sizeof *ini->sections);
    r->current = &ini->sections[ini->n++];
    *r->current = (az_cfg_section){
        .kind = dup_or_die(kind), .name = dup_or_die(name), .label = dup_or_die(label), .line = r->line};
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
    sec->entries = grow(sec->entries, &sec->cap, sec->n, sizeof *sec->entries);
    sec->entries[sec->n++] =
        (az_cfg_entry){.key = dup_or_die(key), .value = dup_or_die(value), .line = r->line};
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
    char key[128];
    snprintf(key, sizeof key, "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    if (r->skip_section)
        return 1;
    if (!r->current) {
        az_cfg_error_add(r->errs, r->line, "%s: a key before the first section header", name);
        return 1;
    }
    add_entry(r, key, value ? value : "");
    return 1;
}

/* ---- the line reader ------------------------------------------------------------------------------ */

/* The next physical line into r->raw (no newline). False at the end. */
static bool next_line(reader *r)
{
    if (r->file) {
        ssize_t n = getline(&r->raw, &r->raw_cap, r->file);
        if (n < 0)
            return false;
        if (n > 0 && r->raw[n - 1] == '\n')
            r->raw[--n] = '\0';
        if (n > 0 && r->raw[n - 1] == '\r')
            r->raw[--n] = '\0';
        return true;
    }
    if (!*r->text)
        return false;
    size_t n = strcspn(r->text, "\n");
    if (n + 1 > r->raw_cap) {
        char *raw = realloc(r->raw, n + 1);
        if (!raw)
            abort();
        r->raw = raw;
        r->raw_cap = n + 1;
    }
    memcpy(r->raw, r->text, n);
    r->raw[n] = '\0';
    r->text += n + (r->text[n] == '\n');
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
        add_entry(r, key, value);
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
        az_cfg_error_add(r->errs, r->line,
                         "line longer than %d characters (the INI reader's limit): put a long command in a "
                         "script",
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

int az_cfg_ini_read(const char *path, az_cfg_ini *ini, az_cfg_errors *errs)
{
    *ini = (az_cfg_ini){0};
    FILE *f = fopen(path, "re");
    if (!f) {
        az_cfg_error_add(errs, 0, "cannot read the config file: %s", strerror(errno));
        return -1;
    }
    reader r = {.file = f, .ini = ini, .errs = errs};
    ini_parse_stream(read_line, &r, on_entry, &r);
    bool failed = ferror(f);
    finish(&r);
    fclose(f);
    if (failed) {
        az_cfg_error_add(errs, 0, "cannot read the config file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int az_cfg_ini_read_string(const char *text, az_cfg_ini *ini, az_cfg_errors *errs)
{
    *ini = (az_cfg_ini){0};
    reader r = {.text = text, .ini = ini, .errs = errs};
    ini_parse_stream(read_line, &r, on_entry, &r);
    finish(&r);
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
               "max_instances, executor, store";
    if (strcmp(kind, "store") == 0)
        return "url";
    if (strcmp(kind, "executor") == 0)
        return "type, workers";
    return "a trigger in the words of asyncz preview, command, timeout, function, args, kwargs, name, store, "
           "executor, paused, misfire_grace_time, coalesce, max_instances: see docs/daemon.md";
}

void az_cfg_report_unused(const az_cfg_section *sec, az_cfg_errors *errs)
{
    for (size_t i = 0; i < sec->n; i++)
        if (!sec->entries[i].used)
            az_cfg_error_add(errs, sec->entries[i].line, "[%s] %s: unknown key (keys here: %s)", sec->label,
                             sec->entries[i].key, known_keys(sec->kind));
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
}
