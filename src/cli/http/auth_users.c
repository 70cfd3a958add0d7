/* Console users: the users file (`NAME ROLE HASH` per line, HASH a crypt(3) string as mkpasswd makes it),
 * the hash kinds taken (yescrypt, scrypt, bcrypt, SHA-512 and SHA-256 crypt; DES, MD5 and the like are
 * refused when the file is read), checking a password and making a hash for a new user. */
#define _GNU_SOURCE
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"

/* The kinds of hash taken, by prefix. */
static const char *const good_kinds[] = {"$y$", "$gy$", "$7$", "$2b$", "$2y$", "$2a$", "$6$", "$5$"};

/* The kinds refused by name, for a message that says what the hash is. */
static const struct {
    const char *prefix, *name;
} weak_kinds[] = {
    {"$1$", "MD5 ($1$)"},     {"$md5", "Sun MD5 ($md5)"},      {"$sha1$", "NetBSD SHA-1 ($sha1$)"},
    {"$3$", "NT hash ($3$)"}, {"$2x$", "buggy bcrypt ($2x$)"}, {"_", "BSDi extended DES (_)"},
};

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether the hash's last part (after its last '$') is long enough to be a digest in crypt's alphabet. */
static bool has_digest(const char *hash)
{
    const char *last = strrchr(hash, '$');
    if (!last)
        return false;
    size_t n = strlen(last + 1);
    return n >= 31 &&
           strspn(last + 1, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == n;
}

int az_auth_hash_kind_check(const char *hash, char *why, size_t why_size)
{
    static const char fix[] =
        "make a yescrypt one with 'asyncz auth user NAME --role ROLE' or 'mkpasswd -m yescrypt'";
    if (hash[0] == '!' || hash[0] == '*') {
        snprintf(why, why_size, "a locked or disabled hash ('%c...'): remove the line, or %s", hash[0], fix);
        return -1;
    }
    for (size_t i = 0; i < sizeof weak_kinds / sizeof *weak_kinds; i++)
        if (has_prefix(hash, weak_kinds[i].prefix)) {
            snprintf(why, why_size, "a %s hash is too weak for passwords: %s", weak_kinds[i].name, fix);
            return -1;
        }
    if (hash[0] != '$') {
        snprintf(why, why_size, "a DES hash (no '$' kind prefix) or not a crypt(3) hash: DES is too weak: %s",
                 fix);
        return -1;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof good_kinds / sizeof *good_kinds; i++)
        known = known || has_prefix(hash, good_kinds[i]);
    if (!known) {
        const char *end = strchr(hash + 1, '$');
        size_t len = end ? (size_t)(end - hash + 1) : strlen(hash);
        char prefix[16], kind[16];
        len = len < sizeof prefix ? len : sizeof prefix - 1;
        memcpy(prefix, hash, len);
        prefix[len] = '\0';
        az_auth_log_safe(prefix, kind, sizeof kind);
        snprintf(why, why_size,
                 "the hash kind '%s' is not one taken (yescrypt $y$, scrypt $7$, bcrypt $2b$, "
                 "SHA-512 $6$, SHA-256 $5$): %s",
                 kind, fix);
        return -1;
    }
    if (crypt_checksalt(hash) != CRYPT_SALT_OK || !has_digest(hash)) {
        snprintf(why, why_size, "not a whole crypt(3) hash (cut short, or a setting without the digest): %s",
                 fix);
        return -1;
    }
    return 0;
}

const az_auth_user *az_auth_users_find(const az_auth_users *u, const char *name)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->items[i].name, name) == 0)
            return &u->items[i];
    return NULL;
}

static int add_user(az_auth_users *u, const az_auth_user *user)
{
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 8;
        az_auth_user *items = realloc(u->items, cap * sizeof *items);
        if (!items)
            return -1;
        u->items = items;
        u->cap = cap;
    }
    u->items[u->n++] = *user;
    return 0;
}

static int user_line(void *ctx, int line, char **f, size_t n, char *why, size_t why_size)
{
    az_auth_users *u = ctx;
    if (n != 3) {
        if (n > 3)
            snprintf(why, why_size, "more than 3 fields where 3 are expected: NAME ROLE HASH");
        else
            snprintf(why, why_size, "%zu field%s where 3 are expected: NAME ROLE HASH", n, n == 1 ? "" : "s");
        return -1;
    }
    if (!az_auth_name_valid(f[0])) {
        char shown[80];
        az_auth_log_safe(f[0], shown, sizeof shown);
        snprintf(why, why_size, "user name '%s': use 1 to %d of A-Z a-z 0-9 . _ @ -", shown,
                 AZ_AUTH_NAME_MAX);
        return -1;
    }
    const az_auth_user *same = az_auth_users_find(u, f[0]);
    if (same) {
        snprintf(why, why_size, "user '%s' is named already at line %d", f[0], same->line);
        return -1;
    }
    az_auth_user user = {.line = line};
    snprintf(user.name, sizeof user.name, "%s", f[0]);
    if (az_auth_role_field(f[1], &user.role, why, why_size) != 0)
        return -1;
    char reason[384];
    if (az_auth_hash_kind_check(f[2], reason, sizeof reason) != 0) {
        snprintf(why, why_size, "user '%s': %s", f[0], reason);
        return -1;
    }
    user.hash = strdup(f[2]);
    if (!user.hash || add_user(u, &user) != 0) {
        free(user.hash);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}

int az_auth_users_load(const char *path, bool missing_ok, az_auth_users *out, char *why, size_t why_size)
{
    *out = (az_auth_users){0};
    return az_auth_file_read(path, missing_ok, user_line, out, why, why_size) < 0 ? -1 : 0;
}

void az_auth_users_free(az_auth_users *u)
{
    for (size_t i = 0; i < u->n; i++) {
        explicit_bzero(u->items[i].hash, strlen(u->items[i].hash));
        free(u->items[i].hash);
    }
    free(u->items);
    *u = (az_auth_users){0};
}

bool az_auth_password_matches(const char *password, const char *hash)
{
    void *data = NULL;
    int size = 0;
    const char *out = crypt_ra(password, hash, &data, &size);
    bool match = out && az_auth_equal(out, hash);
    if (data)
        explicit_bzero(data, (size_t)size);
    free(data);
    return match;
}

int az_auth_password_hash(const char *password, char *out, size_t size, char *why, size_t why_size)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, (int)sizeof setting)) {
        snprintf(why, why_size,
                 "cannot make a yescrypt salt: this libcrypt has no yescrypt, or no randomness");
        return -1;
    }
    struct crypt_data *data = calloc(1, sizeof *data);
    if (!data) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    const char *hash = crypt_rn(password, setting, data, (int)sizeof *data);
    int rc = 0;
    if (!hash || strlen(hash) >= size) {
        snprintf(why, why_size, "cannot hash the password with yescrypt");
        rc = -1;
    } else {
        strcpy(out, hash);
    }
    explicit_bzero(data, sizeof *data);
    free(data);
    return rc;
}
