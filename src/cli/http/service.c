/* The daemon's HTTP service (service.h): what the server needs, made in order and undone in reverse. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_common.h"
#include "auth.h"
#include "config.h"
#include "events.h"
#include "metrics.h"
#include "server.h"
#include "service.h"

#define LOGGER "asyncz.http"

struct az_http_service {
    az_http_app app;
    az_http_server *server;
    uint64_t listener;
    bool listening;
};

/* The scheduler's events go to the metrics and to the event stream (any thread, no lock held). */
static int on_event(const asyncz_event *ev, void *userdata)
{
    az_http_service *svc = userdata;
    az_metrics_on_event(svc->app.metrics, ev);
    az_event_hub_publish(svc->app.events, ev, svc->app.zone);
    return 0;
}

static void log_listening(const az_http_service *svc)
{
    const az_http_settings *st = svc->app.settings;
    bool v6 = strchr(st->host, ':') != NULL;
    asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "console and API on %s://%s%s%s:%u%s/ (%s%s%s)",
               st->tls_cert ? "https" : "http", v6 ? "[" : "", st->host, v6 ? "]" : "",
               az_http_server_port(svc->server), st->base_path,
               st->users_file ? "console users" : "no console users", st->tokens_file ? ", API tokens" : "",
               st->allow_commands ? ", commands allowed" : "");
}

int az_http_service_start(az_http_service **out, asyncz_scheduler *s, const az_config *cfg,
                          const char *identity, char *why, size_t why_size)
{
    az_http_service *svc = calloc(1, sizeof *svc);
    if (!svc) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    svc->app = (az_http_app){.s = s,
                             .cfg = cfg,
                             .settings = &cfg->http,
                             .zone = cfg->zone,
                             .started = asyncz_now(),
                             .identity = identity};
    if (az_auth_new(&svc->app.auth, &cfg->http, why, why_size) != 0)
        goto fail;
    if (az_metrics_new(&svc->app.metrics) != 0 || az_event_hub_new(&svc->app.events) != 0) {
        snprintf(why, why_size, "out of memory");
        goto fail;
    }
    if (asyncz_scheduler_add_listener(s, ASYNCZ_EVENT_ALL, on_event, svc, &svc->listener) != 0) {
        snprintf(why, why_size, "cannot listen to the scheduler's events: %s", asyncz_scheduler_errmsg(s));
        goto fail;
    }
    svc->listening = true;
    if (az_http_server_start(&svc->server, &svc->app, why, why_size) != 0)
        goto fail;
    log_listening(svc);
    *out = svc;
    return 0;
fail:
    az_http_service_stop(svc);
    return -1;
}

int az_http_service_check(const az_config *cfg, char *why, size_t why_size)
{
    if (!cfg->http.enabled)
        return 0;
    az_auth *auth = NULL;
    int rc = az_auth_new(&auth, &cfg->http, why, why_size);
    az_auth_free(auth);
    return rc;
}

void az_http_service_reload(az_http_service *svc, const az_config *next)
{
    if (!svc)
        return;
    char why[512];
    if (az_auth_reload(svc->app.auth, &next->http, why, sizeof why) != 0)
        asyncz_log(ASYNCZ_LOG_ERROR, LOGGER, "%s: the console users and API tokens stay as they were", why);
    else
        asyncz_log(ASYNCZ_LOG_INFO, LOGGER, "console users and API tokens read again");
}

unsigned az_http_service_port(const az_http_service *svc)
{
    return az_http_server_port(svc->server);
}

void az_http_service_stop(az_http_service *svc)
{
    if (!svc)
        return;
    az_event_hub_close(svc->app.events);
    az_http_server_stop(svc->server);
    az_http_api_close(); /* the API's own store connections (instances, quarantine) and caches */
    if (svc->listening)
        asyncz_scheduler_remove_listener(svc->app.s, svc->listener);
    az_event_hub_free(svc->app.events);
    az_metrics_free(svc->app.metrics);
    az_auth_free(svc->app.auth);
    free(svc);
}
