/* The authenticator's secrets: random bytes, SHA-256, base64url, constant-time comparison, API tokens, and
 * names safe to log. */
#define _GNU_SOURCE
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/random.h>

#include "auth_internal.h"

int az_auth_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            /* no getrandom (an old kernel, a seccomp filter): OpenSSL's generator */
            return RAND_bytes(p + got, (int)(n - got)) == 1 ? 0 : -1;
        got += (size_t)r;
    }
    return 0;
}

void az_auth_sha256(const void *data, size_t len, uint8_t out[AZ_AUTH_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != AZ_AUTH_SHA256_LEN)
        memset(out, 0, AZ_AUTH_SHA256_LEN); /* cannot happen with the default provider; matches nothing */
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void az_auth_base64url(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
}

int az_auth_secret_make(char *out)
{
    uint8_t raw[32];
    if (az_auth_random(raw, sizeof raw) != 0)
        return -1;
    az_auth_base64url(raw, sizeof raw, out);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

bool az_auth_secret_well_formed(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n == AZ_AUTH_SECRET_LEN || !strchr(b64url, s[n]))
            return false;
    return n == AZ_AUTH_SECRET_LEN;
}

bool az_auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

void az_auth_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void az_auth_log_safe(const char *text, char *out, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 1 < size && o < 64; p++)
        out[o++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
    if (size)
        out[o] = '\0';
}

bool az_auth_name_valid(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '@' || c == '-';
        if (!ok || n == AZ_AUTH_NAME_MAX)
            return false;
    }
    return n > 0;
}

int az_auth_token_make(char *token, char *hash)
{
    char secret[AZ_AUTH_SECRET_LEN + 1];
    if (az_auth_secret_make(secret) != 0)
        return -1;
    strcpy(token, AZ_AUTH_TOKEN_PREFIX);
    strcat(token, secret);
    OPENSSL_cleanse(secret, sizeof secret);
    uint8_t digest[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(token, strlen(token), digest);
    strcpy(hash, "sha256:");
    az_auth_hex(digest, sizeof digest, hash + strlen("sha256:"));
    return 0;
}
