package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

// newTestEnv starts an in-process kfake cluster and a registry. The cluster
// stores records, so that a test can read them back, unless blackhole.
func newTestEnv(tb testing.TB, blackhole bool) (*env, *kfake.Cluster) {
	tb.Helper()
	var opts []kfake.Opt
	if blackhole {
		opts = append(opts, kfake.BlackholeProduce())
	}
	cluster, reg := fakes.Start(tb, event.Topic, 2, opts...)
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

// Every workload's raw and sdk runs deliver exactly n records, round-robin
// over the workload's event names: each name's schema id on n/len(names)
// records of each run, every value the size of raw's pre-encoded value for
// that name (the SDK writes what raw sends).
func TestWorkloadProducers(t *testing.T) {
	e, cluster := newTestEnv(t, false)
	ctx := t.Context()
	for _, w := range workloads() {
		if err := e.prepare(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	// Per schema id: records expected and the value size.
	want := map[uint32]int{}
	size := map[uint32]int{}
	total := 0
	size[uint32(e.schemaID)] = len(e.value)
	for _, w := range workloads() {
		d, err := e.data(w)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.values)%len(w.names) != 0 || len(d.values) < rawValues {
			t.Errorf("%s: %d values for %d names", w.name, len(d.values), len(w.names))
		}
		n := 3 * len(w.names) * w.goroutines
		for _, run := range []struct {
			name string
			fn   func(context.Context, *env, workload, int) (result, error)
		}{
			{"raw", func(ctx context.Context, e *env, w workload, n int) (result, error) {
				return runWorkloadRaw(ctx, e, w, n, rawShared)
			}},
			{"fresh", func(ctx context.Context, e *env, w workload, n int) (result, error) {
				return runWorkloadRaw(ctx, e, w, n, rawFresh)
			}},
			{"floor", func(ctx context.Context, e *env, w workload, n int) (result, error) {
				return runWorkloadRaw(ctx, e, w, n, rawFloor)
			}},
			{"sdk", runWorkloadSDK},
		} {
			r, err := run.fn(ctx, e, w, n)
			if err != nil {
				t.Fatalf("%s_%s: %v", w.name, run.name, err)
			}
			if r.n != n || r.elapsed <= 0 {
				t.Errorf("%s_%s: result %+v", w.name, run.name, r)
			}
			total += n + 1 // and the client's warm-up record, of the 10-field event
			want[uint32(e.schemaID)]++
		}
		for i, id := range d.ids {
			want[uint32(id)] += 4 * n / len(w.names) // raw, fresh, floor and sdk
			size[uint32(id)] = len(d.values[i])
		}
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()[0]),
		kgo.ConsumeTopics(event.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	got := map[uint32]int{}
	read := 0
	for read < total {
		fs := cl.PollFetches(rctx)
		if err := rctx.Err(); err != nil {
			t.Fatalf("read %d of %d records: %v", read, total, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			read++
			if len(r.Value) < 5 || r.Value[0] != 0 {
				t.Errorf("record value %x: no Confluent frame", r.Value)
				return
			}
			id := binary.BigEndian.Uint32(r.Value[1:5])
			got[id]++
			if len(r.Value) != size[id] {
				t.Errorf("schema id %d: value of %d bytes, want %d", id, len(r.Value), size[id])
			}
		})
	}
	if !maps.Equal(got, want) {
		t.Errorf("records per schema id:\ngot  %v\nwant %v", got, want)
	}
}

// During an outage (the broker closed) both sides buffer every event, and
// each buffered event holds at least its value's bytes of heap.
func TestMeasureOutageHeap(t *testing.T) {
	e, cluster := newTestEnv(t, true)
	const n = 50_000
	h, err := measureOutageHeap(t.Context(), e, n, cluster.Close)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("heap per buffered event: sdk %.0f B, raw %.0f B", h.sdk, h.raw)
	if h.valueLen != len(e.value) {
		t.Errorf("value length %d, want %d", h.valueLen, len(e.value))
	}
	if min(h.raw, h.sdk) < float64(h.valueLen) {
		t.Errorf("heap per buffered event: sdk %.0f B, raw %.0f B: less than the %d B value", h.sdk, h.raw, h.valueLen)
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
