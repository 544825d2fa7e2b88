# sasquatch-go developer tasks. Every target works on a fresh machine with Go 1.26.
GO ?= go
PKGS ?= ./...

.PHONY: test test-long test-phalanx lint fmt

.PHONY: run demo

## run: start the example service on 127.0.0.1:8080 with an in-process Kafka broker and schema
## registry (unless KAFKA_BOOTSTRAP_SERVERS is set); prints each event as InfluxDB line protocol.
## Extra flags: make run ARGS='-addr 127.0.0.1:9000'.
## The binary is built, then exec'd (no `go run` between): stdout is the service's alone, and
## the service stops gracefully when make is killed (it asks Linux for SIGTERM when its parent exits).
RUN_BIN ?= $(or $(TMPDIR),/tmp)/sasquatch-go-example
run:
	@$(GO) build -o $(RUN_BIN) ./examples/fastapi-like-http
	@exec $(RUN_BIN) $(ARGS)

## demo: run the example on a free port, send it a few requests, check their events, exit 0;
## then run the batch-job example once (one event, flushed; exit 0).
demo:
	$(GO) run ./examples/fastapi-like-http -demo $(ARGS)
	$(GO) run ./examples/batch-job

## test: run the whole test suite with the race detector (loopback only, no external services).
test:
	$(GO) test -race -count=1 $(PKGS)

## test-long: the long fault tests (30 s broker outage, Close with 1 000 000 events).
test-long:
	$(GO) test -race -count=1 -tags long -run Long -timeout 20m ./eventmanager/

## test-phalanx: Pipeline.Render against Phalanx's real app-metrics and herald charts, rendered
## with text/template from a clone: make test-phalanx PHALANX=~/src/phalanx (PHALANX_REF=HEAD).
test-phalanx:
	@test -n "$(PHALANX)" || { echo "set PHALANX to a clone of github.com/lsst-sqre/phalanx"; exit 2; }
	PHALANX=$(PHALANX) $(GO) test -count=1 -tags phalanx -run Phalanx -v ./eventmanager/

## soak: the SDK publishes from concurrent goroutines for SOAK_DURATION (default 5m) while a
## schedule rotates faults (broker restarts, failing and slow produce requests, registry down,
## topic recreated, new event types during outages), with Flush calls between them; then the
## account must be exact, every event in the topic once, and resources back to their level.
## Prints a SOAK line with the figures. Longer: make soak SOAK_DURATION=30m.
SOAK_DURATION ?= 5m
.PHONY: soak
soak:
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -race -count=1 -tags soak -run TestSoak -timeout 2h -v ./eventmanager/ | grep -E '^(SOAK|--- |PASS|FAIL|ok)|soak_test.go'

# STATICCHECK is the pinned staticcheck, run with go run (fetched from the Go module proxy).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

## lint: go vet, gofmt and staticcheck (pinned, run with go run).
lint:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

.PHONY: api api-check
MODULE := github.com/lsst-sqre/sasquatch-go
API_FILE := api/sasquatch-go.txt

## api: write the exported API of the public packages to api/sasquatch-go.txt (after an
## intended API change; add its line to CHANGELOG.md in the same commit).
api:
	@mkdir -p api
	@$(GO) run ./internal/tools/apidump $(MODULE) . > $(API_FILE)

## api-check: fail when the code's exported API differs from api/sasquatch-go.txt, or when
## CHANGELOG.md did not change since the version of that file before the last (run by .ci/run).
api-check:
	@$(GO) run ./internal/tools/apidump $(MODULE) . > $(or $(TMPDIR),/tmp)/sasquatch-go-api.txt
	@if ! diff -u $(API_FILE) $(or $(TMPDIR),/tmp)/sasquatch-go-api.txt; then \
		echo "api-check: the exported API changed (diff above: - committed, + code)."; \
		echo "If that is intended, run make api and add a line to CHANGELOG.md in the same commit."; exit 1; fi
	@set -- $$(git log -2 --format=%H -- $(API_FILE) 2>/dev/null || true); \
	if [ -n "$${1:-}" ]; then \
		if [ -n "$${2:-}" ]; then changed=$$(git diff --name-only "$$2" HEAD); else changed=$$(git diff --name-only "$$1~1" HEAD 2>/dev/null || git show --name-only --format= "$$1"); fi; \
		if ! printf '%s\n' "$$changed" | grep -qx CHANGELOG.md; then \
			echo "api-check: $(API_FILE) changed (up to commit $$1) without CHANGELOG.md: say what changed for users"; exit 1; fi; \
	fi
	@echo "api-check: the API matches $(API_FILE)"

include interop/safir/safir.mk
include stack/stack.mk
include bench/bench.mk
