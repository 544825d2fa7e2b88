#!/usr/bin/env bash
# stack/kafka-restart.sh for docker-compose.yml: stop|start|restart the kafka container and, on
# start, wait until the broker answers a metadata request. Named by stack/compose.env.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
compose=(docker compose -f "$root/docker-compose.yml")
start() {
	"${compose[@]}" start kafka
	(cd "$root" && go run ./stack/stackctl kafka-wait -brokers 127.0.0.1:29092 -timeout 90s)
}
case "${1:-restart}" in
stop) "${compose[@]}" stop kafka ;;
start) start ;;
restart) "${compose[@]}" stop kafka && start ;;
*) echo "usage: $0 [restart|stop|start]" >&2; exit 2 ;;
esac
