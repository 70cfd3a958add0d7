/* `asyncz auth token NAME --role ROLE [--file FILE]` and `asyncz auth user NAME --role ROLE [--file FILE]`:
 * the operator's way to make the lines of the HTTP server's tokens and users files (docs/http-security.md).
 * A token is printed once and only its SHA-256 goes into the file; a user's password is read from the
 * terminal without echo (twice) or as one line of standard input, and only its yescrypt hash is written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "http/auth.h"
#include "manage.h"

/* The longest password read (the server refuses longer ones at login). */
#define MAX_PASSWORD 1024

const char az_cli_auth_help[] =
    "Usage: asyncz auth token NAME --role ROLE [--file FILE]\n"
    "       asyncz auth user NAME --role ROLE [--file FILE]\n"
    "\n"
    "Make the credentials of the daemon's HTTP server ([http] tokens_file and users_file in the config; see\n"
    "docs/http-security.md). The daemon reads both files when it starts and again on SIGHUP.\n"
    "  token NAME   make a new API token (for 'Authorization: Bearer TOKEN'). Prints the token, which is\n"
    "               shown this once (keep it now), and the line for the tokens file, which holds only\n"
    "               the token's SHA-256: 'NAME ROLE sha256:HEX'\n"
    "  user NAME    make the line of a console user for the users file: 'NAME ROLE HASH'. Reads the\n"
    "               password from the terminal (twice, not shown) or, when standard input is not a\n"
    "               terminal, its first line; hashes it with yescrypt\n"
    "NAME: 1 to 127 of A-Z a-z 0-9 . _ @ -\n"
    "\n"
    "Options:\n"
    "  --role ROLE  what NAME may do (required): viewer reads everything; operator also pauses,\n"
    "               resumes, runs, creates, changes and removes tasks (not shell-command ones); admin\n"
    "               also handles the quarantine and, with [http] allow_commands = true, shell commands\n"
    "  --file FILE  append the line to FILE (made with mode 0600 when missing) instead of printing it;\n"
    "               'token' then prints the token alone. Refused when FILE has NAME already, has a bad\n"
    "               line, or may be written by group or others (the daemon would refuse it too)\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 success; 1 a runtime failure (FILE cannot be written); 2 bad command line, a FILE\n"
    "that has NAME or does not load, or no usable password (empty, too long, the two differ).\n";

enum { OPT_ROLE = AZ_OPT_OWN, OPT_FILE };

static const struct option auth_options[] = {
    {"role", required_argument, NULL, OPT_ROLE},
    {"file", required_argument, NULL, OPT_FILE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct auth_args {
    const char *what, *name, *role, *file;
} auth_args;

static int on_option(void *ctx, int code, const char *value)
{
    auth_args *a = ctx;
    if (code == OPT_ROLE || code == OPT_FILE)
        return az_cli_set_once(auth_options, code == OPT_ROLE ? &a->role : &a->file, code, value);
    if (!a->what)
        a->what = value;
    else if (!a->name)
        a->name = value;
    else
        return az_cli_usage_error("unexpected argument '%s' (one NAME only)", value);
    return 0;
}

/* ---- the file -------------------------------------------------------------------------------------------
 */

/* Append line (and a newline) to path, creating it 0600; a last line without its newline gets one first. */
static int append_line(const char *path, const char *line)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return az_cli_failure("cannot open %s: %s", path, strerror(errno));
    int rc = 0;
    struct stat st;
    char last = '\n';
    if (flock(fd, LOCK_EX) != 0 || fstat(fd, &st) != 0 ||
        (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1))
        rc = az_cli_failure("cannot read %s: %s", path, strerror(errno));
    size_t len = strlen(line);
    char *text = rc ? NULL : malloc(len + 3);
    if (!rc && !text)
        rc = az_cli_failure("out of memory");
    if (!rc) {
        snprintf(text, len + 3, "%s%s\n", last == '\n' ? "" : "\n", line);
        size_t n = strlen(text);
        if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0)
            rc = az_cli_failure("cannot write %s: %s", path, strerror(errno ? errno : EIO));
        explicit_bzero(text, n);
    }
    free(text);
    if (close(fd) != 0 && !rc)
        rc = az_cli_failure("cannot write %s: %s", path, strerror(errno));
    return rc;
}

/* Refuse a FILE that would not take NAME (before a password is asked for nothing). */
static int check_file(const auth_args *a)
{
    char why[1024];
    bool exists;
    if (a->file && az_auth_file_check_new(a->file, strcmp(a->what, "token") == 0 ? "tokens" : "users",
                                          a->name, &exists, why, sizeof why) != 0) {
        fprintf(stderr, "asyncz auth: %s\n", why);
        return AZ_CLI_EXIT_USAGE;
    }
    return 0;
}

/* ---- token -------------------------------------------------------------------------------------------- */

static int make_token(const auth_args *a)
{
    char token[sizeof AZ_AUTH_TOKEN_PREFIX + AZ_AUTH_SECRET_LEN], hash[80], line[256];
    if (az_auth_token_make(token, hash) != 0)
        return az_cli_failure("cannot make a token: the system gives no random bytes");
    snprintf(line, sizeof line, "%s %s %s", a->name, a->role, hash);
    int rc = a->file ? append_line(a->file, line) : 0;
    if (rc == 0) {
        printf("%s\n", token);
        if (!a->file)
            printf("%s\n", line);
    }
    explicit_bzero(token, sizeof token);
    return az_cli_finish(rc);
}

/* ---- user --------------------------------------------------------------------------------------------- */

/* The terminal's settings while echo is off, to put back if a signal ends the command meanwhile. */
static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo(int sig)
{
    if (echo_off)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int echo_signals[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP};

static void set_echo(bool on)
{
    if (!on) {
        if (tcgetattr(STDIN_FILENO, &saved_termios) != 0)
            return;
        for (size_t i = 0; i < sizeof echo_signals / sizeof *echo_signals; i++)
            signal(echo_signals[i], restore_echo);
        struct termios quiet = saved_termios;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        echo_off = 1;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    } else if (echo_off) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
        echo_off = 0;
        for (size_t i = 0; i < sizeof echo_signals / sizeof *echo_signals; i++)
            signal(echo_signals[i], SIG_DFL);
    }
}

/* Read one line of standard input into buf (size MAX_PASSWORD + 2), without its line end. Returns 0, or an
 * exit status after saying what was wrong. */
static int read_line(char *buf, size_t size, bool tty)
{
    errno = 0;
    if (!fgets(buf, (int)size, stdin)) {
        if (ferror(stdin))
            return az_cli_failure("cannot read the password: %s", strerror(errno ? errno : EIO));
        return az_cli_usage_error(tty ? "no password given"
                                      : "no password on standard input (its first line is read)");
    }
    size_t n = strlen(buf);
    bool whole = n > 0 && buf[n - 1] == '\n';
    if (!whole && n == size - 1 && !feof(stdin))
        return az_cli_usage_error("the password is longer than %d bytes", MAX_PASSWORD);
    if (whole)
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (strlen(buf) != n)
        return az_cli_usage_error("the password has a NUL byte");
    if (n == 0)
        return az_cli_usage_error("the password is empty");
    return 0;
}

/* The password: twice from a terminal without echo, else the first line of standard input. */
static int read_password(const char *name, char *buf, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    if (!tty)
        return read_line(buf, size, false);
    char again[MAX_PASSWORD + 2];
    fprintf(stderr, "Password for %s: ", name);
    set_echo(false);
    int rc = read_line(buf, size, true);
    if (rc == 0) {
        fprintf(stderr, "Again: ");
        rc = read_line(again, sizeof again, true);
    }
    set_echo(true);
    if (rc == 0 && strcmp(buf, again) != 0)
        rc = az_cli_usage_error("the two passwords differ: nothing was written");
    explicit_bzero(again, sizeof again);
    return rc;
}

static int make_user(const auth_args *a)
{
    char password[MAX_PASSWORD + 2], hash[256], why[256];
    int rc = read_password(a->name, password, sizeof password);
    if (rc == 0 && az_auth_password_hash(password, hash, sizeof hash, why, sizeof why) != 0)
        rc = az_cli_failure("%s", why);
    explicit_bzero(password, sizeof password);
    if (rc)
        return rc;
    char line[512];
    snprintf(line, sizeof line, "%s %s %s", a->name, a->role, hash);
    if (a->file)
        return az_cli_finish(append_line(a->file, line));
    printf("%s\n", line);
    return az_cli_finish(0);
}

/* ---- the command -------------------------------------------------------------------------------------- */

static int check_args(const auth_args *a)
{
    az_http_role role;
    if (!a->what)
        return az_cli_usage_error(
            "say what to make: 'auth token NAME --role ROLE' or 'auth user NAME --role ROLE'");
    if (strcmp(a->what, "token") != 0 && strcmp(a->what, "user") != 0)
        return az_cli_usage_error("unknown subcommand '%s': 'token' or 'user'", a->what);
    if (!a->name)
        return az_cli_usage_error("auth %s needs a NAME", a->what);
    if (!az_auth_name_valid(a->name))
        return az_cli_usage_error("name '%s': use 1 to %d of A-Z a-z 0-9 . _ @ -", a->name, AZ_AUTH_NAME_MAX);
    if (!a->role)
        return az_cli_usage_error("--role is required: viewer, operator or admin");
    if (az_http_role_parse(a->role, &role) != 0)
        return az_cli_bad_value("--role", a->role, 0, "not a role: viewer, operator or admin");
    if (a->file && !a->file[0])
        return az_cli_usage_error("--file needs a file name");
    return 0;
}

int az_cli_auth(int argc, char **argv)
{
    auth_args a = {0};
    az_cli_common common;
    int rc = az_cli_parse_options(argc, argv, auth_options, &common, on_option, &a);
    if (rc)
        return rc;
    if (az_cli_help_requested(&common, "auth"))
        return az_cli_finish(0);
    if ((rc = check_args(&a)) != 0 || (rc = check_file(&a)) != 0)
        return rc;
    return strcmp(a.what, "token") == 0 ? make_token(&a) : make_user(&a);
}
