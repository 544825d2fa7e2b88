#!/usr/bin/env bash
# Stops and/or starts the stack's Kafka broker on the same ports with the same data, for tests of
# broker outages. The rest of the stack keeps running.
#
#   stack/kafka-restart.sh [restart]   stop (graceful, SIGTERM), then start and wait for readiness
#   stack/kafka-restart.sh stop        stop only
#   stack/kafka-restart.sh start       start (formatting the storage on first use) and wait until
#                                      the broker answers metadata requests
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"

[ -s "$ENV_FILE" ] || die "the stack is not set up ($ENV_FILE missing): run make stack-up"
action="${1:-restart}"

KAFKA_BOOTSTRAP="$(env_get KAFKA_BOOTSTRAP_SERVERS)"
KAFKA_PORT="${KAFKA_BOOTSTRAP##*:}"
KAFKA_CONTROLLER_PORT="$(env_get SASQUATCH_STACK_KAFKA_CONTROLLER_PORT)"
KAFKA_SASL_SSL_BOOTSTRAP="$(env_get SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP)"
KAFKA_MTLS_BOOTSTRAP="$(env_get SASQUATCH_STACK_KAFKA_MTLS_BOOTSTRAP)"
PKI="$(env_get SASQUATCH_STACK_PKI_DIR)"
CONF="$STATE/kafka/server.properties"
CLASSPATH="$KAFKA_LIBS/*"
JAVA_OPTS=(-Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
	-Dlog4j2.configurationFile="$STACK_ROOT/kafka/log4j2.properties")

kafka_stop() {
	local t0
	t0="$(now_ms)"
	stop kafka
	log "kafka stopped ($(($(now_ms) - t0)) ms)"
}

kafka_start() {
	local t0 i
	t0="$(now_ms)"
	if running kafka; then
		log "kafka already running"
		return 0
	fi
	[ -x "$STACKCTL" ] || (cd "$REPO_ROOT" && go build -o "$STACKCTL" ./stack/stackctl)
	mkdir -p "$STATE/kafka"
	# The PKI of the secured listeners (made once per stack: stackctl pki keeps a complete one).
	"$STACKCTL" pki -dir "$PKI" -client-cn "$MTLS_CLIENT_CN"
	(
		umask 077 # the file holds the keystore's key password
		sed -e "s#@STATE@#$STATE#g" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
			-e "s#@KAFKA_CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
			-e "s#@KAFKA_SASL_SSL_PORT@#${KAFKA_SASL_SSL_BOOTSTRAP##*:}#g" \
			-e "s#@KAFKA_MTLS_PORT@#${KAFKA_MTLS_BOOTSTRAP##*:}#g" \
			-e "s#@PKI@#$PKI#g" -e "s#@KEY_PASSWORD@#$(cat "$PKI/broker-key.password")#g" \
			"$STACK_ROOT/kafka/server.properties.in" >"$CONF"
	)
	if [ ! -e "$STATE/kafka/data/meta.properties" ]; then
		local cluster_id
		# A cluster id is 16 random bytes in unpadded URL-safe base64 (what `StorageTool random-uuid`
		# prints), made here to spare a JVM start.
		cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
		java "${JAVA_OPTS[@]}" -cp "$CLASSPATH" kafka.tools.StorageTool format \
			-t "$cluster_id" -c "$CONF" >>"$STATE/logs/kafka-format.log" 2>&1 ||
			{ cat "$STATE/logs/kafka-format.log" >&2; die "kafka storage format failed"; }
	fi
	start kafka java "${JAVA_OPTS[@]}" -cp "$CLASSPATH" kafka.Kafka "$CONF"
	# Ask the broker for metadata until it lists itself and a controller; fail early if it died.
	for ((i = 0; i < 90; i++)); do
		if "$STACKCTL" kafka-wait -brokers "$KAFKA_BOOTSTRAP" -timeout 1s 2>/dev/null; then
			log "kafka up at $KAFKA_BOOTSTRAP ($(($(now_ms) - t0)) ms)"
			return 0
		fi
		running kafka || { tail -n 60 "$STATE/logs/kafka.log" >&2; die "kafka exited during start-up"; }
	done
	tail -n 60 "$STATE/logs/kafka.log" >&2
	die "kafka did not answer a metadata request within 90s"
}

case "$action" in
stop) kafka_stop ;;
start) kafka_start ;;
restart)
	kafka_stop
	kafka_start
	;;
*) die "usage: $0 [restart|stop|start]" ;;
esac
