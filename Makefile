# sharedpool — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
PREFIX ?= /usr/local

.PHONY: help
help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## install the system packages the build and tests need (Debian)
	tests/mariadb.sh install

.PHONY: lint
lint: deps ## cargo fmt --check and clippy -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

.PHONY: test-rust
test-rust: deps ## Rust unit and integration tests (real MariaDB)
	tests/mariadb.sh run $(CARGO) test --workspace

.PHONY: test
test: lint test-rust ## everything CI runs: lint, then every test suite

GO ?= go

.PHONY: test-go
test-go: lib ## Go binding: go vet, then go test -race against a throwaway MariaDB
	cd bindings/go && $(GO) vet ./...
	cd bindings/go && ../../tests/mariadb.sh run $(GO) test -race -count=1 ./...
	cd benches/go && $(GO) vet ./...
