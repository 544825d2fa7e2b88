package eventmanager

import (
	"context"
	"time"
)

// The buffer of unsent events is the set of events Publish accepted that are
// neither delivered nor failed: records inside the Kafka client plus events
// waiting for their schema to be registered. Its size is bounded by
// METRICS_MAX_BUFFERED_EVENTS and METRICS_MAX_BUFFERED_BYTES; the accounting
// is two atomic counters, so Publish decides synchronously and exactly
// whether an event fits.

// reserve takes room for one event of n bytes, waiting up to
// METRICS_BLOCK_TIMEOUT for room when the buffer is full. It reports whether
// the event fits; the caller drops and counts it otherwise.
func (m *Manager) reserve(ctx context.Context, n int) bool {
	if m.tryReserve(n) {
		return true
	}
	if m.blockTimeout <= 0 {
		return false
	}
	return m.waitReserve(ctx, n)
}

func (m *Manager) tryReserve(n int) bool {
	events := m.bufEvents.Add(1)
	bytes := m.bufBytes.Add(int64(n))
	if events <= m.maxEvents && (bytes <= m.maxBytes || events == 1) {
		// A single event larger than the byte bound is let through alone,
		// so that an oversized event fails visibly in the client rather
		// than being dropped forever.
		return true
	}
	m.unreserve(n)
	return false
}

// unreserve gives back the room of one event of n bytes, wakes one Publish
// waiting for room, and tells Close when the buffer is empty.
func (m *Manager) unreserve(n int) {
	left := m.bufEvents.Add(-1)
	m.bufBytes.Add(-int64(n))
	if left == 0 && m.state.Load() == stateClosed {
		select {
		case m.idle <- struct{}{}:
		default:
		}
	}
	if m.waiters.Load() > 0 {
		select {
		case m.room <- struct{}{}:
		default:
		}
	}
}

// waitReserve is the opt-in blocking path (METRICS_BLOCK_TIMEOUT > 0). The
// caller's ctx can shorten the wait.
func (m *Manager) waitReserve(ctx context.Context, n int) bool {
	m.waiters.Add(1)
	defer m.waiters.Add(-1)
	timer := time.NewTimer(m.blockTimeout)
	defer timer.Stop()
	for {
		if m.tryReserve(n) {
			// Pass the wake-up on: there may be room for another waiter.
			select {
			case m.room <- struct{}{}:
			default:
			}
			return true
		}
		select {
		case <-m.room:
		case <-timer.C:
			return m.tryReserve(n)
		case <-ctx.Done():
			return false
		}
	}
}

// saturated reports whether the buffer is at least 90% full by count or
// bytes, for readiness.
func (m *Manager) saturated() bool {
	return m.bufEvents.Load()*10 >= m.maxEvents*9 || m.bufBytes.Load()*10 >= m.maxBytes*9
}
