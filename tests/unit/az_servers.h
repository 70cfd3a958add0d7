/* Where the store tests find the real database servers that tests/servers/servers.sh starts (CTest's
 * `servers` fixture). A test asks for a server by name and gets its URL, or fails with a message saying how
 * to run it. */
#ifndef AZ_SERVERS_H
#define AZ_SERVERS_H

#include <stddef.h>

/* The URL of server `name` ("redis", "postgresql", "mariadb" or "mongodb"): the environment variable
 * ASYNCZ_TEST_<NAME>_URL when set and non-empty, else that key in the file named by ASYNCZ_TEST_SERVERS_ENV.
 * Fails the running cmocka test (it does not return) when neither has it. The string is borrowed and stays
 * valid until the program ends; call this from the test's own thread, before starting others. */
const char *az_servers_url(const char *name);

/* The lookup behind az_servers_url, which reports instead of failing: copies the URL into out (size n) and
 * returns 0, or returns -1 with a sentence for the test's failure message in why (size why_n), which ends
 * with how to run the test. env_file may be NULL (then only the environment is read). */
int az_servers_lookup(const char *name, const char *env_file, char *out, size_t n, char *why, size_t why_n);

#endif
