/* The store conformance suite: what every store must do by the contract in asyncz/sys/store.h, written once
 * and run against each backend. A test program includes this header, points az_store_factory at a function
 * that makes a new, empty store of its backend, and lists the conformance_* tests in its cmocka table (one
 * cmocka_unit_test per line, so that CTest sees each). tests/CMakeLists.txt compiles store_conformance.c into
 * every unit test program.
 *
 * Each test makes its own store through the factory, opens it (when the backend has an open op) as the
 * scheduler would, and closes and frees it at the end. Times are virtual: the tests pass `now` explicitly
 * and never sleep. */
#ifndef AZ_STORE_CONFORMANCE_H
#define AZ_STORE_CONFORMANCE_H

#include "az_test.h"
#include "asyncz/sys/store.h"

/* Make a new, empty store; 0 or a negative ASYNCZ_E* code. */
typedef int (*az_store_factory_fn)(asyncz_store **out);

/* Set by the test program before cmocka runs the tests. */
extern az_store_factory_fn az_store_factory;

/* Basic operations. */
void conformance_empty_store(void **state);
void conformance_add_lookup(void **state);
void conformance_add_duplicate(void **state);
void conformance_update(void **state);
void conformance_update_missing(void **state);
void conformance_remove(void **state);
void conformance_remove_missing(void **state);
void conformance_remove_all(void **state);
void conformance_count(void **state);

/* Order. */
void conformance_order_microseconds(void **state);
void conformance_order_ties_insertion(void **state);
void conformance_order_update_reschedules(void **state);
void conformance_order_paused_last(void **state);
void conformance_list_stops(void **state);
void conformance_list_reentrant(void **state);

/* Due and earliest. */
void conformance_due(void **state);
void conformance_due_max(void **state);
void conformance_due_excludes_claimed(void **state);
void conformance_due_stops(void **state);
void conformance_earliest(void **state);
void conformance_earliest_lease(void **state);

/* Claims. */
void conformance_claim_max(void **state);
void conformance_claim_tokens_increase(void **state);
void conformance_claim_lease(void **state);
void conformance_claim_nothing_due(void **state);
void conformance_release_update(void **state);
void conformance_release_remove(void **state);
void conformance_release_stale_token(void **state);
void conformance_release_twice(void **state);
void conformance_release_repeat_after_change(void **state);
void conformance_release_unclaimed(void **state);
void conformance_release_after_update(void **state);
void conformance_release_after_remove(void **state);

/* Adding many at once (asyncz_store_add_tasks). */
void conformance_add_many(void **state);
void conformance_add_many_order(void **state);
void conformance_add_many_conflict(void **state);
void conformance_add_many_duplicate(void **state);
void conformance_add_many_invalid(void **state);

/* Volume, text, threads. */
void conformance_many_tasks(void **state);
void conformance_non_ascii(void **state);
void conformance_threads(void **state);

#endif
