// Package recorder holds what a mock-mode publisher recorded. It is the bridge
// between package eventmanager and package eventmanager/eventmanagertest, so
// that the recorder is not part of Publisher's API: users reach it only
// through eventmanagertest.
package recorder

import "sync"

// Key is the argument of eventmanager's Publisher.Recording. Only packages
// of this module can name an internal type, so only they can call that
// method: this keeps the recorder out of Publisher's usable API without
// package-level state.
type Key struct{}

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
