package eventmanager

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Flush waits until every event accepted before the call has been delivered
// or has failed, and returns nil when all of them were delivered. Events
// published while Flush waits do not make it wait longer, and the manager
// stays usable: Publish works during and after Flush, and Flush may be
// called again. Events whose schema is still being registered in the
// background count (Flush asks the background registration to try again at
// once); events that failed before the call do not (Manager.Stats counts
// them).
//
// When ctx ends first, or when some of those events failed while Flush
// waited, it returns an *UndeliveredError (errors.Is ErrUndelivered) whose
// Count is the number of those events not delivered: Unknown of them were
// still unsent when ctx ended (they stay buffered and may yet be delivered;
// Stats reports their outcome), the rest failed. It returns nil when nothing
// is left to wait for, even with an expired ctx. In disabled and mock modes,
// and before Initialize, it returns nil at once. Flush is safe for
// concurrent use, with Publish, with other Flush calls and with Close.
func (m *Manager) Flush(ctx context.Context) error {
	if m.mode != modeKafka {
		return nil
	}
	m.retry.nudge()
	left, failed, err := m.buf.flush(ctx)
	if left == 0 && failed == 0 {
		return nil
	}
	if err == nil {
		err = fmt.Errorf("%d events failed while flushing: see Manager.Stats, Check and the logs", failed)
	}
	ue := &UndeliveredError{Op: "flush", Count: left + failed, Unknown: left, Err: err}
	m.log.Warn("metrics events not delivered before flush deadline", "count", ue.Count, "still_buffered", left, "error", err)
	return ue
}

// An epoch is the account of the events accepted between two Flush calls,
// for Flush to wait for the events accepted before it and no others. Each
// accepted record carries its epoch in kgo.Record.Context (franz-go's field
// for enriching records; it reads it otherwise only for cancellation, which
// the embedded context.Background never signals) until the buffer releases
// it. Hooks may replace that context with one derived from it (franz-go's
// plugin/kotel puts the record's "publish" span there), so the epoch is
// found as the context's value for epochKey, which derived contexts keep,
// never by the context's type.
//
// Its events still open are enrolled - finished: Publish writes the one,
// the promises the other, each on a cache line of its own (see buffer).
type epoch struct {
	context.Context
	_           cacheLinePad
	enrolled    atomic.Int64 // accepted events
	_           cacheLinePad
	finished    atomic.Int64 // accepted events delivered or failed
	undelivered atomic.Int64 // accepted events that ended without delivery
}

// epochKey is the context key an epoch answers with itself.
type epochKey struct{}

// Value implements context.Context: the epoch for epochKey, else the
// embedded context's value.
func (e *epoch) Value(key any) any {
	if key == (epochKey{}) {
		return e
	}
	return e.Context.Value(key)
}

// recordEpoch returns the Flush epoch an accepted record was counted in,
// found through its context whatever hooks derived from it (nil for a record
// that carries none).
func recordEpoch(r *kgo.Record) *epoch {
	if r.Context == nil {
		return nil
	}
	ep, _ := r.Context.Value(epochKey{}).(*epoch)
	return ep
}

// open returns the number of the epoch's events not delivered nor failed
// yet. finished is read first, so that it is never negative.
func (e *epoch) open() int64 {
	finished := e.finished.Load()
	return e.enrolled.Load() - finished
}

func newEpoch() *epoch { return &epoch{Context: context.Background()} }

// flushState is the part of the buffer Flush uses: the epoch Publish
// counts events in, the earlier epochs not drained yet, and the wake-up of
// the Flush calls waiting for them.
type flushState struct {
	cur     atomic.Pointer[epoch]
	waiters atomic.Int64 // Flush calls waiting

	mu     sync.Mutex
	sealed []*epoch      // epochs before cur, possibly with open events
	wake   chan struct{} // closed (and replaced) when a sealed epoch drains
}

// enroll counts an accepted event in the current epoch and returns it, to
// be stored in the event's record and passed to release.
func (b *buffer) enroll() *epoch {
	ep := b.fl.cur.Load()
	ep.enrolled.Add(1)
	return ep
}

// finish ends an enrolled event's account in its epoch. It wakes the
// waiting Flush calls when the event was the last open one of an epoch
// Flush waits for.
func (b *buffer) finish(ep *epoch, delivered bool) {
	if ep == nil {
		return
	}
	if !delivered {
		ep.undelivered.Add(1)
	}
	finished := ep.finished.Add(1)
	if b.fl.waiters.Load() == 0 || b.fl.cur.Load() == ep || ep.enrolled.Load() != finished {
		return
	}
	b.fl.mu.Lock()
	close(b.fl.wake)
	b.fl.wake = make(chan struct{})
	b.fl.mu.Unlock()
}

// flush starts a new epoch and waits, until ctx ends, for the earlier ones
// to drain. It returns how many of their events were still open when it
// returned, and how many ended without delivery while it waited (those that
// ended so before it began are not counted); err is ctx's error when it
// ended first.
func (b *buffer) flush(ctx context.Context) (left, failed int64, err error) {
	b.fl.waiters.Add(1)
	defer b.fl.waiters.Add(-1)
	b.fl.mu.Lock()
	old := b.fl.cur.Swap(newEpoch())
	b.fl.sealed = append(slices.DeleteFunc(b.fl.sealed, func(e *epoch) bool { return e.open() == 0 }), old)
	wait := slices.Clone(b.fl.sealed)
	b.fl.mu.Unlock()
	before := make([]int64, len(wait))
	for i, e := range wait {
		before[i] = e.undelivered.Load()
	}
	count := func() (left, failed int64) {
		for i, e := range wait {
			left += e.open()
			failed += e.undelivered.Load() - before[i]
		}
		return left, failed
	}
	for {
		b.fl.mu.Lock()
		wake := b.fl.wake
		b.fl.mu.Unlock()
		if left, failed = count(); left == 0 {
			return 0, failed, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			left, failed = count()
			if left == 0 {
				return 0, failed, nil
			}
			return left, failed, ctx.Err()
		}
	}
}
