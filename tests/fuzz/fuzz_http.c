/* libFuzzer target: the daemon's HTTP request handling (src/cli/http/handle.c and every handler it routes
 * to), as the server calls it once it has read a request. The input is a request in HTTP's own shape:
 *
 *   METHOD PATH[?QUERY]\n
 *   Name: value\n          (headers, up to a blank line; "Bearer ADMIN" / "Bearer VIEWER" stand for the
 *   ...                     tokens this harness made, so that the fuzzer reaches the handlers behind roles)
 *   \n
 *   BODY
 *
 * Behind it: a scheduler started paused (nothing runs) with a memory store and one registered function,
 * real auth over a tokens file. Whatever the input, the answer must be a status from 200 to 599 with a
 * JSON body that parses (or a stream, or an empty 204/304), and nothing may crash or leak. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz.h"
#include "auth.h"
#include "config.h"
#include "events.h"
#include "metrics.h"
#include "server.h"

#define MAX_PAIRS 32

static az_http_app app;
static char admin_token[80], viewer_token[80];

static int noop(asyncz_run *run, void *userdata)
{
    (void)run, (void)userdata;
    return ASYNCZ_RUN_DONE;
}

static void set_up(void)
{
    static char dir[] = "/tmp/az-fuzz-http-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    char text[1024], path[256], ah[80], vh[80], why[256];
    snprintf(text, sizeof text,
             "[scheduler]\ntimezone = UTC\n[store default]\nurl = memory://\n[executor default]\ntype = "
             "threadpool\nworkers = 1\n[http]\nlisten = 127.0.0.1:0\nallow_commands = true\nmax_body = 64K\n"
             "tokens_file = %s/tokens\n",
             dir);
    az_config *cfg = NULL;
    az_cfg_errors errs = {0};
    if (az_config_load_string(text, "fuzz.ini", &cfg, &errs) != 0)
        abort();
    snprintf(path, sizeof path, "%s/tokens", dir);
    if (az_auth_token_make(admin_token, ah) != 0 || az_auth_token_make(viewer_token, vh) != 0)
        abort();
    FILE *f = fopen(path, "w");
    fprintf(f, "root admin %s\nwatch viewer %s\n", ah, vh);
    fclose(f);
    chmod(path, 0600);
    asyncz_scheduler_options o;
    asyncz_scheduler_options_init(&o);
    o.timezone = cfg->zone;
    asyncz_scheduler *s;
    asyncz_store *st;
    asyncz_executor *ex;
    if (asyncz_scheduler_new(&s, &o) || asyncz_store_open(&st, "memory://") ||
        asyncz_scheduler_add_store(s, "default", st) || asyncz_executor_threadpool_new(&ex, 1) ||
        asyncz_scheduler_add_executor(s, "default", ex) || asyncz_scheduler_register(s, "noop", noop, NULL) ||
        asyncz_scheduler_start(s, ASYNCZ_START_PAUSED))
        abort();
    app = (az_http_app){.s = s, .cfg = cfg, .settings = &cfg->http, .zone = cfg->zone, .identity = "fuzz"};
    if (az_auth_new(&app.auth, &cfg->http, why, sizeof why) || az_metrics_new(&app.metrics) ||
        az_event_hub_new(&app.events))
        abort();
    asyncz_log_set_level(ASYNCZ_LOG_CRITICAL);
}

/* Split "a=b&c" into pairs (not decoded: the server decodes; here the raw text is as hostile). */
static size_t split_query(char *q, az_http_pair *out)
{
    size_t n = 0;
    for (char *save = NULL, *item = strtok_r(q, "&", &save); item && n < MAX_PAIRS;
         item = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(item, '=');
        if (eq)
            *eq = '\0';
        out[n++] = (az_http_pair){item, eq ? eq + 1 : ""};
    }
    return n;
}

static void check(const az_http_response *resp)
{
    if (resp->stream)
        return;
    if (resp->status < 200 || resp->status > 599)
        abort();
    if (resp->body && resp->content_type && strcmp(resp->content_type, "application/json") == 0) {
        json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
        if (!doc)
            abort();
        json_decref(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!app.s)
        set_up();
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *body = strstr(text, "\n\n");
    if (body) {
        *body = '\0';
        body += 2;
    }
    char *line_save = NULL;
    char *first = strtok_r(text, "\n", &line_save);
    char *space = first ? strchr(first, ' ') : NULL;
    if (!space || space == first || space[1] != '/') {
        free(text);
        return 0;
    }
    *space = '\0';
    char *method = first, *target = space + 1;
    char *q = strchr(target, '?');
    az_http_pair query[MAX_PAIRS], headers[MAX_PAIRS], cookies[1];
    size_t n_query = 0, n_headers = 0;
    if (q) {
        *q++ = '\0';
        n_query = split_query(q, query);
    }
    for (char *h = strtok_r(NULL, "\n", &line_save); h && n_headers < MAX_PAIRS; h = strtok_r(NULL, "\n", &line_save)) {
        char *colon = strchr(h, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *value = colon + 1 + (colon[1] == ' ');
        if (strcmp(value, "Bearer ADMIN") == 0 || strcmp(value, "Bearer VIEWER") == 0) {
            static _Thread_local char bearer[96];
            snprintf(bearer, sizeof bearer, "Bearer %s", value[7] == 'A' ? admin_token : viewer_token);
            value = bearer;
        }
        headers[n_headers++] = (az_http_pair){h, value};
    }
    az_http_request req = {.method = method,
                           .path = target,
                           .query = query,
                           .n_query = n_query,
                           .headers = headers,
                           .n_headers = n_headers,
                           .cookies = cookies,
                           .n_cookies = 0,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .client = "127.0.0.1",
                           .prefix = ""};
    az_http_response resp = {0};
    const az_http_route *route;
    az_http_handle(&app, &req, &resp, &route);
    az_http_secure_headers(&req, &resp);
    check(&resp);
    if (resp.stream && resp.stream_free)
        resp.stream_free(resp.stream_ctx);
    az_http_response_clear(&resp);
    free(text);
    return 0;
}
