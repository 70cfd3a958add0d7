/* The HTTP server: libmicrohttpd listening where [http] says, a thread per connection (http.h says why).
 */
#ifndef AZ_CLI_HTTP_SERVER_H
#define AZ_CLI_HTTP_SERVER_H

#include "http.h"

typedef struct az_http_server az_http_server;

/* Listen on app->settings' address and serve app (borrowed: it must outlive the server). Reads the TLS
 * certificate and key when configured. Returns 0 with *out set, or -1 with why saying what is wrong
 * ("cannot listen on 127.0.0.1:8080: Address already in use"). Call from the daemon's main thread. */
int az_http_server_start(az_http_server **out, az_http_app *app, char *why, size_t why_size);

/* The port the server listens on (the one the system chose when [http] listen asked for port 0). */
unsigned az_http_server_port(const az_http_server *srv);

/* Stop listening, close every connection and wait for their threads; NULL-safe. Streams must have been
 * told to end first (az_event_hub_close), or this waits for their next keep-alive. */
void az_http_server_stop(az_http_server *srv);

/* Handle one request already read whole: authenticate it, check the path, the role, the CSRF token and
 * the content type, route it and call the handler. The server's own path to the handlers, exposed for
 * tests (tests/unit/test_http_server.c), which build req by hand. req->path is the path as received
 * (with base_path); req->principal is filled here. */
void az_http_handle(az_http_app *app, az_http_request *req, az_http_response *resp,
                    const az_http_route **route);

/* Add the headers every response carries (the content security policy, no sniffing, no framing, no
 * referrer; HSTS under TLS; Cache-Control no-store unless the handler set one). */
void az_http_secure_headers(const az_http_request *req, az_http_response *resp);

#endif
