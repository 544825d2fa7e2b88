# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Common settings and helpers for the local Sasquatch stack (sourced by the stack/*.sh scripts).
#
# Environment (all optional):
#   SASQUATCH_STACK_CACHE   downloads and builds, kept across runs (default ~/.cache/sasquatch-go-stack)
#   SASQUATCH_STACK_DIR     state of a running stack: configs, data, logs, pid files, stack.env
#                           (default /tmp/sasquatch-stack)
#   SASQUATCH_STACK_TELEGRAF_FLUSH  Telegraf's flush_interval (default 1s; Sasquatch uses 10s)
#   SASQUATCH_STACK_TELEGRAF_DEBUG  true for Telegraf's debug log (default false)
#
# The versions come from stack/versions.env; the apps (topics), the database and the consumer
# group from the Telegraf configuration in stack/telegraf/ (render.sh).

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_ROOT/.." && pwd)"

CACHE="${SASQUATCH_STACK_CACHE:-${HOME:-/root}/.cache/sasquatch-go-stack}"
STATE="${SASQUATCH_STACK_DIR:-/tmp/sasquatch-stack}"
TELEGRAF_FLUSH="${SASQUATCH_STACK_TELEGRAF_FLUSH:-1s}"
TELEGRAF_DEBUG="${SASQUATCH_STACK_TELEGRAF_DEBUG:-false}"

# The pinned versions: KAFKA_VERSION, TELEGRAF_KAFKA_VERSION, TELEGRAF_VERSION,
# AXONOPS_REGISTRY_VERSION, ... (the compose-only ones are unused here).
# shellcheck source=stack/versions.env
source "$STACK_ROOT/versions.env"
TELEGRAF_TAGS=custom,inputs.kafka_consumer,inputs.internal,parsers.avro,outputs.influxdb,outputs.file,serializers.influx

# conf_value FILE KEY prints the first quoted value of KEY in stack/telegraf/FILE.
conf_value() { sed -n "s/^ *$2 = \"\([^\"]*\)\"\$/\1/p" "$STACK_ROOT/telegraf/$1" | head -n 1; }
INFLUXDB_DATABASE="$(conf_value telegraf.conf.in database)"
CONSUMER_GROUP="$(conf_value kafka_consumer.conf.in consumer_group)"
TOPIC_PREFIX="$(sed -n 's/^ *topics = \["\(.*\)\.@APP@"\]$/\1/p' "$STACK_ROOT/telegraf/kafka_consumer.conf.in")"
# The topics of the apps Telegraf consumes (stack/telegraf/apps), comma-separated.
TOPICS="$(sh "$STACK_ROOT/telegraf/render.sh" topics | paste -sd, -)"
# Principals of the secured listeners: a SCRAM user with ACLs on the app topics (prefix
# $TOPIC_PREFIX.) and on consumer groups named $ACL_GROUP_PREFIX*, one without any ACL, and the
# mTLS client certificate's CN (principal User:CN=<it>), with the same ACLs as the first.
SCRAM_USER=stack-writer
NOACL_USER=stack-noacl
MTLS_CLIENT_CN=sasquatch-stack-client
ACL_GROUP_PREFIX=sasquatch-stack-

KAFKA_LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
STACKCTL="$STATE/bin/stackctl"
ENV_FILE="$STATE/stack.env"

# The daemons of the stack, in start order (down.sh stops them in reverse).
SERVICES=(influxdb registry kafka telegraf)

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# now_ms prints the wall clock in milliseconds (for the timings we report).
now_ms() { date +%s%3N; }

# tool_version DIR MODULE prints the version of MODULE that the tools module in DIR pins.
tool_version() { awk -v m="$2" '$1 == m {print $2}' "$STACK_ROOT/tools/$1/go.mod"; }

# The Go-built tools are pinned by their go.mod too (Go needs it): both must say the same.
check_pin() {
	[ "$(tool_version "$1" "$2")" = "$3" ] ||
		die "stack/tools/$1/go.mod pins $2 $(tool_version "$1" "$2"), stack/versions.env says $3: change both"
}
check_pin telegraf github.com/influxdata/telegraf "v$TELEGRAF_VERSION"
check_pin registry github.com/axonops/axonops-schema-registry "v$AXONOPS_REGISTRY_VERSION"
TELEGRAF_VERSION="v$TELEGRAF_VERSION"
REGISTRY_VERSION="v$AXONOPS_REGISTRY_VERSION"
TELEGRAF_LDFLAGS="-X github.com/influxdata/telegraf/internal.Version=${TELEGRAF_VERSION#v}"
REGISTRY_LDFLAGS="-X main.version=$REGISTRY_VERSION"

# stamp DIR TEXT prints a short hash of the tools module in DIR, the Go version and TEXT (build
# flags), to key a cached build: a change of any of them builds anew.
stamp() {
	{ cat "$STACK_ROOT/tools/$1/go.mod" "$STACK_ROOT/tools/$1/go.sum"; go version; printf '%s\n' "$2"; } |
		sha256sum | cut -c1-12
}

telegraf_bin() { echo "$CACHE/bin/telegraf-$TELEGRAF_VERSION-$(stamp telegraf "$TELEGRAF_TAGS $TELEGRAF_LDFLAGS")"; }
registry_bin() { echo "$CACHE/bin/schema-registry-$REGISTRY_VERSION-$(stamp registry "$REGISTRY_LDFLAGS")"; }

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		die "need root to run: $*"
	fi
}

pidfile() { echo "$STATE/run/$1.pid"; }

# running NAME succeeds when NAME's pid file names a live process that is still ours (its command
# line mentions the state dir, so a recycled pid is never mistaken for it).
running() {
	local pf pid
	pf="$(pidfile "$1")"
	[ -s "$pf" ] || return 1
	pid="$(cat "$pf")"
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STATE" || return 1
	# A zombie is not running.
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# start NAME CMD... starts CMD detached (own session, stdin closed, output to NAME's log) and
# records its pid. CMD must mention $STATE in its arguments (see running).
start() {
	local name="$1"
	shift
	mkdir -p "$STATE/run" "$STATE/logs"
	setsid "$@" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
	local pid=$! i
	echo "$pid" >"$(pidfile "$name")"
	# Until the child has exec'd CMD, /proc/PID/cmdline is this shell's and running says NAME is
	# not running (seen on CI: "registry exited during start-up" with an empty log). Wait for
	# the exec, or the exit, for up to 2 s.
	for ((i = 0; i < 200; i++)); do
		[ -r "/proc/$pid/cmdline" ] || break
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STATE" && break
		sleep 0.01
	done
}

# stop NAME sends SIGTERM, waits up to 30 s for the process to exit, then SIGKILL. No-op when
# NAME is not running.
stop() {
	local name="$1" pf pid i
	pf="$(pidfile "$name")"
	if ! running "$name"; then
		rm -f "$pf"
		return 0
	fi
	pid="$(cat "$pf")"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do
		running "$name" || break
		sleep 0.1
	done
	if running "$name"; then
		log "$name (pid $pid) ignored SIGTERM for 30s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			running "$name" || break
			sleep 0.1
		done
	fi
	rm -f "$pf"
}

# env_get KEY prints KEY's value from stack.env.
env_get() { sed -n "s/^$1=//p" "$ENV_FILE"; }

# tail_logs prints the end of every log, for a failed start or test.
tail_logs() {
	local f
	for f in "$STATE"/logs/*.log; do
		[ -e "$f" ] || continue
		printf '\n===== %s (last 40 lines) =====\n' "$f" >&2
		tail -n 40 "$f" >&2
	done
}
