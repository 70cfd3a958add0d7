/* Writing results to stdout: one JSON document (an object, or an array streamed element by element so a
 * listing of 100,000 tasks never sits in memory twice), or a table. */
#include "manage.h"

int az_cli_json_print(json_t *doc)
{
    int rc = doc && json_dumpf(doc, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT) == 0 && putchar('\n') != EOF
                 ? 0
                 : -1;
    json_decref(doc);
    return rc == 0 ? 0 : az_cli_failure("cannot write the JSON output");
}

void az_cli_json_begin(az_json_stream *js)
{
    js->n = 0;
    js->failed = putchar('[') == EOF;
}

void az_cli_json_item(az_json_stream *js, json_t *item)
{
    if (!item || (js->n && putchar(',') == EOF) ||
        json_dumpf(item, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT))
        js->failed = true;
    js->n++;
    json_decref(item);
}

int az_cli_json_end(az_json_stream *js)
{
    if (fputs("]\n", stdout) == EOF || js->failed)
        return az_cli_failure("cannot write the JSON output");
    return 0;
}

int az_cli_table_print(const az_table *t, const az_cli_common *common)
{
    if (az_table_print(t, stdout, az_cli_use_color(common)) != 0)
        return az_cli_failure("cannot write to standard output");
    return 0;
}
