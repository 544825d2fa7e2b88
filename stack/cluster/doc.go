//go:build cluster

// Package cluster holds the delivery tests of the SDK against a replicated Kafka cluster
// (issue 16): three Apache Kafka nodes in KRaft mode (each a broker and a controller), from the
// jars stack/install.sh puts in the stack's cache, on loopback ports the OS picks, with data
// and logs in a temp dir; topics with replication factor 3 and min.insync.replicas=2; the
// stack's AxonOps Schema Registry. The SDK is configured from the environment as a user
// configures it (franz-go's producer defaults: acks=all, idempotence on).
//
// Each scenario publishes at a steady 1000 events/s while a fault happens (the partition
// leader killed, a rolling restart, two nodes down, the registry down), then closes the
// manager, reads the topic back and checks that every accepted event is there exactly once and
// that Stats agrees with what was read.
//
// The tests carry the build tag `cluster` and are run by `make test-cluster`
// (stack/cluster/test.sh), which installs what is missing and tells the tests where the jars
// and the registry binary are.
package cluster
