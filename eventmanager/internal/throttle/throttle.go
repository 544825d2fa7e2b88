// Package throttle is the one rule for the SDK's rate-limited log lines: at
// most one line of a kind per interval (METRICS_LOG_INTERVAL), taken by one
// of the goroutines that race for it, and a count of what was not logged.
// The event manager's "not delivered" lines and package httpmetrics'
// "not published" lines both follow it.
package throttle

import (
	"sync/atomic"
	"time"
)

// Line is the state of one kind of rate-limited log line: the time of its
// last line. The zero value has logged nothing yet; it is safe for
// concurrent use.
type Line struct {
	last       atomic.Int64 // unix ns of the last line; 0: none yet
	suppressed atomic.Int64 // Skip calls since the last line
}

// Take reports whether a line may be logged at now: none was logged within
// every before it. Of the goroutines that call it at once, one gets true.
func (l *Line) Take(now time.Time, every time.Duration) bool {
	last := l.last.Load()
	if last != 0 && now.UnixNano()-last < int64(every) {
		return false
	}
	return l.last.CompareAndSwap(last, now.UnixNano())
}

// TakeOverdue is Take for a summary of what Take refused: false when no
// line was ever logged (there is nothing to summarise).
func (l *Line) TakeOverdue(now time.Time, every time.Duration) bool {
	if l.last.Load() == 0 {
		return false
	}
	return l.Take(now, every)
}

// TakeOrCount is Take that counts a refusal, for Suppressed.
func (l *Line) TakeOrCount(now time.Time, every time.Duration) bool {
	if l.Take(now, every) {
		return true
	}
	l.suppressed.Add(1)
	return false
}

// Suppressed returns the number of refusals TakeOrCount counted since the
// previous call, and starts counting again.
func (l *Line) Suppressed() int64 { return l.suppressed.Swap(0) }
