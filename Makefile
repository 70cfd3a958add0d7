# Convenience wrapper around CMake. `make` installs missing Debian build dependencies (as root; otherwise
# it prints the apt-get command) and builds; `make test` runs the whole suite plainly, then again under
# AddressSanitizer+UndefinedBehaviorSanitizer, then the fuzzers briefly; `make bench` runs the benchmarks.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 15
CMAKE_FLAGS ?=

# Debian packages needed to build and test.
DEBIAN_DEPS = cmake ninja-build gcc clang pkg-config tzdata libjansson-dev libcmocka-dev libuv1-dev libevent-dev libssl-dev

.PHONY: all deps build test test-plain test-asan test-tsan fuzz bench install clean demo

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

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DASYNCZ_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: test-plain test-asan test-tsan fuzz

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_WERROR=ON -DASYNCZ_SANITIZE=ON $(CMAKE_FLAGS)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

$(TSAN_BUILD)/build.ninja:
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_WERROR=ON -DASYNCZ_TSAN=ON $(CMAKE_FLAGS)

# ThreadSanitizer over the threaded parts: the scheduler's run modes, the executors and the stress test.
TSAN_TESTS = test_stress|test_run_modes|test_threadpool|test_exec_inline|test_memory_store|test_processpool|test_exec_scheduler
test-tsan: deps $(TSAN_BUILD)/build.ninja
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

$(FUZZ_BUILD)/build.ninja:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DASYNCZ_FUZZ=ON -DASYNCZ_BUILD_TESTS=OFF $(CMAKE_FLAGS)

# Each fuzzer runs FUZZ_SECONDS from its kept corpus in tests/fuzz/corpus/<name>.
fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	$(BUILD)/asyncz-bench triggers
	$(BUILD)/asyncz-bench memstore
	$(BUILD)/asyncz-bench dispatch
	$(BUILD)/asyncz-bench latency

# Until the daemon lands, the demo shows when a handful of example schedules fire next.
demo: build
	bash examples/preview-demo.sh $(BUILD)/asyncz

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
