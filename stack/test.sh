#!/usr/bin/env bash
# Runs, against the local stack, the eventmanager integration suite (its kfake tests pointed at
# the stack's Kafka broker and registry by SASQUATCH_TEST_KAFKA_BOOTSTRAP and
# SASQUATCH_TEST_REGISTRY_URL) and then the Go tests tagged `stack` (stack/tests). The two run one
# after the other, never at the same time: stack/tests restarts the broker. Starts the stack
# first when it is not up, and then stops it afterwards, whatever the result; a stack that was
# already up is left running. On failure it prints the end of every log.
#
# Extra `go test` flags for both: STACK_TESTFLAGS (e.g. STACK_TESTFLAGS='-run Registry -v').
# Packages: STACK_PKGS (default "./eventmanager/ ./stack/tests/...").
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"
GO="${GO:-go}"

started=0
if ! { [ -s "$ENV_FILE" ] && running kafka && running registry && running influxdb && running telegraf; }; then
	started=1
	trap 'bash "$STACK_ROOT/down.sh"' EXIT
	bash "$STACK_ROOT/up.sh"
fi

export SASQUATCH_STACK_ENV="$ENV_FILE"
SASQUATCH_TEST_KAFKA_BOOTSTRAP="$(env_get KAFKA_BOOTSTRAP_SERVERS)"
SASQUATCH_TEST_REGISTRY_URL="$(env_get SCHEMA_MANAGER_REGISTRY_URL)"
export SASQUATCH_TEST_KAFKA_BOOTSTRAP SASQUATCH_TEST_REGISTRY_URL
# Safir 9.3.0's interpreter, for the stack tests that put Safir's events through the same
# Telegraf as Go's (make test-safir's venv, created from PyPI when it is missing).
if [ -z "${SAFIR_VENV_PYTHON:-}" ]; then
	SAFIR_VENV_PYTHON="$(bash "$REPO_ROOT/interop/safir/setup.sh" 9 | tail -n1)"
fi
export SAFIR_VENV_PYTHON

rc=0
for pkg in ${STACK_PKGS:-./eventmanager/ ./stack/tests/...}; do
	t0="$(now_ms)"
	# shellcheck disable=SC2086 # STACK_TESTFLAGS is a list of flags.
	(cd "$REPO_ROOT" && "$GO" test -race -count=1 -timeout 15m -tags stack ${STACK_TESTFLAGS:-} "$pkg") || rc=$?
	log "go test $pkg against the stack: $(($(now_ms) - t0)) ms"
done
# The example's tail (line protocol printed by the service) against what this Telegraf makes of
# the same records.
if [ -z "${STACK_PKGS:-}" ]; then
	t0="$(now_ms)"
	# shellcheck disable=SC2086 # STACK_TESTFLAGS is a list of flags.
	(cd "$REPO_ROOT" && TELEGRAF_BIN="$(telegraf_bin)" "$GO" test -race -count=1 ${STACK_TESTFLAGS:-} \
		-run TestTailMatchesTelegraf ./examples/fastapi-like-http/) || rc=$?
	log "go test -run TestTailMatchesTelegraf ./examples/fastapi-like-http/: $(($(now_ms) - t0)) ms"
fi
if [ "$rc" != 0 ]; then
	tail_logs
fi
((started)) || log "stack left running (make stack-down stops it)"
exit "$rc"
