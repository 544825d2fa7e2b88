// Package fakes starts what the repository's tests publish to: franz-go's
// in-process Kafka broker (kfake) and the in-process schema registry
// (schemaregistry/registrytest), on loopback ports the OS picks. It is
// testkit's one subpackage that imports this module (registrytest), so
// registrytest's own white-box tests cannot use it; every other package's
// tests may.
package fakes

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// Start starts a kfake cluster holding topic with partitions partitions
// (no topic when topic is empty), with opts besides, and a registry, both
// closed when tb ends.
func Start(tb testing.TB, topic string, partitions int32, opts ...kfake.Opt) (*kfake.Cluster, *registrytest.Server) {
	tb.Helper()
	opts = append([]kfake.Opt{kfake.Ports(0)}, opts...)
	if topic != "" {
		opts = append(opts, kfake.SeedTopics(partitions, topic))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatalf("kfake: %v", err)
	}
	tb.Cleanup(cluster.Close)
	reg := registrytest.NewServer()
	tb.Cleanup(reg.Close)
	return cluster, reg
}
