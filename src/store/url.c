/* Store URLs (see url.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asyncz/error.h"
#include "asyncz/store.h"
#include "store/backend.h"
#include "store/url.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A percent-decoded copy of s[0..len). NULL with *bad set on a malformed escape or an encoded NUL. */
static char *decode(const char *s, size_t len, bool *bad)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[j++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            *bad = true;
            return NULL;
        }
        out[j++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[j] = '\0';
    return out;
}

static int fail(const char *text, const char *what)
{
    return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": %s", text, what);
}

/* Decode s[0..len) into *out, or fail naming part. */
static int decode_part(const az_url *u, const char *s, size_t len, const char *part, char **out)
{
    bool bad = false;
    *out = decode(s, len, &bad);
    if (*out)
        return 0;
    if (!bad)
        return ASYNCZ_ENOMEM;
    char msg[96];
    snprintf(msg, sizeof msg, "malformed %%-escape in the %s", part);
    return fail(u->text, msg);
}

/* Whether a query option's value is a secret: its name holds "pass" or "secret", in any case (libmongoc's
 * tlsCertificateKeyFilePassword, a password=... that a backend refuses, ...). */
static bool secret_option(const char *key, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (strncasecmp(key + i, "pass", 4) == 0 || (i + 6 <= len && strncasecmp(key + i, "secret", 6) == 0))
            return true;
    return false;
}

/* Append n bytes of s to buf (size bytes, *used so far), cutting at the end. */
static void put(char *buf, size_t size, size_t *used, const char *s, size_t n)
{
    if (*used + 1 >= size)
        return;
    size_t room = size - 1 - *used;
    memcpy(buf + *used, s, n < room ? n : room);
    *used += n < room ? n : room;
    buf[*used] = '\0';
}

void asyncz_store_url_mask(const char *url, char *buf, size_t size)
{
    if (!buf || !size)
        return;
    buf[0] = '\0';
    if (!url)
        return;
    size_t used = 0;
    const char *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url;
    /* The password ends at the last '@', wherever it is: a password may hold '/', '?' or '#' that the user
     * did not percent-encode, and such a URL is quoted in the parser's error. An '@' in the query makes
     * this mask more than the password, which is the safe way to be wrong. */
    const char *at = strrchr(auth, '@');
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *p = url;
    if (colon) {
        put(buf, size, &used, p, (size_t)(colon + 1 - p));
        put(buf, size, &used, "***", 3);
        p = at;
    }
    const char *query = strchr(p == url ? auth : p, '?');
    if (!query) {
        put(buf, size, &used, p, strlen(p));
        return;
    }
    put(buf, size, &used, p, (size_t)(query + 1 - p));
    for (p = query + 1; *p;) {
        size_t item = strcspn(p, "&#");
        const char *eq = memchr(p, '=', item);
        if (eq && secret_option(p, (size_t)(eq - p))) {
            put(buf, size, &used, p, (size_t)(eq + 1 - p));
            put(buf, size, &used, "***", 3);
        } else {
            put(buf, size, &used, p, item);
        }
        p += item;
        if (*p == '#') {
            put(buf, size, &used, p, strlen(p));
            break;
        }
        if (*p == '&')
            put(buf, size, &used, p++, 1);
    }
}

static void scrub_one(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n < 3) /* a shorter one would be shorter than its mask, and would match everywhere */
        return;
    for (char *p = strstr(text, secret); p; p = strstr(p + 3, secret)) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}

void az_url_scrub(const az_url *url, char *text)
{
    scrub_one(text, url->password);
    for (size_t i = 0; i < url->n_options; i++)
        if (secret_option(url->options[i].key, strlen(url->options[i].key)))
            scrub_one(text, url->options[i].value);
}

/* The URL for messages (asyncz_store_url_mask), malloc'd. */
static char *redact(const char *text)
{
    size_t n = strlen(text) + 4 * 8 + 1; /* "***" may be longer than what it replaces */
    char *out = NULL;
    for (;;) {
        free(out);
        out = malloc(n);
        if (!out)
            return NULL;
        asyncz_store_url_mask(text, out, n);
        if (strlen(out) + 1 < n)
            return out;
        n *= 2;
    }
}

static int parse_scheme(az_url *u, const char *text, const char **rest)
{
    const char *sep = strstr(text, "://");
    if (!sep || sep == text)
        return fail(u->text, "expected scheme://... (such as sqlite:///var/lib/asyncz/tasks.db)");
    const char *s = text;
    if ((size_t)(sep - s) > 11 && strncasecmp(s, "sqlalchemy+", 11) == 0)
        s += 11;
    u->scheme = strndup(s, (size_t)(sep - s));
    if (!u->scheme)
        return ASYNCZ_ENOMEM;
    for (char *p = u->scheme; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.')
            return fail(u->text, "the scheme may hold only letters, digits, '+', '-' and '.'");
        *p = (char)tolower((unsigned char)*p);
    }
    *rest = sep + 3;
    return 0;
}

static int parse_port(az_url *u, const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return fail(u->text, "the port must be a number from 1 to 65535");
    int port = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return fail(u->text, "the port must be a number from 1 to 65535");
        port = port * 10 + (s[i] - '0');
    }
    if (port < 1 || port > 65535)
        return fail(u->text, "the port must be a number from 1 to 65535");
    u->port = port;
    return 0;
}

static int parse_userinfo(az_url *u, const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    size_t ulen = colon ? (size_t)(colon - s) : len;
    int rc = ulen ? decode_part(u, s, ulen, "user name", &u->user) : 0;
    if (!rc && colon)
        rc = decode_part(u, colon + 1, len - ulen - 1, "password", &u->password);
    return rc;
}

static int parse_hostport(az_url *u, const char *s, size_t len)
{
    const char *end = s + len;
    const char *port = NULL;
    size_t hlen = len;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return fail(u->text, "an IPv6 address must end with ']'");
        if (close + 1 < end && close[1] != ':')
            return fail(u->text, "unexpected text after the IPv6 address");
        port = close + 1 < end ? close + 2 : NULL;
        s++;
        hlen = (size_t)(close - s);
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon) {
            port = colon + 1;
            hlen = (size_t)(colon - s);
        }
    }
    int rc = port ? parse_port(u, port, (size_t)(end - port)) : 0;
    if (!rc && hlen)
        rc = decode_part(u, s, hlen, "host", &u->host);
    return rc;
}

static int parse_authority(az_url *u, const char *s, size_t len)
{
    const char *at = memrchr(s, '@', len);
    int rc = 0;
    if (at) {
        rc = parse_userinfo(u, s, (size_t)(at - s));
        len -= (size_t)(at + 1 - s);
        s = at + 1;
    }
    return rc ? rc : parse_hostport(u, s, len);
}

static int add_option(az_url *u, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    const char *eq = memchr(s, '=', len);
    size_t klen = eq ? (size_t)(eq - s) : len;
    if (klen == 0)
        return fail(u->text, "an option in the query has no name");
    az_url_option *grown = realloc(u->options, (u->n_options + 1) * sizeof *grown);
    if (!grown)
        return ASYNCZ_ENOMEM;
    u->options = grown;
    az_url_option *o = &u->options[u->n_options];
    *o = (az_url_option){0};
    int rc = decode_part(u, s, klen, "query", &o->key);
    if (!rc)
        rc = eq ? decode_part(u, eq + 1, len - klen - 1, "query", &o->value)
                : ((o->value = strdup("")) ? 0 : ASYNCZ_ENOMEM);
    u->n_options++; /* counted even half-filled, so that az_url_free frees it */
    for (size_t i = 0; !rc && i + 1 < u->n_options; i++)
        if (strcmp(u->options[i].key, o->key) == 0)
            rc = az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": option \"%s\" is given twice", u->text,
                               o->key);
    return rc;
}

static int parse_query(az_url *u, const char *q)
{
    while (*q) {
        size_t len = strcspn(q, "&");
        int rc = add_option(u, q, len);
        if (rc)
            return rc;
        q += len + (q[len] == '&');
    }
    return 0;
}

int az_url_parse(const char *text, az_url *out)
{
    *out = (az_url){0};
    if (!text)
        return az_store_fail(ASYNCZ_EINVAL, "no store URL");
    out->text = redact(text);
    if (!out->text)
        return ASYNCZ_ENOMEM;
    const char *rest = NULL;
    int rc = parse_scheme(out, text, &rest);
    if (!rc && strchr(rest, '#'))
        rc = fail(out->text, "a store URL has no '#fragment'");
    size_t auth_len = rest ? strcspn(rest, "/?") : 0;
    if (!rc)
        rc = parse_authority(out, rest, auth_len);
    const char *path = rest ? rest + auth_len : NULL;
    size_t path_len = path ? strcspn(path, "?") : 0;
    if (!rc)
        rc = decode_part(out, path, path_len, "path", &out->path);
    if (!rc && path[path_len] == '?')
        rc = parse_query(out, path + path_len + 1);
    if (rc)
        az_url_free(out);
    return rc;
}

void az_url_free(az_url *url)
{
    if (!url)
        return;
    for (size_t i = 0; i < url->n_options; i++) {
        free(url->options[i].key);
        free(url->options[i].value);
    }
    free(url->options);
    free(url->text);
    free(url->scheme);
    free(url->user);
    if (url->password)
        memset(url->password, 0, strlen(url->password));
    free(url->password);
    free(url->host);
    free(url->path);
    *url = (az_url){0};
}

const char *az_url_get(az_url *url, const char *key, const char *def)
{
    for (size_t i = 0; i < url->n_options; i++) {
        if (strcmp(url->options[i].key, key) == 0) {
            url->options[i].used = true;
            return url->options[i].value;
        }
    }
    return def;
}

int az_url_check_options(const az_url *url, const char *known)
{
    for (size_t i = 0; i < url->n_options; i++)
        if (!url->options[i].used)
            return az_store_fail(ASYNCZ_EINVAL, "store URL \"%s\": unknown option \"%s\" for %s (known: %s)",
                                 url->text, url->options[i].key, url->scheme, known);
    return 0;
}

int az_url_bool(const char *key, const char *value, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0)
            return (*out = true), 0;
        if (strcasecmp(value, no[i]) == 0)
            return (*out = false), 0;
    }
    return az_store_fail(ASYNCZ_EINVAL, "option %s: expected true or false, got \"%s\"", key, value);
}

int az_url_name(const char *key, const char *value, bool allow_punct)
{
    size_t len = strlen(value);
    bool ok = len >= 1 && len <= 63 && !isdigit((unsigned char)value[0]);
    for (size_t i = 0; ok && i < len; i++) {
        char c = value[i];
        ok = isalnum((unsigned char)c) || c == '_' || (allow_punct && (c == '.' || c == '-' || c == ':'));
    }
    if (ok)
        return 0;
    return az_store_fail(ASYNCZ_EINVAL,
                         "option %s: \"%s\" is not a valid name (1-63 of A-Z a-z 0-9 _%s, not "
                         "starting with a digit)",
                         key, value, allow_punct ? " . - :" : "");
}
