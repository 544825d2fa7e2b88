package eventmanager

import (
	"errors"
	"fmt"
)

// Sentinel errors of the manager's lifecycle. Test for them with errors.Is.
var (
	// ErrNotInitialized is returned by CreatePublisher and Publish before
	// Manager.Initialize has succeeded.
	ErrNotInitialized = errors.New("eventmanager: manager not initialized: call Initialize first")
	// ErrClosed is returned by every call made after Manager.Close.
	ErrClosed = errors.New("eventmanager: manager closed")
	// ErrDuplicateEvent is returned by CreatePublisher when the manager already
	// has a publisher for that event name.
	ErrDuplicateEvent = errors.New("eventmanager: duplicate event name")
	// ErrTopic is returned by Initialize when the application's topic does not
	// exist or the client may not write to it. The concrete error is a
	// *TopicError.
	ErrTopic = errors.New("eventmanager: topic missing or not writable")
	// ErrUndelivered is returned by Close when its context expired before every
	// accepted event was delivered. The concrete error is an *UndeliveredError.
	ErrUndelivered = errors.New("eventmanager: events not delivered")
)

// TopicError says why the application's topic cannot be used.
type TopicError struct {
	Topic  string // the full topic name, <prefix>.<app>
	Reason string // e.g. "does not exist", "not authorized to write"
	Fix    string // what to do; empty: create the topic or grant WRITE on it
	Err    error  // the broker's error, if any
}

// Error implements error.
func (e *TopicError) Error() string {
	fix := e.Fix
	if fix == "" {
		fix = "create it (or grant this client WRITE on it) before starting the app"
	}
	msg := fmt.Sprintf("eventmanager: topic %q %s: %s", e.Topic, e.Reason, fix)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the broker's error.
func (e *TopicError) Unwrap() error { return e.Err }

// Is reports whether target is ErrTopic.
func (e *TopicError) Is(target error) bool { return target == ErrTopic }

// DuplicateEventError names the event that was registered twice.
type DuplicateEventError struct {
	Event string
}

// Error implements error.
func (e *DuplicateEventError) Error() string {
	return fmt.Sprintf("eventmanager: duplicate event name %q: create each publisher once at start-up and share it", e.Event)
}

// Is reports whether target is ErrDuplicateEvent.
func (e *DuplicateEventError) Is(target error) bool { return target == ErrDuplicateEvent }

// UndeliveredError reports the events that Close could not deliver before its
// context expired (or whose schema could not be registered before it).
type UndeliveredError struct {
	// Count is the number of accepted events Close did not see delivered:
	// the Failed and Unknown outcomes counted during Close, plus the
	// events still unsent when Close returned (counted Unknown when the
	// closing client reports them).
	Count int64
	// Unknown is how many of Count have an unknown outcome: they were
	// buffered in, or in flight from, the client Close had to close, and
	// may or may not be in the topic. The rest certainly are not.
	Unknown int64
	// Err is the context's error, or why the events could not be sent.
	Err error
}

// Error implements error.
func (e *UndeliveredError) Error() string {
	return fmt.Sprintf("eventmanager: close: %d accepted events not delivered (%d of them with an unknown outcome: in flight or buffered when the Kafka client was closed): %v", e.Count, e.Unknown, e.Err)
}

// Unwrap returns the context's error.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// Is reports whether target is ErrUndelivered.
func (e *UndeliveredError) Is(target error) bool { return target == ErrUndelivered }
