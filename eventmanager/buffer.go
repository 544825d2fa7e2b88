package eventmanager

import (
	"context"
	"sync/atomic"
	"time"
)

// recordOverhead is the heap one buffered event holds besides its encoded
// value: the kgo.Record (about 190 B) and franz-go's bookkeeping for it (its
// promise, its slot in a batch, batch slices grown by doubling). Measured
// with TestOutageHeapBound (1 000 000 events of 77 B, broker down): about
// 300 B per event beyond the value's capacity. Counting it makes
// METRICS_MAX_BUFFERED_BYTES a bound of memory, not of payload.
const recordOverhead = 320

// maxPooledValue is the largest value buffer the record pool keeps for
// reuse: events with strings of a few KiB (queries, error messages) are
// encoded in place like small ones. A larger buffer (a rare large event)
// goes to the garbage collector, so that small events never hold large
// events' buffers; a pooled buffer counts its capacity against
// METRICS_MAX_BUFFERED_BYTES whatever the event it carries.
const maxPooledValue = 4 << 10

// buffer is the account of unsent events: the events Publish accepted that
// are neither delivered nor failed (records inside the Kafka client, events
// waiting for their schema to be registered, records waiting to be sent again
// after a topic was recreated). It is bounded by METRICS_MAX_BUFFERED_EVENTS
// and METRICS_MAX_BUFFERED_BYTES, where an event costs cost(value): the
// accounting is two atomic counters, so Publish decides synchronously and
// exactly whether an event fits.
//
// The buffer is also the gate Close waits at: calls counts the Publish calls
// between their state check and the hand-off of their record, and closing
// wakes a Publish waiting for room.
type buffer struct {
	maxEvents, maxBytes int64
	blockTimeout        time.Duration

	calls atomic.Int64 // Publish calls inside the gate (enter .. exit)
	_     [56]byte     // keep calls (Publish only) off the line the promises write

	events, bytes atomic.Int64
	_             [48]byte
	waiters       atomic.Int64
	room          chan struct{} // a Publish waiting for room may retry
	idle          chan struct{} // the buffer emptied after Close began
	drained       chan struct{} // the last Publish left the gate after Close began
	closing       chan struct{} // closed when Close begins
	closed        atomic.Bool

	fl flushState // the epochs Flush waits for (flush.go)
}

func newBuffer(maxEvents int, maxBytes int64, blockTimeout time.Duration) *buffer {
	b := &buffer{
		maxEvents:    int64(maxEvents),
		maxBytes:     maxBytes,
		blockTimeout: blockTimeout,
		room:         make(chan struct{}, 1),
		idle:         make(chan struct{}, 1),
		drained:      make(chan struct{}, 1),
		closing:      make(chan struct{}),
	}
	b.fl.cur.Store(newEpoch())
	b.fl.wake = make(chan struct{})
	return b
}

// cost is what an event whose encoded value has capacity valueCap counts
// against METRICS_MAX_BUFFERED_BYTES.
func cost(valueCap int) int64 { return int64(valueCap) + recordOverhead }

// enter lets a Publish call in, unless Close has begun. Every successful
// enter is paired with an exit.
func (b *buffer) enter() bool {
	b.calls.Add(1)
	if b.closed.Load() {
		b.exit()
		return false
	}
	return true
}

// exit lets a Publish call out, telling Close when it was the last one.
func (b *buffer) exit() {
	if b.calls.Add(-1) == 0 && b.closed.Load() {
		signal(b.drained)
	}
}

// close shuts the gate and waits, until ctx ends, for the Publish calls
// inside it to hand over their records. A Publish waiting for room gives up
// at once and returns ErrClosed.
func (b *buffer) close(ctx context.Context) {
	if b.closed.Swap(true) {
		return
	}
	close(b.closing)
	for b.calls.Load() > 0 {
		select {
		case <-b.drained:
		case <-ctx.Done():
			return
		}
	}
}

// reserve takes room for one event that costs n bytes, waiting up to
// METRICS_BLOCK_TIMEOUT for room when the buffer is full. It reports
// whether the event fits, and errClosing when Close began during the wait.
func (b *buffer) reserve(ctx context.Context, n int64) (bool, error) {
	if b.tryReserve(n) {
		return true, nil
	}
	if b.blockTimeout <= 0 {
		return false, nil
	}
	return b.waitReserve(ctx, n)
}

func (b *buffer) tryReserve(n int64) bool {
	events := b.events.Add(1)
	bytes := b.bytes.Add(n)
	if events <= b.maxEvents && (bytes <= b.maxBytes || events == 1) {
		// A single event larger than the byte bound is let through alone,
		// so that an oversized event fails visibly in the client rather
		// than being dropped forever.
		return true
	}
	b.release(n)
	return false
}

// release gives back the room of one event that cost n bytes, wakes one
// Publish waiting for room, and tells Close when the buffer is empty.
func (b *buffer) release(n int64) {
	left := b.events.Add(-1)
	b.bytes.Add(-n)
	if left == 0 && b.closed.Load() {
		signal(b.idle)
	}
	if b.waiters.Load() > 0 {
		signal(b.room)
	}
}

// waitReserve is the opt-in blocking path (METRICS_BLOCK_TIMEOUT > 0). The
// caller's ctx can shorten the wait, and Close ends it.
func (b *buffer) waitReserve(ctx context.Context, n int64) (bool, error) {
	b.waiters.Add(1)
	defer b.waiters.Add(-1)
	timer := time.NewTimer(b.blockTimeout)
	defer timer.Stop()
	for {
		if b.tryReserve(n) {
			// Pass the wake-up on: there may be room for another waiter.
			signal(b.room)
			return true, nil
		}
		select {
		case <-b.room:
		case <-timer.C:
			return b.tryReserve(n), nil
		case <-ctx.Done():
			return false, nil
		case <-b.closing:
			return false, ErrClosed
		}
	}
}

// waitIdle waits until the buffer is empty (every promise has run) or ctx is
// done.
func (b *buffer) waitIdle(ctx context.Context) {
	for b.events.Load() > 0 {
		select {
		case <-b.idle:
		case <-ctx.Done():
			return
		}
	}
}

// unsent returns the number of events in the buffer and the bytes they count.
func (b *buffer) unsent() (events, bytes int64) { return b.events.Load(), b.bytes.Load() }

// saturated reports whether the buffer is at least 90% full by count or
// bytes, for readiness.
func (b *buffer) saturated() bool {
	return b.events.Load()*10 >= b.maxEvents*9 || b.bytes.Load()*10 >= b.maxBytes*9
}

// clamp lowers the bounds to a Kafka client's own (kgo.MaxBufferedRecords,
// kgo.MaxBufferedBytes), so that the client never refuses a record the
// buffer accepted. Called once, before the first Publish.
func (b *buffer) clamp(maxRecords int, maxBytes int64) {
	if maxRecords > 0 && int64(maxRecords) < b.maxEvents {
		b.maxEvents = int64(maxRecords)
	}
	if maxBytes > 0 && maxBytes < b.maxBytes {
		b.maxBytes = maxBytes
	}
}

// signal wakes one receiver of ch (a channel of capacity 1) without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
