/* The parts of the authenticator (auth.h), shared by its files only: secrets and hashes (auth_crypto.c),
 * reading the users and tokens files (auth_files.c, auth_tokens.c, auth_users.c), the session table
 * (auth_sessions.c) and the failed-login counters (auth_throttle.c). auth.c puts them together.
 */
#ifndef AZ_CLI_HTTP_AUTH_INTERNAL_H
#define AZ_CLI_HTTP_AUTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"

#define AZ_AUTH_SHA256_LEN 32

/* ---- secrets (auth_crypto.c) --------------------------------------------------------------------------- */

/* Fill buf with n random bytes from the system's generator. Returns 0 or -1. Any thread. */
int az_auth_random(void *buf, size_t n);
/* SHA-256 of data. Any thread. */
void az_auth_sha256(const void *data, size_t len, uint8_t out[AZ_AUTH_SHA256_LEN]);
/* A new secret: 32 random bytes in base64url (AZ_AUTH_SECRET_LEN characters and a NUL into out). */
int az_auth_secret_make(char *out);
/* Whether s is AZ_AUTH_SECRET_LEN base64url characters. */
bool az_auth_secret_well_formed(const char *s);
/* Whether a and b (NUL-terminated) are equal, in time that depends on their lengths only. */
bool az_auth_equal(const char *a, const char *b);
/* Write n bytes of in as base64url without padding into out (4 * n / 3 + 2 bytes). */
void az_auth_base64url(const uint8_t *in, size_t n, char *out);
/* text as it may go into a log line: at most 64 bytes, bytes outside printable ASCII as '?'. */
void az_auth_log_safe(const char *text, char *out, size_t size);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void az_auth_hex(const uint8_t *in, size_t n, char *out);

/* ---- the files (auth_files.c) ------------------------------------------------------------------------- */

#define AZ_AUTH_MAX_FIELDS 4

/* Called for each line that is neither blank nor a comment, split at spaces and tabs into fields (a field
 * starting with '#' and what follows it are a comment; at most AZ_AUTH_MAX_FIELDS fields are given, n says
 * how many there were, up to AZ_AUTH_MAX_FIELDS + 1 meaning "more"). Returns 0, or -1 with why filled
 * (without the "FILE:LINE: " prefix, which the reader adds). */
typedef int (*az_auth_line_fn)(void *ctx, int line, char **fields, size_t n, char *why, size_t why_size);

/* Read the file at path line by line into fn. Refuses a file that is not a regular file or that group or
 * others may write. Returns 0, 1 when the file does not exist and missing_ok, or -1 with the reason in why
 * ("FILE:LINE: ..." for a line). */
int az_auth_file_read(const char *path, bool missing_ok, az_auth_line_fn fn, void *ctx, char *why,
                      size_t why_size);

/* Parse a role field ("viewer", "operator", "admin") or say what is wrong in why. */
int az_auth_role_field(const char *text, az_http_role *out, char *why, size_t why_size);

/* ---- API tokens (auth_tokens.c) ------------------------------------------------------------------------ */

typedef struct az_auth_token {
    char name[AZ_AUTH_NAME_MAX + 1];
    az_http_role role;
    uint8_t hash[AZ_AUTH_SHA256_LEN];
    int line;
} az_auth_token;

typedef struct az_auth_tokens {
    az_auth_token *items;
    size_t n, cap;
} az_auth_tokens;

/* Read the tokens file at path into *out (emptied first; free with az_auth_tokens_free, also on failure).
 * A missing file is an error unless missing_ok (then *out stays empty). */
int az_auth_tokens_load(const char *path, bool missing_ok, az_auth_tokens *out, char *why, size_t why_size);
void az_auth_tokens_free(az_auth_tokens *t);
/* The token whose hash is hash, comparing with every one in constant time; NULL when none. */
const az_auth_token *az_auth_tokens_match(const az_auth_tokens *t, const uint8_t hash[AZ_AUTH_SHA256_LEN]);
/* The token called name, or NULL. */
const az_auth_token *az_auth_tokens_named(const az_auth_tokens *t, const char *name);

/* ---- console users (auth_users.c) ---------------------------------------------------------------------- */

typedef struct az_auth_user {
    char name[AZ_AUTH_NAME_MAX + 1];
    az_http_role role;
    char *hash; /* the crypt(3) string, owned */
    int line;
} az_auth_user;

typedef struct az_auth_users {
    az_auth_user *items;
    size_t n, cap;
} az_auth_users;

/* Read the users file at path into *out (emptied first; free with az_auth_users_free, also on failure).
 * A missing file is an error unless missing_ok (then *out stays empty). */
int az_auth_users_load(const char *path, bool missing_ok, az_auth_users *out, char *why, size_t why_size);
void az_auth_users_free(az_auth_users *u);
/* The user called name, or NULL. */
const az_auth_user *az_auth_users_find(const az_auth_users *u, const char *name);
/* 0 when hash is a crypt(3) string of a kind good for passwords, else -1 with the reason in why. */
int az_auth_hash_kind_check(const char *hash, char *why, size_t why_size);
/* Whether password hashes to hash (crypt_ra). Slow on purpose (that is the hash's point). Any thread. */
bool az_auth_password_matches(const char *password, const char *hash);

/* ---- sessions (auth_sessions.c) ------------------------------------------------------------------------ */

typedef struct az_auth_sessions az_auth_sessions;

/* What a session is: its id, user, role, the fingerprint of the password hash it logged in with, its CSRF
 * token and its times. */
typedef struct az_auth_session_view {
    az_auth_session_info info;
    uint8_t pw_fingerprint[AZ_AUTH_SHA256_LEN];
    int64_t created, last_used;
} az_auth_session_view;

/* A table of at most max sessions (each function locks it). NULL when out of memory. */
az_auth_sessions *az_auth_sessions_new(size_t max);
void az_auth_sessions_free(az_auth_sessions *s);
/* Set the lifetimes: idle and absolute, in seconds. */
void az_auth_sessions_set_lifetimes(az_auth_sessions *s, int64_t idle_sec, int64_t max_sec);
/* Start a session for user with role at now: its secret into cookie (AZ_AUTH_SECRET_LEN + 1 bytes), what it
 * is into *view. The oldest session ends when the table is full, and expired ones end. Returns 0 or -1 (no
 * randomness, out of memory). */
int az_auth_sessions_start(az_auth_sessions *s, const char *user, az_http_role role,
                           const uint8_t pw_fingerprint[AZ_AUTH_SHA256_LEN], int64_t now, char *cookie,
                           az_auth_session_view *view);

typedef enum az_auth_lookup {
    AZ_AUTH_SESSION_FOUND,
    AZ_AUTH_SESSION_UNKNOWN, /* no session has this cookie (never had, ended, or the daemon restarted) */
    AZ_AUTH_SESSION_EXPIRED, /* it had, and its time is over: it ends now */
} az_auth_lookup;

/* The session of cookie at now, into *view (may be NULL). touch: it was used now (its idle time restarts). */
az_auth_lookup az_auth_sessions_find(az_auth_sessions *s, const char *cookie, int64_t now, bool touch,
                                     az_auth_session_view *view);
/* End the session of cookie; whether there was one. */
bool az_auth_sessions_end(az_auth_sessions *s, const char *cookie);
/* End every session for which keep(ctx, view) is false; returns how many ended. */
size_t az_auth_sessions_filter(az_auth_sessions *s, bool (*keep)(void *ctx, const az_auth_session_view *v),
                               void *ctx);
/* How many sessions there are. */
size_t az_auth_sessions_count(az_auth_sessions *s);
/* When the session of view ends unless used again. */
int64_t az_auth_sessions_expires(az_auth_sessions *s, const az_auth_session_view *view);

/* ---- failed logins (auth_throttle.c) ------------------------------------------------------------------- */

/* Failures counted per key: AZ_AUTH_THROTTLE_LIMIT failures, each less than AZ_AUTH_THROTTLE_WINDOW seconds
 * after the one before, block the key for AZ_AUTH_THROTTLE_DELAY seconds, doubled at each further failure up
 * to AZ_AUTH_THROTTLE_MAX_DELAY. A success (az_auth_throttle_clear) or a quiet window clears the count. */
#define AZ_AUTH_THROTTLE_LIMIT 5
#define AZ_AUTH_THROTTLE_WINDOW (15 * 60)
#define AZ_AUTH_THROTTLE_DELAY 60
#define AZ_AUTH_THROTTLE_MAX_DELAY (15 * 60)
/* Keys kept per table: when full, the one that failed longest ago (and is not blocked, if any) goes. */
#define AZ_AUTH_THROTTLE_KEYS 4096

typedef struct az_auth_throttle az_auth_throttle;

/* A table of at most capacity keys (each function locks it). NULL when out of memory. */
az_auth_throttle *az_auth_throttle_new(size_t capacity);
void az_auth_throttle_free(az_auth_throttle *t);
/* Seconds key must still wait at now; 0: it may try. */
int64_t az_auth_throttle_wait(az_auth_throttle *t, const char *key, int64_t now);
/* Count a failure of key at now. */
void az_auth_throttle_fail(az_auth_throttle *t, const char *key, int64_t now);
/* Forget key's failures. */
void az_auth_throttle_clear(az_auth_throttle *t, const char *key);
/* The key of a client address: the address itself, but an IPv6 address's /64 (one host may have many). */
void az_auth_client_key(const char *client, char *out, size_t size);

#endif
