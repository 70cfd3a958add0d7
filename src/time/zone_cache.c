/* Finding zones by name: UTC aliases, fixed offsets, "local", and IANA names read from the tz database.
 * Every zone made here is kept in a process-wide cache (a mutex-protected list, the library's one
 * documented cache of zones) and lives until the process exits, so a zone pointer never dangles. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asyncz/error.h"
#include "time/zone_internal.h"

#define NAME_MAX_LEN 255
#define TZIF_MAX_SIZE (1u << 20)

typedef struct cache_entry {
    struct cache_entry *next;
    asyncz_zone *zone;
    char key[];
} cache_entry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry *cache_head;
/* Entries dropped by az_zone_cache_drop_local stay allocated: their zones may still be in use. */
static cache_entry *cache_retired;

static asyncz_zone *cache_find(const char *key)
{
    for (cache_entry *e = cache_head; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->zone;
    return NULL;
}

static int cache_add(const char *key, asyncz_zone *z)
{
    size_t len = strlen(key) + 1;
    cache_entry *e = malloc(sizeof *e + len);
    if (!e)
        return ASYNCZ_ENOMEM;
    memcpy(e->key, key, len);
    e->zone = z;
    e->next = cache_head;
    cache_head = e;
    return 0;
}

static bool is_utc_alias(const char *name)
{
    return strcmp(name, "UTC") == 0 || strcmp(name, "Z") == 0 || strcmp(name, "Etc/UTC") == 0 ||
           strcmp(name, "GMT") == 0;
}

/* ---- fixed offsets -------------------------------------------------------------------------- */

static int digits(const char **p, int min, int max, int *out)
{
    int n = 0, v = 0;
    while (n < max && (*p)[0] >= '0' && (*p)[0] <= '9') {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n >= min ? 0 : -1;
}

/* An optional ":MM" or "MM" part. */
static int minutes_part(const char **p, int *out)
{
    *out = 0;
    if (**p == ':')
        (*p)++;
    else if (!(**p >= '0' && **p <= '9'))
        return 0;
    return digits(p, 2, 2, out) == 0 && *out < 60 ? 0 : -1;
}

/* [UTC|GMT]±H[H][[:]MM[[:]SS]] with |offset| under 24 hours. Returns 1 and the offset east in seconds,
 * 0 when the name is not shaped like an offset, or ASYNCZ_EINVAL when it is but is malformed. */
static int parse_fixed(const char *name, int32_t *offset, bool *prefixed)
{
    const char *p = name;
    *prefixed = strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0;
    if (*prefixed)
        p += 3;
    if (*p != '+' && *p != '-')
        return 0;
    int sign = *p++ == '-' ? -1 : 1, h, m, s;
    if (digits(&p, 1, 2, &h) < 0 || h > 23 || minutes_part(&p, &m) < 0 || minutes_part(&p, &s) < 0)
        return ASYNCZ_EINVAL;
    if (*p != '\0')
        return ASYNCZ_EINVAL;
    *offset = sign * (h * 3600 + m * 60 + s);
    return 1;
}

/* Canonical names: "+05:30" for a bare offset, "UTC+05:30" for one written with a UTC or GMT prefix;
 * seconds appear only when non-zero. Abbreviations follow tzdata: "+05", "+0530", "+053015". */
static void fixed_names(int32_t offset, bool prefixed, char *name, size_t nsize, char *abbr)
{
    char sign = offset < 0 ? '-' : '+';
    int32_t a = offset < 0 ? -offset : offset;
    int h = a / 3600, m = a / 60 % 60, s = a % 60;
    const char *pre = prefixed ? "UTC" : "";
    if (s)
        snprintf(name, nsize, "%s%c%02d:%02d:%02d", pre, sign, h, m, s);
    else
        snprintf(name, nsize, "%s%c%02d:%02d", pre, sign, h, m);
    if (s)
        snprintf(abbr, AZ_ABBR_MAX, "%c%02d%02d%02d", sign, h, m, s);
    else if (m)
        snprintf(abbr, AZ_ABBR_MAX, "%c%02d%02d", sign, h, m);
    else
        snprintf(abbr, AZ_ABBR_MAX, "%c%02d", sign, h);
}

static int make_fixed(int32_t offset, bool prefixed, asyncz_zone **out)
{
    az_tzif data = {.ntypes = 1};
    char name[32];
    data.types[0].utoff = offset;
    fixed_names(offset, prefixed, name, sizeof name, data.types[0].abbr);
    return az_zone_build(out, name, &data);
}

/* ---- files ---------------------------------------------------------------------------------- */

/* IANA names: parts of [A-Za-z0-9_+-.] joined by '/', none empty, none "." or "..", nothing absolute. */
static bool valid_iana_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > NAME_MAX_LEN || name[0] == '/' || name[len - 1] == '/' || strstr(name, "..") ||
        strstr(name, "//"))
        return false;
    if (strcmp(name, ".") == 0 || strncmp(name, "./", 2) == 0 || strstr(name, "/./") ||
        (len >= 2 && strcmp(name + len - 2, "/.") == 0))
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '+' || c == '-' || c == '.' || c == '/';
        if (!ok)
            return false;
    }
    return true;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ASYNCZ_EIO;
        got += (size_t)n;
    }
    return 0;
}

/* Read a whole TZif file. A missing file or a directory is no zone; an oversized one is bad data. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR || errno == EISDIR ? ASYNCZ_EZONE : ASYNCZ_EIO;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = ASYNCZ_EIO;
    else if (!S_ISREG(st.st_mode))
        rc = ASYNCZ_EZONE;
    else if (st.st_size > TZIF_MAX_SIZE)
        rc = ASYNCZ_ETZDATA;
    uint8_t *buf = rc == 0 ? malloc((size_t)st.st_size + 1) : NULL;
    if (rc == 0 && !buf)
        rc = ASYNCZ_ENOMEM;
    if (rc == 0)
        rc = read_all(fd, buf, (size_t)st.st_size);
    close(fd);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = (size_t)st.st_size;
    return 0;
}

static int load_path(const char *path, const char *name, asyncz_zone **out)
{
    uint8_t *buf;
    size_t len;
    int rc = read_file(path, &buf, &len);
    if (rc < 0)
        return rc;
    az_tzif data;
    rc = az_tzif_parse(buf, len, &data);
    free(buf);
    if (rc < 0)
        return rc;
    rc = az_zone_build(out, name, &data);
    az_tzif_free(&data);
    return rc;
}

static const char *tz_dir(void)
{
    const char *dir = getenv("TZDIR");
    return dir && *dir ? dir : "/usr/share/zoneinfo";
}

static int load_iana(const char *name, asyncz_zone **out)
{
    if (!valid_iana_name(name))
        return ASYNCZ_EINVAL;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", tz_dir(), name) >= sizeof path)
        return ASYNCZ_EINVAL;
    return load_path(path, name, out);
}

/* ---- local ---------------------------------------------------------------------------------- */

/* The IANA name in a path below a zoneinfo directory ("/usr/share/zoneinfo/Europe/Berlin"), else NULL. */
static const char *name_below_zoneinfo(const char *path)
{
    const char *p = strstr(path, "zoneinfo/");
    const char *last = NULL;
    for (; p; p = strstr(p + 1, "zoneinfo/"))
        last = p + strlen("zoneinfo/");
    return last && valid_iana_name(last) ? last : NULL;
}

static int load_etc_localtime(asyncz_zone **out)
{
    char target[4096];
    ssize_t n = readlink("/etc/localtime", target, sizeof target - 1);
    const char *name = NULL;
    if (n > 0) {
        target[n] = '\0';
        name = name_below_zoneinfo(target);
    }
    int rc = load_path("/etc/localtime", name ? name : "local", out);
    /* With no /etc/localtime the C library uses UTC; so do we. */
    if (rc == ASYNCZ_EZONE) {
        *out = asyncz_zone_ref(asyncz_zone_utc());
        rc = 0;
    }
    return rc;
}

static int load_posix_string(const char *tz, asyncz_zone **out)
{
    az_tzif data = {.ntypes = 0, .has_footer = true};
    if (az_posix_tz_parse(tz, &data.footer) < 0)
        return ASYNCZ_EZONE;
    return az_zone_build(out, "local", &data);
}

static int get_locked(const char *name, asyncz_zone **out);

/* $TZ as glibc reads it: empty is UTC; a leading ':' is dropped; an absolute path is a TZif file; a name
 * found in the tz database is that zone; anything else must be a POSIX TZ string. */
static int load_local(asyncz_zone **out)
{
    const char *tz = getenv("TZ");
    if (!tz)
        return load_etc_localtime(out);
    if (*tz == ':')
        tz++;
    if (*tz == '\0') {
        *out = asyncz_zone_ref(asyncz_zone_utc());
        return 0;
    }
    if (tz[0] == '/') {
        const char *name = name_below_zoneinfo(tz);
        return load_path(tz, name ? name : "local", out);
    }
    /* TZ=local would name this very lookup; it is no file and no TZ string. */
    if (strcmp(tz, "local") == 0)
        return ASYNCZ_EZONE;
    if (valid_iana_name(tz)) {
        int rc = get_locked(tz, out);
        if (rc != ASYNCZ_EZONE)
            return rc;
    }
    return load_posix_string(tz, out);
}

/* ---- the cache ------------------------------------------------------------------------------ */

static int load(const char *name, asyncz_zone **out)
{
    int32_t offset;
    bool prefixed;
    if (strcmp(name, "local") == 0)
        return load_local(out);
    int rc = parse_fixed(name, &offset, &prefixed);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return make_fixed(offset, prefixed, out);
    return load_iana(name, out);
}

/* Called with the lock held. Returns a new reference. */
static int get_locked(const char *name, asyncz_zone **out)
{
    if (is_utc_alias(name)) {
        *out = asyncz_zone_ref(asyncz_zone_utc());
        return 0;
    }
    asyncz_zone *z = cache_find(name);
    if (z) {
        *out = asyncz_zone_ref(z);
        return 0;
    }
    int rc = load(name, &z);
    if (rc < 0)
        return rc;
    if (cache_find(name) == NULL && cache_add(name, z) < 0) {
        az_zone_free(z);
        return ASYNCZ_ENOMEM;
    }
    /* The cache holds the reference made by the build; the caller gets its own. */
    *out = asyncz_zone_ref(z);
    return 0;
}

int asyncz_zone_get(asyncz_zone **out, const char *name)
{
    if (!out)
        return ASYNCZ_EINVAL;
    *out = NULL;
    if (!name || !*name || strlen(name) > NAME_MAX_LEN)
        return ASYNCZ_EINVAL;
    pthread_mutex_lock(&cache_lock);
    int rc = get_locked(name, out);
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

void az_zone_cache_drop_local(void)
{
    pthread_mutex_lock(&cache_lock);
    for (cache_entry **p = &cache_head; *p; p = &(*p)->next) {
        if (strcmp((*p)->key, "local") == 0) {
            cache_entry *e = *p;
            *p = e->next;
            e->next = cache_retired;
            cache_retired = e;
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
}

const char *az_zone_data_dir(void)
{
    return tz_dir();
}
