# Two commands on a fresh Debian 12 machine: `make run` and `make test`.
# Missing Debian packages are installed when root; otherwise the exact apt-get line is printed.
BUILD ?= build
BUILD_TYPE ?= Release
CONFIG ?= feeds.yaml
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Build, runtime and test dependencies (Debian 12 package names).
DEPS := cmake make g++ pkg-config ca-certificates \
  libpugixml-dev libcurl4-openssl-dev libyaml-cpp-dev libspdlog-dev \
  libboost-program-options-dev libboost-dev libsqlite3-dev libgumbo-dev libmodest-dev libssl-dev \
  libhowardhinnant-date-dev zlib1g-dev libsystemd-dev libre2-dev libgtest-dev libgmock-dev tzdata \
  python3 python3-feedparser python3-yaml jing time
# Real clients for tests/clients, only for `make test`: newsboat; chromium (~300 MB) for the
# status page; a CJK font so that its screenshots show the Chinese category names.
ifneq ($(filter test,$(MAKECMDGOALS)),)
DEPS += newsboat chromium fonts-wqy-microhei
endif
# Only for `make test`: the W3C Feed Validator (../shared/tools/w3c-validate) that tests/emit and
# tests/e2e/test_conformance.py run over every emitted feed and the OPML file.
ifneq ($(filter test,$(MAKECMDGOALS)),)
DEPS += python3-lxml python3-html5lib python3-rdflib
endif
# Only for `make test` (promtool, ~100 MB, for tests/package; groff, dpkg-shlibdeps) and
# `make package` (dpkg-shlibdeps computes the .deb's Depends).
ifneq ($(filter test,$(MAKECMDGOALS)),)
DEPS += prometheus groff-base man-db dpkg-dev
endif
# Only for `make test`: systemd-analyze (package systemd) for tests/systemd, node and npm for
# client_hexo and client_browser. npm is left out when an npm is on PATH already: NodeSource's
# nodejs bundles one and conflicts with Debian's npm package.
ifneq ($(filter test,$(MAKECMDGOALS)),)
DEPS += systemd nodejs $(if $(shell command -v npm),,npm)
endif
ifneq ($(filter package,$(MAKECMDGOALS)),)
DEPS += dpkg-dev
endif
# Only for `make test-systemd`: the .deb (dpkg-dev), a Debian 12 rootfs (debootstrap; zstd for
# its cached tarball) booted with systemd-nspawn (systemd-container).
ifneq ($(filter test-systemd,$(MAKECMDGOALS)),)
DEPS += dpkg-dev debootstrap systemd-container zstd
endif
# `make package` builds in a folder of its own: the .deb needs the /usr prefix and no tests.
PKG_BUILD ?= build-deb

.PHONY: all deps build test test-systemd run clean format tidy bench bench-deps package
all: build

# $(call install_missing,WHO,PACKAGES): installs the Debian packages that are not installed yet
# when root; otherwise prints the exact apt-get line and fails. WHO names the caller.
define install_missing
@missing=""; for p in $(2); do \
  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
done; \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "$(1): installing$$missing"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
  else \
    echo "$(1): missing Debian packages. Run:"; \
    echo "  sudo apt-get install -y$$missing"; \
    exit 1; \
  fi; \
fi
endef

deps:
	$(call install_missing,feedd,$(DEPS))

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600

package: deps
	cmake -S . -B $(PKG_BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF
	cmake --build $(PKG_BUILD) --target feedd -j$(JOBS)
	cd $(PKG_BUILD) && cpack -G DEB
	@ls -1 $(PKG_BUILD)/*.deb

# feedd.service under a real systemd: the .deb installed in a booted Debian 12 container
# (tests/systemd/boot: start, sandbox, serving, refresh, reload, watchdog, stop, journal), and
# the maintainer scripts (tests/package/check_maintscripts.py). Root only; never part of
# `make test`. The debootstrapped rootfs is cached in $(ROOTFS_CACHE) (first run: minutes more).
ROOTFS_CACHE ?= /var/cache/feedd-test
test-systemd: package
	@[ "$$(id -u)" = 0 ] || { echo "make test-systemd: needs root (systemd-nspawn)"; exit 1; }
	@deb=$$(ls -t $(PKG_BUILD)/*.deb | head -n1); rc=0; export PYTHONDONTWRITEBYTECODE=1; \
	  FEEDD_ROOTFS_CACHE=$(ROOTFS_CACHE) /usr/bin/python3 tests/systemd/boot/check_boot.py $$deb || rc=1; \
	  FEEDD_ROOTFS_CACHE=$(ROOTFS_CACHE) /usr/bin/python3 tests/package/check_maintscripts.py $$deb || rc=1; \
	  exit $$rc

run: build
	@listen=$$(sed -n 's/^listen:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\).*/\1/p' $(CONFIG)); \
	  echo "feedd: status page at http://$${listen:-127.0.0.1:8080}/ (Ctrl-C stops)"
	$(BUILD)/daemon/feedd run -c $(CONFIG)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

tidy: build
	git ls-files 'daemon/*.cpp' | xargs clang-tidy -p $(BUILD) --quiet

clean:
	rm -rf $(BUILD) $(PKG_BUILD)

# Benchmark (bench/): never part of `make test`. Its own build folder, its own extra packages.
# `make bench BENCH_ARGS="--feeds 300,1000,3000 --memory-cycles 1000"` for the full report.
BENCH_BUILD ?= build-bench
BENCH_ARGS ?=
BENCH_DEPS := time nginx-light newsboat libbenchmark-dev python3-feedparser

bench-deps: deps
	$(call install_missing,feedd bench,$(filter-out $(if $(shell command -v nginx),nginx-light),$(BENCH_DEPS)))

bench: bench-deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DFEEDD_BENCH=ON -DBUILD_TESTING=OFF
	cmake --build $(BENCH_BUILD) --target feedd feedd_micro -j$(JOBS)
	/usr/bin/python3 bench/run.py --build $(BENCH_BUILD) $(BENCH_ARGS)
	# After the cycles, not before: BM_StageAndPublishPosts creates and deletes 54,000 files, and
	# for minutes after that every file creation on ext4 pays for it (README, Performance).
	$(BENCH_BUILD)/bench/feedd_micro --benchmark_min_time=0.5

# Sanitizers and fuzzing (tests/fuzz/): never part of `make test`; each has its own build folder.
# A sanitizer report aborts the process, so its test fails: gtest binaries die, and the e2e and
# systemd tests assert feedd's exit status (and that its stderr holds only log lines).
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_DEPS := clang-14 libclang-rt-14-dev
# The tests that run more than one thread: the daemon end to end (its worker thread and pool),
# the HTTP server and API, the scheduler, the fetcher (cancel from another thread), the refresh
# client, the work pool, the date parser's shared zone cache, the hook and webhook threads, the
# cycle (PipelineTest: the pool and the posts' publisher thread) and the store's checkpoint
# thread (StoreTest, Sqlite.WalHook).
TSAN_TESTS ?= ^(e2e_daemon|e2e_lifecycle|e2e_once|e2e_notify|HookRunner\.|WebhookSender\.|Notifier\.|systemd_notify|Server\.|HttpApi|RefreshClient\.|SchedulerTest\.|FetcherTest\.|WorkPool\.|FreshFolderTest\.|ParseDate\.Concurrent|PipelineTest\.|StoreTest\.|Sqlite\.WalHook)
# Only what TSAN_TESTS runs is built (half the build time).
TSAN_TARGETS := feedd serve_tests app_tests notify_tests schedule_tests fetch_tests util_tests parse_tests store_tests
# $(call SANITIZER_CTEST,BUILD,ENV,CTEST ARGS). FEEDD_SANITIZE in ENV tells tests that measure
# memory or time that a sanitizer runtime is adding its own.
SANITIZER_CTEST = cd $(1) && env $(2) ctest --output-on-failure -j$(JOBS) --timeout 900 $(3)

# GCC: "sanitizers tend to increase the rate of false positive warnings, most notably those
# around -Wmaybe-uninitialized" (seen in Boost.Beast's parser); those stay warnings here.
SANITIZE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS=-Wno-error=maybe-uninitialized
# GCC 12 warns (-Wtsan) that TSan does not model the atomic_thread_fence in Boost.Asio's
# std_fenced_block; the handler queues Asio runs them through are mutex-protected, which TSan sees.
TSAN_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS=-Wno-error=maybe-uninitialized -Wno-tsan"

# GCC's "undefined" leaves out float-cast-overflow (clang's includes it): a NaN or huge double
# cast to an integer is undefined behaviour all the same.
ASAN_SANITIZE := address,undefined,float-cast-overflow

.PHONY: test-asan test-tsan fuzz fuzz-deps
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) $(SANITIZE_FLAGS) -DFEEDD_SANITIZE=$(ASAN_SANITIZE)
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	$(call SANITIZER_CTEST,$(ASAN_BUILD),FEEDD_SANITIZE=$(ASAN_SANITIZE) \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1)

test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) $(TSAN_FLAGS) -DFEEDD_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j$(JOBS) --target $(TSAN_TARGETS)
	$(call SANITIZER_CTEST,$(TSAN_BUILD),FEEDD_SANITIZE=thread \
	  TSAN_OPTIONS=halt_on_error=1:abort_on_error=1:second_deadlock_stack=1,\
	  -R '$(TSAN_TESTS)')

fuzz-deps:
	$(call install_missing,feedd fuzz,$(FUZZ_DEPS))

# `make fuzz FUZZ_SECONDS=600` for a longer run; the corpus grows in $(FUZZ_BUILD)/corpus/.
fuzz: deps fuzz-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_JOBS=$(JOBS) tests/fuzz/run.sh
