/* Store URLs: scheme://[user[:password]@]host[:port][/path][?key=value&...]. Internal. */
#ifndef AZ_STORE_URL_H
#define AZ_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct az_url_option {
    char *key;   /* percent-decoded */
    char *value; /* percent-decoded ("" for "?key") */
    bool used;   /* set by az_url_get() when a backend reads it */
} az_url_option;

typedef struct az_url {
    char *text;     /* the URL as given, with the password replaced by "***" (for messages) */
    char *scheme;   /* lower case, without a "sqlalchemy+" prefix */
    char *user;     /* percent-decoded, or NULL */
    char *password; /* percent-decoded, or NULL */
    char *host;     /* or NULL ("" hosts are NULL); IPv6 literals without the brackets */
    int port;       /* 0 when absent */
    char *path;     /* percent-decoded, from the '/' after the authority ("" when absent) */
    az_url_option *options;
    size_t n_options;
} az_url;

/* Parse text (borrowed). Errors: ASYNCZ_EINVAL with az_store_fail's message (what is wrong and where),
 * ASYNCZ_ENOMEM. On success the caller frees *out with az_url_free. */
int az_url_parse(const char *text, az_url *out);
void az_url_free(az_url *url);

/* Replace in text (a NUL-terminated message of a client library that was given the URL's parts) every
 * occurrence of the URL's password and of the values of its secret options (see asyncz_store_url_mask) by
 * "***", in place (text only shrinks or keeps its length for secrets of 3 bytes or more). */
void az_url_scrub(const az_url *url, char *text);

/* The value of option key (marking it used), or def when absent. */
const char *az_url_get(az_url *url, const char *key, const char *def);

/* After a backend read its options: ASYNCZ_EINVAL naming the first option not used, with the list `known`
 * (a human-readable list such as "tablename") in the message; 0 when all were used. */
int az_url_check_options(const az_url *url, const char *known);

/* Parse a boolean option value ("true"/"false"/"1"/"0"/"yes"/"no"). Errors: ASYNCZ_EINVAL with a message
 * naming key. */
int az_url_bool(const char *key, const char *value, bool *out);

/* A SQL/Redis/Mongo name given as an option (table, key prefix, collection, database): 1-63 bytes of
 * [A-Za-z0-9_] (and '.' / '-' / ':' when allow_punct), not starting with a digit. Errors: ASYNCZ_EINVAL
 * naming key and saying what is allowed. */
int az_url_name(const char *key, const char *value, bool allow_punct);

#endif
