/* The live event stream (src/cli/http/events.c): formatting, the ring, lagging subscribers, Last-Event-ID
 * and the end of streams when the hub closes. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "az_test.h"
#include "events.h"

static asyncz_event run_event(uint32_t code, const char *task)
{
    return (asyncz_event){.code = code,
                          .time = 1796692240000000,
                          .alias = "default",
                          .task_id = task,
                          .task_name = task,
                          .scheduled_run_time = 1796692240000000,
                          .run_id = "01a25333-e67d-7000-a488-81e501393660",
                          .outcome = ASYNCZ_RUN_FAILED,
                          .error_message = "exit status 3",
                          .exit_status = 3};
}

/* Open a stream on hub as GET /api/v1/events would, with an optional Last-Event-ID. */
static az_http_response open_stream(az_event_hub *hub, const char *last_id)
{
    az_http_app app = {.events = hub};
    az_http_pair headers[] = {{"Last-Event-ID", last_id}};
    az_http_request req = {
        .method = "GET", .path = "/api/v1/events", .headers = headers, .n_headers = last_id ? 1 : 0};
    az_http_response resp = {0};
    az_http_events_routes[0].fn(&app, &req, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "text/event-stream");
    assert_non_null(resp.stream);
    return resp;
}

/* Read one message (up to the blank line) from the stream into buf. Returns false at the end. */
static bool read_message(az_http_response *resp, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    while (!strstr(buf, "\n\n")) {
        char piece[64];
        long n = resp->stream(resp->stream_ctx, piece, sizeof piece - 1);
        if (n < 0)
            return false;
        assert_true(len + (size_t)n < size);
        memcpy(buf + len, piece, (size_t)n);
        len += (size_t)n;
        buf[len] = '\0';
    }
    return true;
}

static void close_stream(az_http_response *resp)
{
    resp->stream_free(resp->stream_ctx);
    az_http_response_clear(resp);
}

static void test_event_json_members(void **state)
{
    (void)state;
    asyncz_zone *utc;
    assert_int_equal(asyncz_zone_get(&utc, "UTC"), 0);
    asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_ERROR, "backup");
    json_t *o = az_event_json(&ev, utc);
    assert_string_equal(json_string_value(json_object_get(o, "event")), "TASK_ERROR");
    assert_string_equal(json_string_value(json_object_get(o, "task_id")), "backup");
    assert_string_equal(json_string_value(json_object_get(o, "store")), "default");
    assert_string_equal(json_string_value(json_object_get(o, "outcome")), "failed");
    assert_string_equal(json_string_value(json_object_get(o, "error")), "exit status 3");
    assert_int_equal(json_integer_value(json_object_get(o, "exit_status")), 3);
    assert_string_equal(json_string_value(json_object_get(o, "time")), "2026-12-08T01:10:40+00:00");
    json_decref(o);
    /* A scheduler event has no task members. */
    asyncz_event paused = {.code = ASYNCZ_EVENT_SCHEDULER_PAUSED, .time = 1796692240000000};
    o = az_event_json(&paused, utc);
    assert_null(json_object_get(o, "task_id"));
    assert_null(json_object_get(o, "outcome"));
    json_decref(o);
    asyncz_zone_unref(utc);
}

static void test_stream_sends_events_in_order(void **state)
{
    (void)state;
    az_event_hub *hub;
    assert_int_equal(az_event_hub_new(&hub), 0);
    asyncz_event before = run_event(ASYNCZ_EVENT_TASK_EXECUTED, "old");
    az_event_hub_publish(hub, &before, NULL); /* before the stream opened: not sent */
    az_http_response resp = open_stream(hub, NULL);
    char msg[2048];
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_string_equal(msg, "retry: 3000\n\n");
    for (int i = 0; i < 3; i++) {
        asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_EXECUTED, i == 0 ? "a" : i == 1 ? "b" : "c");
        az_event_hub_publish(hub, &ev, NULL);
    }
    const char *want[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        assert_true(read_message(&resp, msg, sizeof msg));
        char id[64], task[64];
        snprintf(id, sizeof id, "id: %d\nevent: TASK_EXECUTED\ndata: {", i + 2);
        snprintf(task, sizeof task, "\"task_id\":\"%s\"", want[i]);
        assert_true(strncmp(msg, id, strlen(id)) == 0);
        assert_non_null(strstr(msg, task));
        assert_ptr_equal(strchr(strstr(msg, "data: "), '\n'), msg + strlen(msg) - 2); /* data on one line */
    }
    assert_int_equal(az_event_hub_published(hub), 4);
    close_stream(&resp);
    az_event_hub_free(hub);
}

static void test_stream_resumes_after_last_event_id(void **state)
{
    (void)state;
    az_event_hub *hub;
    assert_int_equal(az_event_hub_new(&hub), 0);
    for (int i = 0; i < 5; i++) {
        asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_EXECUTED, "t");
        az_event_hub_publish(hub, &ev, NULL);
    }
    az_http_response resp = open_stream(hub, "3");
    char msg[2048];
    assert_true(read_message(&resp, msg, sizeof msg)); /* retry */
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_true(strncmp(msg, "id: 4\n", 6) == 0);
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_true(strncmp(msg, "id: 5\n", 6) == 0);
    close_stream(&resp);
    /* A Last-Event-ID from the future or not a number: from the next event on. */
    resp = open_stream(hub, "99");
    assert_true(read_message(&resp, msg, sizeof msg));
    asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_EXECUTED, "t");
    az_event_hub_publish(hub, &ev, NULL);
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_true(strncmp(msg, "id: 6\n", 6) == 0);
    close_stream(&resp);
    az_event_hub_free(hub);
}

static void test_lagging_stream_is_told(void **state)
{
    (void)state;
    az_event_hub *hub;
    assert_int_equal(az_event_hub_new(&hub), 0);
    az_http_response resp = open_stream(hub, NULL);
    char msg[2048];
    assert_true(read_message(&resp, msg, sizeof msg)); /* retry */
    for (int i = 0; i < AZ_EVENT_HUB_KEEP + 10; i++) {
        asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_EXECUTED, "t");
        az_event_hub_publish(hub, &ev, NULL);
    }
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_string_equal(msg, "event: lagged\ndata: {\"missed\":10}\n\n");
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_true(strncmp(msg, "id: 11\n", 7) == 0);
    close_stream(&resp);
    az_event_hub_free(hub);
}

/* The hub formats an event when a stream first sends it, after the listener returned: what it keeps must be
 * its own copy of the event, not the scheduler's strings or run times. */
static void test_published_event_is_copied(void **state)
{
    (void)state;
    az_event_hub *hub;
    assert_int_equal(az_event_hub_new(&hub), 0);
    az_http_response resp = open_stream(hub, NULL);
    char msg[2048];
    assert_true(read_message(&resp, msg, sizeof msg)); /* retry */
    char task[16] = "nightly", store[16] = "default", error[32] = "exit status 3";
    asyncz_time_t run_times[2] = {1796692240000000, 1796692241000000};
    asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_SUBMITTED, task);
    ev.alias = store;
    ev.run_times = run_times;
    ev.n_run_times = 2;
    ev.coalesced = 2;
    az_event_hub_publish(hub, &ev, NULL);
    ev = run_event(ASYNCZ_EVENT_TASK_ERROR, task);
    ev.alias = store;
    ev.error_message = error;
    az_event_hub_publish(hub, &ev, NULL);
    memset(task, 'x', sizeof task - 1); /* the scheduler's buffers change once the listener returned */
    memset(store, 'y', sizeof store - 1);
    memset(error, 'z', sizeof error - 1);
    run_times[0] = run_times[1] = 0;
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_non_null(strstr(msg, "event: TASK_SUBMITTED\n"));
    assert_non_null(strstr(msg, "\"task_id\":\"nightly\""));
    assert_non_null(strstr(msg, "\"store\":\"default\""));
    assert_non_null(strstr(msg, "\"scheduled_run_time_us\":1796692240000000"));
    assert_non_null(strstr(msg, "\"coalesced\":2"));
    assert_true(read_message(&resp, msg, sizeof msg));
    assert_non_null(strstr(msg, "\"error\":\"exit status 3\""));
    assert_non_null(strstr(msg, "\"exit_status\":3"));
    assert_null(strstr(msg, "xxx"));
    close_stream(&resp);
    az_event_hub_free(hub);
}

static void *close_later(void *arg)
{
    usleep(100 * 1000);
    az_event_hub_close(arg);
    return NULL;
}

static void test_close_ends_waiting_streams(void **state)
{
    (void)state;
    az_event_hub *hub;
    assert_int_equal(az_event_hub_new(&hub), 0);
    az_http_response resp = open_stream(hub, NULL);
    char msg[2048];
    assert_true(read_message(&resp, msg, sizeof msg)); /* retry */
    pthread_t t;
    pthread_create(&t, NULL, close_later, hub);
    assert_false(read_message(&resp, msg, sizeof msg)); /* blocked until the close, then the end */
    pthread_join(t, NULL);
    asyncz_event ev = run_event(ASYNCZ_EVENT_TASK_EXECUTED, "t");
    az_event_hub_publish(hub, &ev, NULL); /* dropped quietly */
    assert_int_equal(az_event_hub_published(hub), 0);
    close_stream(&resp);
    az_event_hub_free(hub);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_json_members),
        cmocka_unit_test(test_stream_sends_events_in_order),
        cmocka_unit_test(test_stream_resumes_after_last_event_id),
        cmocka_unit_test(test_lagging_stream_is_told),
        cmocka_unit_test(test_published_event_is_copied),
        cmocka_unit_test(test_close_ends_waiting_streams),
    };
    AZ_TEST_FILTER(tests, argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
