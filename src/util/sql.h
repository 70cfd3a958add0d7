/* SQL statement texts that name the store's table. */
#ifndef AZ_UTIL_SQL_H
#define AZ_UTIL_SQL_H

/* The placeholder the SQL backends (SQLite, PostgreSQL, MariaDB) write in their statement texts where the
 * table name goes: "{T}" (also inside a longer name: "{T}_seq", "{T}_quarantine"). */
#define AZ_SQL_TABLE "{T}"

/* A new string: tmpl with every "{T}" replaced by table. The table name must have been validated (letters,
 * digits, '_'): it is copied as it is, not quoted. The caller frees the result. NULL when out of memory. */
char *az_sql_with_table(const char *tmpl, const char *table);

#endif
