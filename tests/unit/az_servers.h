/* Where the test servers are (tests/servers starts them; the `servers` CTest fixture writes their URLs to
 * the file named by ASYNCZ_TEST_SERVERS_ENV, lines KEY=VALUE). */
#ifndef AZ_SERVERS_H
#define AZ_SERVERS_H

/* The URL of a test server: name is "redis", "postgresql", "mariadb" or "mongodb". Looks up
 * ASYNCZ_TEST_<NAME>_URL in the environment first, then in the servers' env file. Fails the running test
 * (cmocka fail_msg) with a message saying how to get the servers when neither has it. Static storage. */
const char *az_servers_url(const char *name);

#endif
