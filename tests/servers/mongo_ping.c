/* asyncz-mongo-ping URL [MODE]: checks through libmongoc (the client the mongodb store uses) that a MongoDB
 * server answers and keeps documents. Prints "ok" and exits 0, or prints the driver's error and exits 1.
 * tests/servers/test_servers.sh and test_restart.sh run it against FerretDB. */
#include <stdio.h>
#include <string.h>
#include <mongoc/mongoc.h>

static int report(const char *step, const bson_error_t *error)
{
    fprintf(stderr, "asyncz-mongo-ping: %s: %s\n", step, error->message);
    return 1;
}

/* Ping, then by mode: "smoke" inserts, counts and drops a document in asyncz.servers_smoke; "write"
 * inserts one into asyncz.servers_restart; "read" expects it there and drops the collection. */
static int round_trip(mongoc_client_t *client, const char *mode)
{
    bson_error_t error;
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bool ok = mongoc_client_command_simple(client, "admin", ping, NULL, NULL, &error);
    bson_destroy(ping);
    if (!ok)
        return report("ping", &error);
    bool smoke = strcmp(mode, "smoke") == 0;
    mongoc_collection_t *coll =
        mongoc_client_get_collection(client, "asyncz", smoke ? "servers_smoke" : "servers_restart");
    bson_t *doc = BCON_NEW("_id", BCON_UTF8("marker"), "n", BCON_INT32(1));
    int64_t n = 1;
    if (strcmp(mode, "read") != 0)
        ok = mongoc_collection_insert_one(coll, doc, NULL, NULL, &error);
    if (ok && strcmp(mode, "write") != 0)
        ok = (n = mongoc_collection_count_documents(coll, doc, NULL, NULL, NULL, &error)) >= 0 &&
             mongoc_collection_drop(coll, &error);
    bson_destroy(doc);
    mongoc_collection_destroy(coll);
    if (!ok)
        return report(mode, &error);
    if (n != 1) {
        fprintf(stderr, "asyncz-mongo-ping: %s: %lld documents where 1 was written\n", mode, (long long)n);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc == 3 ? argv[2] : "smoke";
    if (argc < 2 || argc > 3 ||
        (strcmp(mode, "smoke") != 0 && strcmp(mode, "write") != 0 && strcmp(mode, "read") != 0)) {
        fprintf(stderr, "usage: asyncz-mongo-ping mongodb://HOST:PORT/ [smoke|write|read]\n");
        return 2;
    }
    mongoc_init();
    /* The driver's own log would add warnings FerretDB provokes at disconnect (it has no endSessions
     * command); every failure that matters comes back through bson_error_t and is printed by report(). */
    mongoc_log_set_handler(NULL, NULL);
    bson_error_t error;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &error);
    int rc = 1;
    if (!uri) {
        rc = report("URL", &error);
    } else {
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 10000);
        mongoc_client_t *client = mongoc_client_new_from_uri(uri);
        rc = client ? round_trip(client, mode) : 1;
        mongoc_client_destroy(client);
        mongoc_uri_destroy(uri);
    }
    mongoc_cleanup();
    if (rc == 0)
        printf("ok\n");
    return rc;
}
