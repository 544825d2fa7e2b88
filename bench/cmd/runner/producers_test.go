package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// newTestEnv starts an in-process kfake cluster and a registry. The cluster
// stores records, so that a test can read them back, unless blackhole.
func newTestEnv(tb testing.TB, blackhole bool) (*env, *kfake.Cluster) {
	tb.Helper()
	opts := []kfake.Opt{kfake.Ports(0), kfake.SeedTopics(2, event.Topic)}
	if blackhole {
		opts = append(opts, kfake.BlackholeProduce())
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cluster.Close)
	reg := registrytest.NewServer()
	tb.Cleanup(reg.Close)
	e, err := newEnv(tb.Context(), cluster.ListenAddrs()[0], reg.URL(), time.Millisecond)
	if err != nil {
		tb.Fatal(err)
	}
	return e, cluster
}

// Every producer delivers exactly n records of the benchmark's frame and
// reports a plausible measurement.
func TestProducers(t *testing.T) {
	e, cluster := newTestEnv(t, false)
	const n = 300
	tests := []struct {
		name string
		run  func(context.Context, *env, compression, int) (result, error)
		comp compression
	}{
		{"raw snappy", runRaw, snappy},
		{"hand snappy", runHand, snappy},
		{"sdk snappy", runSDK, snappy},
		{"sdk none", runSDK, none},
	}
	want := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.run(t.Context(), e, tt.comp, n)
			if err != nil {
				t.Fatal(err)
			}
			want += n + 1 // and the warm-up record
			if r.n != n || r.elapsed <= 0 || r.rate() <= 0 {
				t.Errorf("result %+v", r)
			}
		})
	}

	// Read everything back: each value has the frame and the size of raw's.
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()[0]),
		kgo.ConsumeTopics(event.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	header := e.value[:5]
	got := 0
	for got < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records: %v", got, want, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got++
			if !bytes.HasPrefix(r.Value, header) || len(r.Value) != len(e.value) {
				t.Errorf("record value %x, want header %x and %d bytes", r.Value, header, len(e.value))
			}
		})
	}
}

func TestMeasureLatency(t *testing.T) {
	e, _ := newTestEnv(t, true)
	lat, err := measureLatency(t.Context(), e, 500, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if lat.sdk.count() != 100 || lat.raw.count() != 100 {
		t.Errorf("recorded %d sdk and %d raw calls, want 100 each", lat.sdk.count(), lat.raw.count())
	}
	if p := lat.sdk.quantile(0.99); !(p > 0) {
		t.Errorf("sdk p99 = %v us", p)
	}
}

func TestNsPerOp(t *testing.T) {
	t.Parallel()
	enc, err := newEncoders()
	if err != nil {
		t.Fatal(err)
	}
	if enc.sdk(1) != enc.hand(1) {
		t.Errorf("sdk writes %d bytes, hand %d", enc.sdk(1), enc.hand(1))
	}
	for _, loop := range []func(int) int{enc.sdk, enc.hand} {
		if ns := nsPerOp(time.Millisecond, loop); !(ns > 0 && ns < 1e6) {
			t.Errorf("ns per op = %v", ns)
		}
	}
}

// BenchmarkPublish is the SDK's Publish against an in-process kfake that
// discards what it receives, for profiling the Publish path:
//
//	go test -run '^$' -bench Publish -benchtime 1000000x -cpuprofile cpu.out -memprofile mem.out ./bench/cmd/runner
//
// Compare with BenchmarkRawProduce. Closing the manager (delivery) is outside
// the timed loop.
func BenchmarkPublish(b *testing.B) {
	e, _ := newTestEnv(b, true)
	e.linger = 10 * time.Millisecond
	e.maxBuffered = 1 << 24
	for _, c := range []compression{snappy, none} {
		b.Run(string(c), func(b *testing.B) {
			ctx := b.Context()
			cl, err := e.newClient(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			m, p, err := newSDK(ctx, e, cl)
			if err != nil {
				b.Fatal(err)
			}
			v := event.Sample()
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Publish(ctx, v); err != nil {
					b.Fatal(err)
				}
			}
			if err := m.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkRawProduce is raw's loop: franz-go producing the pre-encoded value.
func BenchmarkRawProduce(b *testing.B) {
	e, _ := newTestEnv(b, true)
	e.linger = 10 * time.Millisecond
	e.maxBuffered = 1 << 24
	for _, c := range []compression{snappy, none} {
		b.Run(string(c), func(b *testing.B) {
			ctx := b.Context()
			cl, err := e.newClient(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			var d deliveries
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				cl.Produce(ctx, &kgo.Record{Value: e.values[i%len(e.values)]}, d.promise)
			}
			if err := errors.Join(cl.Flush(ctx), d.err()); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// The middleware measurement serves requests bare and wrapped, delivers
// every event the wrapped loop published, and counts the middleware's
// allocations.
func TestMeasureMiddleware(t *testing.T) {
	e, _ := newTestEnv(t, false)
	r, err := measureMiddleware(t.Context(), e, 20*time.Millisecond, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.bareNs <= 0 || r.publishNs <= 0 || r.wrappedNs <= 0 {
		t.Errorf("timings %+v, want positive", r)
	}
	if r.wrappedAllocs-r.bareAllocs < 1 || r.publishAllocs <= r.bareAllocs {
		t.Errorf("allocations %+v: the middleware allocates its response writer, and delivering an event allocates, want more than bare", r)
	}
}
