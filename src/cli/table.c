/* Aligned text tables (see table.h). Each row is one allocation holding its cells one after another, so a
 * listing of 100,000 tasks costs 100,000 allocations, not one per cell. Cells are escaped when they are
 * added, so measuring, cutting and printing only ever see text that is safe to show. */
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
    bool flexible[MAX_COLS];
};

/* ---- UTF-8, escapes and display widths ----------------------------------------------------------------- */

/* The code point of the UTF-8 sequence at p and its length (1..4), or 0 when p does not start a valid
 * sequence: a stray continuation byte, an overlong form, a surrogate, a sequence cut short. */
static size_t utf8_decode(const unsigned char *p, uint32_t *cp)
{
    unsigned char b = p[0];
    size_t n;
    uint32_t min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2, min = 0x80, *cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, min = 0x800, *cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, min = 0x10000, *cp = b & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* Code points that would end the line, drive the terminal (C0, DEL, C1: ESC, CSI, OSC...) or reorder what
 * is shown around them (the bidirectional controls of "Trojan Source"). */
static bool must_escape(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

typedef struct sink {
    char *out;
    size_t size, len;
} sink;

static void put(sink *k, const void *text, size_t n)
{
    if (k->len < k->size) {
        size_t room = k->size - k->len;
        memcpy(k->out + k->len, text, n < room ? n : room);
    }
    k->len += n;
}

/* A code point as \n, \t, \r, \xHH (below 0x80) or \uHHHH; a byte that is not UTF-8 (byte) as \xHH. */
static void put_escape(sink *k, uint32_t cp, bool byte)
{
    char esc[12];
    int n = cp == '\n'          ? snprintf(esc, sizeof esc, "\\n")
            : cp == '\t'        ? snprintf(esc, sizeof esc, "\\t")
            : cp == '\r'        ? snprintf(esc, sizeof esc, "\\r")
            : byte || cp < 0x80 ? snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp)
                                : snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
    put(k, esc, (size_t)n);
}

size_t az_table_escape(char *out, size_t size, const char *s)
{
    sink k = {out, size, 0};
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *plain = p; /* printable ASCII goes through in one piece */
        while (*p >= 0x20 && *p < 0x7F)
            p++;
        put(&k, plain, (size_t)(p - plain));
        if (!*p)
            break;
        uint32_t cp;
        size_t n = utf8_decode(p, &cp);
        if (n == 0)
            put_escape(&k, *p++, true);
        else if (must_escape(cp))
            put_escape(&k, cp, false), p += n;
        else
            put(&k, p, n), p += n;
    }
    if (size)
        out[k.len < size ? k.len : size - 1] = '\0';
    return k.len;
}

typedef struct cp_range {
    uint32_t lo, hi;
} cp_range;

static bool in_ranges(uint32_t cp, const cp_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

/* Columns a code point takes on a terminal, as wcwidth(3) says for the common cases, without depending
 * on the locale the tool runs in. */
static size_t cp_width(uint32_t cp)
{
    static const cp_range zero[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
                                    {0x064B, 0x065F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200D},
                                    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}};
    static const cp_range wide[] = {
        {0x1100, 0x115F}, {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},
        {0xA000, 0xA4CF}, {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},
        {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
    if (cp < 0x300)
        return 1;
    if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    return in_ranges(cp, wide, sizeof wide / sizeof wide[0]) ? 2 : 1;
}

/* The next code point of s and its width; a byte that is not UTF-8 counts as one column. */
static size_t next_width(const unsigned char **p)
{
    uint32_t cp;
    size_t n = utf8_decode(*p, &cp);
    *p += n ? n : 1;
    return n ? cp_width(cp) : 1;
}

size_t az_table_text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;)
        w += *p < 0x80 ? (p++, 1) : next_width(&p);
    return w;
}

/* ---- building --------------------------------------------------------------------------------------------
 */

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
    size_t lens[MAX_COLS], total = 0;
    for (size_t i = 0; i < ncols; i++) {
        lens[i] = az_table_escape(NULL, 0, cells[i] ? cells[i] : "");
        total += lens[i] + 1;
    }
    row *r = malloc(sizeof *r + total);
    if (!r)
        return NULL;
    r->style = style;
    char *p = r->text;
    for (size_t i = 0; i < ncols; i++) {
        az_table_escape(p, lens[i] + 1, cells[i] ? cells[i] : "");
        r->cells[i] = p;
        p += lens[i] + 1;
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

void az_table_flexible(az_table *t, size_t col)
{
    if (col < t->ncols)
        t->flexible[col] = true;
}

size_t az_table_rows(const az_table *t)
{
    return t->n;
}

/* ---- layout ----------------------------------------------------------------------------------------------
 */

/* The columns of one printing: how wide each is, and where its cells are cut (0: not cut). */
typedef struct layout {
    size_t width[MAX_COLS];
    size_t limit[MAX_COLS];
} layout;

static size_t shown_width(const layout *l, size_t col, const char *cell)
{
    size_t w = az_table_text_width(cell);
    return l->limit[col] && w > l->limit[col] ? l->limit[col] : w;
}

static void measure(const az_table *t, layout *l)
{
    for (size_t c = 0; c < t->ncols; c++)
        l->width[c] = t->header ? shown_width(l, c, t->header->cells[c]) : 0;
    for (size_t i = 0; i < t->n; i++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = shown_width(l, c, t->rows[i]->cells[c]);
            if (w > l->width[c])
                l->width[c] = w;
        }
}

/* Share room among the flexible columns: a column that needs less than an equal share keeps its width and
 * leaves the rest to the others (water filling); the widest get equal parts of what remains. */
static void share_room(const az_table *t, layout *l, size_t room)
{
    size_t give[MAX_COLS] = {0}, open = 0;
    bool settled[MAX_COLS] = {false};
    for (size_t c = 0; c < t->ncols; c++)
        open += t->flexible[c];
    for (bool changed = true; changed && open;) {
        changed = false;
        for (size_t c = 0; c < t->ncols; c++)
            if (t->flexible[c] && !settled[c] && l->width[c] <= room / open) {
                give[c] = l->width[c];
                settled[c] = changed = true;
                room -= give[c];
                open--;
            }
    }
    size_t extra = open ? room % open : 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (!t->flexible[c] || settled[c])
            continue;
        give[c] = room / open + (extra ? (extra--, 1) : 0);
        size_t floor = l->width[c] < AZ_TABLE_MIN_CUT ? l->width[c] : AZ_TABLE_MIN_CUT;
        l->limit[c] = l->width[c] = give[c] > floor ? give[c] : floor;
    }
}

/* Cut the flexible columns so lines take at most width columns, if the other columns leave room. */
static void fit(const az_table *t, layout *l, size_t width)
{
    size_t total = 2 * (t->ncols - 1), fixed = total;
    for (size_t c = 0; c < t->ncols; c++) {
        total += l->width[c];
        fixed += t->flexible[c] ? 0 : l->width[c];
    }
    if (width && total > width)
        share_room(t, l, width > fixed ? width - fixed : 0);
}

/* ---- printing --------------------------------------------------------------------------------------------
 */

/* Print a cell, cut to limit columns with an ellipsis when it is longer; returns the columns printed. */
static size_t print_cell(FILE *f, const char *cell, size_t limit)
{
    size_t w = az_table_text_width(cell);
    if (!limit || w <= limit) {
        fputs(cell, f);
        return w;
    }
    const unsigned char *p = (const unsigned char *)cell, *end = p;
    size_t used = 0;
    while (*p) {
        size_t cw = next_width(&p);
        if (used + cw > limit - 1)
            break;
        used += cw;
        end = p;
    }
    fwrite(cell, 1, (size_t)(end - (const unsigned char *)cell), f);
    fputs("\xe2\x80\xa6", f); /* U+2026 HORIZONTAL ELLIPSIS */
    return used + 1;
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

static void print_row(const az_table *t, FILE *f, const layout *l, const row *r, const char *code)
{
    if (code[0])
        fputs(code, f);
    size_t n = used_cells(t, r);
    for (size_t c = 0; c < n; c++) {
        size_t w = print_cell(f, r->cells[c], l->limit[c]);
        if (c + 1 < n)
            fprintf(f, "%*s", (int)(l->width[c] - w + 2), "");
    }
    if (code[0])
        fputs("\033[0m", f);
    fputc('\n', f);
}

int az_table_print(const az_table *t, FILE *f, bool color, size_t width)
{
    layout l;
    memcpy(l.limit, t->max_width, sizeof l.limit);
    measure(t, &l);
    fit(t, &l, width);
    if (t->header)
        print_row(t, f, &l, t->header, color ? "\033[1m" : "");
    for (size_t i = 0; i < t->n; i++)
        print_row(t, f, &l, t->rows[i], color ? style_code(t->rows[i]->style) : "");
    return ferror(f) ? -1 : 0;
}
