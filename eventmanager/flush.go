package eventmanager

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// Flush waits until every event accepted before the call has been delivered
// or has failed, and returns nil when all of them were delivered. Events
// published while Flush waits do not make it wait longer, and the manager
// stays usable: Publish works during and after Flush, and Flush may be
// called again. Events whose schema is still being registered in the
// background count (Flush asks the background registration to try again at
// once); events that failed before the call do not ([Manager.Stats] counts
// them).
//
// When ctx ends first, or when some of those events failed while Flush
// waited, it returns an [*UndeliveredError] whose
// Count is the number of those events not delivered. Unknown of them may
// be in the topic: still buffered when ctx ended (they may yet be
// delivered, and Stats reports their outcome), or counted Unknown in
// Stats (in flight when Close closed the Kafka client). The rest certainly
// were not written: Stats counts them Failed. It returns nil when nothing
// is left to wait for, even with an expired ctx. In disabled and mock modes,
// and before Initialize, it returns nil at once. Flush is safe for
// concurrent use, with Publish, with other Flush calls and with Close.
func (m *Manager) Flush(ctx context.Context) error {
	if m.mode != config.ModeKafka {
		return nil
	}
	m.retry.nudge()
	f := m.buf.waitAccepted(ctx)
	if f.left == 0 && f.failed == 0 && f.unknown == 0 {
		return nil
	}
	err, msg := f.err, "metrics events not delivered before flush deadline"
	if err == nil {
		err, msg = f.cause(), "metrics events not delivered while flushing"
	}
	ue := &UndeliveredError{Op: "flush", Count: f.left + f.failed + f.unknown, Unknown: f.left + f.unknown, Err: err}
	m.log.Warn(msg, "count", ue.Count, "still_buffered", f.left, "failed", f.failed, "outcome_unknown", f.unknown, "error", err)
	return ue
}

// cause says why the events a flush waited for ended undelivered, when its
// ctx did not end first.
func (f waited) cause() error {
	var parts []string
	if f.failed > 0 {
		parts = append(parts, fmt.Sprintf("%s failed", events(f.failed)))
	}
	if f.unknown > 0 {
		parts = append(parts, fmt.Sprintf("%s ended with an unknown outcome (in flight when Close closed the Kafka client)", events(f.unknown)))
	}
	return fmt.Errorf("%s while flushing: see Manager.Stats, Check and the logs", strings.Join(parts, " and "))
}

// events returns "1 event" or "n events".
func events(n int64) string {
	if n == 1 {
		return "1 event"
	}
	return fmt.Sprintf("%d events", n)
}

// An epoch is the account of the events accepted between two Flush calls,
// for Flush to wait for the events accepted before it and no others. Each
// accepted record's envelope points to its epoch until the buffer releases
// it.
//
// Its events still open are enrolled - finished: Publish writes the one,
// the promises the other, each on a cache line of its own (see buffer).
type epoch struct {
	_        cacheLinePad
	enrolled atomic.Int64 // accepted events
	_        cacheLinePad
	finished atomic.Int64 // accepted events delivered, failed or unknown
	failed   atomic.Int64 // accepted events that certainly were not written
	unknown  atomic.Int64 // accepted events that may or may not be in the topic
}

// open returns the number of the epoch's events not delivered nor failed
// yet. finished is read first, so that it is never negative.
func (e *epoch) open() int64 {
	finished := e.finished.Load()
	return e.enrolled.Load() - finished
}

func newEpoch() *epoch { return &epoch{} }

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

// outcome is what became of an accepted event.
type outcome int

const (
	outDelivered outcome = iota
	outFailed            // certainly not written
	outUnknown           // may or may not be in the topic
)

// finish ends an enrolled event's account in its epoch. It wakes the
// waiting Flush calls when the event was the last open one of an epoch
// Flush waits for.
func (b *buffer) finish(ep *epoch, out outcome) {
	if ep == nil {
		return
	}
	switch out {
	case outFailed:
		ep.failed.Add(1)
	case outUnknown:
		ep.unknown.Add(1)
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

// waited is what a flush saw of the events it waited for: how many were
// still open when it returned, and how many ended without delivery while
// it waited (those that ended so before it began are not counted), Failed
// or Unknown as [Manager.Stats] counts them; err is ctx's error when it
// ended first.
type waited struct {
	left, failed, unknown int64
	err                   error
}

// waitAccepted starts a new epoch and waits, until ctx ends, for the earlier ones
// to drain.
func (b *buffer) waitAccepted(ctx context.Context) waited {
	b.fl.waiters.Add(1)
	defer b.fl.waiters.Add(-1)
	b.fl.mu.Lock()
	old := b.fl.cur.Swap(newEpoch())
	b.fl.sealed = append(slices.DeleteFunc(b.fl.sealed, func(e *epoch) bool { return e.open() == 0 }), old)
	wait := slices.Clone(b.fl.sealed)
	b.fl.mu.Unlock()
	type mark struct{ failed, unknown int64 }
	before := make([]mark, len(wait))
	for i, e := range wait {
		before[i] = mark{e.failed.Load(), e.unknown.Load()}
	}
	count := func() (f waited) {
		for i, e := range wait {
			f.left += e.open()
			f.failed += e.failed.Load() - before[i].failed
			f.unknown += e.unknown.Load() - before[i].unknown
		}
		return f
	}
	for {
		b.fl.mu.Lock()
		wake := b.fl.wake
		b.fl.mu.Unlock()
		if f := count(); f.left == 0 {
			return f
		}
		select {
		case <-wake:
		case <-ctx.Done():
			f := count()
			if f.left > 0 {
				f.err = ctx.Err()
			}
			return f
		}
	}
}
