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
	done := make(chan waited, 1)
	go func() {
		f := b.waitAccepted(context.Background())
		if f.err != nil {
			t.Error(f.err)
		}
		done <- f
	}()
	// Flush has begun once the epoch changed.
	for b.fl.cur.Load() == early[0] {
		time.Sleep(time.Millisecond)
	}
	late := []*epoch{b.enroll(), b.enroll()}
	b.finish(early[0], outDelivered)
	b.finish(early[1], outFailed)
	select {
	case r := <-done:
		t.Fatalf("flush returned %+v with an earlier event open", r)
	default:
	}
	b.finish(early[2], outUnknown)
	r := <-done
	if r.left != 0 || r.failed != 1 || r.unknown != 1 {
		t.Fatalf("flush = %+v, want 0 left, 1 failed and 1 unknown", r)
	}
	// The late events are the next Flush's.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if f := b.waitAccepted(ctx); f.left != 2 || f.failed != 0 || f.unknown != 0 || f.err == nil {
		t.Fatalf("flush with 2 late events open and an expired ctx = %+v; want 2 left, context canceled", f)
	}
	for _, ep := range late {
		b.finish(ep, outDelivered)
	}
	if f := b.waitAccepted(ctx); f != (waited{}) {
		t.Fatalf("flush with nothing open = %+v; want nothing", f)
	}
}
