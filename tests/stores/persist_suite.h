/* The persistent-store suite: what every persistent backend (file, sqlite, postgresql, mariadb, redis,
 * mongodb) must do beyond the store conformance suite (tests/unit/store_conformance.h): survive a reopen,
 * seal and open records, refuse and quarantine tampered or unreadable records, share claims between two
 * store objects on the same data (as two processes would), heartbeats, and clear errors for bad options and
 * unreachable servers.
 *
 * A backend's test program (tests/stores/test_store_<name>.c) sets az_store_url before cmocka runs, and
 * az_store_factory = az_persist_factory to run the conformance suite too; then lists AZ_STORE_SUITES (below)
 * in its cmocka table. Tests reach raw records through the record backend under the store
 * (az_persist_backend) to tamper with them. */
#ifndef AZ_PERSIST_SUITE_H
#define AZ_PERSIST_SUITE_H

#include "store_conformance.h"

/* Write into buf (size bytes) the URL of a store namespace (table / key prefix / collection / directory)
 * that no other test process uses, numbered n: the same n gives the same namespace within one process
 * (that is how a test reopens a store), another n another, empty one. */
typedef void (*az_store_url_fn)(char *buf, size_t size, unsigned n);
extern az_store_url_fn az_store_url;

/* A URL of this backend that cannot be reached (a closed port, a directory that cannot exist), for the
 * error test; NULL to skip that test's connection part. */
extern const char *az_store_unreachable_url;

/* A URL of this backend with an unknown option "bogus_option=1" (the test expects ASYNCZ_EINVAL naming it).
 */
extern const char *az_store_bad_option_url;

/* A conformance factory: opens a fresh namespace each call. */
int az_persist_factory(asyncz_store **out);

/* Persistence. */
void persist_reopen(void **state);
void persist_reopen_order(void **state);
void persist_large_record(void **state);
void persist_two_objects_share(void **state);
void persist_lease_takeover(void **state);

/* Sealing (ASYNCZ_STORE_ENCRYPTION_KEY). */
void persist_seal_round_trip(void **state);
void persist_seal_flipped_byte(void **state);
void persist_seal_copied_to_other_id(void **state);
void persist_seal_plaintext_with_key(void **state);
void persist_seal_wrong_key(void **state);
void persist_sealed_without_key(void **state);
void persist_seal_wrong_key_large_store(void **state);
void persist_seal_other_key_among_good(void **state);
void persist_sealed_after_plaintext_without_key(void **state);
void persist_seal_key_on_plaintext_store(void **state);
void persist_seal_key_on_large_plaintext_store(void **state);

/* Adding many at once. */
void persist_add_many_sealed(void **state);
void persist_add_many_shared(void **state);

/* Quarantine. */
void persist_quarantine_garbage(void **state);
void persist_quarantine_other_id(void **state);
void persist_quarantine_index_mismatch(void **state);
void persist_quarantine_in_due_and_list(void **state);
void persist_zone_not_loading(void **state);
void persist_list_many_in_parallel(void **state);
void persist_tasks_get_the_store_alias(void **state);
void persist_connect_existing(void **state);
void persist_connect_existing_creates_nothing(void **state);
void persist_inspect_leaves_unreadable(void **state);
void persist_inspect_wrong_key_moves_nothing(void **state);

/* Taking records out of the quarantine. */
void persist_quarantine_drop(void **state);
void persist_quarantine_restore_refuses_bad(void **state);
void persist_quarantine_restore_with_right_key(void **state);
void persist_quarantine_restore_replace(void **state);
void persist_quarantine_restore_by_time(void **state);

/* Heartbeats (backends with put_instance). */
void persist_instances(void **state);

/* Callbacks that call the same store again (the unreadable/quarantined callback, the quarantine, instance
 * and task listings' functions). */
void persist_reentry_unreadable(void **state);
void persist_reentry_host_quarantined(void **state);
void persist_reentry_quarantine_listing(void **state);
void persist_reentry_instances(void **state);
void persist_reentry_store_each(void **state);

/* The journals of run history and the audit trail, on the backend ops (tests/stores/journal_suite.c;
 * skipped by a backend without them). */
void journal_put_get_list(void **state);
void journal_upsert(void **state);
void journal_filters(void **state);
void journal_pagination(void **state);
void journal_list_stops(void **state);
void journal_separate(void **state);
void journal_prune_age(void **state);
void journal_trim_task(void **state);
void journal_batch_and_large(void **state);
void journal_shared_and_reopened(void **state);
/* The persist layer's history on the journals: sealed, refused when tampered or not matching. */
void history_sealed_and_tampered(void **state);
void history_refuses_what_does_not_match(void **state);
void audit_sealed_and_tampered(void **state);

/* Errors. */
void persist_bad_option(void **state);
void persist_unreachable(void **state);

/* Both suites, for a test program's cmocka table: AZ_STORE_SUITES followed by the backend's own tests.
 * One cmocka_unit_test per line: tests/CMakeLists.txt reads the test names from this header (and those of
 * the conformance suite from store_conformance_list.h) for every store test that uses the macro, so each
 * still becomes its own CTest test. */
// clang-format off
#define AZ_STORE_SUITES \
    AZ_STORE_CONFORMANCE_TESTS, \
    cmocka_unit_test(persist_reopen), \
    cmocka_unit_test(persist_reopen_order), \
    cmocka_unit_test(persist_large_record), \
    cmocka_unit_test(persist_two_objects_share), \
    cmocka_unit_test(persist_lease_takeover), \
    cmocka_unit_test(persist_seal_round_trip), \
    cmocka_unit_test(persist_seal_flipped_byte), \
    cmocka_unit_test(persist_seal_copied_to_other_id), \
    cmocka_unit_test(persist_seal_plaintext_with_key), \
    cmocka_unit_test(persist_seal_wrong_key), \
    cmocka_unit_test(persist_sealed_without_key), \
    cmocka_unit_test(persist_seal_wrong_key_large_store), \
    cmocka_unit_test(persist_seal_other_key_among_good), \
    cmocka_unit_test(persist_sealed_after_plaintext_without_key), \
    cmocka_unit_test(persist_seal_key_on_plaintext_store), \
    cmocka_unit_test(persist_seal_key_on_large_plaintext_store), \
    cmocka_unit_test(persist_add_many_sealed), \
    cmocka_unit_test(persist_add_many_shared), \
    cmocka_unit_test(persist_quarantine_garbage), \
    cmocka_unit_test(persist_quarantine_other_id), \
    cmocka_unit_test(persist_quarantine_index_mismatch), \
    cmocka_unit_test(persist_quarantine_in_due_and_list), \
    cmocka_unit_test(persist_zone_not_loading), \
    cmocka_unit_test(persist_list_many_in_parallel), \
    cmocka_unit_test(persist_tasks_get_the_store_alias), \
    cmocka_unit_test(persist_connect_existing), \
    cmocka_unit_test(persist_connect_existing_creates_nothing), \
    cmocka_unit_test(persist_inspect_leaves_unreadable), \
    cmocka_unit_test(persist_inspect_wrong_key_moves_nothing), \
    cmocka_unit_test(persist_quarantine_drop), \
    cmocka_unit_test(persist_quarantine_restore_refuses_bad), \
    cmocka_unit_test(persist_quarantine_restore_with_right_key), \
    cmocka_unit_test(persist_quarantine_restore_replace), \
    cmocka_unit_test(persist_quarantine_restore_by_time), \
    cmocka_unit_test(persist_instances), \
    cmocka_unit_test(persist_reentry_unreadable), \
    cmocka_unit_test(persist_reentry_host_quarantined), \
    cmocka_unit_test(persist_reentry_quarantine_listing), \
    cmocka_unit_test(persist_reentry_instances), \
    cmocka_unit_test(persist_reentry_store_each), \
    cmocka_unit_test(journal_put_get_list), \
    cmocka_unit_test(journal_upsert), \
    cmocka_unit_test(journal_filters), \
    cmocka_unit_test(journal_pagination), \
    cmocka_unit_test(journal_list_stops), \
    cmocka_unit_test(journal_separate), \
    cmocka_unit_test(journal_prune_age), \
    cmocka_unit_test(journal_trim_task), \
    cmocka_unit_test(journal_batch_and_large), \
    cmocka_unit_test(journal_shared_and_reopened), \
    cmocka_unit_test(history_sealed_and_tampered), \
    cmocka_unit_test(history_refuses_what_does_not_match), \
    cmocka_unit_test(audit_sealed_and_tampered), \
    cmocka_unit_test(persist_bad_option), \
    cmocka_unit_test(persist_unreachable)
// clang-format on

#endif
