package throttle

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTake(t *testing.T) {
	var l Line
	t0 := time.Unix(1000, 0)
	if l.TakeOverdue(t0, time.Minute) {
		t.Fatal("TakeOverdue before any line = true, want false")
	}
	if !l.Take(t0, time.Minute) {
		t.Fatal("first Take = false, want true")
	}
	if l.Take(t0.Add(59*time.Second), time.Minute) || l.TakeOverdue(t0.Add(59*time.Second), time.Minute) {
		t.Fatal("Take within the interval = true, want false")
	}
	if !l.TakeOverdue(t0.Add(time.Minute), time.Minute) {
		t.Fatal("TakeOverdue once the interval passed = false, want true")
	}
}

func TestTakeOrCountConcurrent(t *testing.T) {
	var l Line
	now := time.Unix(1000, 0)
	var taken atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if l.TakeOrCount(now, time.Minute) {
				taken.Add(1)
			}
		})
	}
	wg.Wait()
	if taken.Load() != 1 {
		t.Fatalf("%d goroutines took the line, want 1", taken.Load())
	}
	if got := l.Suppressed(); got != 63 {
		t.Fatalf("Suppressed() = %d, want 63", got)
	}
	if got := l.Suppressed(); got != 0 {
		t.Fatalf("Suppressed() again = %d, want 0", got)
	}
}
