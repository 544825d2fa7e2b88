package eventmanager

import (
	"context"
	"testing"
	"time"
)

// TestFlushWaitsOnlyForEarlierEvents drives the epochs directly: events
// enrolled after Flush began do not keep it waiting, events enrolled
// before it do, and the failures among them are counted.
func TestFlushWaitsOnlyForEarlierEvents(t *testing.T) {
	b := newBuffer(100, 1<<20, 0)
	early := []*epoch{b.enroll(), b.enroll(), b.enroll()}
	type result struct{ left, failed int64 }
	done := make(chan result, 1)
	go func() {
		left, failed, err := b.flush(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- result{left, failed}
	}()
	// Flush has begun once the epoch changed.
	for b.fl.cur.Load() == early[0] {
		time.Sleep(time.Millisecond)
	}
	late := []*epoch{b.enroll(), b.enroll()}
	b.finish(early[0], true)
	b.finish(early[1], false)
	select {
	case r := <-done:
		t.Fatalf("flush returned %+v with an earlier event open", r)
	default:
	}
	b.finish(early[2], true)
	r := <-done
	if r.left != 0 || r.failed != 1 {
		t.Fatalf("flush = %+v, want 0 left and 1 failed", r)
	}
	// The late events are the next Flush's.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	left, failed, err := b.flush(ctx)
	if left != 2 || failed != 0 || err == nil {
		t.Fatalf("flush with 2 late events open and an expired ctx = %d, %d, %v; want 2, 0, context canceled", left, failed, err)
	}
	for _, ep := range late {
		b.finish(ep, true)
	}
	if left, failed, err := b.flush(ctx); left != 0 || failed != 0 || err != nil {
		t.Fatalf("flush with nothing open = %d, %d, %v; want 0, 0, nil", left, failed, err)
	}
}
