/* Plugin libraries: shared libraries a config names in [scheduler] plugins, each exporting
 *
 *     int asyncz_plugin_init(asyncz_scheduler *s);
 *
 * which registers its functions with asyncz_scheduler_register and returns 0. Tasks can call only
 * functions registered this way (or the shell): store content never names code of its own.
 *
 * Libraries are loaded with RTLD_NOW, so a missing symbol fails here and not in the middle of a run, and
 * before the scheduler starts: the process pool's workers are a snapshot taken when it starts. A relative
 * path is taken relative to the config file's directory; a bare file name is searched as ld.so(8) does. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define PLUGIN_INIT "asyncz_plugin_init"

typedef int (*plugin_init_fn)(asyncz_scheduler *s);

/* The path dlopen gets: relative paths with a slash are relative to the config file's directory. The
 * path appears in dlopen's messages, so it is written as a person would: "./nope.so" next to "./x.conf" stays
 * "./nope.so" (not "././nope.so"), and next to "/etc/asyncz/x.conf" it is "/etc/asyncz/nope.so". Returns
 * 0, or -1 when out of memory or too long. */
static int resolve(const char *config_path, const char *plugin, char *out, size_t size)
{
    int n;
    if (plugin[0] == '/' || !strchr(plugin, '/')) {
        n = snprintf(out, size, "%s", plugin);
    } else {
        char *copy = strdup(config_path);
        if (!copy)
            return -1;
        const char *dir = dirname(copy);
        const char *rest = plugin;
        while (rest[0] == '.' && rest[1] == '/') /* "./" adds nothing to a directory */
            for (rest += 2; *rest == '/';)
                rest++;
        if (strcmp(dir, ".") == 0)
            n = snprintf(out, size, "./%s", rest);
        else
            n = snprintf(out, size, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", rest);
        free(copy);
    }
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void *load_one(const az_config *cfg, const char *plugin, az_cfg_errors *errs)
{
    char path[PATH_MAX];
    if (resolve(cfg->path, plugin, path, sizeof path) != 0) {
        az_cfg_error_add(errs, cfg->plugins_line,
                         "[scheduler] plugins: '%s': path too long (or out of memory)", plugin);
        return NULL;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        az_cfg_error_add(errs, cfg->plugins_line, "[scheduler] plugins: '%s': cannot load it: %s", plugin,
                         dlerror());
        return NULL;
    }
    if (!dlsym(h, PLUGIN_INIT)) {
        az_cfg_error_add(errs, cfg->plugins_line,
                         "[scheduler] plugins: '%s': not an asyncz plugin: it has no function %s", plugin,
                         PLUGIN_INIT);
        dlclose(h);
        return NULL;
    }
    return h;
}

int az_plugins_load(const az_config *cfg, az_plugins *p, az_cfg_errors *errs)
{
    *p = (az_plugins){0};
    if (cfg->n_plugins == 0)
        return 0;
    p->handles = calloc(cfg->n_plugins, sizeof *p->handles);
    if (!p->handles) {
        az_cfg_error_oom(errs);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < cfg->n_plugins; i++) {
        void *h = load_one(cfg, cfg->plugins[i], errs);
        if (h)
            p->handles[p->n++] = h;
        else
            rc = -1;
    }
    return rc;
}

int az_plugins_init(const az_config *cfg, const az_plugins *p, asyncz_scheduler *s, az_cfg_errors *errs)
{
    int rc = 0;
    for (size_t i = 0; i < p->n; i++) {
        plugin_init_fn init;
        *(void **)&init = dlsym(p->handles[i], PLUGIN_INIT); /* POSIX's way to turn it into a function */
        int r = init ? init(s) : -1;
        if (r != 0) {
            az_cfg_error_add(errs, cfg->plugins_line, "[scheduler] plugins: '%s': %s() failed (%d)",
                             i < cfg->n_plugins ? cfg->plugins[i] : "?", PLUGIN_INIT, r);
            rc = -1;
        }
    }
    return rc;
}

void az_plugins_close(az_plugins *p)
{
    for (size_t i = 0; i < p->n; i++)
        dlclose(p->handles[i]);
    free(p->handles);
    *p = (az_plugins){0};
}
