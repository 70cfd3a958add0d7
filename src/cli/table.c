/* Aligned text tables (see table.h). Each row is one allocation holding its cells one after another, so a
 * listing of 100,000 tasks costs 100,000 allocations, not one per cell. */
#include "table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 32

typedef struct row {
    az_table_style style;
    char *cells[MAX_COLS]; /* point into text */
    char text[];
} row;

struct az_table {
    size_t ncols;
    row *header;
    row **rows;
    size_t n, cap;
    size_t max_width[MAX_COLS];
};

az_table *az_table_new(size_t ncols)
{
    if (ncols == 0 || ncols > MAX_COLS)
        return NULL;
    az_table *t = calloc(1, sizeof *t);
    if (t)
        t->ncols = ncols;
    return t;
}

void az_table_free(az_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i]);
    free(t->rows);
    free(t->header);
    free(t);
}

static row *make_row(size_t ncols, az_table_style style, const char *const *cells)
{
    size_t total = 0;
    for (size_t i = 0; i < ncols; i++)
        total += strlen(cells[i] ? cells[i] : "") + 1;
    row *r = malloc(sizeof *r + total);
    if (!r)
        return NULL;
    r->style = style;
    char *p = r->text;
    for (size_t i = 0; i < ncols; i++) {
        const char *c = cells[i] ? cells[i] : "";
        size_t len = strlen(c);
        memcpy(p, c, len + 1);
        r->cells[i] = p;
        p += len + 1;
    }
    return r;
}

int az_table_header(az_table *t, const char *const *cells)
{
    row *r = make_row(t->ncols, AZ_TABLE_PLAIN, cells);
    if (!r)
        return -1;
    free(t->header);
    t->header = r;
    return 0;
}

int az_table_row(az_table *t, az_table_style style, const char *const *cells)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        row **grown = realloc(t->rows, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->rows = grown;
        t->cap = cap;
    }
    row *r = make_row(t->ncols, style, cells);
    if (!r)
        return -1;
    t->rows[t->n++] = r;
    return 0;
}

void az_table_max_width(az_table *t, size_t col, size_t width)
{
    if (col < t->ncols)
        t->max_width[col] = width;
}

size_t az_table_rows(const az_table *t)
{
    return t->n;
}

/* UTF-8 continuation bytes (10xxxxxx) do not start a column. */
size_t az_table_text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80)
            w++;
    return w;
}

/* The byte length of the first `columns` display columns of s. */
static size_t prefix_bytes(const char *s, size_t columns)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t seen = 0;
    for (; *p; p++) {
        if ((*p & 0xC0) != 0x80 && seen++ == columns)
            break;
    }
    return (size_t)(p - (const unsigned char *)s);
}

static size_t shown_width(const az_table *t, size_t col, const char *cell)
{
    size_t w = az_table_text_width(cell);
    size_t max = t->max_width[col];
    return max && w > max ? max : w;
}

static void measure(const az_table *t, size_t *widths)
{
    for (size_t c = 0; c < t->ncols; c++)
        widths[c] = t->header ? shown_width(t, c, t->header->cells[c]) : 0;
    for (size_t i = 0; i < t->n; i++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = shown_width(t, c, t->rows[i]->cells[c]);
            if (w > widths[c])
                widths[c] = w;
        }
}

static void print_cell(const az_table *t, FILE *f, size_t col, const char *cell)
{
    size_t max = t->max_width[col];
    if (max && az_table_text_width(cell) > max) {
        fwrite(cell, 1, prefix_bytes(cell, max - 1), f);
        fputs("\xe2\x80\xa6", f); /* U+2026 HORIZONTAL ELLIPSIS */
        return;
    }
    fputs(cell, f);
}

static const char *style_code(az_table_style style)
{
    static const char *const codes[] = {"", "\033[2m", "\033[31m", "\033[33m", "\033[32m"};
    return codes[style];
}

/* The number of cells up to the last non-empty one: nothing is padded after it, so lines carry no trailing
 * blanks. */
static size_t used_cells(const az_table *t, const row *r)
{
    size_t n = t->ncols;
    while (n > 1 && !r->cells[n - 1][0])
        n--;
    return n;
}

static void print_row(const az_table *t, FILE *f, const size_t *widths, const row *r, const char *code)
{
    if (code[0])
        fputs(code, f);
    size_t n = used_cells(t, r);
    for (size_t c = 0; c < n; c++) {
        print_cell(t, f, c, r->cells[c]);
        if (c + 1 < n)
            fprintf(f, "%*s", (int)(widths[c] - shown_width(t, c, r->cells[c]) + 2), "");
    }
    if (code[0])
        fputs("\033[0m", f);
    fputc('\n', f);
}

int az_table_print(const az_table *t, FILE *f, bool color)
{
    size_t widths[MAX_COLS];
    measure(t, widths);
    if (t->header)
        print_row(t, f, widths, t->header, color ? "\033[1m" : "");
    for (size_t i = 0; i < t->n; i++)
        print_row(t, f, widths, t->rows[i], color ? style_code(t->rows[i]->style) : "");
    return ferror(f) ? -1 : 0;
}
