/* Aligned text tables for the asyncz tool: a header row and rows of cells, each column as wide as its
 * widest cell, columns two spaces apart. With colors (the caller decides: a terminal, no NO_COLOR), the
 * header is bold and each row takes its style. Independent of the rest of the tool, so it is unit-tested on
 * its own (tests/unit/test_cli_table.c). */
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

typedef struct az_table az_table;

/* A table of ncols columns (1..32). NULL when out of memory or ncols is out of range. */
az_table *az_table_new(size_t ncols);
void az_table_free(az_table *t);

/* Set the header (ncols cells, copied; NULL cells print as ""). A table without one prints rows only.
 * Returns 0 or -1 (out of memory). */
int az_table_header(az_table *t, const char *const *cells);

/* Append a row (ncols cells, copied; NULL cells print as ""). Returns 0 or -1 (out of memory). */
int az_table_row(az_table *t, az_table_style style, const char *const *cells);

/* Cut cells of column col longer than width display columns to width, the last one an ellipsis (0: no
 * limit, the default). */
void az_table_max_width(az_table *t, size_t col, size_t width);

size_t az_table_rows(const az_table *t);

/* Print the table. Returns 0, or -1 when writing failed. */
int az_table_print(const az_table *t, FILE *f, bool color);

/* Display width of UTF-8 text: one column per code point (control characters count too). */
size_t az_table_text_width(const char *s);

#endif
