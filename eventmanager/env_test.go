package eventmanager_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

const testApp = "testapp"

// kafkaEnv is a kfake broker and an in-process registry on loopback.
type kafkaEnv struct {
	cluster  *kfake.Cluster
	registry *registrytest.Server
	cfg      config.Config
}

// newKafkaEnv starts a broker (with the app's topic unless noTopic) and a
// registry, and returns a Kafka-mode configuration pointing at them.
func newKafkaEnv(t *testing.T, noTopic bool) *kafkaEnv {
	t.Helper()
	cfg := baseConfig()
	opts := []kfake.Opt{kfake.Ports(0)}
	if !noTopic {
		opts = append(opts, kfake.SeedTopics(2, cfg.Topic()))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(cluster.Close)
	reg := registrytest.NewServer()
	t.Cleanup(reg.Close)
	cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
	cfg.Registry.URL = reg.URL()
	return &kafkaEnv{cluster: cluster, registry: reg, cfg: cfg}
}

// baseConfig is a valid Kafka-mode configuration without endpoints.
func baseConfig() config.Config {
	return config.Config{
		AppName:     testApp,
		Enabled:     true,
		TopicPrefix: "lsst.square.metrics.events",
		Kafka: config.Kafka{
			BootstrapServers: []string{"127.0.0.1:1"},
			SecurityProtocol: config.Plaintext,
			SASLMechanism:    config.SCRAMSHA512,
		},
		Registry: config.Registry{
			URL:           "http://127.0.0.1:1",
			Compatibility: "NONE",
			Timeout:       5 * time.Second,
		},
		Delivery: config.Delivery{
			MaxBufferedEvents: 100000,
			MaxBufferedBytes:  64 << 20,
			DeliveryTimeout:   30 * time.Second,
			LogInterval:       time.Minute,
			StartupBackoffMax: time.Second,
		},
	}
}

func mockConfig() config.Config {
	cfg := baseConfig()
	cfg.Mock = true
	return cfg
}

func disabledConfig() config.Config {
	cfg := baseConfig()
	cfg.Enabled = false
	return cfg
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// consume reads n records from topic, failing the test if they do not arrive
// within a bounded wait.
func consume(t *testing.T, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records from %s: %v", len(out), n, topic, err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("consumed %d records, want exactly %d", len(out), n)
	}
	return out
}
