package eventmanager

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestBufferExactWithStaleCopy drives the account through many times its
// bound: Publish's copy of what the promises released lags, yet an event is
// refused only when the buffer is really full, by count or by bytes, and a
// refusal leaves nothing reserved.
func TestBufferExactWithStaleCopy(t *testing.T) {
	const maxEvents, cost = 3, 100
	b := newBuffer(maxEvents, 10*cost, 0)
	for round := range 50 {
		for i := range maxEvents {
			if !b.tryReserve(cost) {
				t.Fatalf("round %d: event %d of %d refused", round, i+1, maxEvents)
			}
		}
		if b.tryReserve(cost) {
			t.Fatalf("round %d: event %d accepted with %d events buffered", round, maxEvents+1, maxEvents)
		}
		if events, bytes := b.unsent(); events != maxEvents || bytes != maxEvents*cost {
			t.Fatalf("round %d: unsent = %d events, %d bytes; want %d, %d", round, events, bytes, maxEvents, maxEvents*cost)
		}
		// One released: exactly one more fits, whatever Publish saw last.
		b.release(cost)
		if !b.tryReserve(cost) {
			t.Fatalf("round %d: refused after a release", round)
		}
		for range maxEvents {
			b.release(cost)
		}
	}
	if events, bytes := b.unsent(); events != 0 || bytes != 0 {
		t.Fatalf("unsent = %d events, %d bytes; want 0, 0", events, bytes)
	}

	// The byte bound: 10 events of cost 100 fill 1000 bytes.
	b = newBuffer(1000, 1000, 0)
	for range 7 {
		for range 10 {
			if !b.tryReserve(cost) {
				t.Fatal("refused below the byte bound")
			}
		}
		if b.tryReserve(1) {
			t.Fatal("accepted 1 byte over the byte bound")
		}
		for range 10 {
			b.release(cost)
		}
	}
	// A single event larger than the byte bound goes alone.
	if !b.tryReserve(5000) {
		t.Fatal("oversized event refused in an empty buffer")
	}
	if b.tryReserve(1) {
		t.Fatal("accepted an event beside an oversized one")
	}
}

// TestBufferConcurrentExact has goroutines reserve and release at once
// around a small bound: the events accepted and not released yet never go
// past it, and the account ends at zero.
func TestBufferConcurrentExact(t *testing.T) {
	const maxEvents = 4
	b := newBuffer(maxEvents, 1<<40, 0)
	var held, accepted, refused atomic.Int64
	var wg sync.WaitGroup
	var over sync.Once
	for range 8 {
		wg.Go(func() {
			for range 20000 {
				if !b.tryReserve(10) {
					refused.Add(1)
					continue
				}
				accepted.Add(1)
				if n := held.Add(1); n > maxEvents {
					over.Do(func() { t.Errorf("%d events accepted and not released, bound %d", n, maxEvents) })
				}
				held.Add(-1)
				b.release(10)
			}
		})
	}
	wg.Wait()
	if events, bytes := b.unsent(); events != 0 || bytes != 0 {
		t.Fatalf("unsent = %d events, %d bytes; want 0, 0", events, bytes)
	}
	t.Logf("%d accepted, %d refused", accepted.Load(), refused.Load())
}

// TestBufferAccountWraps starts the account's sums just below where they
// wrap, as after a long life: the unsent events and bytes, and the bound,
// stay exact across the wrap. Bounds beyond what a unit can hold are
// clamped.
func TestBufferAccountWraps(t *testing.T) {
	const cost = 100
	b := newBuffer(3, 1000, 0)
	start := -(2 * unit(cost)) // two units below the wrap
	b.pub.account.Store(start)
	b.pub.seen.Store(start)
	b.rel.Store(start)
	for i := range 3 {
		if !b.tryReserve(cost) {
			t.Fatalf("event %d refused", i+1)
		}
	}
	if b.tryReserve(cost) {
		t.Fatal("fourth event accepted with a bound of 3")
	}
	if events, bytes := b.unsent(); events != 3 || bytes != 3*cost {
		t.Fatalf("unsent across the wrap = %d events, %d bytes; want 3, %d", events, bytes, 3*cost)
	}
	for range 3 {
		b.release(cost)
	}
	if events, bytes := b.unsent(); events != 0 || bytes != 0 {
		t.Fatalf("unsent = %d events, %d bytes; want 0, 0", events, bytes)
	}

	b = newBuffer(1<<40, 1<<50, 0)
	if b.maxEvents != maxAccountEvents || b.maxBytes != maxAccountBytes {
		t.Fatalf("bounds %d events, %d bytes; want clamped to %d, %d", b.maxEvents, b.maxBytes, maxAccountEvents, maxAccountBytes)
	}
	big := int64(maxAccountBytes / 2)
	for i := range 2 {
		if !b.tryReserve(big) {
			t.Fatalf("half the largest byte bound refused (event %d)", i+1)
		}
	}
	if b.tryReserve(1) {
		t.Fatal("1 byte accepted over the largest byte bound")
	}
	if events, bytes := b.unsent(); events != 2 || bytes != 2*big {
		t.Fatalf("unsent = %d events, %d bytes; want 2, %d", events, bytes, 2*big)
	}
}
