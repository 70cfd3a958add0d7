/* The authenticator (auth.h): the users and tokens read from their files, the sessions, the failed-login
 * counters, and what the server asks of them: who makes a request, whether its CSRF token is right, logging
 * in and out. The files' contents are swapped whole on reload under a read-write lock, so that requests
 * (readers) never wait for each other. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth_internal.h"

/* Password checks (yescrypt: tens of milliseconds and 16 MiB each) run at most this many at once; more
 * logins wait their turn rather than exhaust the machine. */
#define MAX_CHECKING 4
/* A longer password is refused without hashing it (SHA-crypt's time grows with the length). */
#define MAX_PASSWORD 1024

struct az_auth {
    pthread_rwlock_t lock; /* tokens and users */
    az_auth_tokens tokens;
    az_auth_users users;
    az_auth_sessions *sessions;
    az_auth_throttle *by_client, *by_name;
    az_auth_clock_fn clock;
    void *clock_ctx;
    pthread_mutex_t gate;
    pthread_cond_t gate_free;
    unsigned checking;
};

/* ---- the object ------------------------------------------------------------------------------------------
 */

static int load_files(const az_http_settings *settings, az_auth_tokens *tokens, az_auth_users *users,
                      char *why, size_t why_size)
{
    *tokens = (az_auth_tokens){0};
    *users = (az_auth_users){0};
    if (settings->tokens_file &&
        az_auth_tokens_load(settings->tokens_file, false, tokens, why, why_size) != 0)
        return -1;
    if (settings->users_file && az_auth_users_load(settings->users_file, false, users, why, why_size) != 0)
        return -1;
    return 0;
}

static void set_lifetimes(az_auth *a, const az_http_settings *settings)
{
    int64_t idle = settings->session_idle_sec ? settings->session_idle_sec : AZ_HTTP_DEFAULT_SESSION_IDLE_SEC;
    int64_t max = settings->session_max_sec ? settings->session_max_sec : AZ_HTTP_DEFAULT_SESSION_MAX_SEC;
    az_auth_sessions_set_lifetimes(a->sessions, idle, max);
}

int az_auth_new(az_auth **out, const az_http_settings *settings, char *why, size_t why_size)
{
    *out = NULL;
    az_auth *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    pthread_rwlock_init(&a->lock, NULL);
    pthread_mutex_init(&a->gate, NULL);
    pthread_cond_init(&a->gate_free, NULL);
    a->sessions = az_auth_sessions_new(AZ_AUTH_MAX_SESSIONS);
    a->by_client = az_auth_throttle_new(AZ_AUTH_THROTTLE_KEYS);
    a->by_name = az_auth_throttle_new(AZ_AUTH_THROTTLE_KEYS);
    if (!a->sessions || !a->by_client || !a->by_name) {
        snprintf(why, why_size, "out of memory");
        az_auth_free(a);
        return -1;
    }
    if (load_files(settings, &a->tokens, &a->users, why, why_size) != 0) {
        az_auth_free(a);
        return -1;
    }
    set_lifetimes(a, settings);
    *out = a;
    return 0;
}

void az_auth_free(az_auth *a)
{
    if (!a)
        return;
    az_auth_tokens_free(&a->tokens);
    az_auth_users_free(&a->users);
    az_auth_sessions_free(a->sessions);
    az_auth_throttle_free(a->by_client);
    az_auth_throttle_free(a->by_name);
    pthread_rwlock_destroy(&a->lock);
    pthread_mutex_destroy(&a->gate);
    pthread_cond_destroy(&a->gate_free);
    free(a);
}

/* A session stays after a reload when its user is still there with the same role and password hash. */
static bool session_still_good(void *ctx, const az_auth_session_view *v)
{
    const az_auth_users *users = ctx;
    const az_auth_user *u = az_auth_users_find(users, v->info.user);
    if (!u || u->role != v->info.role)
        return false;
    uint8_t fp[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(u->hash, strlen(u->hash), fp);
    return memcmp(fp, v->pw_fingerprint, sizeof fp) == 0;
}

int az_auth_reload(az_auth *a, const az_http_settings *settings, char *why, size_t why_size)
{
    az_auth_tokens tokens;
    az_auth_users users;
    if (load_files(settings, &tokens, &users, why, why_size) != 0) {
        az_auth_tokens_free(&tokens);
        az_auth_users_free(&users);
        return -1;
    }
    pthread_rwlock_wrlock(&a->lock);
    az_auth_tokens old_tokens = a->tokens;
    az_auth_users old_users = a->users;
    a->tokens = tokens;
    a->users = users;
    set_lifetimes(a, settings);
    az_auth_sessions_filter(a->sessions, session_still_good, &a->users);
    pthread_rwlock_unlock(&a->lock);
    az_auth_tokens_free(&old_tokens);
    az_auth_users_free(&old_users);
    return 0;
}

int64_t az_auth_now(az_auth *a)
{
    return a->clock ? a->clock(a->clock_ctx) : (int64_t)time(NULL);
}

void az_auth_set_clock(az_auth *a, az_auth_clock_fn fn, void *ctx)
{
    a->clock = fn;
    a->clock_ctx = ctx;
}

/* ---- who makes a request ---------------------------------------------------------------------------------
 */

/* The principal of a Bearer token (authorization: the header's value, "Bearer ..."). */
static int by_token(az_auth *a, const char *authorization, az_http_principal *out, char *why, size_t why_size)
{
    const char *p = authorization + 6; /* after "Bearer" */
    while (*p == ' ' || *p == '\t')
        p++;
    char token[sizeof AZ_AUTH_TOKEN_PREFIX + AZ_AUTH_SECRET_LEN];
    size_t len = strcspn(p, " \t");
    bool ok = len == sizeof token - 1 && p[len + strspn(p + len, " \t")] == '\0' &&
              strncmp(p, AZ_AUTH_TOKEN_PREFIX, strlen(AZ_AUTH_TOKEN_PREFIX)) == 0;
    if (ok) {
        memcpy(token, p, len);
        token[len] = '\0';
        ok = az_auth_secret_well_formed(token + strlen(AZ_AUTH_TOKEN_PREFIX));
    }
    if (!ok) {
        snprintf(why, why_size,
                 "malformed API token: a token is 'azt_' and 43 characters ('asyncz auth token' "
                 "makes them)");
        return -1;
    }
    uint8_t hash[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(token, len, hash);
    explicit_bzero(token, sizeof token);
    pthread_rwlock_rdlock(&a->lock);
    const az_auth_token *t = az_auth_tokens_match(&a->tokens, hash);
    if (t) {
        snprintf(out->name, sizeof out->name, "%s", t->name);
        out->role = t->role;
        out->via = AZ_HTTP_VIA_TOKEN;
    }
    pthread_rwlock_unlock(&a->lock);
    if (!t) {
        snprintf(why, why_size, "unknown API token");
        return -1;
    }
    return 0;
}

/* The first live session among req's asyncz_session cookies (a browser may send several, with different
 * paths). Returns how many such cookies there were. */
static size_t find_session(az_auth *a, const az_http_request *req, bool touch, az_auth_session_view *view,
                           bool *found)
{
    size_t n = 0;
    int64_t now = az_auth_now(a);
    *found = false;
    for (size_t i = 0; i < req->n_cookies && !*found; i++) {
        if (strcmp(req->cookies[i].name, AZ_AUTH_COOKIE) != 0)
            continue;
        n++;
        if (az_auth_sessions_find(a->sessions, req->cookies[i].value, now, touch, view) ==
            AZ_AUTH_SESSION_FOUND)
            *found = true;
    }
    return n;
}

/* Whether req has an Authorization header of the scheme Bearer (*value: the header). Other schemes are not
 * this server's (a reverse proxy's Basic authentication passes its header on): they are ignored. */
static bool bearer_given(const az_http_request *req, const char **value)
{
    const char *h = az_http_header(req, "Authorization");
    while (h && (*h == ' ' || *h == '\t'))
        h++;
    *value = h;
    return h && strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\t' || h[6] == '\0');
}

int az_auth_authenticate(az_auth *a, const az_http_request *req, az_http_principal *out, char *why,
                         size_t why_size)
{
    const char *authorization;
    *out = (az_http_principal){.role = AZ_HTTP_ROLE_NONE, .via = AZ_HTTP_VIA_NONE};
    if (bearer_given(req, &authorization)) {
        if (by_token(a, authorization, out, why, why_size) == 0)
            return 0;
        *out = (az_http_principal){.role = AZ_HTTP_ROLE_NONE, .via = AZ_HTTP_VIA_NONE};
        return -1;
    }
    az_auth_session_view v;
    bool found;
    if (find_session(a, req, true, &v, &found) == 0)
        return 0; /* anonymous */
    if (!found) {
        snprintf(why, why_size, "the session expired: log in again");
        return -1;
    }
    snprintf(out->name, sizeof out->name, "%s", v.info.user);
    out->role = v.info.role;
    out->via = AZ_HTTP_VIA_SESSION;
    snprintf(out->session_id, sizeof out->session_id, "%s", v.info.id);
    return 0;
}

bool az_auth_csrf_valid(az_auth *a, const az_http_request *req)
{
    const char *given = az_http_header(req, AZ_AUTH_CSRF_HEADER);
    if (!given)
        return false;
    int64_t now = az_auth_now(a);
    for (size_t i = 0; i < req->n_cookies; i++) {
        az_auth_session_view v;
        if (strcmp(req->cookies[i].name, AZ_AUTH_COOKIE) != 0 ||
            az_auth_sessions_find(a->sessions, req->cookies[i].value, now, false, &v) !=
                AZ_AUTH_SESSION_FOUND)
            continue;
        /* the session the request was authenticated by, when the server says which */
        if (req->principal.session_id[0] && strcmp(req->principal.session_id, v.info.id) != 0)
            continue;
        return az_auth_equal(given, v.info.csrf_token);
    }
    return false;
}

/* ---- logging in and out ----------------------------------------------------------------------------------
 */

static void gate_enter(az_auth *a)
{
    pthread_mutex_lock(&a->gate);
    while (a->checking >= MAX_CHECKING)
        pthread_cond_wait(&a->gate_free, &a->gate);
    a->checking++;
    pthread_mutex_unlock(&a->gate);
}

static void gate_leave(az_auth *a)
{
    pthread_mutex_lock(&a->gate);
    a->checking--;
    pthread_cond_signal(&a->gate_free);
    pthread_mutex_unlock(&a->gate);
}

/* The hash an unknown user's password is checked against, so that an unknown name takes as long as a wrong
 * password: a yescrypt user's hash if there is one (the slowest kind), else the first user's. Under lock. */
static const char *decoy_hash(const az_auth_users *users)
{
    for (size_t i = 0; i < users->n; i++)
        if (strncmp(users->items[i].hash, "$y$", 3) == 0)
            return users->items[i].hash;
    return users->items[0].hash;
}

/* Check the password against user's hash (or the decoy's, for an unknown user) outside the lock. Returns
 * whether it matches, with the hash checked (new) in *hash and the user's role in *role. */
static bool check_password(az_auth *a, const char *user, const char *password, char **hash,
                           az_http_role *role, bool *no_users)
{
    pthread_rwlock_rdlock(&a->lock);
    *no_users = a->users.n == 0;
    const az_auth_user *u = *no_users ? NULL : az_auth_users_find(&a->users, user);
    *hash = *no_users ? NULL : strdup(u ? u->hash : decoy_hash(&a->users));
    *role = u ? u->role : AZ_HTTP_ROLE_NONE;
    bool known = u != NULL;
    pthread_rwlock_unlock(&a->lock);
    return *hash && az_auth_password_matches(password, *hash) && known;
}

/* Start the session of a login whose password matched hash, unless the files changed meanwhile. */
static int start_session(az_auth *a, const char *user, const char *hash, az_http_role role,
                         az_auth_session_info *info, char *cookie)
{
    uint8_t fp[AZ_AUTH_SHA256_LEN];
    az_auth_sha256(hash, strlen(hash), fp);
    pthread_rwlock_rdlock(&a->lock);
    const az_auth_user *u = az_auth_users_find(&a->users, user);
    int rc = 1;
    az_auth_session_view v;
    if (u && u->role == role && strcmp(u->hash, hash) == 0)
        rc = az_auth_sessions_start(a->sessions, user, role, fp, az_auth_now(a), cookie, &v);
    pthread_rwlock_unlock(&a->lock);
    if (rc == 0)
        *info = v.info;
    return rc;
}

/* How long the client or the name must still wait before trying again (0: not at all). */
static int64_t throttled_for(az_auth *a, const char *client_key, const char *user)
{
    int64_t now = az_auth_now(a);
    int64_t wait_client = az_auth_throttle_wait(a->by_client, client_key, now);
    int64_t wait_name = az_auth_throttle_wait(a->by_name, user, now);
    return wait_client > wait_name ? wait_client : wait_name;
}

/* A login, with a place at the gate: the throttle is asked again there, so that of a burst of tries for one
 * name or from one client no more than MAX_CHECKING are checked beyond the limit. */
static az_auth_login_status login_at_gate(az_auth *a, const char *client_key, const char *user,
                                          const char *password, az_auth_session_info *info, char *cookie,
                                          unsigned *retry_after)
{
    int64_t wait = throttled_for(a, client_key, user);
    if (wait > 0) {
        *retry_after = (unsigned)wait;
        return AZ_AUTH_LOGIN_THROTTLED;
    }
    /* An empty password never logs in, nor a longer one than MAX_PASSWORD: both are checked all the same (an
     * empty one in place of the long one), so that the answer takes the usual time. */
    bool refused = password[0] == '\0' || strlen(password) > MAX_PASSWORD;
    char *hash = NULL;
    az_http_role role;
    bool no_users;
    bool match = check_password(a, user, refused ? "" : password, &hash, &role, &no_users) && !refused;
    if (no_users)
        return AZ_AUTH_LOGIN_NO_USERS;
    if (!hash)
        return AZ_AUTH_LOGIN_ERROR;
    int rc = match ? start_session(a, user, hash, role, info, cookie) : 1;
    explicit_bzero(hash, strlen(hash));
    free(hash);
    if (rc < 0)
        return AZ_AUTH_LOGIN_ERROR;
    int64_t now = az_auth_now(a);
    if (rc > 0) {
        az_auth_throttle_fail(a->by_client, client_key, now);
        az_auth_throttle_fail(a->by_name, user, now);
        return AZ_AUTH_LOGIN_FAILED;
    }
    az_auth_throttle_clear(a->by_name, user);
    return AZ_AUTH_LOGIN_OK;
}

az_auth_login_status az_auth_login(az_auth *a, const char *client, const char *user, const char *password,
                                   az_auth_session_info *info, char *cookie, unsigned *retry_after)
{
    char client_key[80];
    az_auth_client_key(client, client_key, sizeof client_key);
    int64_t wait = throttled_for(a, client_key, user); /* a blocked client does not queue at the gate */
    if (wait > 0) {
        *retry_after = (unsigned)wait;
        return AZ_AUTH_LOGIN_THROTTLED;
    }
    gate_enter(a);
    az_auth_login_status st = login_at_gate(a, client_key, user, password, info, cookie, retry_after);
    gate_leave(a);
    return st;
}

int az_auth_session_get(az_auth *a, const az_http_request *req, az_auth_session_info *info)
{
    az_auth_session_view v;
    bool found;
    find_session(a, req, false, &v, &found);
    if (!found)
        return -1;
    *info = v.info;
    return 0;
}

bool az_auth_logout(az_auth *a, const az_http_request *req)
{
    bool ended = false;
    for (size_t i = 0; i < req->n_cookies; i++)
        if (strcmp(req->cookies[i].name, AZ_AUTH_COOKIE) == 0 &&
            az_auth_sessions_end(a->sessions, req->cookies[i].value))
            ended = true;
    return ended;
}
