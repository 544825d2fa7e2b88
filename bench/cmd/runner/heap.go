package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
)

// heapResult is the live heap each buffered event holds during an outage.
type heapResult struct {
	sdk, raw float64 // bytes per event
	valueLen int     // bytes of each event's encoded value
}

// measureOutageHeap measures the heap per buffered event during an outage,
// SDK against raw franz-go. It builds both clients (raw's options, buffers
// above n) and the SDK's Manager and Publisher on the broker at e.broker,
// calls outage, which must make the broker stop accepting connections
// (the runner stops its broker process), and then, raw first:
//
//   - raw: Produce n records whose values are fresh copies of the
//     pre-encoded event (what an encoder hands a franz-go user: one new
//     slice per event);
//   - sdk: Publish the same event n times (METRICS_MAX_BUFFERED_EVENTS
//     raised to match, so nothing is dropped);
//
// each measured as the live heap after a full collection, after the n
// events minus before them, divided by n. Each side's client is closed
// (failing its records) before the other side is measured.
func measureOutageHeap(ctx context.Context, e *env, n int, outage func()) (heapResult, error) {
	he := *e
	he.maxBuffered = n + 1000
	rawCl, err := he.newClient(ctx, snappy)
	if err != nil {
		return heapResult{}, err
	}
	defer rawCl.Close()
	sdkCl, err := he.newClient(ctx, snappy)
	if err != nil {
		return heapResult{}, err
	}
	defer sdkCl.Close()
	m, p, err := newSDK(ctx, &he, sdkCl)
	if err != nil {
		return heapResult{}, err
	}
	defer closeQuietly(m)

	outage()

	res := heapResult{valueLen: len(e.value)}
	values := e.values
	var d deliveries
	before := settledHeap()
	for i := range n {
		v := values[i%len(values)]
		rawCl.Produce(ctx, &kgo.Record{Value: append(make([]byte, 0, len(v)), v...)}, d.promise)
	}
	after := liveHeap()
	if got := rawCl.BufferedProduceRecords(); got != int64(n) {
		return res, fmt.Errorf("raw: %d of %d records buffered during the outage", got, n)
	}
	res.raw = perEvent(before, after, n)
	rawCl.Close() // fails the records: their memory is garbage before the SDK's turn

	v := event.Sample()
	before = settledHeap()
	for range n {
		if err := p.Publish(ctx, v); err != nil {
			return res, fmt.Errorf("publish during the outage: %w", err)
		}
	}
	after = liveHeap()
	st := m.Stats().Total
	if st.Dropped+st.Failed+st.Delivered != 0 || sdkCl.BufferedProduceRecords() != int64(n) {
		return res, fmt.Errorf("sdk during the outage: %d of %d records buffered, %d delivered, %d dropped, %d failed: not an outage with every event kept",
			sdkCl.BufferedProduceRecords(), n, st.Delivered, st.Dropped, st.Failed)
	}
	res.sdk = perEvent(before, after, n)
	return res, nil
}

// liveHeap returns the bytes of live heap after a full collection (two: the
// first may leave objects that finalizers or sweeping free).
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// settledHeap is liveHeap once it has stopped shrinking (for at most about
// a second): after the outage begins the clients drop their connections and
// after a Close they fail their records in the background, and what they
// free must not be counted against the next side's events.
func settledHeap() uint64 {
	h := liveHeap()
	for range 10 {
		time.Sleep(100 * time.Millisecond)
		next := liveHeap()
		if next+64<<10 >= h {
			return next
		}
		h = next
	}
	return h
}

func perEvent(before, after uint64, n int) float64 {
	if after < before {
		return 0
	}
	return float64(after-before) / float64(n)
}

// heapOutage measures measureOutageHeap on a broker process of its own,
// which it stops to make the outage.
func heapOutage(ctx context.Context, f flags, e *env, n int) (heapResult, error) {
	b, err := startBroker(ctx, f.brokerBin, f.partitions)
	if err != nil {
		return heapResult{}, err
	}
	defer b.stop() // idempotent
	he := *e
	he.broker = b.addr
	return measureOutageHeap(ctx, &he, n, b.stop)
}
