/* Where the test servers are (see az_servers.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "az_servers.h"
#include "az_test.h"

static void env_key(const char *name, char *key, size_t size)
{
    snprintf(key, size, "ASYNCZ_TEST_%s_URL", name);
    for (char *p = key; *p; p++)
        *p = (char)toupper((unsigned char)*p);
}

/* KEY=VALUE from the env file, or NULL. */
static const char *from_file(const char *path, const char *key)
{
    static char value[1024];
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return NULL;
    char line[1200];
    size_t klen = strlen(key);
    const char *found = NULL;
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0 || line[klen] != '=')
            continue;
        snprintf(value, sizeof value, "%s", line + klen + 1);
        value[strcspn(value, "\r\n")] = '\0';
        found = value;
    }
    fclose(f);
    return found;
}

const char *az_servers_url(const char *name)
{
    char key[64];
    env_key(name, key, sizeof key);
    const char *url = getenv(key);
    if (url && *url)
        return url;
    const char *path = getenv("ASYNCZ_TEST_SERVERS_ENV");
    url = from_file(path, key);
    if (!url)
        fail_msg("%s is not set and %s has no such line: run the store tests through ctest, whose `servers` "
                 "fixture starts the test servers (tests/servers/servers.sh), or export %s",
                 key, path ? path : "ASYNCZ_TEST_SERVERS_ENV (unset)", key);
    return url;
}
