package eventmanager_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// benchEvent is a typical 10-field event.
type benchEvent struct {
	Method  string
	Path    string
	Status  int
	Bytes   int64
	Latency time.Duration
	Cached  bool
	Ratio   float64
	Kind    testkit.QueryType
	Retries *int32
	Note    string
}

// wideEvent has 50 fields.
type wideEvent struct {
	F00 string
	F01 int64
	F02 float64
	F03 bool
	F04 time.Duration
	F05 string
	F06 int64
	F07 float64
	F08 bool
	F09 time.Duration
	F10 string
	F11 int64
	F12 float64
	F13 bool
	F14 time.Duration
	F15 string
	F16 int64
	F17 float64
	F18 bool
	F19 time.Duration
	F20 string
	F21 int64
	F22 float64
	F23 bool
	F24 time.Duration
	F25 string
	F26 int64
	F27 float64
	F28 bool
	F29 time.Duration
	F30 string
	F31 int64
	F32 float64
	F33 bool
	F34 time.Duration
	F35 string
	F36 int64
	F37 float64
	F38 bool
	F39 time.Duration
	F40 string
	F41 int64
	F42 float64
	F43 bool
	F44 time.Duration
	F45 string
	F46 int64
	F47 float64
	F48 bool
	F49 time.Duration
}

func sampleBench(note string) benchEvent {
	r := int32(2)
	return benchEvent{Method: "GET", Path: "/api/v1/tap/sync", Status: 200, Bytes: 123456, Latency: 37 * time.Millisecond,
		Cached: true, Ratio: 0.75, Kind: testkit.QuerySync, Retries: &r, Note: note}
}

// BenchmarkPublishShapes is Publish against an in-process kfake for the
// workloads of real services (several event types, concurrent handlers, wide
// events, large strings), for profiling:
//
//	go test -run '^$' -bench PublishShapes/types10 -cpuprofile cpu.out ./eventmanager
//
// ns/op is per event; make bench compares each with raw franz-go.
func BenchmarkPublishShapes(b *testing.B) {
	b.Run("one", func(b *testing.B) { benchTypes(b, 1, 1, sampleBench("")) })
	b.Run("types10", func(b *testing.B) { benchTypes(b, 10, 1, sampleBench("")) })
	b.Run("types100", func(b *testing.B) { benchTypes(b, 100, 1, sampleBench("")) })
	b.Run("parallel8", func(b *testing.B) { benchTypes(b, 1, 8, sampleBench("")) })
	b.Run("mix", func(b *testing.B) { benchTypes(b, 10, 8, sampleBench(strings.Repeat("n", 200))) })
	b.Run("str1k", func(b *testing.B) { benchTypes(b, 1, 1, sampleBench(strings.Repeat("x", 1<<10))) })
	b.Run("str32k", func(b *testing.B) { benchTypes(b, 1, 1, sampleBench(strings.Repeat("x", 32<<10))) })
	b.Run("wide50", func(b *testing.B) {
		m := benchManager(b)
		p, err := eventmanager.CreatePublisher[wideEvent](b.Context(), m, "wide")
		if err != nil {
			b.Fatal(err)
		}
		v := wideEvent{F00: "GET", F01: 123456, F02: 0.75, F03: true, F04: 37 * time.Millisecond, F05: "GET", F06: 123456, F07: 0.75, F08: true, F09: 37 * time.Millisecond, F10: "GET", F11: 123456, F12: 0.75, F13: true, F14: 37 * time.Millisecond, F15: "GET", F16: 123456, F17: 0.75, F18: true, F19: 37 * time.Millisecond, F20: "GET", F21: 123456, F22: 0.75, F23: true, F24: 37 * time.Millisecond, F25: "GET", F26: 123456, F27: 0.75, F28: true, F29: 37 * time.Millisecond, F30: "GET", F31: 123456, F32: 0.75, F33: true, F34: 37 * time.Millisecond, F35: "GET", F36: 123456, F37: 0.75, F38: true, F39: 37 * time.Millisecond, F40: "GET", F41: 123456, F42: 0.75, F43: true, F44: 37 * time.Millisecond, F45: "GET", F46: 123456, F47: 0.75, F48: true, F49: 37 * time.Millisecond}
		b.ReportAllocs()
		for b.Loop() {
			if err := p.Publish(context.Background(), v); err != nil {
				b.Fatal(err)
			}
		}
		closeBench(b, m)
	})
}

func benchManager(b *testing.B) *eventmanager.Manager {
	b.Helper()
	cfg := newKafkaEnvB(b)
	cfg.Delivery.MaxBufferedEvents = 1 << 24
	cfg.Delivery.MaxBufferedBytes = 1 << 40
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Initialize(b.Context()); err != nil {
		b.Fatal(err)
	}
	return m
}

func closeBench(b *testing.B, m *eventmanager.Manager) {
	b.StopTimer()
	if err := m.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// benchTypes publishes v round-robin through types publishers (one Go type
// under types event names) from goroutines goroutines.
func benchTypes(b *testing.B, types, goroutines int, v benchEvent) {
	m := benchManager(b)
	pubs := make([]*eventmanager.Publisher[benchEvent], types)
	for i := range pubs {
		p, err := eventmanager.CreatePublisher[benchEvent](b.Context(), m, fmt.Sprintf("e%d", i))
		if err != nil {
			b.Fatal(err)
		}
		pubs[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N / goroutines
	for g := range goroutines {
		wg.Go(func() {
			ctx := context.Background()
			for i := range per {
				if err := pubs[(i+g)%types].Publish(ctx, v); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	closeBench(b, m)
}

// newKafkaEnvB is newKafkaEnv for benchmarks: kfake and the in-process
// registry, always (a benchmark measures the SDK, not an external broker).
func newKafkaEnvB(b *testing.B) config.Config {
	b.Helper()
	cfg := baseConfig()
	cluster, err := kfake.NewCluster(kfake.Ports(0), kfake.SeedTopics(2, cfg.Topic()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cluster.Close)
	reg := registrytest.NewServer()
	b.Cleanup(reg.Close)
	cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
	cfg.Registry.URL = reg.URL()
	return cfg
}
