#!/usr/bin/env bash
# Installs what the local Sasquatch stack runs, idempotently, into $SASQUATCH_STACK_CACHE:
#   - Apache Kafka's jars from Maven Central (stack/kafka/pom.xml, KAFKA_VERSION of stack/versions.env),
#   - a custom Telegraf build with only the plugins Sasquatch's app-metrics pipeline uses
#     (stack/tools/telegraf),
#   - the AxonOps Schema Registry (stack/tools/registry),
#   - InfluxDB 1.x from Debian's packages (needs root; apt-get update runs only when it is missing).
# The first run downloads and builds (a few minutes, mostly the Telegraf build); later runs only
# check that everything is there.
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"

t0="$(now_ms)"
mkdir -p "$CACHE/bin"

install_kafka() {
	if [ -e "$KAFKA_LIBS/.complete" ]; then
		return 0
	fi
	command -v java >/dev/null || die "java (17 or later) is needed to run Kafka $KAFKA_VERSION"
	command -v mvn >/dev/null || die "mvn is needed to fetch Kafka's jars from Maven Central"
	log "fetching Kafka $KAFKA_VERSION jars with Maven"
	rm -rf "$KAFKA_LIBS"
	mvn -q -B -Dstyle.color=never -f "$STACK_ROOT/kafka/pom.xml" -Dmaven.repo.local="$CACHE/m2" \
		-Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS"
	ls "$KAFKA_LIBS"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null
	touch "$KAFKA_LIBS/.complete"
}

# go_tool_build DIR PKG OUT [go build flags...] builds PKG, pinned by the tools module in DIR, to OUT.
go_tool_build() {
	local dir="$1" pkg="$2" out="$3"
	shift 3
	if [ -x "$out" ]; then
		return 0
	fi
	log "building $pkg (cached as $out)"
	(cd "$dir" && nice -n 10 go build -trimpath "$@" -o "$out.tmp" "$pkg")
	mv "$out.tmp" "$out"
	# Drop builds of other versions or flags of the same program.
	find "$(dirname "$out")" -maxdepth 1 -name "$(basename "${out%%-v*}")-v*" ! -name "$(basename "$out")" -delete
}

install_influxdb() {
	if command -v influxd >/dev/null; then
		return 0
	fi
	log "installing InfluxDB 1.x from Debian's packages"
	as_root apt-get update -qq
	# RUNLEVEL=1 keeps the package's init script from starting a system-wide influxd on 0.0.0.0.
	as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends influxdb >/dev/null
	command -v influxd >/dev/null || die "influxd is still missing after apt-get install influxdb"
}

install_kafka
go_tool_build "$STACK_ROOT/tools/registry" github.com/axonops/axonops-schema-registry/cmd/schema-registry \
	"$(registry_bin)" -ldflags "$REGISTRY_LDFLAGS"
go_tool_build "$STACK_ROOT/tools/telegraf" github.com/influxdata/telegraf/cmd/telegraf \
	"$(telegraf_bin)" -tags "$TELEGRAF_TAGS" -ldflags "$TELEGRAF_LDFLAGS"
install_influxdb
log "install: everything in place in $CACHE ($(($(now_ms) - t0)) ms)"
