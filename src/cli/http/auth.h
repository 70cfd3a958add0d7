/* Who may use the daemon's HTTP server: API tokens, console users and their sessions, CSRF tokens, login
 * throttling (docs/http-security.md).
 *
 * - API tokens (`Authorization: Bearer azt_...`) are listed in [http] tokens_file as `NAME ROLE sha256:HEX`:
 *   only the SHA-256 of each token is kept, and a presented token's hash is compared with every stored one in
 *   constant time.
 * - Console users are listed in [http] users_file as `NAME ROLE HASH` (a crypt(3) string: yescrypt, SHA-512,
 *   bcrypt, scrypt). A login makes a session held in memory (bounded; the oldest go first); the browser holds
 *   its secret in the cookie `asyncz_session` (only the secret's SHA-256 is kept here) and sends the
 * session's CSRF token in the header X-CSRF-Token with every state-changing request.
 * - Failed logins are counted per client address and per user name: too many and logins are refused for a
 *   growing while (429).
 *
 * az_auth is shared by every connection thread: all its functions may be called from any thread, many at
 * once (but az_auth_free, and az_auth_set_clock, which tests call before anything else).
 */
#ifndef AZ_CLI_HTTP_AUTH_H
#define AZ_CLI_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "settings.h"

/* The session cookie's name. */
#define AZ_AUTH_COOKIE "asyncz_session"
/* The header that carries a session's CSRF token. */
#define AZ_AUTH_CSRF_HEADER "X-CSRF-Token"
/* An API token: this prefix and AZ_AUTH_SECRET_LEN base64url characters (32 random bytes). */
#define AZ_AUTH_TOKEN_PREFIX "azt_"
/* 32 random bytes in base64url without padding: a token's secret, a session cookie, a CSRF token. */
#define AZ_AUTH_SECRET_LEN 43
/* The longest name of a user or a token (principal.name holds it). */
#define AZ_AUTH_NAME_MAX 127
/* At most this many sessions live at once: a login beyond it ends the oldest. */
#define AZ_AUTH_MAX_SESSIONS 10000

/* ---- the object the server uses -------------------------------------------------------------------------
 */

/* Make the authenticator of settings (borrowed; the file names are read now, not kept): read
 * settings->users_file and settings->tokens_file (either may be NULL: no users, no tokens). Returns 0 with a
 * new object in *out, or -1 with the reason in why: "FILE:LINE: what is wrong" for a bad line, a file that
 * cannot be read, or one writable by group or others (with the chmod that fixes it). Main thread. */
int az_auth_new(az_auth **out, const az_http_settings *settings, char *why, size_t why_size);

/* Read the files of settings (borrowed) again (SIGHUP) and take the new session lifetimes. On failure (-1,
 * why as az_auth_new) the old users and tokens stay. Sessions of users that are gone, whose role changed or
 * whose password hash changed end. Any thread; requests in flight see the old or the new files. */
int az_auth_reload(az_auth *a, const az_http_settings *settings, char *why, size_t why_size);

/* Free a and its sessions. NULL-safe. No other call may be running. */
void az_auth_free(az_auth *a);

/* Who makes req (borrowed): `Authorization: Bearer TOKEN`, else the cookie asyncz_session (an Authorization
 * header of another scheme is ignored: it may be a reverse proxy's Basic authentication). Returns 0 with
 * *out set (anonymous when there are no credentials: role AZ_HTTP_ROLE_NONE, via AZ_HTTP_VIA_NONE), or -1
 * when credentials were given and are wrong or expired, with a message for the 401 in why ("the session
 * expired: log in again", "unknown API token"). A session used is kept alive (its idle time starts again).
 * Any thread. */
int az_auth_authenticate(az_auth *a, const az_http_request *req, az_http_principal *out, char *why,
                         size_t why_size);

/* Whether req (borrowed), authenticated by a session (req->principal), carries that session's CSRF token in
 * X-CSRF-Token (compared in constant time). False when the header is missing or wrong, or req has no live
 * session. Any thread. */
bool az_auth_csrf_valid(az_auth *a, const az_http_request *req);

/* GET, POST and DELETE /api/v1/session (api_session.c): see who is logged in, log in, log out. */
extern const az_http_route az_http_session_routes[];

/* ---- logging in and out (api_session.c uses these) -------------------------------------------------------
 */

/* What a session is, as GET /api/v1/session shows it. */
typedef struct az_auth_session_info {
    char id[24];                             /* the session's id: for logs; not its secret */
    char user[AZ_AUTH_NAME_MAX + 1];         /* who logged in */
    az_http_role role;                       /* with which role */
    char csrf_token[AZ_AUTH_SECRET_LEN + 1]; /* what X-CSRF-Token must say */
    int64_t expires;                         /* when it ends unless used again (seconds since the epoch) */
} az_auth_session_info;

typedef enum az_auth_login_status {
    AZ_AUTH_LOGIN_OK,        /* *info and cookie are set */
    AZ_AUTH_LOGIN_FAILED,    /* unknown user or wrong password (which is not said): 401 */
    AZ_AUTH_LOGIN_THROTTLED, /* too many failures from that address or for that name: 429, *retry_after */
    AZ_AUTH_LOGIN_NO_USERS,  /* the daemon has no users_file: nobody can log in */
    AZ_AUTH_LOGIN_ERROR,     /* out of memory or no randomness: 500 */
} az_auth_login_status;

/* Check user's password (both borrowed) for a login from address client (borrowed; may be NULL) and, when it
 * matches, start a session: its secret goes into cookie (the Set-Cookie value, AZ_AUTH_SECRET_LEN + 1
 * bytes), what it is into *info. An unknown user takes as long as a wrong password. Failures are counted
 * per client and per user name; a success clears the name's count. *retry_after receives the seconds to
 * wait when the answer is AZ_AUTH_LOGIN_THROTTLED. Any thread (at most a few password checks run at once;
 * the others wait). */
az_auth_login_status az_auth_login(az_auth *a, const char *client, const char *user, const char *password,
                                   az_auth_session_info *info, char *cookie, unsigned *retry_after);

/* The live session of req's cookie (borrowed), without touching it. Returns 0 with *info set, or -1 when
 * there is none (no cookie, unknown, expired). Any thread. */
int az_auth_session_get(az_auth *a, const az_http_request *req, az_auth_session_info *info);

/* End the session of req's cookie, if any. Returns whether one ended. Any thread. */
bool az_auth_logout(az_auth *a, const az_http_request *req);

/* What a's clock says now, in seconds since the epoch. */
int64_t az_auth_now(az_auth *a);

/* A clock for tests: fn(ctx) says the time in seconds since the epoch (NULL: the system clock). Call before
 * any other thread uses a. */
typedef int64_t (*az_auth_clock_fn)(void *ctx);
void az_auth_set_clock(az_auth *a, az_auth_clock_fn fn, void *ctx);

/* ---- secrets and file lines (the tool's `asyncz auth` uses these too) ------------------------------------
 */

/* Whether name may name a user or a token: 1 to AZ_AUTH_NAME_MAX of A-Z a-z 0-9 . _ @ - */
bool az_auth_name_valid(const char *name);

/* Make a new API token: "azt_" and 43 base64url characters (AZ_AUTH_TOKEN_PREFIX + AZ_AUTH_SECRET_LEN + 1
 * bytes in token), and the sha256:HEX of it for the tokens file (72 bytes in hash). Returns 0, or -1 when
 * the system has no randomness to give. Any thread. */
int az_auth_token_make(char *token, char *hash);

/* Hash password (borrowed) with yescrypt for the users file: the crypt(3) string into out (size bytes; 128
 * are enough). Returns 0, or -1 with the reason in why. Any thread. */
int az_auth_password_hash(const char *password, char *out, size_t size, char *why, size_t why_size);

/* Check that a tokens file (kind "tokens") or users file (kind "users") at path could take one more line
 * for name: -1 with "FILE:LINE: ..." in why when it does not load (a bad line, group or others may write
 * it) or already has name; 0 when it can (a missing file can: *exists is then false). */
int az_auth_file_check_new(const char *path, const char *kind, const char *name, bool *exists, char *why,
                           size_t why_size);

/* ---- the operators' command `asyncz auth` (cmd_auth.c) ------------------------------------------------ */

extern const char az_cli_auth_help[];
/* `asyncz auth token NAME --role ROLE [--file FILE]`, `asyncz auth user NAME --role ROLE [--file FILE]`.
 * argv[0] is "auth". Returns the exit status. */
int az_cli_auth(int argc, char **argv);

#endif
