/* The live event stream (GET /api/v1/events, Server-Sent Events): the scheduler's events, each formatted as
 * JSON once (by the first subscriber that sends it), kept in a ring of the last AZ_EVENT_HUB_KEEP, and sent
 * to every subscriber.
 *
 * Publishing never waits for a subscriber: a subscriber that falls behind by more than the ring loses the
 * events it missed and is told so (an `event: lagged` message with how many). Each message has an id, so
 * a client that reconnects with Last-Event-ID gets what it missed while the ring still has it.
 */
#ifndef AZ_CLI_HTTP_EVENTS_H
#define AZ_CLI_HTTP_EVENTS_H

#include "http.h"

#define AZ_EVENT_HUB_KEEP 1024
/* A subscriber that has nothing to send for this long sends a comment line, so that proxies keep the
 * connection and a closed one is noticed. */
#define AZ_EVENT_HUB_KEEPALIVE_MS 15000

/* A new hub in *out. Returns 0 or ASYNCZ_ENOMEM. */
int az_event_hub_new(az_event_hub **out);
/* Wake every subscriber and end their streams (before the server stops); later publishes are dropped.
 * Any thread. */
void az_event_hub_close(az_event_hub *hub);
/* Free the hub (NULL-safe); after the server stopped, when no stream uses it any more. */
void az_event_hub_free(az_event_hub *hub);

/* Copy ev (borrowed) into the ring for the subscribers; it is formatted when the first one sends it, with
 * zone (borrowed: it must outlive the hub; NULL: UTC). A scheduler listener's body: any thread, never
 * blocks beyond the hub's short lock. Out of memory drops the event (counted in az_event_hub_dropped, as is
 * an event that cannot be formatted for lack of memory). */
void az_event_hub_publish(az_event_hub *hub, const asyncz_event *ev, const asyncz_zone *zone);

/* How many events were published, and how many were dropped (out of memory). */
uint64_t az_event_hub_published(az_event_hub *hub);
uint64_t az_event_hub_dropped(az_event_hub *hub);

/* The event as the stream's data (new JSON object, NULL when out of memory): {"event": "TASK_EXECUTED",
 * "time": ISO, "store", "task_id", "task_name", "run_id", "outcome", "scheduled_run_time", "error", ...},
 * the members that apply to its code only. */
json_t *az_event_json(const asyncz_event *ev, const asyncz_zone *zone);

/* GET /api/v1/events (viewer). */
extern const az_http_route az_http_events_routes[];

#endif
