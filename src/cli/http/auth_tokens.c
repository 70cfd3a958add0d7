/* API tokens: the tokens file (`NAME ROLE sha256:HEX` per line) and finding the token a request presents by
 * its SHA-256, compared with every stored hash in constant time. Only hashes are kept: the file and the
 * daemon's memory hold nothing a client could present. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"

#define HASH_PREFIX "sha256:"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "sha256:" and 64 hex digits into out. */
static int parse_hash(const char *text, uint8_t out[AZ_AUTH_SHA256_LEN], char *why, size_t why_size)
{
    if (strncmp(text, AZ_AUTH_TOKEN_PREFIX, strlen(AZ_AUTH_TOKEN_PREFIX)) == 0) {
        snprintf(why, why_size,
                 "the third field is a token itself, not its hash: the file keeps 'sha256:' and the SHA-256 "
                 "of the token in hex ('asyncz auth token NAME --role ROLE' prints the line); remove the "
                 "token from this file and make a new one");
        return -1;
    }
    const char *hex = text + strlen(HASH_PREFIX);
    bool ok = strncmp(text, HASH_PREFIX, strlen(HASH_PREFIX)) == 0 && strlen(hex) == 2 * AZ_AUTH_SHA256_LEN;
    for (size_t i = 0; ok && i < AZ_AUTH_SHA256_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (!ok) {
        char shown[80];
        az_auth_log_safe(text, shown, sizeof shown);
        snprintf(why, why_size, "'%s' is not 'sha256:' and 64 hex digits (the SHA-256 of the token)", shown);
        return -1;
    }
    return 0;
}

const az_auth_token *az_auth_tokens_named(const az_auth_tokens *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->items[i].name, name) == 0)
            return &t->items[i];
    return NULL;
}

static int add_token(az_auth_tokens *t, const az_auth_token *tok)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        az_auth_token *items = realloc(t->items, cap * sizeof *items);
        if (!items)
            return -1;
        t->items = items;
        t->cap = cap;
    }
    t->items[t->n++] = *tok;
    return 0;
}

static int token_line(void *ctx, int line, char **f, size_t n, char *why, size_t why_size)
{
    az_auth_tokens *t = ctx;
    if (n != 3) {
        if (n > 3)
            snprintf(why, why_size, "more than 3 fields where 3 are expected: NAME ROLE sha256:HEX");
        else
            snprintf(why, why_size, "%zu field%s where 3 are expected: NAME ROLE sha256:HEX", n,
                     n == 1 ? "" : "s");
        return -1;
    }
    az_auth_token tok = {.line = line};
    if (!az_auth_name_valid(f[0])) {
        char shown[80];
        az_auth_log_safe(f[0], shown, sizeof shown);
        snprintf(why, why_size, "name '%s': use 1 to %d of A-Z a-z 0-9 . _ @ -", shown, AZ_AUTH_NAME_MAX);
        return -1;
    }
    const az_auth_token *same = az_auth_tokens_named(t, f[0]);
    if (same) {
        snprintf(why, why_size, "token '%s' is named already at line %d", f[0], same->line);
        return -1;
    }
    snprintf(tok.name, sizeof tok.name, "%s", f[0]);
    if (az_auth_role_field(f[1], &tok.role, why, why_size) != 0 ||
        parse_hash(f[2], tok.hash, why, why_size) != 0)
        return -1;
    for (size_t i = 0; i < t->n; i++)
        if (memcmp(t->items[i].hash, tok.hash, AZ_AUTH_SHA256_LEN) == 0) {
            snprintf(why, why_size, "the same hash as token '%s' at line %d: one token, one line",
                     t->items[i].name, t->items[i].line);
            return -1;
        }
    if (add_token(t, &tok) != 0) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    return 0;
}

int az_auth_tokens_load(const char *path, bool missing_ok, az_auth_tokens *out, char *why, size_t why_size)
{
    *out = (az_auth_tokens){0};
    return az_auth_file_read(path, missing_ok, token_line, out, why, why_size) < 0 ? -1 : 0;
}

void az_auth_tokens_free(az_auth_tokens *t)
{
    free(t->items);
    *t = (az_auth_tokens){0};
}

const az_auth_token *az_auth_tokens_match(const az_auth_tokens *t, const uint8_t hash[AZ_AUTH_SHA256_LEN])
{
    /* Every hash is compared, each comparison taking the same time whether it matches or not; hashes are
     * unique (token_line), so at most one matches. */
    size_t match = 0;
    for (size_t i = 0; i < t->n; i++)
        match += (size_t)(CRYPTO_memcmp(t->items[i].hash, hash, AZ_AUTH_SHA256_LEN) == 0) * (i + 1);
    return match ? &t->items[match - 1] : NULL;
}
