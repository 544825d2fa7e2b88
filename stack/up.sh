#!/usr/bin/env bash
# Starts the local Sasquatch stack on 127.0.0.1: InfluxDB 1.x, the AxonOps Schema Registry, a
# single-node KRaft Kafka broker and Telegraf (kafka_consumer + avro parser -> influxdb), with
# ports the OS picks, and writes the endpoints to $SASQUATCH_STACK_DIR/stack.env.
#
# Idempotent: when the stack is up it does nothing; when it is partly up (for instance after
# `stack/kafka-restart.sh stop`) it starts what is missing with the same ports and data; a
# state dir whose processes are all gone is removed and the stack starts afresh.
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"

t0="$(now_ms)"
bash "$STACK_ROOT/install.sh"

all_running() {
	local s
	for s in "${SERVICES[@]}"; do
		running "$s" || return 1
	done
}

any_running() {
	local s
	for s in "${SERVICES[@]}"; do
		running "$s" && return 0
	done
	return 1
}

if [ -s "$ENV_FILE" ] && all_running; then
	log "already up: $ENV_FILE"
	exit 0
fi
if [ -d "$STATE" ] && ! any_running; then
	# Left over from a stack that was not stopped (a killed session, a reboot): start afresh,
	# with new ports, rather than trust old ones.
	log "removing stale $STATE"
	rm -rf "$STATE"
fi

# --- ports and stack.env -------------------------------------------------------------------
mkdir -p "$STATE/bin"
(cd "$REPO_ROOT" && go build -o "$STACKCTL" ./stack/stackctl)

if [ ! -s "$ENV_FILE" ]; then
	mapfile -t p < <("$STACKCTL" ports 7)
	mkdir -p "$STATE"/{influxdb,registry,kafka,telegraf,logs,run}
	# secret prints a random password (URL-safe base64 of 18 random bytes).
	secret() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
	umask 077 # stack.env holds the SCRAM passwords
	cat >"$ENV_FILE.tmp" <<EOF
# Endpoints of the local Sasquatch stack (stack/up.sh). KEY=VALUE lines, no quoting.
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${p[0]}
SCHEMA_MANAGER_REGISTRY_URL=http://127.0.0.1:${p[2]}
INFLUXDB_URL=http://127.0.0.1:${p[3]}
INFLUXDB_DATABASE=$INFLUXDB_DATABASE
METRICS_EVENTS_TOPIC_PREFIX=$TOPIC_PREFIX
SASQUATCH_STACK_DIR=$STATE
SASQUATCH_STACK_TOPICS=$TOPICS
SASQUATCH_STACK_TELEGRAF_CONFIG=$STATE/telegraf/telegraf.conf
SASQUATCH_STACK_TELEGRAF_GROUP=$CONSUMER_GROUP
SASQUATCH_STACK_TELEGRAF_BIN=$(telegraf_bin)
SASQUATCH_STACK_TELEGRAF_KAFKA_VERSION=$TELEGRAF_KAFKA_VERSION
SASQUATCH_STACK_TELEGRAF_FLUSH=$TELEGRAF_FLUSH
SASQUATCH_STACK_KAFKA_CTL=$STACK_ROOT/kafka-restart.sh
SASQUATCH_STACK_KAFKA_CONTROLLER_PORT=${p[1]}
SASQUATCH_STACK_INFLUXDB_RPC_PORT=${p[4]}
# The broker's secured listeners (SASL_SSL: SCRAM-SHA-512; MTLS: SSL with a required client
# certificate), their PKI (stackctl pki) and principals (stackctl secure).
SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:${p[5]}
SASQUATCH_STACK_KAFKA_MTLS_BOOTSTRAP=127.0.0.1:${p[6]}
SASQUATCH_STACK_PKI_DIR=$STATE/pki
SASQUATCH_STACK_KAFKA_CLUSTER_CA=$STATE/pki/cluster-ca.crt
SASQUATCH_STACK_KAFKA_FOREIGN_CA=$STATE/pki/foreign-ca.crt
SASQUATCH_STACK_KAFKA_CLIENT_CERT=$STATE/pki/client.crt
SASQUATCH_STACK_KAFKA_CLIENT_KEY=$STATE/pki/client.key
SASQUATCH_STACK_KAFKA_FOREIGN_CLIENT_CERT=$STATE/pki/foreign-client.crt
SASQUATCH_STACK_KAFKA_FOREIGN_CLIENT_KEY=$STATE/pki/foreign-client.key
SASQUATCH_STACK_KAFKA_MTLS_PRINCIPAL=User:CN=$MTLS_CLIENT_CN
SASQUATCH_STACK_KAFKA_SCRAM_USER=$SCRAM_USER
SASQUATCH_STACK_KAFKA_SCRAM_PASSWORD=$(secret)
SASQUATCH_STACK_KAFKA_NOACL_USER=$NOACL_USER
SASQUATCH_STACK_KAFKA_NOACL_PASSWORD=$(secret)
SASQUATCH_STACK_KAFKA_ACL_TOPIC_PREFIX=$TOPIC_PREFIX.
SASQUATCH_STACK_KAFKA_ACL_GROUP_PREFIX=$ACL_GROUP_PREFIX
EOF
	umask 022
	mv "$ENV_FILE.tmp" "$ENV_FILE"
fi

KAFKA_BOOTSTRAP="$(env_get KAFKA_BOOTSTRAP_SERVERS)"
KAFKA_PORT="${KAFKA_BOOTSTRAP##*:}"
KAFKA_CONTROLLER_PORT="$(env_get SASQUATCH_STACK_KAFKA_CONTROLLER_PORT)"
REGISTRY_URL="$(env_get SCHEMA_MANAGER_REGISTRY_URL)"
REGISTRY_PORT="${REGISTRY_URL##*:}"
INFLUXDB_URL="$(env_get INFLUXDB_URL)"
INFLUXDB_HTTP_PORT="${INFLUXDB_URL##*:}"
INFLUXDB_RPC_PORT="$(env_get SASQUATCH_STACK_INFLUXDB_RPC_PORT)"
STACK_TOPICS="$(env_get SASQUATCH_STACK_TOPICS)"

# render IN prints the template IN with its @NAME@ placeholders filled in.
render() {
	sed -e "s#@STATE@#$STATE#g" \
		-e "s#@INFLUXDB_HTTP_PORT@#$INFLUXDB_HTTP_PORT#g" \
		-e "s#@INFLUXDB_RPC_PORT@#$INFLUXDB_RPC_PORT#g" \
		"$1"
}

# wait_http NAME URL checks URL until it answers 2xx, for at most 60 s, failing early if NAME died.
wait_http() {
	local name="$1" url="$2" i
	for ((i = 0; i < 600; i++)); do
		if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			return 0
		fi
		running "$name" || { tail_logs; die "$name exited during start-up (log: $STATE/logs/$name.log)"; }
		sleep 0.1
	done
	tail_logs
	die "$name did not answer $url within 60s"
}

# --- InfluxDB ------------------------------------------------------------------------------
if ! running influxdb; then
	render "$STACK_ROOT/influxdb/influxdb.conf.in" >"$STATE/influxdb/influxdb.conf"
	start influxdb influxd run -config "$STATE/influxdb/influxdb.conf"
	wait_http influxdb "$INFLUXDB_URL/ping"
	curl -fsS -o /dev/null -XPOST "$INFLUXDB_URL/query" --data-urlencode "q=CREATE DATABASE \"$INFLUXDB_DATABASE\""
	log "influxdb up at $INFLUXDB_URL (database $INFLUXDB_DATABASE)"
fi

# --- Schema registry -----------------------------------------------------------------------
if ! running registry; then
	cat >"$STATE/registry/config.yaml" <<EOF
# AxonOps Schema Registry for the local Sasquatch stack (written by stack/up.sh).
server:
  host: 127.0.0.1
  port: $REGISTRY_PORT
storage:
  type: memory
compatibility:
  default_level: BACKWARD
EOF
	start registry env SCHEMA_REGISTRY_HOST=127.0.0.1 SCHEMA_REGISTRY_PORT="$REGISTRY_PORT" \
		SCHEMA_REGISTRY_STORAGE_TYPE=memory "$(registry_bin)" -config "$STATE/registry/config.yaml"
	wait_http registry "$REGISTRY_URL/subjects"
	log "registry up at $REGISTRY_URL"
fi

# --- Kafka ---------------------------------------------------------------------------------
if ! running kafka; then
	bash "$STACK_ROOT/kafka-restart.sh" start
fi
"$STACKCTL" topics -brokers "$KAFKA_BOOTSTRAP" -topics "$STACK_TOPICS" -timeout 60s
t1="$(now_ms)"
"$STACKCTL" secure -env "$ENV_FILE" -timeout 60s
log "kafka SASL_SSL at $(env_get SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP), mTLS at $(env_get SASQUATCH_STACK_KAFKA_MTLS_BOOTSTRAP): users and ACLs ready ($(($(now_ms) - t1)) ms)"

# --- Telegraf ------------------------------------------------------------------------------
if ! running telegraf; then
	# The one Telegraf configuration (stack/telegraf/), its endpoints given as Telegraf's
	# environment variables, as docker-compose.yml does with the containers' names.
	sh "$STACK_ROOT/telegraf/render.sh" >"$STATE/telegraf/telegraf.conf"
	telegraf_env=(
		TELEGRAF_INFLUXDB_URL="$INFLUXDB_URL"
		TELEGRAF_KAFKA_BROKERS="$KAFKA_BOOTSTRAP"
		TELEGRAF_SCHEMA_REGISTRY_URL="$REGISTRY_URL"
		TELEGRAF_KAFKA_VERSION="$TELEGRAF_KAFKA_VERSION"
		TELEGRAF_FLUSH_INTERVAL="$TELEGRAF_FLUSH"
	)
	# Strict: Telegraf substitutes only inside TOML values (its default from v1.38 on).
	telegraf_flags=(--strict-env-handling --config "$STATE/telegraf/telegraf.conf")
	[ "$TELEGRAF_DEBUG" != true ] || telegraf_flags+=(--debug)
	t1="$(now_ms)"
	# Members left by a Telegraf that was killed stay in its group until their session times
	# out; readiness must not be taken from them. (Only asked when a Telegraf ran before: on a
	# new broker the group coordinator does not exist yet.)
	stale=""
	if [ -e "$STATE/telegraf/started" ]; then
		stale="$("$STACKCTL" group-members -brokers "$KAFKA_BOOTSTRAP" -group "$CONSUMER_GROUP" -timeout 15s)" ||
			log "warning: could not list the members of $CONSUMER_GROUP; readiness may be premature"
	fi
	touch "$STATE/telegraf/started"
	start telegraf env "${telegraf_env[@]}" "$(telegraf_bin)" "${telegraf_flags[@]}"
	# Ready when its consumer group is Stable with every partition of the topics assigned.
	for ((i = 0; ; i++)); do
		if "$STACKCTL" group-wait -brokers "$KAFKA_BOOTSTRAP" -group "$CONSUMER_GROUP" -topics "$STACK_TOPICS" \
			-stale "$stale" -timeout 1s 2>/dev/null; then
			break
		fi
		running telegraf || { tail_logs; die "telegraf exited during start-up"; }
		if ((i >= 90)); then
			tail_logs
			die "telegraf did not join consumer group $CONSUMER_GROUP within 90s"
		fi
	done
	log "telegraf consuming $STACK_TOPICS ($(($(now_ms) - t1)) ms)"
fi

log "up in $(($(now_ms) - t0)) ms; endpoints in $ENV_FILE"
