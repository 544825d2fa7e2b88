package eventmanager_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// heapBoundFactor is the promise of docs/delivery.md ("Memory is bounded"):
// during an outage the heap the unsent events hold stays below this multiple
// of METRICS_MAX_BUFFERED_BYTES.
const heapBoundFactor = 1.5

// liveHeap returns the bytes of live heap after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// outageHeap publishes events from next while the broker is down, with the
// byte bound given, and returns the live heap they hold and the stats.
func outageHeap(t *testing.T, bound int64, n int, publish func(q *eventmanager.Publisher[LoginEvent], i int) error) (uint64, eventmanager.EventStats) {
	t.Helper()
	cfg, b := restartableSetup(t, func(cfg *config.Config) {
		cfg.Delivery.MaxBufferedEvents = 10_000_000
		cfg.Delivery.MaxBufferedBytes = bound
	})
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()), fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	q, err := eventmanager.CreatePublisher[LoginEvent](t.Context(), m, "login")
	if err != nil {
		t.Fatal(err)
	}
	b.stop()
	before := liveHeap()
	for i := range n {
		if err := publish(q, i); err != nil {
			t.Fatal(err)
		}
	}
	after := liveHeap()
	st := m.Stats().Total
	t.Cleanup(func() { b.start(false); _ = m.Close(t.Context()) })
	if after < before {
		return 0, st
	}
	return after - before, st
}

// TestOutageHeapBound is issue 12 #3 and #4: during an outage, the heap the
// unsent events hold stays within heapBoundFactor times
// METRICS_MAX_BUFFERED_BYTES, with 1 000 000 small events and with large and
// small events alternating (a small event must not pin a large event's
// buffer).
func TestOutageHeapBound(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 200_000
	}
	t.Run("small", func(t *testing.T) {
		const bound = 16 << 20
		heap, st := outageHeap(t, bound, n, func(q *eventmanager.Publisher[LoginEvent], i int) error {
			return q.Publish(t.Context(), LoginEvent{Username: "u", Attempts: i})
		})
		t.Logf("%d events accepted, %d dropped: %d B of heap (%.0f B per event), bound %d B", st.Published, st.Dropped, heap, float64(heap)/float64(st.Published), bound)
		if st.Dropped == 0 {
			t.Fatalf("nothing dropped: the bound was never reached, the test shows nothing")
		}
		if float64(heap) > heapBoundFactor*bound {
			t.Errorf("heap %d B > %.1f x the %d B bound", heap, heapBoundFactor, bound)
		}
	})
	t.Run("alternating", func(t *testing.T) {
		const bound = 1 << 20
		large := strings.Repeat("x", 32<<10)
		heap, st := outageHeap(t, bound, 4000, func(q *eventmanager.Publisher[LoginEvent], i int) error {
			name := "u"
			if i%2 == 0 {
				name = large
			}
			return q.Publish(t.Context(), LoginEvent{Username: name, Attempts: i})
		})
		t.Logf("%d events accepted, %d dropped: %d B of heap, bound %d B", st.Published, st.Dropped, heap, bound)
		if st.Dropped == 0 {
			t.Fatalf("nothing dropped: the bound was never reached, the test shows nothing")
		}
		if float64(heap) > heapBoundFactor*bound {
			t.Errorf("heap %d B > %.1f x the %d B bound", heap, heapBoundFactor, bound)
		}
	})
}
