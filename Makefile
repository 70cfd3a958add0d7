# Convenience wrapper around CMake. `make demo` builds and runs the asyncz daemon with example tasks on a
# local SQLite store (examples/run-demo.sh). `make` installs missing Debian build dependencies (as root; otherwise
# it prints the apt-get command) and builds; `make test` runs the whole suite plainly, then again under
# AddressSanitizer+UndefinedBehaviorSanitizer, then the fuzzers briefly, then the Python package's tests and
# the daemon's HTTP API (tests/http) and its web console in a browser (tests/console); `make bench` runs the
# benchmarks.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 15
CMAKE_FLAGS ?=
PYTHON     ?= python3
PY_VENV    ?= $(BUILD)/pyvenv
PY_ASAN_VENV ?= $(ASAN_BUILD)/pyvenv

# Debian packages needed to build and test: the stores' client libraries and, for the store tests, the
# database servers themselves (tests/servers); libmicrohttpd and libcrypt for the daemon's HTTP API and
# console, wrk to measure it (make bench) and Chromium to test the console in a browser. Go builds FerretDB; it is not in this list because CI
# machines bring a newer Go than Debian's, which must not be installed over it (`make servers` checks).
DEBIAN_DEPS = cmake ninja-build gcc clang pkg-config tzdata libjansson-dev libcmocka-dev libuv1-dev libevent-dev \
	libinih-dev libssl-dev libhiredis-dev libmongoc-dev libbson-dev libpq-dev libmariadb-dev libsqlite3-dev sqlite3 \
	redis-server redis-tools postgresql postgresql-client mariadb-server mariadb-client python3-dev python3-venv \
	libmicrohttpd-dev libcrypt-dev wrk chromium

.PHONY: all deps servers build test test-plain test-asan test-tsan test-python test-http test-console test-python-asan fuzz bench install clean demo

all: build

deps:
	@missing=""; for p in $(DEBIAN_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing Debian packages; run:"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# FerretDB (MongoDB's wire protocol on SQLite) for the store tests, built once with Go into
# ~/.cache/asyncz/bin; the servers fixture would build it too, but its first build takes minutes.
servers:
	@command -v go >/dev/null || { echo "Go (>= 1.22) is needed to build FerretDB for the store tests"; exit 1; }
	tests/servers/servers.sh build-ferretdb

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DASYNCZ_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: test-plain test-asan test-tsan fuzz test-python test-http test-console test-python-asan

# The store tests start real database servers through CTest's `servers` fixture (tests/servers/servers.sh);
# every suite below gets it, since each runs ctest.
test-plain: build servers
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_WERROR=ON -DASYNCZ_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: deps servers $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

$(TSAN_BUILD)/build.ninja:
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_WERROR=ON -DASYNCZ_TSAN=ON $(CMAKE_FLAGS)

# ThreadSanitizer over the threaded parts: the scheduler's run modes, the executors, the stress test and the
# stores (CTest adds the servers fixture to the selection by itself).
TSAN_TESTS = test_stress|test_http_|test_sched_history|test_run_output|test_ids|test_reentry|test_run_modes|test_sched_shutdown_wait|test_sched_store_io|test_threadpool|test_exec_inline|test_memory_store|test_processpool|test_exec_scheduler|test_store_
test-tsan: deps servers $(TSAN_BUILD)/build.ninja
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

$(FUZZ_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_FUZZ=ON -DASYNCZ_BUILD_TESTS=OFF $(CMAKE_FLAGS)

# Each fuzzer runs FUZZ_SECONDS from its kept corpus in tests/fuzz/corpus/<name>.
fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The Python package (python/, import casyncz): a virtual environment under $(BUILD), `pip install ./python`
# as a user would (scikit-build-core builds libasyncz into the extension; its build directory is kept under
# $(BUILD) so that a second run is incremental), and its pytest suite, uvicorn and Starlette included, with
# the test servers up for the Redis and PostgreSQL stores.
test-python: deps servers
	test -x $(PY_VENV)/bin/python || $(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check pytest uvicorn starlette lilya fastapi
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check ./python \
	  --config-settings=build-dir=$(abspath $(BUILD))/casyncz --config-settings=cmake.define.ASYNCZ_WERROR=ON
	tests/servers/servers.sh run $(BUILD)/python-servers sh -c \
	  'cd python && $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider -rs tests'

# The daemon's HTTP API (tests/http): pytest against `asyncz start` from $(BUILD), in the same virtual
# environment, with jsonschema and openapi-spec-validator to check every answer against
# src/cli/http/openapi.json. HTTP itself is the standard library's (http.client, socket).
test-http: build
	test -x $(PY_VENV)/bin/python || $(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check pytest jsonschema openapi-spec-validator
	ASYNCZ_BIN=$(abspath $(BUILD))/asyncz $(PY_VENV)/bin/python -m pytest -q -p no:cacheprovider -rs tests/http

# The web console in a real browser (tests/console): pytest and Playwright for Python drive Debian's Chromium
# (/usr/bin/chromium, from DEBIAN_DEPS; Playwright's own browser download is never used) against daemons
# started from $(BUILD). Screenshots of every page go to $(BUILD)/console-screenshots (docs/console/ keeps a
# curated copy).
test-console: build
	test -x $(PY_VENV)/bin/python || $(PYTHON) -m venv $(PY_VENV)
	$(PY_VENV)/bin/python -m pip install -q --disable-pip-version-check pytest playwright
	ASYNCZ_BIN=$(abspath $(BUILD))/asyncz ASYNCZ_SCREENSHOTS=$(abspath $(BUILD))/console-screenshots \
	  $(PY_VENV)/bin/python -m pytest -q -p no:cacheprovider -rs tests/console

# The same suite with the extension and libasyncz built with ASan+UBSan (Debug); the interpreter is not
# instrumented, so the ASan runtime is preloaded (it reaches the processes the tests start too), and leak
# detection is off (the interpreter keeps memory until exit by design). Without the servers: the tests on
# them are skipped here (libasyncz's stores are under ASan in test-asan already).
test-python-asan: deps
	test -x $(PY_ASAN_VENV)/bin/python || $(PYTHON) -m venv $(PY_ASAN_VENV)
	$(PY_ASAN_VENV)/bin/python -m pip install -q --disable-pip-version-check pytest uvicorn starlette lilya fastapi
	$(PY_ASAN_VENV)/bin/python -m pip install -q --disable-pip-version-check ./python \
	  --config-settings=build-dir=$(abspath $(ASAN_BUILD))/casyncz --config-settings=cmake.build-type=Debug \
	  --config-settings=cmake.define.ASYNCZ_WERROR=ON --config-settings=cmake.define.ASYNCZ_SANITIZE=ON
	cd python && LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 $(abspath $(PY_ASAN_VENV))/bin/python -m pytest -q -p no:cacheprovider \
	  -rs tests

# The stores benchmark runs against the test servers (tests/servers), plus SQLite and file stores in their
# temporary directory.
BENCH_STORES = sqlite:///$$ASYNCZ_TEST_SERVERS_DIR/bench.db file://$$ASYNCZ_TEST_SERVERS_DIR/bench-files \
	$$ASYNCZ_TEST_POSTGRESQL_URL $$ASYNCZ_TEST_MARIADB_URL $$ASYNCZ_TEST_REDIS_URL $$ASYNCZ_TEST_MONGODB_URL
# The run history of the persistent stores is measured on all of them but FerretDB, whose pruning reads its
# whole collection per call (seconds at 100,000 records; docs/stores.md has its figures).
BENCH_HISTORY_STORES = sqlite:///$$ASYNCZ_TEST_SERVERS_DIR/bench-history.db \
	file://$$ASYNCZ_TEST_SERVERS_DIR/bench-history-files $$ASYNCZ_TEST_POSTGRESQL_URL $$ASYNCZ_TEST_MARIADB_URL \
	$$ASYNCZ_TEST_REDIS_URL
bench: build servers
	$(BUILD)/asyncz-bench triggers
	$(BUILD)/asyncz-bench ids
	$(BUILD)/asyncz-bench history
	$(BUILD)/asyncz-bench memstore
	$(BUILD)/asyncz-bench dispatch
	$(BUILD)/asyncz-bench latency
	$(BUILD)/asyncz-bench cli
	$(BUILD)/asyncz-bench http
	tests/servers/servers.sh run $(BUILD)/bench-servers sh -c \
	  'mkdir -m 700 "$$ASYNCZ_TEST_SERVERS_DIR/bench-files" "$$ASYNCZ_TEST_SERVERS_DIR/bench-history-files" && \
	   ASYNCZ_BENCH_STORES="$(BENCH_STORES)" $(BUILD)/asyncz-bench stores && \
	   ASYNCZ_BENCH_STORES="$(BENCH_HISTORY_STORES)" $(BUILD)/asyncz-bench history-stores'

# The daemon in the foreground with example tasks on ./demo-data/tasks.db; Ctrl-C stops it.
demo: build
	bash examples/run-demo.sh $(BUILD)/asyncz

# `make install PREFIX=/opt/asyncz` installs there instead of the configured prefix (/usr/local); the tool
# finds its library relative to itself, so any prefix works without LD_LIBRARY_PATH. DESTDIR is honoured.
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
