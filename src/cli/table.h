/* Aligned text tables for the asyncz tool: a header row and rows of cells, each column as wide as its
 * widest cell, columns two spaces apart. With colors (the caller decides: a terminal, no NO_COLOR), the
 * header is bold and each row takes its style. Independent of the rest of the tool, so it is unit-tested on
 * its own (tests/unit/test_cli_table.c).
 *
 * A row is always one line, and a cell cannot reach the terminal with a control sequence: cells are kept
 * with their control characters escaped (see az_table_escape). Given a width (the terminal's), the columns
 * the caller marked flexible share what the other columns leave and are cut with an ellipsis; the other
 * columns (ids, times) are never cut. */
#ifndef AZ_CLI_TABLE_H
#define AZ_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum az_table_style {
    AZ_TABLE_PLAIN,
    AZ_TABLE_DIM,   /* paused tasks */
    AZ_TABLE_ERROR, /* red */
    AZ_TABLE_WARN,  /* yellow */
    AZ_TABLE_OK,    /* green */
} az_table_style;

/* The narrowest a flexible column is cut to (2 columns of text and the ellipsis); a table whose other
 * columns leave less is printed wider than asked. */
#define AZ_TABLE_MIN_CUT 3

typedef struct az_table az_table;

/* A table of ncols columns (1..32). NULL when out of memory or ncols is out of range. */
az_table *az_table_new(size_t ncols);
void az_table_free(az_table *t);

/* Set the header (ncols cells, copied and escaped; NULL cells print as ""). A table without one prints
 * rows only. Returns 0 or -1 (out of memory). */
int az_table_header(az_table *t, const char *const *cells);

/* Append a row (ncols cells, copied and escaped; NULL cells print as ""). Returns 0 or -1 (out of
 * memory). */
int az_table_row(az_table *t, az_table_style style, const char *const *cells);

/* Cut cells of column col longer than width display columns to width, the last one an ellipsis (0: no
 * limit, the default). */
void az_table_max_width(az_table *t, size_t col, size_t width);

/* Let column col be cut when the table is wider than the width az_table_print is given. */
void az_table_flexible(az_table *t, size_t col);

size_t az_table_rows(const az_table *t);

/* Print the table. width: the display columns a line may take, 0 for no limit. When the table is wider,
 * the flexible columns share what the others leave: a column narrower than its share keeps its width, the
 * others get equal parts of the rest (at least AZ_TABLE_MIN_CUT) and their longer cells end with an
 * ellipsis. Returns 0, or -1 when writing failed. */
int az_table_print(const az_table *t, FILE *f, bool color, size_t width);

/* Display width of UTF-8 text: one column per code point, two for East Asian wide characters (CJK, most
 * emoji), none for combining marks and zero-width characters. For text as a table keeps it (escaped). */
size_t az_table_text_width(const char *s);

/* Write s into out (NUL-terminated, cut to fit size) with everything that could break a line or act on a
 * terminal escaped: \n, \t and \r as those two characters, other C0 controls, DEL and bytes that are not
 * UTF-8 as \xHH, C1 controls and the Unicode line separators and bidirectional controls as \uHHHH.
 * Backslashes are kept as they are (the table is for reading; --json gives the exact text). Returns the
 * length the escaped text has (like snprintf: out was cut if it is >= size). */
size_t az_table_escape(char *out, size_t size, const char *s);

#endif
