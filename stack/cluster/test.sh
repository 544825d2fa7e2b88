#!/usr/bin/env bash
# Runs the delivery tests against a three-node Kafka cluster (stack/cluster, build tag
# `cluster`): installs what is missing into the stack's cache (stack/install.sh: Kafka's jars,
# the registry), then runs `go test` with the paths of the jars and of the registry binary in
# its environment. The tests start and stop their own cluster and registry on ports the OS
# picks, in temp dirs: they never touch a running stack.
#
#   SASQUATCH_CLUSTER_KEEP=1      keep the temp dirs (Kafka's and the SDK's logs)
#   CLUSTER_TESTFLAGS             extra `go test` flags (e.g. -run 'TestCluster/RegistryDown')
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/../lib.sh"
GO="${GO:-go}"

bash "$STACK_ROOT/install.sh"
SASQUATCH_CLUSTER_KAFKA_LIBS="$KAFKA_LIBS"
SASQUATCH_CLUSTER_REGISTRY_BIN="$(registry_bin)"
export SASQUATCH_CLUSTER_KAFKA_LIBS SASQUATCH_CLUSTER_REGISTRY_BIN

t0="$(now_ms)"
rc=0
# shellcheck disable=SC2086 # CLUSTER_TESTFLAGS is a list of flags.
(cd "$REPO_ROOT" && "$GO" test -race -count=1 -v -timeout 20m -tags cluster ${CLUSTER_TESTFLAGS:-} ./stack/cluster/) || rc=$?
log "go test ./stack/cluster/: $(($(now_ms) - t0)) ms"
exit "$rc"
