/* The store conformance suite: what every store must do by the contract in asyncz/sys/store.h, written once
 * and run against each backend. A test program includes this header, points az_store_factory at a function
 * that makes a new, empty store of its backend, and lists AZ_STORE_CONFORMANCE_TESTS in its cmocka table.
 * store_conformance.c is part of the test-support library (asyncz_testsupport, tests/CMakeLists.txt).
 *
 * Each test makes its own store through the factory, opens it (when the backend has an open op) as the
 * scheduler would, and closes and frees it at the end. Times are virtual: the tests pass `now` explicitly
 * and never sleep. */
#ifndef AZ_STORE_CONFORMANCE_H
#define AZ_STORE_CONFORMANCE_H

#include "az_test.h"
#include "asyncz/sys/store.h"
#include "store_conformance_list.h"

/* Make a new, empty store; 0 or a negative ASYNCZ_E* code. */
typedef int (*az_store_factory_fn)(asyncz_store **out);

/* Set by the test program before cmocka runs the tests. */
extern az_store_factory_fn az_store_factory;

/* The tests, one function each, declared from the one list (store_conformance_list.h). */
#define AZ_CONFORMANCE_DECLARE(name) void name(void **state);
AZ_STORE_CONFORMANCE_LIST(AZ_CONFORMANCE_DECLARE)
#undef AZ_CONFORMANCE_DECLARE

/* All of them as the entries of a cmocka table, separated by commas: a program's table lists
 * AZ_STORE_CONFORMANCE_TESTS, then its own tests (tests/CMakeLists.txt makes each a CTest test). Each entry
 * comes with a comma before it, and the first comma is dropped (the empty first argument of
 * AZ_DROP_FIRST_), so that the table can use the macro as one element. */
#define AZ_CONFORMANCE_ENTRY(name) , cmocka_unit_test(name)
#define AZ_DROP_FIRST_(empty, ...) __VA_ARGS__
#define AZ_DROP_FIRST(...) AZ_DROP_FIRST_(__VA_ARGS__)
#define AZ_STORE_CONFORMANCE_TESTS AZ_DROP_FIRST(AZ_STORE_CONFORMANCE_LIST(AZ_CONFORMANCE_ENTRY))

#endif
