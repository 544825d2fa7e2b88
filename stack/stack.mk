# Local Sasquatch stack (issue 8): Kafka (KRaft, Maven jars), the AxonOps Schema Registry,
# Telegraf (custom build) and InfluxDB 1.x (Debian), all on 127.0.0.1, no Docker.
# Included by the top-level Makefile:
#     include stack/stack.mk
# Needs go, java 17+, mvn, curl, and root (or sudo) the first time, for apt-get install influxdb.
# Cache: $SASQUATCH_STACK_CACHE (default ~/.cache/sasquatch-go-stack);
# state, logs and stack.env: $SASQUATCH_STACK_DIR (default /tmp/sasquatch-stack).

GO ?= go

.PHONY: stack-install stack-up stack-down stack-env test-stack test-cluster

## stack-install: download and build what the stack runs, into the cache (idempotent).
stack-install:
	@bash stack/install.sh

## stack-up: start the stack and write stack.env (does nothing when it is up).
stack-up:
	@bash stack/up.sh

## stack-down: stop the stack and remove its state dir (does nothing when it is down).
stack-down:
	@bash stack/down.sh

## stack-env: print the stack's endpoints as export lines: eval "$(make -s stack-env)".
stack-env:
	@bash stack/env.sh

## test-stack: run the eventmanager integration suite against the stack's Kafka and registry,
## then the tests tagged `stack` (stack/tests) through Telegraf into InfluxDB; the stack is
## started and stopped around the tests unless it was already up.
test-stack:
	@GO="$(GO)" bash stack/test.sh

## test-cluster: the delivery scenarios against three Kafka nodes in KRaft (RF=3,
## min.insync.replicas=2) and the registry, at 1000 events/s each: leader kill -9, rolling
## restart, two nodes down, registry down (stack/cluster). Own cluster in temp dirs, own ports.
test-cluster:
	@GO="$(GO)" bash stack/cluster/test.sh
