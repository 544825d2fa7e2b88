package eventmanager_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

// BenchmarkPublishShapes is Publish against an in-process kfake for the
// workloads of real services (several event types, concurrent handlers, wide
// events, large strings), with make bench's events (bench/event), for
// profiling:
//
//	go test -run '^$' -bench PublishShapes/types10 -cpuprofile cpu.out ./eventmanager
//
// ns/op is per event; make bench compares each with raw franz-go.
func BenchmarkPublishShapes(b *testing.B) {
	b.Run("one", func(b *testing.B) { benchTypes(b, 1, 1, event.Sample()) })
	b.Run("types10", func(b *testing.B) { benchTypes(b, 10, 1, event.Sample()) })
	b.Run("types100", func(b *testing.B) { benchTypes(b, 100, 1, event.Sample()) })
	b.Run("parallel8", func(b *testing.B) { benchTypes(b, 1, 8, event.Sample()) })
	b.Run("mix", func(b *testing.B) { benchTypes(b, 10, 8, event.SampleLong(200)) })
	b.Run("str1k", func(b *testing.B) { benchTypes(b, 1, 1, event.SampleLong(1<<10)) })
	b.Run("str32k", func(b *testing.B) { benchTypes(b, 1, 1, event.SampleLong(32<<10)) })
	b.Run("wide50", func(b *testing.B) { benchTypes(b, 1, 1, event.Sample50()) })
}

// benchTypes publishes v round-robin through types publishers (one Go type
// under types event names) from goroutines goroutines, then closes the
// manager outside the timed part.
func benchTypes[T any](b *testing.B, types, goroutines int, v T) {
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
	pubs := make([]*eventmanager.Publisher[T], types)
	for i := range pubs {
		p, err := eventmanager.CreatePublisher[T](b.Context(), m, fmt.Sprintf("e%d", i))
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
	b.StopTimer()
	if err := m.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// newKafkaEnvB is newKafkaEnv for benchmarks: kfake and the in-process
// registry, always (a benchmark measures the SDK, not an external broker).
func newKafkaEnvB(b *testing.B) config.Config {
	b.Helper()
	cfg := baseConfig()
	cluster, reg := fakes.Start(b, cfg.Topic(), 2)
	cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
	cfg.Registry.URL = reg.URL()
	return cfg
}
