#!/usr/bin/env bash
# Runs the Go tests tagged `stack` (tests/stack) against the local stack. Starts the stack first
# when it is not up, and then stops it afterwards, whatever the result; a stack that was already
# up is left running. On failure it prints the end of every log.
#
# Extra `go test` flags: STACK_TESTFLAGS (e.g. STACK_TESTFLAGS='-run Registry -v').
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

rc=0
# shellcheck disable=SC2086 # STACK_TESTFLAGS is a list of flags.
(cd "$REPO_ROOT" && SASQUATCH_STACK_ENV="$ENV_FILE" "$GO" test -race -count=1 -timeout 15m -tags stack \
	${STACK_TESTFLAGS:-} ./tests/stack/...) || rc=$?
if [ "$rc" != 0 ]; then
	tail_logs
fi
((started)) || log "stack left running (make stack-down stops it)"
exit "$rc"
