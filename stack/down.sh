#!/usr/bin/env bash
# Stops the local Sasquatch stack (Telegraf first, so it flushes what it read) and removes its
# state dir: configs, data, logs, pid files and stack.env. Set SASQUATCH_STACK_KEEP=1 to keep the
# dir (logs) after stopping. Does nothing when the stack is down. The cache is never touched.
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"

[ -d "$STATE" ] || exit 0
t0="$(now_ms)"
for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
	stop "${SERVICES[$i]}"
done
if [ "${SASQUATCH_STACK_KEEP:-0}" = 1 ]; then
	rm -f "$ENV_FILE"
	log "stopped ($(($(now_ms) - t0)) ms); logs kept in $STATE/logs"
else
	rm -rf "$STATE"
	log "stopped and removed $STATE ($(($(now_ms) - t0)) ms)"
fi
