# Benchmark harness (issue 7), included by the Makefile. See bench/cmd/runner.
#   make bench              full mode: >= 1 s per run, 5 interleaved repetitions, -check
#   make bench-short        (= make bench BENCH_SHORT=1) small n, 2 repetitions; fails only
#                           when a figure is missing (CI runs this)
#   BENCH_FLAGS="-reps 7"   extra runner flags; BENCH_CHECK= to print without failing
#   BENCH_ONLY=mix,heap     only these parts of the runner (-only: base, latency, encode,
#                           http, mix, wide, types100, str1k, heap), and no Safir comparison
#   make bench-ab BASE=rev  the runner built from the SDK at rev against the working tree's,
#                           run alternately (ROUNDS=6, AB_N=3000000, BENCH_ONLY): medians side by side
BENCH_BIN ?= $(or $(TMPDIR),/tmp)/sasquatch-go-bench
BENCH_FLAGS ?=
BENCH_CHECK ?= -check
BENCH_ONLY ?=

.PHONY: bench bench-short bench-ab

## bench: (then RATIO go_vs_safir when the Safir venv exists, see interop/safir) raw franz-go, hand-written franz-go+hamba, the SDK and confluent-kafka-go (cgo, -tags ck) side by side against a kfake broker process, then the SDK against raw franz-go on the realistic workloads (mix, wide, types100, str1k) and in an outage (heap per buffered event); one RATIO/ALLOCS/LATENCY/HEAP line per figure.
bench:
	@mkdir -p $(BENCH_BIN)
	CGO_ENABLED=0 $(GO) build -o $(BENCH_BIN)/broker ./bench/cmd/broker
	CGO_ENABLED=0 $(GO) build -o $(BENCH_BIN)/runner ./bench/cmd/runner
	@rm -f $(BENCH_BIN)/ck; \
	if (cd bench/ck && CGO_ENABLED=1 $(GO) build -tags ck -o $(BENCH_BIN)/ck .) >$(BENCH_BIN)/ck-build.log 2>&1; then \
		ck="-ck=$(BENCH_BIN)/ck"; \
	else \
		echo "# confluent-kafka-go producer did not build ($(BENCH_BIN)/ck-build.log):"; sed 's/^/#   /' $(BENCH_BIN)/ck-build.log | tail -n 5; \
		ck="-ck-skip=CGO_ENABLED=1 go build -tags ck in bench/ck failed: $$(grep -v '^#' $(BENCH_BIN)/ck-build.log | head -n 1)"; \
	fi; \
	status=0; $(BENCH_BIN)/runner -broker=$(BENCH_BIN)/broker "$$ck" $(if $(BENCH_SHORT),-short,$(BENCH_CHECK)) $(if $(BENCH_ONLY),-only=$(BENCH_ONLY)) $(BENCH_FLAGS) || status=$$?; \
	$(if $(BENCH_ONLY),true,$(MAKE) --no-print-directory bench-safir $(if $(BENCH_SHORT),SAFIR_BENCH_ROUNDS=1 SAFIR_BENCH_EVENTS=3000 SAFIR_BENCH_GO_EVENTS=200000)) || status=$$?; \
	exit $$status

## bench-short: the benchmark in short mode (what CI runs): every figure is produced, targets are not enforced.
bench-short:
	@$(MAKE) --no-print-directory bench BENCH_SHORT=1

## bench-ab: A/B of the working tree against BASE=<git rev>: both runners (the working tree's runner code, each build's SDK) run alternately ROUNDS times (default 6), one repetition of AB_N events (default 3000000) each, on BENCH_ONLY's parts; prints each figure's medians and ranges side by side.
bench-ab:
	@GO="$(GO)" BENCH_BIN="$(BENCH_BIN)" bash bench/ab.sh
