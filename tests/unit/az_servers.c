/* The store tests' view of tests/servers/servers.sh: its env file holds one KEY=VALUE line per URL. */
#define _GNU_SOURCE
#include "az_servers.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <cmocka.h>

#define HOW_TO_RUN                                                                                           \
    "run the test through ctest (cd build && ctest -R 'servers|test_store'), whose `servers` fixture "       \
    "starts the database servers, or start them by hand (tests/servers/servers.sh start DIR) and set "       \
    "ASYNCZ_TEST_SERVERS_ENV=DIR/env"

static const char *const server_names[] = {"redis", "postgresql", "mariadb", "mongodb"};
#define SERVER_COUNT (sizeof server_names / sizeof server_names[0])

static int server_index(const char *name)
{
    for (size_t i = 0; name && i < SERVER_COUNT; i++)
        if (strcmp(name, server_names[i]) == 0)
            return (int)i;
    return -1;
}

/* ASYNCZ_TEST_<NAME>_URL, with the name in upper case. */
static void url_key(const char *name, char *key, size_t n)
{
    size_t len = (size_t)snprintf(key, n, "ASYNCZ_TEST_%s_URL", name);
    for (size_t i = 0; i < len && i < n; i++)
        if (key[i] >= 'a' && key[i] <= 'z')
            key[i] = (char)(key[i] - 'a' + 'A');
}

static int copy_url(const char *value, const char *source, char *out, size_t n, char *why, size_t why_n)
{
    size_t len = strlen(value);
    if (len == 0 || len >= n) {
        snprintf(why, why_n, "the URL in %s is %s", source, len == 0 ? "empty" : "too long");
        return -1;
    }
    memcpy(out, value, len + 1);
    return 0;
}

/* The value of `key` in the env file, from a line KEY=VALUE (trailing newline or carriage return cut). */
static int value_in_file(FILE *f, const char *key, char **value)
{
    size_t key_len = strlen(key), cap = 0;
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (strncmp(line, key, key_len) == 0 && line[key_len] == '=') {
            *value = strdup(line + key_len + 1);
            free(line);
            return *value ? 0 : -1;
        }
    }
    free(line);
    return -1;
}

static int url_from_file(const char *path, const char *key, char *out, size_t n, char *why, size_t why_n)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(why, why_n,
                 "cannot read %s, named by ASYNCZ_TEST_SERVERS_ENV (%s): are the servers running? %s", path,
                 strerror(errno), HOW_TO_RUN);
        return -1;
    }
    char *value = NULL;
    int rc = value_in_file(f, key, &value);
    fclose(f);
    if (rc < 0) {
        snprintf(why, why_n, "%s has no %s line: %s", path, key, HOW_TO_RUN);
        return -1;
    }
    rc = copy_url(value, path, out, n, why, why_n);
    free(value);
    return rc;
}

int az_servers_lookup(const char *name, const char *env_file, char *out, size_t n, char *why, size_t why_n)
{
    if (server_index(name) < 0) {
        snprintf(why, why_n, "unknown server '%s' (redis, postgresql, mariadb or mongodb)", name ? name : "");
        return -1;
    }
    char key[64];
    url_key(name, key, sizeof key);
    const char *direct = getenv(key);
    if (direct && *direct)
        return copy_url(direct, key, out, n, why, why_n);
    if (!env_file || !*env_file) {
        snprintf(why, why_n, "neither %s nor ASYNCZ_TEST_SERVERS_ENV is set: %s", key, HOW_TO_RUN);
        return -1;
    }
    return url_from_file(env_file, key, out, n, why, why_n);
}

const char *az_servers_url(const char *name)
{
    /* Test programs only: each URL is looked up once and kept for the rest of the run, so the pointers
     * handed out stay valid and unchanged. */
    static char urls[SERVER_COUNT][1024];
    int i = server_index(name);
    if (i >= 0 && urls[i][0])
        return urls[i];
    char url[sizeof urls[0]], why[1024];
    if (az_servers_lookup(name, getenv("ASYNCZ_TEST_SERVERS_ENV"), url, sizeof url, why, sizeof why) < 0 ||
        i < 0)
        fail_msg("%s", why);
    memcpy(urls[i], url, sizeof url);
    return urls[i];
}
