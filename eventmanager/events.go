package eventmanager

import (
	"sync"
	"sync/atomic"

	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/throttle"
)

// eventTable holds the publishers' event names and counters. Its mutex is
// never held during I/O, so that Stats and Close never wait for it.
type eventTable struct {
	mu           sync.Mutex
	byName       map[string]*counters
	shapes       map[string]shape      // each event's tags and plain fields
	unregistered []closingRegistration // publishers created while the registry was unreachable
}

// add reserves an event name with its shape; it returns the event's
// counters. A shape that conflicts with another event's (shape.conflict)
// is refused.
func (t *eventTable) add(name string, sh shape) (*counters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.byName[name]; dup {
		return nil, &DuplicateEventError{Event: name}
	}
	if err := sh.conflict(name, t.shapes); err != nil {
		return nil, err
	}
	c := &counters{}
	t.byName[name] = c
	if t.shapes == nil {
		t.shapes = map[string]shape{}
	}
	t.shapes[name] = sh
	return c, nil
}

// remove releases a name whose registration failed, so that a retry with a
// fixed type can succeed.
func (t *eventTable) remove(name string) {
	t.mu.Lock()
	delete(t.byName, name)
	delete(t.shapes, name)
	t.mu.Unlock()
}

// addUnregistered remembers a publisher whose schema is registered in the
// background, for Close.
func (t *eventTable) addUnregistered(f closingRegistration) {
	t.mu.Lock()
	t.unregistered = append(t.unregistered, f)
	t.mu.Unlock()
}

// unregisteredPublishers returns the publishers addUnregistered remembered.
func (t *eventTable) unregisteredPublishers() []closingRegistration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]closingRegistration(nil), t.unregistered...)
}

// stats returns a snapshot of every event's counters and their sum.
func (t *eventTable) stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Stats{Events: make(map[string]EventStats, len(t.byName))}
	for name, c := range t.byName {
		es := c.snapshot()
		s.Events[name] = es
		s.Total.add(es)
	}
	return s
}

// each calls f with every event's name and counters, the table locked.
func (t *eventTable) each(f func(name string, c *counters)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, c := range t.byName {
		f(name, c)
	}
}

// totals sums the counters of every event.
func (t *eventTable) totals() EventStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum EventStats
	for _, c := range t.byName {
		sum.add(c.snapshot())
	}
	return sum
}

// counters are the live, lock-free counters of one event type.
// published and rejected are written by Publish, the others mostly by the
// Kafka client's promise goroutine: the padding keeps the two groups on
// separate cache lines so that they do not slow each other down.
type counters struct {
	published atomic.Uint64
	rejected  atomic.Uint64
	_         [48]byte
	delivered atomic.Uint64
	failed    atomic.Uint64
	unknown   atomic.Uint64
	dropped   atomic.Uint64
	line      throttle.Line          // the rate limit of its failure log lines
	reported  atomic.Uint64          // failed+unknown+dropped when the last line was logged
	lastErr   atomic.Pointer[errBox] // the last cause of a failure, for the summary line
}

// errBox holds an error for an atomic.Pointer.
type errBox struct{ err error }

// undelivered is how many accepted or offered events were not delivered:
// failed, unknown and dropped.
func (c *counters) undelivered() uint64 {
	return c.failed.Load() + c.unknown.Load() + c.dropped.Load()
}

func (c *counters) snapshot() EventStats {
	return EventStats{
		Published: c.published.Load(),
		Delivered: c.delivered.Load(),
		Failed:    c.failed.Load(),
		Unknown:   c.unknown.Load(),
		Dropped:   c.dropped.Load(),
		Rejected:  c.rejected.Load(),
	}
}
