// Package recorder holds what a mock-mode publisher recorded. It is the bridge
// between package eventmanager and package eventmanager/eventmanagertest, so
// that the recorder is not part of Publisher's API: users reach it only
// through eventmanagertest.
package recorder

import "sync"

// Lookup returns what a mock-mode *eventmanager.Publisher[T] recorded (a
// *Recorder[T]; nil outside mock mode, or for anything else) and its
// manager's mode. Package eventmanager sets it once, while it is
// initialized (before any package importing it can run), and nothing changes
// it afterwards: it is the bridge that keeps the recorder out of Publisher's
// API and out of go doc, since a generic method cannot be reached from
// another package without being exported.
var Lookup func(publisher any) (rec any, mode string)

// Recorder is an append-only, concurrency-safe list of published payloads.
type Recorder[T any] struct {
	mu     sync.Mutex
	events []T
}

// Add records one payload.
func (r *Recorder[T]) Add(v T) {
	r.mu.Lock()
	r.events = append(r.events, v)
	r.mu.Unlock()
}

// Snapshot returns a copy of the recorded payloads in publish order.
func (r *Recorder[T]) Snapshot() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, len(r.events))
	copy(out, r.events)
	return out
}

// Reset forgets every recorded payload.
func (r *Recorder[T]) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}
