/* `asyncz version` and the two helpers every command ends with (az_cli_finish) or starts with
 * (az_cli_is_help_flag). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

bool az_cli_is_help_flag(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int az_cli_finish(int rc)
{
    if (fflush(stdout) != 0 && rc == 0)
        return az_cli_failure("cannot write to standard output");
    return rc;
}

/* {"version": "0.1.0", "stores": ["memory", "file", ...]}: the library the tool runs with and the store
 * backends it was built with. */
static int print_version_json(void)
{
    static const char *const kinds[] = {"memory",  "file",  "sqlite", "postgresql",
                                        "mariadb", "redis", "mongodb"};
    json_t *stores = json_array();
    for (size_t i = 0; stores && i < sizeof kinds / sizeof kinds[0]; i++)
        if (asyncz_store_scheme_supported(kinds[i]) && json_array_append_new(stores, json_string(kinds[i]))) {
            json_decref(stores);
            stores = NULL;
        }
    /* "o" hands stores over to the object, also when packing fails. */
    json_t *doc = stores ? json_pack("{s:s, s:o}", "version", asyncz_version(), "stores", stores) : NULL;
    if (!doc)
        return az_cli_failure("out of memory");
    bool written = json_dumpf(doc, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT) == 0 && putchar('\n') != EOF;
    json_decref(doc);
    return written ? 0 : az_cli_failure("cannot write to standard output");
}

int az_cli_version(int argc, char **argv)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (az_cli_is_help_flag(argv[i])) {
            az_cli_print_command_help(stdout, "version");
            return az_cli_finish(0);
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] == '-')
            return az_cli_usage_error("unknown option '%s'", argv[i]);
        else
            return az_cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (json)
        return az_cli_finish(print_version_json());
    printf("asyncz %s\n", asyncz_version());
    return az_cli_finish(0);
}
