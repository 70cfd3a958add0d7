/* The config file's [http] section (docs/daemon.md, docs/http-api.md): read by the config reader, used by
 * the server. The daemon serves HTTP only when the section is there.
 */
#ifndef AZ_CLI_HTTP_SETTINGS_H
#define AZ_CLI_HTTP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AZ_HTTP_DEFAULT_HOST "127.0.0.1"
#define AZ_HTTP_DEFAULT_PORT 8080
#define AZ_HTTP_DEFAULT_MAX_CONNECTIONS 256
#define AZ_HTTP_DEFAULT_MAX_PER_CLIENT 64
#define AZ_HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define AZ_HTTP_DEFAULT_TIMEOUT_SEC 30
#define AZ_HTTP_DEFAULT_SESSION_IDLE_SEC (60 * 60)
#define AZ_HTTP_DEFAULT_SESSION_MAX_SEC (12 * 60 * 60)

/* A trusted proxy: an address and a prefix length (an IPv4 address is kept as ::ffff:a.b.c.d). */
typedef struct az_http_cidr {
    uint8_t addr[16];
    unsigned bits;
} az_http_cidr;

typedef struct az_http_settings {
    bool enabled;             /* the config has an [http] section */
    int line;                 /* of the section header */
    char *host;               /* "127.0.0.1", "::1", "0.0.0.0", "::" */
    unsigned port;            /* 0: any free port (tests; the daemon logs the one it got) */
    char *tls_cert, *tls_key; /* PEM files; both or neither */
    az_http_cidr *trusted_proxies;
    size_t n_trusted_proxies;
    char *base_path;          /* "" or "/asyncz" (no trailing slash) */
    unsigned max_connections; /* at once, in all */
    unsigned max_per_client;  /* at once, from one address */
    size_t max_body;          /* bytes of a request body */
    unsigned timeout_sec;     /* a connection idle this long is closed */
    char *users_file;         /* console users: NAME ROLE CRYPT-HASH per line; NULL: none */
    char *tokens_file;        /* API tokens: NAME ROLE sha256:HEX per line; NULL: none */
    bool allow_commands;      /* tasks with a shell command may be made and changed through the API (admin) */
    unsigned session_idle_sec; /* a console session unused this long ends */
    unsigned session_max_sec;  /* and every session ends this long after its login */
    char *port_file;           /* write the port actually bound here (for port 0); NULL: don't */
} az_http_settings;

/* Free what s owns (not s). */
void az_http_settings_free(az_http_settings *s);

#endif
