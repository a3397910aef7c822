# sharedpool — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
PREFIX ?= /usr/local
# The Python extension's build.rs links this library instead of building its own copy.
export SHAREDPOOL_LIB_DIR := $(CURDIR)/target/release
# Every test step runs under a time limit (tests/watchdog.sh SECONDS NAME CMD…): a hang fails it
# with "watchdog: NAME exceeded SECONDS s, killed". The limits are well above today's run times
# on a loaded 2-core machine, including a cold build.
WATCHDOG := $(CURDIR)/tests/watchdog.sh
# ... and every Rust test binary gets one of its own, named after the binary.
CARGO_TEST_RUNNER := --config "target.'cfg(all())'.runner = ['$(WATCHDOG)', '900', '-']"

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## install the system packages the build and tests need (Debian)
	tests/mariadb.sh install

.PHONY: lint
lint: lib ## cargo fmt --check and clippy -D warnings
	$(WATCHDOG) 300 "cargo fmt --check" $(CARGO) fmt --all -- --check
	$(WATCHDOG) 2400 "cargo clippy" $(CARGO) clippy --workspace --all-targets -- -D warnings

.PHONY: test-rust
test-rust: lib ## Rust unit and integration tests (real MariaDB)
	$(WATCHDOG) 3600 "cargo test" tests/mariadb.sh run $(CARGO) $(CARGO_TEST_RUNNER) test --workspace
	SHAREDPOOL_TEST_TLS=1 $(WATCHDOG) 600 "cargo test (TLS)" tests/mariadb.sh run $(CARGO) $(CARGO_TEST_RUNNER) test -p sharedpool --test mysql_connect

.PHONY: test
test: lint test-scripts test-rust test-c test-python test-go bench-quick ## everything CI runs: lint, every test suite, the benchmarks in quick mode

.PHONY: test-scripts
test-scripts: deps ## the test scripts' own tests (tests/watchdog.sh kills a hung step, and its MariaDB)
	$(WATCHDOG) 120 "tests/test_watchdog.sh" tests/test_watchdog.sh

GO ?= go

.PHONY: test-go
test-go: lib ## Go binding: go vet, then go test -race against a throwaway MariaDB
	cd bindings/go && $(WATCHDOG) 900 "go vet (bindings/go)" $(GO) vet ./...
	cd bindings/go && $(WATCHDOG) 1800 "go test" ../../tests/mariadb.sh run $(GO) test -race -count=1 ./...
	cd bindings/go && $(WATCHDOG) 900 "go test (static build)" ../../tests/mariadb.sh run $(GO) test -tags sharedpool_static -count=1 -run 'TestStatic|TestDSNParameterTable|TestTypedOptionHelpers' .
	cd benches/go && $(WATCHDOG) 900 "go vet (benches/go)" $(GO) vet ./...

PYVENV ?= target/pyvenv
PYTHON3 ?= python3

.PHONY: test-python
test-python: deps lib check-python-ffi ## Python binding: ruff, build into a venv (pip), stubtest, pytest against a throwaway MariaDB
	test -x $(PYVENV)/bin/python || $(PYTHON3) -m venv $(PYVENV)
	$(WATCHDOG) 900 "pip install (test tools)" $(PYVENV)/bin/python -m pip install -q 'maturin>=1.9,<2' 'pytest>=8,<10' 'mypy>=2.4,<3' 'ruff>=0.17,<0.18' 'typing_extensions>=4.15' 'dbapi-compliance==1.15.0' 'prometheus_client>=0.20,<1' 'SQLAlchemy>=2.0,<2.1' 'pandas>=2.2,<3'
	$(WATCHDOG) 120 "ruff check" $(PYVENV)/bin/ruff check bindings/python benches/python
	$(WATCHDOG) 120 "ruff format --check" $(PYVENV)/bin/ruff format --check bindings/python benches/python
	SHAREDPOOL_LIB_DIR=$(CURDIR)/target/release $(WATCHDOG) 1800 "pip install ./bindings/python" \
	  $(PYVENV)/bin/python -m pip install -q --force-reinstall --no-deps ./bindings/python
	$(WATCHDOG) 600 "mypy" $(PYVENV)/bin/python -m mypy bindings/python/python/sharedpool
	mkdir -p target/pystubtest && cd target/pystubtest && \
	  $(WATCHDOG) 600 "mypy.stubtest" $(CURDIR)/$(PYVENV)/bin/python -m mypy.stubtest sharedpool
	$(WATCHDOG) 1200 "pytest" tests/mariadb.sh run $(PYVENV)/bin/python -m pytest bindings/python/tests -q

# ---- The C library: build, header, install, C tests (owner: FFI) ----
CBINDGEN ?= cbindgen
CBINDGEN_VERSION := 0.29.4
SP_VERSION = $(shell sed -n 's/^#define SHAREDPOOL_VERSION "\(.*\)"/\1/p' include/sharedpool.h)

.PHONY: lib
lib: deps ## build target/release/libsharedpool.so (SONAME libsharedpool.so.1, + .so.1 link) and .a
	$(CARGO) build --release -p sharedpool-ffi
	ln -sf libsharedpool.so target/release/libsharedpool.so.1

.PHONY: cbindgen
cbindgen: ## install the pinned cbindgen when missing or another version
	@if [ "$$($(CBINDGEN) --version 2>/dev/null)" != "cbindgen $(CBINDGEN_VERSION)" ]; then \
	  echo "installing cbindgen $(CBINDGEN_VERSION)"; \
	  $(CARGO) install cbindgen --version =$(CBINDGEN_VERSION) --locked --force; fi

.PHONY: header
header: cbindgen ## regenerate include/sharedpool.h from ffi/ with the pinned cbindgen
	cd ffi && $(CBINDGEN) --config cbindgen.toml --output ../include/sharedpool.h

.PHONY: check-header
check-header: cbindgen ## fail when include/sharedpool.h is not what cbindgen generates
	@tmp=$$(mktemp) && (cd ffi && $(CBINDGEN) --config cbindgen.toml --output $$tmp) && \
	  if ! diff -u include/sharedpool.h $$tmp; then rm -f $$tmp; \
	    echo "include/sharedpool.h is stale: run 'make header' and commit it" >&2; exit 1; fi; \
	  rm -f $$tmp; echo "include/sharedpool.h is up to date"

# Python's declarations of the ABI are generated from the header (one source of truth), checked
# in so that building the package needs no libclang, and verified by check-python-ffi.
BINDGEN ?= bindgen
BINDGEN_VERSION := 0.72.1
PYTHON_FFI := bindings/python/src/ffi.rs
BINDGEN_ARGS := include/sharedpool.h --allowlist-item 'sp_.*|SP_.*|SHAREDPOOL_.*' \
  --default-enum-style consts --no-prepend-enum-name --with-derive-default --no-layout-tests \
  --no-doc-comments --use-core

.PHONY: bindgen
bindgen: ## install libclang and the pinned bindgen when missing or another version
	@[ -n "$$(ls /usr/lib/llvm-*/lib/libclang.so 2>/dev/null)" ] || { echo "installing libclang-dev"; \
	  $$([ "$$(id -u)" = 0 ] || echo sudo) apt-get install -y -qq libclang-dev >&2; }
	@if [ "$$($(BINDGEN) --version 2>/dev/null)" != "bindgen $(BINDGEN_VERSION)" ]; then \
	  echo "installing bindgen-cli $(BINDGEN_VERSION)"; \
	  $(CARGO) install bindgen-cli --version =$(BINDGEN_VERSION) --locked --force; fi

# gen-python-ffi OUT: the generated declarations, with a note on where they come from.
gen-python-ffi = { echo '//! The C ABI of libsharedpool.so, GENERATED from include/sharedpool.h by'; \
  echo '//! `make python-ffi` (bindgen $(BINDGEN_VERSION)): do not edit. `make test` checks it is current.'; \
  echo; $(BINDGEN) $(BINDGEN_ARGS); } > $(1)

.PHONY: python-ffi
python-ffi: bindgen ## regenerate bindings/python/src/ffi.rs from include/sharedpool.h
	$(call gen-python-ffi,$(PYTHON_FFI))

.PHONY: check-python-ffi
check-python-ffi: bindgen ## fail when bindings/python/src/ffi.rs is not what the header generates
	@tmp=$$(mktemp) && $(call gen-python-ffi,$$tmp) && \
	  if ! diff -u $(PYTHON_FFI) $$tmp; then rm -f $$tmp; \
	    echo "$(PYTHON_FFI) is stale: run 'make python-ffi' and commit it" >&2; exit 1; fi; \
	  rm -f $$tmp; echo "$(PYTHON_FFI) is up to date"

.PHONY: check-symbols
check-symbols: lib ## fail when the exported symbols differ from ffi/symbols.txt (only sp_* may be exported)
	@nm -D --defined-only target/release/libsharedpool.so | awk 'NF >= 3 {print $$3}' | sort | \
	  diff -u <(grep -v '^#' ffi/symbols.txt) - || \
	  { echo "exported symbols differ from ffi/symbols.txt (- listed, + exported)" >&2; exit 1; }
	@echo "exported symbols match ffi/symbols.txt"

.PHONY: install
install: lib ## install header, libs and sharedpool.pc into PREFIX (default /usr/local)
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/sharedpool.h $(DESTDIR)$(PREFIX)/include/sharedpool.h
	install -m 755 target/release/libsharedpool.so $(DESTDIR)$(PREFIX)/lib/libsharedpool.so.1
	ln -sf libsharedpool.so.1 $(DESTDIR)$(PREFIX)/lib/libsharedpool.so
	install -m 644 target/release/libsharedpool.a $(DESTDIR)$(PREFIX)/lib/libsharedpool.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(SP_VERSION)|' ffi/sharedpool.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/sharedpool.pc

.PHONY: test-c
test-c: check-header check-symbols ## C tests of the ABI (real MariaDB, one pass under valgrind), install + pkg-config
	$(WATCHDOG) 2400 "C suite (tests/c/run.sh)" tests/mariadb.sh run tests/c/run.sh
# ---- end FFI ----

QUICK ?= 0

.PHONY: bench
bench: deps ## benchmarks against the peers, one run, one MariaDB -> benches/RESULTS.md (QUICK=1: short CI run)
	@# A backstop: the sum of the steps' own limits (benches/run.sh).
	QUICK=$(QUICK) $(WATCHDOG) $(if $(filter 1,$(QUICK)),9000,15000) "make bench (QUICK=$(QUICK))" benches/run.sh

.PHONY: bench-quick
bench-quick: ## the benchmarks in quick mode (CI: they must run, not be fast)
	$(MAKE) bench QUICK=1

.PHONY: demo
demo: deps ## 100 autoscaler components, own connections vs one shared pool, on a throwaway MariaDB
	$(CARGO) build -p sharedpool --example autoscaler_demo
	tests/mariadb.sh run $(CARGO) run -q -p sharedpool --example autoscaler_demo
