package eventmanager

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the manager's lifecycle. Test for them with errors.Is.
//
// A sentinel names a category that several errors share (as io/fs's
// ErrNotExist does); an error type that carries data has none of its own:
// match it with errors.As, e.g.
//
//	var te *eventmanager.TopicError
//	if errors.As(err, &te) { ... te.Topic ... }
var (
	// ErrNotInitialized is returned by [CreatePublisher] and Publish before
	// [Manager.Initialize] has succeeded.
	ErrNotInitialized = errors.New("eventmanager: manager not initialized: call Initialize first")
	// ErrClosed is returned by every call made after [Manager.Close].
	ErrClosed = errors.New("eventmanager: manager closed")
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

// DuplicateEventError names the event that was registered twice.
type DuplicateEventError struct {
	Event string
}

// Error implements error.
func (e *DuplicateEventError) Error() string {
	return fmt.Sprintf("eventmanager: duplicate event name %q: create each publisher once at start-up and share it", e.Event)
}

// UndeliveredError reports the events that Close (or Flush) could not
// deliver before its context expired (or whose schema could not be
// registered before it, or that failed while Flush waited).
type UndeliveredError struct {
	// Op is the call that reports the events: "close", "flush" or
	// "batch.Run".
	Op string
	// Count is the number of accepted events Close (or Flush) did not see
	// delivered by the time it returned.
	Count int64
	// Unknown is how many of Count had no certain outcome then: they were
	// in flight when the client had to be closed (they may or may not be
	// in the topic: [Manager.Stats] counts them Unknown), or still inside a
	// client whose close outlived ctx, or, for Flush, still buffered (they
	// may yet be delivered); their outcome reaches [Manager.Stats] when the
	// client reports it. The rest, Count - Unknown, certainly were not
	// written (Stats' Failed).
	Unknown int64
	// Err is the context's error, or why the events could not be sent.
	Err error
}

// Error implements error.
func (e *UndeliveredError) Error() string {
	msg := fmt.Sprintf("eventmanager: %s: %d accepted event", e.Op, e.Count)
	if e.Count != 1 {
		msg += "s"
	}
	msg += " not delivered"
	const why = "with an unknown outcome: still buffered, or in flight when the Kafka client was closed, so they may be in the topic"
	switch {
	case e.Unknown <= 0:
	case e.Count == 1:
		msg += " (its outcome is unknown: still buffered, or in flight when the Kafka client was closed, so it may be in the topic)"
	case e.Unknown == e.Count:
		msg += " (all " + why + ")"
	default:
		msg += fmt.Sprintf(" (%d of them %s)", e.Unknown, why)
	}
	return fmt.Sprintf("%s: %v", msg, e.Err)
}

// Unwrap returns the context's error.
func (e *UndeliveredError) Unwrap() error { return e.Err }

// ErrBufferFull is returned by Publish, only when METRICS_RAISE_ON_ERROR=true,
// for an event dropped because the buffer of unsent events was full. Without
// it the event is dropped silently for the caller and counted in
// [EventStats].Dropped.
var ErrBufferFull = errors.New("eventmanager: buffer of unsent events full, event dropped")

// Sentinels of the security failures Initialize reports as a [*SecurityError].
var (
	// ErrAuthentication is matched by a [*SecurityError] when Kafka refused
	// this client's credentials: a wrong SASL user name, password or
	// mechanism, or a broker that requires SASL while KAFKA_SECURITY_PROTOCOL
	// does not use it.
	ErrAuthentication = errors.New("eventmanager: kafka authentication failed")
	// ErrTLS is matched by a [*SecurityError] when the TLS handshake with Kafka
	// failed: a broker certificate the cluster CA does not sign, a client
	// certificate the broker rejects or that is missing, or TLS on one side
	// only.
	ErrTLS = errors.New("eventmanager: kafka TLS handshake failed")
)

// SecurityError reports that Kafka refused this client's security settings
// at start-up. Initialize returns it in every mode, whatever
// METRICS_RAISE_ON_ERROR says: retrying with the same settings cannot
// succeed. Its message names the environment variables (and files) to check
// and never contains a password or key material.
type SecurityError struct {
	// Kind is ErrAuthentication or ErrTLS; errors.Is matches it.
	Kind error
	// Broker is the address of the broker that refused the client, when
	// known.
	Broker string
	// Reason says what was refused and how to fix it.
	Reason string
	// Err is the underlying error from franz-go or crypto/tls.
	Err error
}

// Error implements error.
func (e *SecurityError) Error() string {
	var b strings.Builder
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	} else {
		b.WriteString("eventmanager: kafka connection refused")
	}
	if e.Broker != "" {
		b.WriteString(" (broker " + e.Broker + ")")
	}
	b.WriteString(": " + e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SecurityError) Unwrap() error { return e.Err }

// Is reports whether target is e.Kind.
func (e *SecurityError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// FieldTypeChangedError reports the fields whose InfluxDB type class
// (string, integer, float, boolean) differs between the event's schema and
// the latest schema registered under its subject. InfluxDB refuses every
// point whose field type differs from the one its measurement already holds,
// so those events would be lost downstream, whatever the registry's
// compatibility level accepts. [CreatePublisher] returns it in Kafka mode,
// whatever METRICS_RAISE_ON_ERROR says (or, when the registry was
// unreachable at start-up, the background registration keeps failing with it
// and [Manager.Check] names it).
type FieldTypeChangedError struct {
	Event   string            // the event name
	Subject string            // the registry subject, suffix included
	Fields  []FieldTypeChange // in the order of the event's fields
}

// FieldTypeChange is one field of a [*FieldTypeChangedError]. Old and New are
// InfluxDB type classes: "string" (Avro string, enum, uuid), "integer" (int,
// long), "float" (float, double, duration) or "boolean".
type FieldTypeChange struct {
	Field string
	Old   string // in the latest registered schema
	New   string // in the event's schema
}

// Error names each field with its old and new type, and the fix.
func (e *FieldTypeChangedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "eventmanager: event %q: the InfluxDB type of ", e.Event)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "field %q changes from %s to %s", f.Field, f.Old, f.New)
	}
	fmt.Fprintf(&b, " against the latest schema registered under subject %q: "+
		"InfluxDB refuses points whose field type changes, so these events would be lost; "+
		"keep the old type, or publish it under a new field name", e.Subject)
	return b.String()
}

// TagConflictError names a field that is an InfluxDB tag in one event and a
// plain field in another event of the same application. Sasquatch's
// Telegraf reads one avro_tags list per application topic, so the two
// cannot both hold.
type TagConflictError struct {
	Field      string // the Avro field name: Telegraf's avro_tags is shared by the events, whose Go names may differ
	TagEvent   string // the event where it is a tag
	FieldEvent string // the event where it is a plain field
}

// Error implements error.
func (e *TagConflictError) Error() string {
	return fmt.Sprintf("eventmanager: field %q is an InfluxDB tag in event %q but a plain field in event %q: Telegraf's avro_tags applies to the whole application topic; tag it in both (influx:\"tag\") or in neither, or rename one", e.Field, e.TagEvent, e.FieldEvent)
}

// OptionConflictError names the two options (or the option and the
// configuration setting) that New refused together, and why.
type OptionConflictError struct {
	Option string // e.g. "WithKafkaClient"
	Other  string // e.g. "WithKafkaOptions" or "METRICS_DELIVERY_TIMEOUT"
	Reason string // why they cannot both hold, and the fix
}

// Error implements error.
func (e *OptionConflictError) Error() string {
	return fmt.Sprintf("eventmanager: %s conflicts with %s: %s", e.Option, e.Other, e.Reason)
}

// EventTooLargeError reports an event that Publish refused (and counted
// Rejected) because its encoded value, Size bytes, exceeds Limit: the Kafka
// client's kgo.ProducerBatchMaxBytes (1,000,012 bytes by default) less the
// record batch's own overhead. The broker would refuse it with
// MESSAGE_TOO_LARGE.
type EventTooLargeError struct {
	Event string // the event name
	Size  int    // the encoded value, in bytes
	Limit int    // the largest encoded value accepted, in bytes
}

// Error implements error.
func (e *EventTooLargeError) Error() string {
	return fmt.Sprintf("eventmanager: event %q: encoded size %d bytes exceeds the limit of %d bytes (the Kafka client's ProducerBatchMaxBytes less the record batch overhead): the broker would refuse it; publish less data per event", e.Event, e.Size, e.Limit)
}
