/* Where the daemon logs: stderr (the library's sink, colored on a terminal), JSON lines on stderr (the
 * library's), or one of the sinks below, which the tool writes itself through asyncz_log_to_callback:
 *
 *   journald  "<6>asyncz.scheduler: message" on stderr: systemd reads the <N> prefix as the syslog priority
 *             and stamps the time itself, so there is neither a timestamp nor color;
 *   file      timestamped lines appended to a file;
 *   syslog    datagrams to /dev/log.
 *
 * The process pool's workers log through the sink they inherit: its helper closes every descriptor marked
 * close-on-exec, as an exec would. So the log file and the syslog socket are deliberately opened WITHOUT
 * O_CLOEXEC (the library's own file and syslog sinks use the flag, and glibc's syslog() would even keep
 * writing to the closed descriptor's number once something else reuses it). Commands never see them:
 * shell_run.c closes every descriptor above stderr before it runs /bin/sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"

typedef enum sink_kind { SINK_JOURNALD, SINK_FILE, SINK_SYSLOG } sink_kind;

typedef struct sink {
    sink_kind kind;
    int fd;
    char *path;    /* file: its path, to open it again */
    unsigned seen; /* file: the reopen generation this process's fd is of (calls are serialized by the
                      library's sink lock) */
} sink;

/* The callback's userdata: one sink per process, set once before any thread or worker exists. */
static sink the_sink = {.fd = -1};

/* Bumped by SIGHUP (az_daemon_log_reopen): every process that writes the log file (the daemon, the process
 * pool's helper and workers, all forked from it) opens the file again before its next line, so a file that
 * logrotate moved away is followed by a new one. Shared memory, mapped before any fork. */
static _Atomic unsigned *reopen_generation;

/* Before writing: open the file again if a SIGHUP asked for it since this process last did. dup2 puts the
 * new file on the same descriptor, which the workers inherited. */
static void follow_reopen(sink *s)
{
    unsigned gen = reopen_generation ? atomic_load(reopen_generation) : 0;
    if (gen == s->seen)
        return;
    s->seen = gen;
    int fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND, 0640); /* no O_CLOEXEC: see the top of this file */
    if (fd >= 0 && dup2(fd, s->fd) >= 0) {
        close(fd);
        return;
    }
    char line[1024];
    int len =
        snprintf(line, sizeof line,
                 "asyncz.daemon: cannot open the log file %s again: %m; still writing to the one it had "
                 "open\n",
                 s->path);
    if (fd >= 0)
        close(fd);
    if (len > 0)
        (void)!write(s->fd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* syslog(3) priorities of the levels trace..critical. */
static int priority(asyncz_log_level level)
{
    static const int p[] = {7, 7, 6, 4, 3, 2};
    return level >= ASYNCZ_LOG_TRACE && level <= ASYNCZ_LOG_CRITICAL ? p[level] : 6;
}

/* Upper-case level names, as the library's stderr sink writes them. */
static const char *label(asyncz_log_level level)
{
    static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    return level >= ASYNCZ_LOG_TRACE && level <= ASYNCZ_LOG_CRITICAL ? names[level] : "INFO";
}

/* One write(2) per line, so that lines of the daemon and of its workers never interleave. */
static void write_line(int fd, const char *line, int len)
{
    if (len <= 0)
        return;
    ssize_t n = write(fd, line, (size_t)len);
    (void)n; /* nowhere left to report a failing log */
}

static void timestamp(char *buf, size_t size)
{
    asyncz_time_t now = asyncz_now();
    char whole[ASYNCZ_TIME_FORMAT_SIZE];
    int n = asyncz_time_format(whole, sizeof whole, now - now % ASYNCZ_USEC_PER_SEC, NULL);
    int ms = (int)(now % ASYNCZ_USEC_PER_SEC / ASYNCZ_USEC_PER_MSEC);
    if (n >= 6)
        snprintf(buf, size, "%.*s.%03d%s", n - 6, whole, ms, whole + n - 6);
    else
        snprintf(buf, size, "?");
}

static void log_to_sink(asyncz_log_level level, const char *logger, const char *message, void *userdata)
{
    sink *s = userdata;
    char line[8192], when[64];
    int len;
    switch (s->kind) {
    case SINK_JOURNALD:
        len = snprintf(line, sizeof line, "<%d>%s: %s\n", priority(level), logger, message);
        break;
    case SINK_FILE:
        follow_reopen(s);
        timestamp(when, sizeof when);
        len = snprintf(line, sizeof line, "%s %s %s: %s\n", when, label(level), logger, message);
        break;
    default: /* 3 << 3: LOG_DAEMON */
        len = snprintf(line, sizeof line, "<%d>asyncz[%d]: %s: %s", (3 << 3) | priority(level), (int)getpid(),
                       logger, message);
        break;
    }
    write_line(s->fd, line, len < (int)sizeof line ? len : (int)sizeof line - 1);
}

bool az_daemon_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int open_syslog(char *why, size_t why_size)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0); /* no SOCK_CLOEXEC: see the top of this file */
    struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(why, why_size, "cannot connect to the syslog socket /dev/log: %m");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int open_file(const char *path, char *why, size_t why_size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0640); /* no O_CLOEXEC: see the top of this file */
    if (fd < 0)
        snprintf(why, why_size, "cannot open the log file %s for appending: %m", path);
    return fd;
}

/* Whether the log file can be opened, without making it: an existing file is opened (and closed), a
 * missing one needs a directory it can be made in. */
static int check_file(const char *path, char *why, size_t why_size)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno != ENOENT) {
        snprintf(why, why_size, "cannot open the log file %s for appending: %m", path);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(why, why_size, "cannot make the log file %s: its directory %s %s", path, dir,
                 errno == ENOENT ? "does not exist" : strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, why_size, "cannot make the log file %s: %s is not a directory", path, dir);
        return -1;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(why, why_size, "cannot make the log file %s in %s: %m", path, dir);
        return -1;
    }
    return 0;
}

int az_daemon_log_check(const char *log, char *why, size_t why_size)
{
    if (log && strncmp(log, "file:", 5) == 0)
        return check_file(log + 5, why, why_size);
    if (log && strcmp(log, "syslog") == 0) {
        int fd = open_syslog(why, why_size);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return 0;
}

static int use_sink(sink_kind kind, int fd, const char *path)
{
    if (fd < 0)
        return -1;
    if (path && !reopen_generation) {
        void *shared =
            mmap(NULL, sizeof *reopen_generation, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared != MAP_FAILED) {
            reopen_generation = shared;
            atomic_init(reopen_generation, 0);
        }
    }
    /* The path is copied: the sink outlives the config, and lives as long as the process. */
    the_sink = (sink){.kind = kind, .fd = fd, .path = path ? strdup(path) : NULL};
    if (path && !the_sink.path)
        reopen_generation = NULL; /* out of memory: the file is never opened again */
    asyncz_log_to_callback(log_to_sink, &the_sink);
    return 0;
}

int az_daemon_log_setup(const char *log, asyncz_log_level level, char *why, size_t why_size)
{
    asyncz_log_set_level(level);
    if (!log)
        log = az_daemon_stderr_is_journal() ? "journald" : "stderr";
    if (strcmp(log, "stderr") == 0) {
        asyncz_log_to_stderr(-1);
        return 0;
    }
    if (strcmp(log, "json") == 0) {
        asyncz_log_to_json(stderr);
        return 0;
    }
    if (strcmp(log, "journald") == 0)
        return use_sink(SINK_JOURNALD, STDERR_FILENO, NULL);
    if (strcmp(log, "syslog") == 0)
        return use_sink(SINK_SYSLOG, open_syslog(why, why_size), NULL);
    if (strncmp(log, "file:", 5) == 0)
        return use_sink(SINK_FILE, open_file(log + 5, why, why_size), log + 5);
    snprintf(why, why_size, "unknown log destination '%s'", log);
    return -1;
}

bool az_daemon_log_reopen(void)
{
    if (the_sink.kind != SINK_FILE || !reopen_generation)
        return false;
    atomic_fetch_add(reopen_generation, 1);
    return true;
}
