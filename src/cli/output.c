/* What the preview command prints on stdout: one ISO-8601 line per fire time, or one JSON object. */
#include <jansson.h>

#include "cli.h"

/* Format t in zone, with the zone's UTC offset at that instant. */
static int format_time(char *buf, size_t size, asyncz_time_t t, const asyncz_zone *zone)
{
    int rc = asyncz_time_format(buf, size, t, zone);
    if (rc < 0)
        return az_cli_failure("cannot format a fire time: %s", asyncz_strerror(rc));
    return 0;
}

int az_cli_print_times(const asyncz_time_t *times, size_t n, const asyncz_zone *zone)
{
    for (size_t i = 0; i < n; i++) {
        char line[ASYNCZ_TIME_FORMAT_SIZE];
        int rc = format_time(line, sizeof line, times[i], zone);
        if (rc)
            return rc;
        puts(line);
    }
    return 0;
}

static json_t *run_times_array(const asyncz_time_t *times, size_t n, const asyncz_zone *zone)
{
    json_t *array = json_array();
    if (!array) {
        az_cli_failure("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char text[ASYNCZ_TIME_FORMAT_SIZE];
        if (format_time(text, sizeof text, times[i], zone)) {
            json_decref(array);
            return NULL;
        }
        if (json_array_append_new(array, json_string(text))) {
            az_cli_failure("out of memory");
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

int az_cli_print_json(const asyncz_time_t *times, size_t n, const asyncz_zone *zone, bool exhausted)
{
    json_t *run_times = run_times_array(times, n, zone);
    if (!run_times)
        return AZ_CLI_EXIT_FAILURE;
    /* "o" hands run_times over to the object, also when packing fails. */
    json_t *doc = json_pack("{s:s, s:o, s:b}", "timezone", asyncz_zone_name(zone), "run_times", run_times,
                            "exhausted", (int)exhausted);
    int rc = doc && json_dumpf(doc, stdout, JSON_PRESERVE_ORDER) == 0 && putchar('\n') != EOF ? 0 : -1;
    json_decref(doc);
    return rc == 0 ? 0 : az_cli_failure("cannot write the JSON output");
}
