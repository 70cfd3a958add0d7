/* The daemon's HTTP service: the server and everything it serves (auth, metrics, the event stream),
 * started and stopped as one by the daemon (daemon.c) when its config has an [http] section.
 */
#ifndef AZ_CLI_HTTP_SERVICE_H
#define AZ_CLI_HTTP_SERVICE_H

#include "http.h"

struct az_config;
typedef struct az_http_service az_http_service;

/* Start serving cfg->http for the scheduler s (started; borrowed, as are cfg, identity and zone: they
 * outlive the service). Reads the users and tokens files, registers a listener for the metrics and the
 * event stream, and listens. Logs where it listens. Returns 0 with *out set, or -1 with why saying what
 * was wrong (a bad users file, a port in use). Main thread. */
int az_http_service_start(az_http_service **out, asyncz_scheduler *s, const struct az_config *cfg,
                          const char *identity, char *why, size_t why_size);

/* `asyncz start --check`: whether cfg's [http] users and tokens files can be read and are good (nothing
 * listens). Returns 0, or -1 with why ("/etc/asyncz/users:3: ..."). */
int az_http_service_check(const struct az_config *cfg, char *why, size_t why_size);

/* SIGHUP: read the users and tokens files named by next's [http] again (the rest of [http] needs a
 * restart). A bad file is logged and the old ones kept. Main thread. */
void az_http_service_reload(az_http_service *svc, const struct az_config *next);

/* The port the service listens on. */
unsigned az_http_service_port(const az_http_service *svc);

/* Stop: end the event streams, stop the server (waiting for the requests in progress), remove the
 * listener, free everything. NULL-safe. Main thread, before the scheduler is freed. */
void az_http_service_stop(az_http_service *svc);

#endif
