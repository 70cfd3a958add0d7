/* Reading the users and tokens files: one entry per line, fields split at spaces and tabs, '#' comments and
 * blank lines skipped, every error "FILE:LINE: what is wrong". A file that group or others may write is
 * refused: whoever can write it can make themselves admin. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth_internal.h"

/* The longest line taken (a yescrypt hash is about 75 bytes; bcrypt 60; SHA-512 with rounds= 120). */
#define MAX_LINE 1024

int az_auth_role_field(const char *text, az_http_role *out, char *why, size_t why_size)
{
    if (az_http_role_parse(text, out) == 0)
        return 0;
    char shown[80];
    az_auth_log_safe(text, shown, sizeof shown);
    snprintf(why, why_size, "role '%s': not one of viewer, operator, admin", shown);
    return -1;
}

/* Refuse what is not a regular file, or what group or others may write. */
static int check_mode(const char *path, int fd, char *why, size_t why_size)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, why_size,
                 "%s: group or others may write it (mode %04o), so they could give themselves any role: "
                 "run 'chmod go-w %s'",
                 path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return 0;
}

/* Split line (changed in place) into fields; returns how many (AZ_AUTH_MAX_FIELDS + 1: more). */
static size_t split_fields(char *line, char **fields)
{
    size_t n = 0;
    char *save = NULL;
    for (char *f = strtok_r(line, " \t", &save); f; f = strtok_r(NULL, " \t", &save)) {
        if (f[0] == '#')
            break;
        if (n == AZ_AUTH_MAX_FIELDS)
            return n + 1;
        fields[n++] = f;
    }
    return n;
}

/* One line (without its newline): skip it, or hand its fields to fn. */
static int read_line(char *text, size_t len, const char *path, int line, az_auth_line_fn fn, void *ctx,
                     char *why, size_t why_size)
{
    char reason[512] = "";
    if (len > 0 && text[len - 1] == '\r')
        text[--len] = '\0';
    if (strlen(text) != len)
        snprintf(reason, sizeof reason, "a NUL byte in the line");
    char *fields[AZ_AUTH_MAX_FIELDS];
    size_t n = reason[0] ? 0 : split_fields(text, fields);
    if (!reason[0] && n == 0)
        return 0; /* blank or a comment */
    if (!reason[0] && fn(ctx, line, fields, n, reason, sizeof reason) == 0)
        return 0;
    snprintf(why, why_size, "%s:%d: %s", path, line, reason);
    return -1;
}

static int read_lines(FILE *f, const char *path, az_auth_line_fn fn, void *ctx, char *why, size_t why_size)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0, rc = 0;
    errno = 0;
    while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
        line++;
        if (len > 0 && buf[len - 1] == '\n')
            buf[--len] = '\0';
        if ((size_t)len > MAX_LINE) {
            snprintf(why, why_size, "%s:%d: the line is longer than %d bytes", path, line, MAX_LINE);
            rc = -1;
        } else {
            rc = read_line(buf, (size_t)len, path, line, fn, ctx, why, why_size);
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (buf)
        explicit_bzero(buf, cap);
    free(buf);
    return rc;
}

int az_auth_file_read(const char *path, bool missing_ok, az_auth_line_fn fn, void *ctx, char *why,
                      size_t why_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT && missing_ok)
            return 1;
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (check_mode(path, fd, why, why_size) != 0) {
        close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    int rc = read_lines(f, path, fn, ctx, why, why_size);
    fclose(f);
    return rc;
}

int az_auth_file_check_new(const char *path, const char *kind, const char *name, bool *exists, char *why,
                           size_t why_size)
{
    *exists = false;
    bool tokens = strcmp(kind, "tokens") == 0;
    az_auth_tokens t = {0};
    az_auth_users u = {0};
    int rc = tokens ? az_auth_tokens_load(path, true, &t, why, why_size)
                    : az_auth_users_load(path, true, &u, why, why_size);
    if (rc == 0) {
        *exists = access(path, F_OK) == 0;
        int line = 0;
        const az_auth_token *tok = tokens ? az_auth_tokens_named(&t, name) : NULL;
        const az_auth_user *user = tokens ? NULL : az_auth_users_find(&u, name);
        line = tok ? tok->line : user ? user->line : 0;
        if (line) {
            snprintf(why, why_size, "%s:%d: %s '%s' is there already: remove its line first to replace it",
                     path, line, tokens ? "token" : "user", name);
            rc = -1;
        }
    }
    az_auth_tokens_free(&t);
    az_auth_users_free(&u);
    return rc;
}
