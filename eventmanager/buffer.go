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
// and METRICS_MAX_BUFFERED_BYTES, where an event costs cost(value), and
// Publish decides synchronously and exactly whether an event fits.
//
// The account is two ever-growing counters: what Publish reserved (pub)
// and what the promises released (rel), each event counting one unit (see
// unit), so that both the events and their bytes change with one atomic
// add; the unsent events are their difference. Each counter has a cache
// line of its own, so that a publishing goroutine and the Kafka client's
// delivery goroutine never write the same line (with one line, it moved
// between the cores at every event). Publish compares its reservation with
// a copy of rel kept on its own line (pub.seen), a copy that only lags, so
// that the buffer can only look fuller than it is; it reads rel itself only
// when the copy says the event does not fit, and decides on that.
//
// The buffer is also the gate Close waits at: pub.calls counts the Publish
// calls between their state check and the hand-off of their record, and
// closing wakes a Publish waiting for room.
type buffer struct {
	maxEvents, maxBytes int64
	blockTimeout        time.Duration

	_   cacheLinePad
	pub struct {
		calls   atomic.Int64  // Publish calls inside the gate (enter .. exit)
		account atomic.Uint64 // units reserved, ever (less the refused)
		seen    atomic.Uint64 // rel as Publish last read it: at most rel
	}
	_       cacheLinePad
	rel     atomic.Uint64 // units released, ever
	_       cacheLinePad
	waiters atomic.Int64
	room    chan struct{} // a Publish waiting for room may retry
	idle    chan struct{} // the buffer emptied after Close began
	drained chan struct{} // the last Publish left the gate after Close began
	closing chan struct{} // closed when Close begins
	closed  atomic.Bool

	fl flushState // the epochs Flush waits for (flush.go)
}

// An account unit is one event and its cost in bytes, in one word: the
// cost in the low unitBytesBits bits, the event above them. Sums of units
// wrap, but the difference of two sums is the events and bytes between
// them, exact as long as they are below maxAccountEvents and
// maxAccountBytes, which the buffer's bounds are (newBuffer clamps them,
// far above what a process holds: each event costs recordOverhead bytes of
// memory at least).
const (
	unitBytesBits    = 38
	maxAccountBytes  = 1 << (unitBytesBits - 1)      // 128 GiB
	maxAccountEvents = 1 << (64 - unitBytesBits - 1) // 32 Mi events
)

// unit is the account unit of one event that costs n bytes.
func unit(n int64) uint64 { return 1<<unitBytesBits + uint64(n) }

// units returns the events and bytes of a difference of two account sums.
func units(d uint64) (events, bytes int64) {
	return int64(d >> unitBytesBits), int64(d & (1<<unitBytesBits - 1))
}

// cacheLinePad keeps the counters around it on cache lines of their own
// (64 bytes on amd64 and arm64, whatever the alignment of what it sits in).
type cacheLinePad struct{ _ [64]byte }

func newBuffer(maxEvents int, maxBytes int64, blockTimeout time.Duration) *buffer {
	b := &buffer{
		maxEvents:    min(int64(maxEvents), maxAccountEvents),
		maxBytes:     min(maxBytes, maxAccountBytes),
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
	b.pub.calls.Add(1)
	if b.closed.Load() {
		b.exit()
		return false
	}
	return true
}

// exit lets a Publish call out, telling Close when it was the last one.
func (b *buffer) exit() {
	if b.pub.calls.Add(-1) == 0 && b.closed.Load() {
		signal(b.drained)
	}
}

// close shuts the gate and waits, until ctx ends, for the Publish calls
// inside it to hand over their records. A Publish waiting for room gives up
// at once and returns [ErrClosed].
func (b *buffer) close(ctx context.Context) {
	if b.closed.Swap(true) {
		return
	}
	close(b.closing)
	for b.pub.calls.Load() > 0 {
		select {
		case <-b.drained:
		case <-ctx.Done():
			return
		}
	}
}

// reserve takes room for one event that costs n bytes, waiting up to
// METRICS_BLOCK_TIMEOUT for room when the buffer is full and wait is true
// (Publish; TryPublish never waits). It reports whether the event fits,
// and [ErrClosed] when Close began during the wait.
func (b *buffer) reserve(ctx context.Context, n int64, wait bool) (bool, error) {
	if b.tryReserve(n) {
		return true, nil
	}
	if !wait || b.blockTimeout <= 0 {
		return false, nil
	}
	return b.waitReserve(ctx, n)
}

// tryReserve takes room for one event that costs n bytes if it fits.
func (b *buffer) tryReserve(n int64) bool {
	u := unit(n)
	account := b.pub.account.Add(u)
	if b.fits(units(account - b.pub.seen.Load())) {
		return true
	}
	// The copy of rel may lag: decide on rel itself, and keep it.
	rel := b.rel.Load()
	b.pub.seen.Store(rel)
	if b.fits(units(account - rel)) {
		return true
	}
	b.pub.account.Add(-u)
	return false
}

// fits reports whether events unsent events of bytes bytes in all, the
// new one included, are within the bounds. A single event larger than the
// byte bound is let through alone, so that an oversized event fails
// visibly in the client rather than being dropped forever.
func (b *buffer) fits(events, bytes int64) bool {
	return events <= b.maxEvents && (bytes <= b.maxBytes || events == 1)
}

// release gives back the room of one event that cost n bytes, wakes one
// Publish waiting for room, and tells Close when the buffer is empty.
func (b *buffer) release(n int64) {
	b.rel.Add(unit(n))
	if b.closed.Load() {
		if events, _ := b.unsent(); events == 0 {
			signal(b.idle)
		}
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
	for {
		if events, _ := b.unsent(); events == 0 {
			return
		}
		select {
		case <-b.idle:
		case <-ctx.Done():
			return
		}
	}
}

// unsent returns the number of events in the buffer and the bytes they
// count. rel is read first: every event it released was reserved before, so
// the differences are never negative.
func (b *buffer) unsent() (events, bytes int64) {
	rel := b.rel.Load()
	return units(b.pub.account.Load() - rel)
}

// saturated reports whether the buffer is at least 90% full by count or
// bytes, for readiness.
func (b *buffer) saturated() bool {
	events, bytes := b.unsent()
	return events*10 >= b.maxEvents*9 || bytes*10 >= b.maxBytes*9
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
