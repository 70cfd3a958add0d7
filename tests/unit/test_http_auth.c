/* The HTTP server's authentication (src/cli/http/auth*.c, api_session.c): the tokens and users files and
 * their refusals, passwords (yescrypt, SHA-512, unknown users, weak hashes), sessions and their expiry on an
 * injected clock, CSRF tokens, login throttling, logout, reload, and the /api/v1/session handlers called with
 * hand-built requests. */
#define _GNU_SOURCE
#include <crypt.h>
#include <fcntl.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "az_test.h"
#include "http/auth_internal.h"

#define T0 1800000000 /* the injected clock's start (2027-01-15) */

typedef struct fx {
    char dir[64], users[128], tokens[128];
    az_http_settings settings;
    az_auth *auth;
    int64_t now;
    az_http_app app;
} fx;

static int64_t fake_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/az_auth_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->users, sizeof f->users, "%s/users", f->dir);
    snprintf(f->tokens, sizeof f->tokens, "%s/tokens", f->dir);
    f->settings.session_idle_sec = 600;
    f->settings.session_max_sec = 3600;
    f->now = T0;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    az_auth_free(f->auth);
    unlink(f->users);
    unlink(f->tokens);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Make f->auth from f->settings (which must load) on the injected clock. */
static void start(fx *f)
{
    char why[512] = "";
    int rc = az_auth_new(&f->auth, &f->settings, why, sizeof why);
    if (rc != 0)
        fail_msg("az_auth_new: %s", why);
    az_auth_set_clock(f->auth, fake_clock, &f->now);
    f->app.auth = f->auth;
}

/* A crypt(3) hash of password: "$y$" (yescrypt, as the tool makes it) or "$6$" (SHA-512, 1000 rounds). */
static void hash_of(const char *kind, const char *password, char *out, size_t size)
{
    char why[256];
    if (strcmp(kind, "$y$") == 0) {
        assert_int_equal(az_auth_password_hash(password, out, size, why, sizeof why), 0);
        return;
    }
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    assert_non_null(crypt_gensalt_rn(kind, 1000, NULL, 0, setting, sizeof setting));
    struct crypt_data *data = calloc(1, sizeof *data);
    assert_non_null(data);
    const char *h = crypt_rn(password, setting, data, sizeof *data);
    assert_non_null(h);
    snprintf(out, size, "%s", h);
    free(data);
}

/* Users alice (admin, yescrypt, "correct horse") and bob (viewer, SHA-512, "battery staple"). */
static void write_users(fx *f)
{
    char a[256], b[256], text[1024];
    hash_of("$y$", "correct horse", a, sizeof a);
    hash_of("$6$", "battery staple", b, sizeof b);
    snprintf(text, sizeof text, "# console users\nalice admin %s\n\nbob viewer %s\n", a, b);
    write_file(f->users, text, 0600);
    f->settings.users_file = f->users;
}

static az_http_request request(const char *method, const az_http_pair *headers, size_t n_headers,
                               const az_http_pair *cookies, size_t n_cookies)
{
    return (az_http_request){.method = method,
                             .path = "/api/v1/session",
                             .headers = headers,
                             .n_headers = n_headers,
                             .cookies = cookies,
                             .n_cookies = n_cookies,
                             .client = "192.0.2.7",
                             .prefix = ""};
}

static az_auth_login_status login(fx *f, const char *client, const char *user, const char *password,
                                  char *cookie, az_auth_session_info *info, unsigned *retry)
{
    az_auth_session_info scratch;
    char scratch_cookie[AZ_AUTH_SECRET_LEN + 1];
    unsigned scratch_retry;
    return az_auth_login(f->auth, client, user, password, info ? info : &scratch,
                         cookie ? cookie : scratch_cookie, retry ? retry : &scratch_retry);
}

/* Authenticate a request that carries cookie; returns az_auth_authenticate's answer. */
static int by_cookie(fx *f, const char *cookie, az_http_principal *p, char *why, size_t why_size)
{
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_request req = request("GET", NULL, 0, cookies, 1);
    return az_auth_authenticate(f->auth, &req, p, why, why_size);
}

static const char *header_of(const az_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

static json_t *body_of(const az_http_response *resp)
{
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    assert_non_null(doc);
    return doc;
}

static const char *error_code(json_t *doc)
{
    return json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

/* ---- tokens
 * ------------------------------------------------------------------------------------------------
 */

static int with_bearer(fx *f, const char *value, az_http_principal *p, char *why, size_t why_size)
{
    az_http_pair headers[] = {{"authorization", value}};
    az_http_request req = request("GET", headers, 1, NULL, 0);
    return az_auth_authenticate(f->auth, &req, p, why, why_size);
}

static void test_tokens_good_and_wrong(void **state)
{
    fx *f = *state;
    char ci[64], ci_hash[80], ro[64], ro_hash[80], stranger[64], stranger_hash[80], text[512];
    assert_int_equal(az_auth_token_make(ci, ci_hash), 0);
    assert_int_equal(az_auth_token_make(ro, ro_hash), 0);
    assert_int_equal(az_auth_token_make(stranger, stranger_hash), 0);
    assert_int_equal(strlen(ci), 4 + 43);
    assert_true(strncmp(ci, "azt_", 4) == 0);
    assert_string_not_equal(ci, ro);
    snprintf(text, sizeof text, "# API tokens\nci operator %s\n  \nro\tviewer\t%s   # the dashboard\n",
             ci_hash, ro_hash);
    write_file(f->tokens, text, 0600);
    f->settings.tokens_file = f->tokens;
    start(f);

    char bearer[192], why[256] = "";
    az_http_principal p;
    snprintf(bearer, sizeof bearer, "Bearer %s", ci);
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), 0);
    assert_string_equal(p.name, "ci");
    assert_int_equal(p.role, AZ_HTTP_ROLE_OPERATOR);
    assert_int_equal(p.via, AZ_HTTP_VIA_TOKEN);
    assert_string_equal(p.session_id, "");
    snprintf(bearer, sizeof bearer, "bearer  %s ", ro); /* the scheme's case and spaces do not matter */
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), 0);
    assert_string_equal(p.name, "ro");
    assert_int_equal(p.role, AZ_HTTP_ROLE_VIEWER);

    snprintf(bearer, sizeof bearer, "Bearer %s", stranger);
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), -1);
    assert_string_equal(why, "unknown API token");
    assert_int_equal(p.role, AZ_HTTP_ROLE_NONE);
    assert_int_equal(p.via, AZ_HTTP_VIA_NONE);
    ci[10] = ci[10] == 'A' ? 'B' : 'A'; /* one character off */
    snprintf(bearer, sizeof bearer, "Bearer %s", ci);
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), -1);
    assert_string_equal(why, "unknown API token");
    assert_int_equal(with_bearer(f, "Bearer azt_short", &p, why, sizeof why), -1);
    assert_contains(why, "malformed API token");
    snprintf(bearer, sizeof bearer, "Bearer %s", ci_hash); /* the hash is no token */
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), -1);
    assert_int_equal(with_bearer(f, "Bearer", &p, why, sizeof why), -1);
    assert_contains(why, "malformed API token");
    snprintf(bearer, sizeof bearer, "Bearer %s %s", ro, ro); /* one token only */
    assert_int_equal(with_bearer(f, bearer, &p, why, sizeof why), -1);
    /* another scheme is a proxy's business, not this server's: anonymous */
    assert_int_equal(with_bearer(f, "Basic YWxpY2U6c2VjcmV0", &p, why, sizeof why), 0);
    assert_int_equal(p.role, AZ_HTTP_ROLE_NONE);
    assert_int_equal(p.via, AZ_HTTP_VIA_NONE);

    az_http_request anonymous = request("GET", NULL, 0, NULL, 0);
    assert_int_equal(az_auth_authenticate(f->auth, &anonymous, &p, why, sizeof why), 0);
    assert_int_equal(p.role, AZ_HTTP_ROLE_NONE);
    assert_int_equal(p.via, AZ_HTTP_VIA_NONE);
    assert_string_equal(p.name, "");
}

/* The tokens file at f->tokens with text must fail to load with FILE:LINE: and part in the message. */
static void assert_tokens_refused(fx *f, const char *text, int line, const char *part)
{
    write_file(f->tokens, text, 0600);
    f->settings.tokens_file = f->tokens;
    char why[512] = "", where[192];
    az_auth *a = NULL;
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_null(a);
    snprintf(where, sizeof where, "%s:%d: ", f->tokens, line);
    if (strncmp(why, where, strlen(where)) != 0)
        fail_msg("'%s' does not start with '%s'", why, where);
    assert_contains(why, part);
}

static void test_tokens_file_errors(void **state)
{
    fx *f = *state;
    const char *h = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF";
    char text[512];
    assert_tokens_refused(f, "ci operator\n", 1, "2 fields where 3 are expected: NAME ROLE sha256:HEX");
    snprintf(text, sizeof text, "# c\n\nci boss %s\n", h);
    assert_tokens_refused(f, text, 3, "role 'boss': not one of viewer, operator, admin");
    assert_tokens_refused(f, "ci admin sha256:abc\n", 1, "'sha256:abc' is not 'sha256:' and 64 hex digits");
    assert_tokens_refused(f, "ci admin md5:0123\n", 1, "is not 'sha256:' and 64 hex digits");
    assert_tokens_refused(f, "ci admin azt_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ\n", 1,
                          "is a token itself, not its hash");
    snprintf(text, sizeof text, "ci admin %s\nci viewer sha256:%064d\n", h, 0);
    assert_tokens_refused(f, text, 2, "token 'ci' is named already at line 1");
    snprintf(text, sizeof text, "ci admin %s\nci2 viewer %s\n", h, h);
    assert_tokens_refused(f, text, 2, "the same hash as token 'ci' at line 1");
    snprintf(text, sizeof text, "c!i admin %s\n", h);
    assert_tokens_refused(f, text, 1, "name 'c!i'");
    snprintf(text, sizeof text, "ci admin %s extra\n", h);
    assert_tokens_refused(f, text, 1, "more than 3 fields");

    /* a missing file names itself */
    char why[512] = "";
    az_auth *a = NULL;
    f->settings.tokens_file = "/nonexistent/tokens";
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, "/nonexistent/tokens: No such file or directory");
}

static void test_files_writable_by_others_refused(void **state)
{
    fx *f = *state;
    char text[256], why[512] = "";
    snprintf(text, sizeof text, "ci admin sha256:%064d\n", 7);
    az_auth *a = NULL;
    for (int i = 0; i < 2; i++) {
        write_file(f->tokens, text, i == 0 ? 0620 : 0602);
        f->settings.tokens_file = f->tokens;
        assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
        assert_contains(why, "group or others may write it");
        assert_contains(why, "chmod go-w ");
        assert_contains(why, f->tokens);
    }
    write_file(f->tokens, text, 0644); /* readable is fine: the file holds hashes only */
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), 0);
    az_auth_free(a);
    write_users(f);
    chmod(f->users, 0660);
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, f->users);
    assert_contains(why, "chmod go-w");
    f->settings.users_file = f->dir; /* a directory */
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, "not a regular file");
}

/* ---- users and passwords
 * ------------------------------------------------------------------------------------
 */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_users_passwords(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    az_auth_session_info info;
    assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse", NULL, &info, NULL), AZ_AUTH_LOGIN_OK);
    assert_string_equal(info.user, "alice");
    assert_int_equal(info.role, AZ_HTTP_ROLE_ADMIN);
    assert_int_equal(login(f, "192.0.2.2", "bob", "battery staple", NULL, &info, NULL), AZ_AUTH_LOGIN_OK);
    assert_int_equal(info.role, AZ_HTTP_ROLE_VIEWER);

    double t = seconds_now();
    assert_int_equal(login(f, "192.0.2.3", "alice", "correct horse!", NULL, NULL, NULL),
                     AZ_AUTH_LOGIN_FAILED);
    double wrong = seconds_now() - t;
    assert_int_equal(login(f, "192.0.2.4", "bob", "Battery staple", NULL, NULL, NULL), AZ_AUTH_LOGIN_FAILED);
    assert_int_equal(login(f, "192.0.2.5", "bob", "", NULL, NULL, NULL), AZ_AUTH_LOGIN_FAILED);
    assert_int_equal(login(f, "192.0.2.5", "alice", "battery staple", NULL, NULL, NULL),
                     AZ_AUTH_LOGIN_FAILED);
    t = seconds_now();
    assert_int_equal(login(f, "192.0.2.8", "bob", "battery staple?", NULL, NULL, NULL), AZ_AUTH_LOGIN_FAILED);
    double wrong2 = seconds_now() - t;
    wrong = wrong2 < wrong ? wrong2 : wrong;
    /* The fastest of three, against the fastest of two: a busy machine slows a sample, never speeds one. */
    double unknown = 1e9;
    const char *strangers[] = {"carol", "dave", "erin"};
    for (int i = 0; i < 3; i++) {
        t = seconds_now();
        assert_int_equal(login(f, "192.0.2.6", strangers[i], "correct horse", NULL, NULL, NULL),
                         AZ_AUTH_LOGIN_FAILED);
        double took = seconds_now() - t;
        unknown = took < unknown ? took : unknown;
    }
    /* an unknown user is checked against a yescrypt decoy: not answered at once */
    if (unknown < wrong / 5)
        fail_msg("an unknown user took %.4f s, a wrong password %.4f s", unknown, wrong);
    char longer[2000];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(login(f, "192.0.2.7", "alice", longer, NULL, NULL, NULL), AZ_AUTH_LOGIN_FAILED);
}

/* The users file with the one line "NAME ROLE hash" must fail to load with part in the message. */
static void assert_hash_refused(fx *f, const char *hash, const char *part)
{
    char text[512], why[768] = "", where[192];
    snprintf(text, sizeof text, "# users\nzed viewer %s\n", hash);
    write_file(f->users, text, 0600);
    f->settings.users_file = f->users;
    az_auth *a = NULL;
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    snprintf(where, sizeof where, "%s:2: user 'zed': ", f->users);
    if (strncmp(why, where, strlen(where)) != 0)
        fail_msg("'%s' does not start with '%s'", why, where);
    assert_contains(why, part);
}

static void test_users_weak_hashes_refused(void **state)
{
    fx *f = *state;
    assert_hash_refused(f, "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0",
                        "a MD5 ($1$) hash is too weak for passwords");
    assert_hash_refused(f, "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", "mkpasswd -m yescrypt");
    assert_hash_refused(f, "abJnggxhB/yWI", "a DES hash");
    assert_hash_refused(f, "_J9..CCCCXBrJUJV154M", "BSDi");
    assert_hash_refused(f, "!$6$abc$def", "a locked or disabled hash");
    assert_hash_refused(f, "$9$abc$def", "the hash kind '$9$' is not one taken");
    assert_hash_refused(f, "$y$j9T$hSckFD/4j1S6B2R0e5h8V1", "not a whole crypt(3) hash");
    assert_hash_refused(f, "$6$salt$short", "not a whole crypt(3) hash");

    char why[512] = "", text[1024], good[256];
    az_auth *a = NULL;
    hash_of("$6$", "pw", good, sizeof good);
    snprintf(text, sizeof text, "zed viewer %s\nzed admin %s\n", good, good);
    write_file(f->users, text, 0600);
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, ":2: user 'zed' is named already at line 1");
    snprintf(text, sizeof text, "zed root %s\n", good);
    write_file(f->users, text, 0600);
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, ":1: role 'root'");
    snprintf(text, sizeof text, "zed viewer\n");
    write_file(f->users, text, 0600);
    assert_int_equal(az_auth_new(&a, &f->settings, why, sizeof why), -1);
    assert_contains(why, ":1: 2 fields where 3 are expected: NAME ROLE HASH");
}

static void test_no_users(void **state)
{
    fx *f = *state;
    start(f); /* neither file */
    assert_int_equal(login(f, "192.0.2.1", "alice", "x", NULL, NULL, NULL), AZ_AUTH_LOGIN_NO_USERS);
    az_http_pair headers[] = {{"Content-Type", "application/json"}};
    az_http_request req = request("POST", headers, 1, NULL, 0);
    req.body = "{\"user\": \"alice\", \"password\": \"x\"}";
    req.body_len = strlen(req.body);
    az_http_response resp = {0};
    az_http_session_routes[1].fn(&f->app, &req, &resp);
    assert_int_equal(resp.status, 401);
    json_t *doc = body_of(&resp);
    assert_string_equal(error_code(doc), "login_disabled");
    json_decref(doc);
    az_http_response_clear(&resp);
}

/* ---- sessions --------------------------------------------------------------------------------------------
 */

/* POST /api/v1/session through its handler; returns the response (cleared by the caller). */
static az_http_response post_login(fx *f, const char *body, const char *content_type, const char *client)
{
    az_http_pair headers[] = {{"Content-Type", content_type}};
    az_http_request req = request("POST", headers, content_type ? 1 : 0, NULL, 0);
    req.client = client;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.prefix = "/asyncz";
    req.tls = true;
    az_http_response resp = {0};
    assert_string_equal(az_http_session_routes[1].method, "POST");
    az_http_session_routes[1].fn(&f->app, &req, &resp);
    return resp;
}

/* The cookie's value in a Set-Cookie header. */
static void cookie_value(const char *set_cookie, char *out, size_t size)
{
    assert_non_null(set_cookie);
    assert_true(strncmp(set_cookie, "asyncz_session=", 15) == 0);
    const char *v = set_cookie + 15;
    size_t n = strcspn(v, ";");
    assert_true(n < size);
    memcpy(out, v, n);
    out[n] = '\0';
}

static void test_login_sets_cookie(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    az_http_response resp = post_login(f, "{\"user\": \"alice\", \"password\": \"correct horse\"}",
                                       "application/json; charset=utf-8", "192.0.2.1");
    assert_int_equal(resp.status, 200);
    const char *set = header_of(&resp, "Set-Cookie");
    assert_non_null(set);
    char cookie[64];
    cookie_value(set, cookie, sizeof cookie);
    assert_int_equal(strlen(cookie), AZ_AUTH_SECRET_LEN);
    char expected[256];
    snprintf(expected, sizeof expected, "asyncz_session=%s; Path=/asyncz/; HttpOnly; SameSite=Strict; Secure",
             cookie);
    assert_string_equal(set, expected);
    assert_string_equal(header_of(&resp, "Cache-Control"), "no-store");
    json_t *doc = body_of(&resp);
    assert_true(json_is_true(json_object_get(doc, "authenticated")));
    assert_string_equal(json_string_value(json_object_get(doc, "user")), "alice");
    assert_string_equal(json_string_value(json_object_get(doc, "role")), "admin");
    assert_string_equal(json_string_value(json_object_get(doc, "via")), "session");
    const char *csrf = json_string_value(json_object_get(doc, "csrf_token"));
    assert_non_null(csrf);
    assert_int_equal(strlen(csrf), AZ_AUTH_SECRET_LEN);
    assert_string_not_equal(csrf, cookie);
    assert_string_equal(json_string_value(json_object_get(doc, "expires")), "2027-01-15T08:10:00+00:00");
    assert_int_equal(json_integer_value(json_object_get(doc, "expires_us")),
                     (json_int_t)(T0 + 600) * 1000000);

    /* the cookie authenticates; GET answers the same session */
    az_http_principal p;
    char why[256] = "";
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), 0);
    assert_string_equal(p.name, "alice");
    assert_int_equal(p.role, AZ_HTTP_ROLE_ADMIN);
    assert_int_equal(p.via, AZ_HTTP_VIA_SESSION);
    assert_true(strlen(p.session_id) > 0);
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_request get = request("GET", NULL, 0, cookies, 1);
    get.principal = p;
    az_http_response got = {0};
    az_http_session_routes[0].fn(&f->app, &get, &got);
    assert_int_equal(got.status, 200);
    json_t *again = body_of(&got);
    assert_string_equal(json_string_value(json_object_get(again, "csrf_token")), csrf);
    assert_string_equal(json_string_value(json_object_get(again, "via")), "session");
    json_decref(again);
    json_decref(doc);
    az_http_response_clear(&got);
    az_http_response_clear(&resp);

    /* plain HTTP, no prefix: no Secure, Path=/ */
    az_http_pair headers[] = {{"Content-Type", "application/json"}};
    az_http_request req = request("POST", headers, 1, NULL, 0);
    req.body = "{\"user\": \"bob\", \"password\": \"battery staple\"}";
    req.body_len = strlen(req.body);
    az_http_session_routes[1].fn(&f->app, &req, &resp);
    assert_int_equal(resp.status, 200);
    set = header_of(&resp, "Set-Cookie");
    cookie_value(set, cookie, sizeof cookie);
    snprintf(expected, sizeof expected, "asyncz_session=%s; Path=/; HttpOnly; SameSite=Strict", cookie);
    assert_string_equal(set, expected);
    az_http_response_clear(&resp);

    /* a cookie of no session is refused, not taken for anonymous */
    char unknown[AZ_AUTH_SECRET_LEN + 1];
    assert_int_equal(az_auth_secret_make(unknown), 0);
    assert_int_equal(by_cookie(f, unknown, &p, why, sizeof why), -1);
    assert_string_equal(why, "the session expired: log in again");
    assert_int_equal(p.role, AZ_HTTP_ROLE_NONE);
    assert_int_equal(by_cookie(f, "garbage", &p, why, sizeof why), -1);
}

static void test_session_idle_expiry(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    char cookie[64], why[256];
    az_http_principal p;
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", cookie, NULL, NULL), AZ_AUTH_LOGIN_OK);
    f->now += 599;
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), 0); /* used: idle time starts again */
    f->now += 599;
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), 0);
    az_auth_session_info info;
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_request req = request("GET", NULL, 0, cookies, 1);
    assert_int_equal(az_auth_session_get(f->auth, &req, &info), 0);
    assert_int_equal(info.expires, f->now + 600);
    f->now += 600;
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), -1);
    assert_string_equal(why, "the session expired: log in again");
    f->now -= 10; /* ended for good: not back when the clock goes back */
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), -1);
}

static void test_session_absolute_expiry(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    char cookie[64], why[256];
    az_http_principal p;
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", cookie, NULL, NULL), AZ_AUTH_LOGIN_OK);
    for (int i = 0; i < 7; i++) { /* used every 500 s: never idle for long */
        f->now += 500;
        assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), 0);
    }
    az_auth_session_info info;
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_request req = request("GET", NULL, 0, cookies, 1);
    assert_int_equal(az_auth_session_get(f->auth, &req, &info), 0);
    assert_int_equal(info.expires, T0 + 3600); /* the absolute end comes before the idle one */
    f->now = T0 + 3600;
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), -1);
    assert_string_equal(why, "the session expired: log in again");
}

static void test_sessions_bounded(void **state)
{
    (void)state;
    az_auth_sessions *s = az_auth_sessions_new(3);
    assert_non_null(s);
    az_auth_sessions_set_lifetimes(s, 600, 3600);
    uint8_t fp[AZ_AUTH_SHA256_LEN] = {0};
    char cookies[5][AZ_AUTH_SECRET_LEN + 1];
    az_auth_session_view v;
    for (int i = 0; i < 5; i++)
        assert_int_equal(az_auth_sessions_start(s, "u", AZ_HTTP_ROLE_VIEWER, fp, T0 + i, cookies[i], &v), 0);
    assert_int_equal(az_auth_sessions_count(s), 3);
    assert_int_equal(az_auth_sessions_find(s, cookies[0], T0 + 5, false, NULL), AZ_AUTH_SESSION_UNKNOWN);
    assert_int_equal(az_auth_sessions_find(s, cookies[1], T0 + 5, false, NULL), AZ_AUTH_SESSION_UNKNOWN);
    for (int i = 2; i < 5; i++)
        assert_int_equal(az_auth_sessions_find(s, cookies[i], T0 + 5, false, NULL), AZ_AUTH_SESSION_FOUND);
    /* a login sweeps the expired ones */
    assert_int_equal(az_auth_sessions_find(s, cookies[2], T0 + 2 + 600, false, NULL),
                     AZ_AUTH_SESSION_EXPIRED);
    assert_int_equal(az_auth_sessions_start(s, "u", AZ_HTTP_ROLE_VIEWER, fp, T0 + 4 + 600, cookies[0], &v),
                     0);
    assert_int_equal(az_auth_sessions_count(s), 1);
    az_auth_sessions_free(s);
}

/* ---- CSRF ---------------------------------------------------------------------------------------------- */

static bool csrf(fx *f, const char *cookie, const char *token)
{
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_pair headers[] = {{"x-csrf-token", token}};
    az_http_request req = request("POST", headers, token ? 1 : 0, cookies, cookie ? 1 : 0);
    char why[256];
    if (cookie)
        assert_int_equal(az_auth_authenticate(f->auth, &req, &req.principal, why, sizeof why), 0);
    return az_auth_csrf_valid(f->auth, &req);
}

static void test_csrf(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    char c1[64], c2[64];
    az_auth_session_info i1, i2;
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", c1, &i1, NULL), AZ_AUTH_LOGIN_OK);
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", c2, &i2, NULL), AZ_AUTH_LOGIN_OK);
    assert_string_not_equal(i1.csrf_token, i2.csrf_token);
    assert_string_not_equal(i1.id, i2.id);
    assert_true(csrf(f, c1, i1.csrf_token));
    assert_true(csrf(f, c2, i2.csrf_token));
    assert_false(csrf(f, c1, i2.csrf_token)); /* another session's token */
    assert_false(csrf(f, c1, NULL));          /* missing */
    assert_false(csrf(f, c1, ""));
    char off[64];
    snprintf(off, sizeof off, "%s", i1.csrf_token);
    off[0] = off[0] == 'a' ? 'b' : 'a';
    assert_false(csrf(f, c1, off));
    snprintf(off, sizeof off, "%sx", i1.csrf_token); /* longer */
    assert_false(csrf(f, c1, off));
    assert_false(csrf(f, NULL, i1.csrf_token)); /* no session */
    f->now += 600;                              /* expired */
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, c1}};
    az_http_pair headers[] = {{"X-CSRF-Token", i1.csrf_token}};
    az_http_request req = request("POST", headers, 1, cookies, 1);
    req.principal = (az_http_principal){.role = AZ_HTTP_ROLE_VIEWER, .via = AZ_HTTP_VIA_SESSION};
    snprintf(req.principal.session_id, sizeof req.principal.session_id, "%s", i1.id);
    assert_false(az_auth_csrf_valid(f->auth, &req));
}

/* ---- throttling ------------------------------------------------------------------------------------------
 */

static void test_throttle_by_client(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    unsigned retry = 0;
    for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT; i++)
        assert_int_equal(login(f, "192.0.2.9", "bob", "nope", NULL, NULL, &retry), AZ_AUTH_LOGIN_FAILED);
    /* refused now, also with the right password, also for another name */
    assert_int_equal(login(f, "192.0.2.9", "bob", "battery staple", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_THROTTLED);
    assert_int_equal(retry, AZ_AUTH_THROTTLE_DELAY);
    assert_int_equal(login(f, "192.0.2.9", "alice", "correct horse", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_THROTTLED);
    /* through the handler: 429 with Retry-After */
    f->now += 10;
    az_http_response resp = post_login(f, "{\"user\": \"bob\", \"password\": \"battery staple\"}",
                                       "application/json", "192.0.2.9");
    assert_int_equal(resp.status, 429);
    assert_string_equal(header_of(&resp, "Retry-After"), "50");
    json_t *doc = body_of(&resp);
    assert_string_equal(error_code(doc), "login_throttled");
    json_decref(doc);
    az_http_response_clear(&resp);
    /* after the wait: the right password logs in; a further failure waits twice as long */
    f->now += 50;
    assert_int_equal(login(f, "192.0.2.9", "bob", "nope", NULL, NULL, &retry), AZ_AUTH_LOGIN_FAILED);
    assert_int_equal(login(f, "192.0.2.9", "bob", "battery staple", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_THROTTLED);
    assert_int_equal(retry, 2 * AZ_AUTH_THROTTLE_DELAY);
    f->now += 2 * AZ_AUTH_THROTTLE_DELAY;
    assert_int_equal(login(f, "192.0.2.9", "bob", "battery staple", NULL, NULL, &retry), AZ_AUTH_LOGIN_OK);
    /* other addresses were never held up; one IPv6 host's /64 counts as one client */
    assert_int_equal(login(f, "192.0.2.10", "alice", "correct horse", NULL, NULL, &retry), AZ_AUTH_LOGIN_OK);
    for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT; i++) {
        char client[64];
        snprintf(client, sizeof client, "2001:db8:1:2::%x", i + 1);
        assert_int_equal(login(f, client, i % 2 ? "x" : "y", "nope", NULL, NULL, &retry),
                         AZ_AUTH_LOGIN_FAILED);
    }
    assert_int_equal(login(f, "2001:db8:1:2:ffff::1", "bob", "battery staple", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_THROTTLED);
    assert_int_equal(login(f, "2001:db8:1:3::1", "bob", "battery staple", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_OK);
    /* failures far apart (a quiet window between) never add up */
    for (int i = 0; i < 2 * AZ_AUTH_THROTTLE_LIMIT; i++) {
        f->now += AZ_AUTH_THROTTLE_WINDOW;
        assert_int_equal(login(f, "192.0.2.11", "carol", "nope", NULL, NULL, &retry), AZ_AUTH_LOGIN_FAILED);
    }
}

static void test_throttle_by_name_and_reset(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    unsigned retry = 0;
    char client[32];
    /* a success clears the name's count */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT - 1; i++) {
            snprintf(client, sizeof client, "198.51.100.%d", 10 * round + i);
            assert_int_equal(login(f, client, "bob", "nope", NULL, NULL, &retry), AZ_AUTH_LOGIN_FAILED);
        }
        assert_int_equal(login(f, "203.0.113.1", "bob", "battery staple", NULL, NULL, &retry),
                         AZ_AUTH_LOGIN_OK);
    }
    /* failures for one name from many addresses */
    for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT; i++) {
        snprintf(client, sizeof client, "198.51.100.%d", 100 + i);
        assert_int_equal(login(f, client, "bob", "nope", NULL, NULL, &retry), AZ_AUTH_LOGIN_FAILED);
    }
    assert_int_equal(login(f, "203.0.113.2", "bob", "battery staple", NULL, NULL, &retry),
                     AZ_AUTH_LOGIN_THROTTLED);
    assert_int_equal(retry, AZ_AUTH_THROTTLE_DELAY);
    assert_int_equal(login(f, "203.0.113.2", "alice", "correct horse", NULL, NULL, &retry), AZ_AUTH_LOGIN_OK);
}

static void test_throttle_bounded(void **state)
{
    (void)state;
    az_auth_throttle *t = az_auth_throttle_new(4);
    assert_non_null(t);
    for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT; i++)
        az_auth_throttle_fail(t, "blocked", T0);
    assert_int_equal(az_auth_throttle_wait(t, "blocked", T0), AZ_AUTH_THROTTLE_DELAY);
    char key[32];
    for (int i = 0; i < 100; i++) { /* many keys: the table keeps 4, the blocked one among them */
        snprintf(key, sizeof key, "k%d", i);
        az_auth_throttle_fail(t, key, T0 + 1);
    }
    assert_int_equal(az_auth_throttle_wait(t, "blocked", T0 + 1), AZ_AUTH_THROTTLE_DELAY - 1);
    /* once no longer blocked, it is the first to go: it failed longest ago */
    az_auth_throttle_fail(t, "late", T0 + AZ_AUTH_THROTTLE_DELAY);
    assert_int_equal(az_auth_throttle_wait(t, "blocked", T0 + 1), 0);
    for (int i = 0; i < AZ_AUTH_THROTTLE_LIMIT; i++)
        az_auth_throttle_fail(t, "blocked", T0 + 100);
    assert_int_equal(az_auth_throttle_wait(t, "blocked", T0 + 100), AZ_AUTH_THROTTLE_DELAY);
    az_auth_throttle_clear(t, "blocked");
    assert_int_equal(az_auth_throttle_wait(t, "blocked", T0 + 100), 0);
    az_auth_throttle_free(t);
}

/* ---- logout and reload --------------------------------------------------------------------------------- */

static void test_logout(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    char cookie[64], why[256];
    az_auth_session_info info;
    assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse", cookie, &info, NULL), AZ_AUTH_LOGIN_OK);
    az_http_pair cookies[] = {{AZ_AUTH_COOKIE, cookie}};
    az_http_pair headers[] = {{"X-CSRF-Token", info.csrf_token}};
    az_http_request req = request("DELETE", headers, 1, cookies, 1);
    req.prefix = "/asyncz";
    assert_int_equal(az_auth_authenticate(f->auth, &req, &req.principal, why, sizeof why), 0);
    assert_string_equal(az_http_session_routes[2].method, "DELETE");
    assert_int_equal(az_http_session_routes[2].role, AZ_HTTP_ROLE_VIEWER);
    az_http_response resp = {0};
    az_http_session_routes[2].fn(&f->app, &req, &resp);
    assert_int_equal(resp.status, 204);
    assert_null(resp.body);
    assert_string_equal(header_of(&resp, "Set-Cookie"),
                        "asyncz_session=; Path=/asyncz/; Max-Age=0; HttpOnly; SameSite=Strict");
    az_http_response_clear(&resp);
    az_http_principal p;
    assert_int_equal(by_cookie(f, cookie, &p, why, sizeof why), -1);
    assert_false(az_auth_csrf_valid(f->auth, &req));
    assert_false(az_auth_logout(f->auth, &req)); /* once */
}

static void test_reload_ends_sessions(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    char alice[64], bob[64], why[512] = "";
    az_http_principal p;
    assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse", alice, NULL, NULL), AZ_AUTH_LOGIN_OK);
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", bob, NULL, NULL), AZ_AUTH_LOGIN_OK);

    /* a bad file: the old users stay, and so do the sessions */
    FILE *old = fopen(f->users, "r");
    char saved[2048] = "";
    assert_non_null(old);
    size_t n = fread(saved, 1, sizeof saved - 1, old);
    saved[n] = '\0';
    fclose(old);
    write_file(f->users, "alice admin $1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0\n", 0600);
    assert_int_equal(az_auth_reload(f->auth, &f->settings, why, sizeof why), -1);
    assert_contains(why, ":1: user 'alice': a MD5 ($1$) hash");
    assert_int_equal(by_cookie(f, alice, &p, why, sizeof why), 0);
    assert_int_equal(by_cookie(f, bob, &p, why, sizeof why), 0);

    /* bob removed: his session ends, alice's stays */
    char *bob_line = strstr(saved, "bob viewer");
    assert_non_null(bob_line);
    *bob_line = '\0';
    write_file(f->users, saved, 0600);
    assert_int_equal(az_auth_reload(f->auth, &f->settings, why, sizeof why), 0);
    assert_int_equal(by_cookie(f, alice, &p, why, sizeof why), 0);
    assert_int_equal(by_cookie(f, bob, &p, why, sizeof why), -1);
    assert_int_equal(login(f, "192.0.2.1", "bob", "battery staple", NULL, NULL, NULL), AZ_AUTH_LOGIN_FAILED);

    /* alice's role changed: her session ends */
    char *alice_line = strstr(saved, "alice admin ");
    assert_non_null(alice_line);
    char line[512];
    snprintf(line, sizeof line, "alice viewer %s", alice_line + strlen("alice admin "));
    write_file(f->users, line, 0600);
    assert_int_equal(az_auth_reload(f->auth, &f->settings, why, sizeof why), 0);
    assert_int_equal(by_cookie(f, alice, &p, why, sizeof why), -1);

    /* the same user and role, a new password: the session ends too */
    assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse", alice, NULL, NULL), AZ_AUTH_LOGIN_OK);
    assert_int_equal(by_cookie(f, alice, &p, why, sizeof why), 0);
    assert_int_equal(p.role, AZ_HTTP_ROLE_VIEWER);
    char hash[256];
    hash_of("$6$", "new password", hash, sizeof hash);
    snprintf(line, sizeof line, "alice viewer %s\n", hash);
    write_file(f->users, line, 0600);
    assert_int_equal(az_auth_reload(f->auth, &f->settings, why, sizeof why), 0);
    assert_int_equal(by_cookie(f, alice, &p, why, sizeof why), -1);
    assert_int_equal(login(f, "192.0.2.1", "alice", "new password", NULL, NULL, NULL), AZ_AUTH_LOGIN_OK);
}

/* ---- the handlers' refusals ------------------------------------------------------------------------------
 */

static void assert_post_refused(fx *f, const char *body, const char *type, int status, const char *code,
                                const char *field)
{
    az_http_response resp = post_login(f, body, type, "192.0.2.200");
    if (resp.status != status)
        fail_msg("%s: status %d, expected %d (%.*s)", body ? body : "(no body)", resp.status, status,
                 (int)resp.body_len, resp.body ? resp.body : "");
    assert_null(header_of(&resp, "Set-Cookie"));
    json_t *doc = body_of(&resp);
    assert_string_equal(error_code(doc), code);
    json_t *f_field = json_object_get(json_object_get(doc, "error"), "field");
    if (field)
        assert_string_equal(json_string_value(f_field), field);
    else
        assert_null(f_field);
    json_decref(doc);
    az_http_response_clear(&resp);
}

static void test_session_handlers_refusals(void **state)
{
    fx *f = *state;
    write_users(f);
    start(f);
    const char *good = "{\"user\": \"bob\", \"password\": \"battery staple\"}";
    assert_post_refused(f, good, NULL, 415, "unsupported_media_type", NULL);
    assert_post_refused(f, good, "application/x-www-form-urlencoded", 415, "unsupported_media_type", NULL);
    assert_post_refused(f, good, "application/jsonx", 415, "unsupported_media_type", NULL);
    assert_post_refused(f, NULL, "application/json", 400, "invalid_json", NULL);
    assert_post_refused(f, "{\"user\": ", "application/json", 400, "invalid_json", NULL);
    assert_post_refused(f, "{\"user\": \"a\", \"user\": \"b\", \"password\": \"x\"}", "application/json", 400,
                        "invalid_json", NULL);
    assert_post_refused(f, "[\"bob\"]", "application/json", 422, "invalid_body", NULL);
    assert_post_refused(f, "{\"user\": \"bob\"}", "application/json", 422, "invalid_body", "password");
    assert_post_refused(f, "{\"password\": \"x\"}", "application/json", 422, "invalid_body", "user");
    assert_post_refused(f, "{\"user\": 7, \"password\": \"x\"}", "application/json", 422, "invalid_body",
                        "user");
    assert_post_refused(f, "{\"user\": \"bob\", \"password\": null}", "application/json", 422, "invalid_body",
                        "password");
    assert_post_refused(f, "{\"user\": \"bob\", \"password\": \"x\", \"remember\": true}", "application/json",
                        422, "invalid_body", "remember");

    /* wrong password and unknown user: the same answer, word for word */
    az_http_response wrong =
        post_login(f, "{\"user\": \"bob\", \"password\": \"nope\"}", "application/json", "192.0.2.201");
    az_http_response unknown =
        post_login(f, "{\"user\": \"nobody\", \"password\": \"nope\"}", "application/json", "192.0.2.202");
    assert_int_equal(wrong.status, 401);
    assert_int_equal(unknown.status, 401);
    assert_string_equal(
        wrong.body, "{\"error\":{\"code\":\"login_failed\",\"message\":\"wrong user name or password\"}}");
    assert_string_equal(unknown.body, wrong.body);
    assert_null(header_of(&wrong, "Set-Cookie"));
    az_http_response_clear(&wrong);
    az_http_response_clear(&unknown);
    assert_int_equal(az_http_session_routes[0].role, AZ_HTTP_ROLE_NONE);
    assert_int_equal(az_http_session_routes[1].role, AZ_HTTP_ROLE_NONE);
    assert_null(az_http_session_routes[3].method);
}

static void test_get_session_anonymous_and_token(void **state)
{
    fx *f = *state;
    start(f);
    az_http_request req = request("GET", NULL, 0, NULL, 0);
    az_http_response resp = {0};
    az_http_session_routes[0].fn(&f->app, &req, &resp);
    assert_int_equal(resp.status, 200);
    json_t *doc = body_of(&resp);
    assert_true(json_is_false(json_object_get(doc, "authenticated")));
    const char *keys[] = {"user", "role", "via", "csrf_token", "expires"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        assert_true(json_is_null(json_object_get(doc, keys[i])));
    json_decref(doc);
    assert_null(header_of(&resp, "Set-Cookie"));
    az_http_response_clear(&resp);

    req.principal =
        (az_http_principal){.name = "ci", .role = AZ_HTTP_ROLE_OPERATOR, .via = AZ_HTTP_VIA_TOKEN};
    az_http_session_routes[0].fn(&f->app, &req, &resp);
    doc = body_of(&resp);
    assert_true(json_is_true(json_object_get(doc, "authenticated")));
    assert_string_equal(json_string_value(json_object_get(doc, "user")), "ci");
    assert_string_equal(json_string_value(json_object_get(doc, "role")), "operator");
    assert_string_equal(json_string_value(json_object_get(doc, "via")), "token");
    assert_true(json_is_null(json_object_get(doc, "csrf_token")));
    json_decref(doc);
    az_http_response_clear(&resp);
}

static void test_names_and_secrets(void **state)
{
    (void)state;
    assert_true(az_auth_name_valid("alice"));
    assert_true(az_auth_name_valid("ci-bot_2@example.org"));
    assert_false(az_auth_name_valid(""));
    assert_false(az_auth_name_valid("a b"));
    assert_false(az_auth_name_valid("al\xc3\xaf"
                                    "ce"));
    char name[200];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_false(az_auth_name_valid(name));
    name[AZ_AUTH_NAME_MAX] = '\0';
    assert_true(az_auth_name_valid(name));
    char a[AZ_AUTH_SECRET_LEN + 1], b[AZ_AUTH_SECRET_LEN + 1];
    assert_int_equal(az_auth_secret_make(a), 0);
    assert_int_equal(az_auth_secret_make(b), 0);
    assert_string_not_equal(a, b);
    assert_true(az_auth_secret_well_formed(a));
    assert_false(az_auth_secret_well_formed("abc"));
    char out[16];
    az_auth_base64url((const uint8_t *)"\xfb\xff", 2, out);
    assert_string_equal(out, "-_8");
    az_auth_log_safe("bob\n\x1b[31m", out, sizeof out);
    assert_string_equal(out, "bob??[31m");
    assert_true(az_auth_equal("abc", "abc"));
    assert_false(az_auth_equal("abc", "abd"));
    assert_false(az_auth_equal("abc", "abcd"));
}

/* ---- many threads at once -------------------------------------------------------------------------------
 */

typedef struct hammer {
    fx *f;
    const char *bearer, *cookie;
    int failures;
} hammer;

static void *hammer_run(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < 2000; i++) {
        az_http_pair headers[] = {{"Authorization", h->bearer}};
        az_http_pair cookies[] = {{AZ_AUTH_COOKIE, h->cookie}};
        az_http_request req =
            i % 2 ? request("GET", headers, 1, NULL, 0) : request("GET", NULL, 0, cookies, 1);
        az_http_principal p;
        char why[256];
        if (az_auth_authenticate(h->f->auth, &req, &p, why, sizeof why) != 0 || p.role == AZ_HTTP_ROLE_NONE)
            h->failures++;
        if (i % 500 == 0 &&
            az_auth_login(h->f->auth, "192.0.2.50", "bob", "nope", &(az_auth_session_info){0},
                          (char[AZ_AUTH_SECRET_LEN + 1]){0}, &(unsigned){0}) == AZ_AUTH_LOGIN_OK)
            h->failures++;
    }
    return NULL;
}

static void test_concurrent_requests_and_reloads(void **state)
{
    fx *f = *state;
    write_users(f);
    char token[64], hash[80], text[256], cookie[64];
    assert_int_equal(az_auth_token_make(token, hash), 0);
    snprintf(text, sizeof text, "ci operator %s\n", hash);
    write_file(f->tokens, text, 0600);
    f->settings.tokens_file = f->tokens;
    start(f);
    assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse", cookie, NULL, NULL), AZ_AUTH_LOGIN_OK);
    char bearer[96];
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    hammer h[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        h[i] = (hammer){.f = f, .bearer = bearer, .cookie = cookie};
        assert_int_equal(pthread_create(&threads[i], NULL, hammer_run, &h[i]), 0);
    }
    char why[512];
    for (int i = 0; i < 20; i++) /* the same files again and again: every request still gets in */
        assert_int_equal(az_auth_reload(f->auth, &f->settings, why, sizeof why), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(h[i].failures, 0);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tokens_good_and_wrong, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_writable_by_others_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_passwords, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_weak_hashes_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_sets_cookie, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_idle_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_absolute_expiry, setup, teardown),
        cmocka_unit_test(test_sessions_bounded),
        cmocka_unit_test_setup_teardown(test_csrf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_by_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_by_name_and_reset, setup, teardown),
        cmocka_unit_test(test_throttle_bounded),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_ends_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_handlers_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_session_anonymous_and_token, setup, teardown),
        cmocka_unit_test(test_names_and_secrets),
        cmocka_unit_test_setup_teardown(test_concurrent_requests_and_reloads, setup, teardown),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
