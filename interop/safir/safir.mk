# Safir interoperability (issue 9). Included by the top-level Makefile:
#     include interop/safir/safir.mk
# Needs python3 (3.11+) and PyPI; Safir 15.x is checked too when a Python
# 3.12+ is found (see interop/safir/setup.sh), and skipped with a note if not.

GO ?= go
SAFIR_DIR := interop/safir
SAFIR_SETUP := $(SAFIR_DIR)/setup.sh
# Where setup.sh puts the venvs (bench-safir only uses those that exist).
SAFIR_VENV ?= $(or $(SASQUATCH_SAFIR_VENV),$(HOME)/.cache/sasquatch-go-safir/venv)
SAFIR15_VENV ?= $(or $(SASQUATCH_SAFIR15_VENV),$(HOME)/.cache/sasquatch-go-safir/venv15)

.PHONY: safir-venv safir15-venv test-safir safir-golden-update bench-safir

## safir-venv: create the pinned Safir 9.3.0 virtualenv (idempotent).
safir-venv:
	@$(SAFIR_SETUP) 9 >/dev/null

## safir15-venv: create the pinned Safir 15.2.3 virtualenv (needs Python 3.12+).
safir15-venv:
	@$(SAFIR_SETUP) 15 >/dev/null

## test-safir: golden vectors and mock-assertion verdicts against real Safir
## (9.3.0, and 15.2.3 when possible; the verdicts on YAML metrics blocks with
## 15.2.3 only), then the Go interop tests (tag safir): golden comparison,
## live run on kfake, mock and YAML verdicts, benchmark smoke test.
test-safir:
	@set -e; \
	py9=$$($(SAFIR_SETUP) 9 | tail -n1); \
	if py15=$$($(SAFIR_SETUP) 15 | tail -n1); then :; else \
		echo "test-safir: SKIP Safir 15.x (no Python 3.12+ found)"; py15=; fi; \
	pass=0; fail=0; \
	for py in $$py9 $$py15; do \
		for check in golden.py mock_cases.py; do \
			if (cd $(SAFIR_DIR) && $$py $$check --check); then pass=$$((pass+1)); \
			else fail=$$((fail+1)); fi; \
		done; \
	done; \
	if [ -n "$$py15" ]; then \
		if (cd $(SAFIR_DIR) && $$py15 yaml_cases.py --check); then pass=$$((pass+1)); \
		else fail=$$((fail+1)); fi; \
	fi; \
	echo "safir python checks: $$pass passed, $$fail failed"; \
	test $$fail -eq 0; \
	SAFIR_VENV_PYTHON=$$py9 SAFIR15_VENV_PYTHON=$$py15 \
		$(GO) test -race -count=1 -timeout 5m -tags safir ./$(SAFIR_DIR)/...

## safir-golden-update: regenerate testdata/safir from Safir 9.3.0, and
## yaml_cases.json (metrics blocks of a YAML file) from Safir 15.2.3.
safir-golden-update:
	@py9=$$($(SAFIR_SETUP) 9 | tail -n1); py15=$$($(SAFIR_SETUP) 15 | tail -n1); cd $(SAFIR_DIR) && \
		$$py9 golden.py --update && $$py9 mock_cases.py --update && $$py15 yaml_cases.py --update

## bench-safir: Go Publish vs Safir's publish loop on one kfake broker; prints
## a RATIO go_vs_safir line per Safir venv that exists (none: a skip note).
## Knobs: SAFIR_BENCH_ROUNDS (3), SAFIR_BENCH_EVENTS (30000, Safir),
## SAFIR_BENCH_GO_EVENTS (2000000).
bench-safir:
	@if [ ! -x "$(SAFIR_VENV)/bin/python" ]; then \
		echo "bench-safir: skipped (no Safir venv at $(SAFIR_VENV); run make safir-venv)"; \
	else \
		py15=; if [ -x "$(SAFIR15_VENV)/bin/python" ]; then py15="$(SAFIR15_VENV)/bin/python"; fi; \
		SAFIR_VENV_PYTHON="$(SAFIR_VENV)/bin/python" SAFIR15_VENV_PYTHON="$$py15" \
		$(GO) test -count=1 -timeout 10m -tags safir -run '^$$' -bench '^BenchmarkGoVsSafir$$' \
			-benchtime 1x ./$(SAFIR_DIR)/; \
	fi
