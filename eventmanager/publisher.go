package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/recorder"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Publisher states. A publisher only ever goes from pending to ready: a
// registration that fails in the background is retried until Close, however
// final its error looks (see registerPending).
const (
	pubReady   int32 = iota // schema id known: the lock-free path
	pubPending              // not registered yet: events wait in pending
)

// Publisher publishes events of one type T under one event name. Create it
// once per event type at start-up with [CreatePublisher] and share it; it is safe
// for concurrent use.
type Publisher[T any] struct {
	core     *core // the state it shares with its Manager (core.go)
	name     string
	codec    *payload.Codec[T]
	schemaID atomic.Uint32 // set before state becomes pubReady
	stats    *counters
	rec      *recorder.Recorder[T] // mock mode only
	promise  func(*kgo.Record, error)

	state   atomic.Int32
	mu      sync.Mutex    // guards pending and the pending -> ready switch
	pending []*kgo.Record // encoded with schema id 0, sent once registered
}

// closingRegistration is the part of a Publisher the Manager needs at Close.
type closingRegistration interface {
	lastRegistration(ctx context.Context) (lost int64)
}

// CreatePublisher validates T, derives its Avro schema (record name = name,
// namespace = the application's topic) and, in Kafka mode, compares it with
// the latest schema registered under the subject
// <topic>.<name><SCHEMA_MANAGER_SUFFIX> (the field-type guard), then registers
// it there after setting the subject's compatibility. Call it once per event type at start-up: this
// is where every expensive step happens, so Publish does none of them.
//
// When the registry is unreachable (any failure but a refusal: a request
// or schema the registry refused, a field whose type changed) and
// METRICS_RAISE_ON_ERROR is false, [CreatePublisher] still succeeds, as
// [Manager.Initialize] does for the same kind of failure: it logs, keeps
// registering in the background (capped exponential backoff with jitter),
// and the publisher buffers events until the schema id is known.
//
// Errors, in every mode: [ErrNotInitialized], [ErrClosed], a
// [*DuplicateEventError], a [*TagConflictError]
// when a field is an InfluxDB tag in one event of
// the application and a plain field in another, a *payload.NameError
// for a name that is not an Avro name, a
// *payload.UnsupportedError listing every
// unsupported field of T. In Kafka mode also a [*FieldTypeChangedError]
// when a field's InfluxDB type differs from
// the latest registered schema's, whatever the compatibility level, the
// registry's refusal (for example a *schemaregistry.IncompatibleError), and, with
// METRICS_RAISE_ON_ERROR=true, schemaregistry.ErrUnavailable.
func CreatePublisher[T any](ctx context.Context, m *Manager, name string) (*Publisher[T], error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	// payload's errors name the event, the field and the fix already.
	codec, err := payload.NewCodec[T](name, m.topic)
	if err != nil {
		return nil, err
	}
	return createPublisher(ctx, m, name, codec)
}

// CreateRecordPublisher is [CreatePublisher] for events whose payload struct
// type t is known only at run time (built with reflect.StructOf, for a tool
// such as cmd/sasquatch-publish), with the same rules, registration,
// guards and errors. Publish payload.Record values of type t, made with
// payload.NewRecord. Prefer [CreatePublisher] whenever the type is known at
// compile time.
func CreateRecordPublisher(ctx context.Context, m *Manager, name string, t reflect.Type) (*Publisher[payload.Record], error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	codec, err := payload.NewRecordCodec(t, name, m.topic)
	if err != nil {
		return nil, err
	}
	return createPublisher(ctx, m, name, codec)
}

// createPublisher is [CreatePublisher] once the codec is built.
func createPublisher[T any](ctx context.Context, m *Manager, name string, codec *payload.Codec[T]) (*Publisher[T], error) {
	// The subject's parts are checked already: the topic and the suffix by
	// config (at New), the event name by payload.
	subject := m.cfg.Registry.Subject(codec.FullName())
	stats, err := m.register(name, newShape(codec.Tags(), codec.Fields(), fieldTypes(codec.Schema())))
	if err != nil {
		return nil, err
	}
	p := &Publisher[T]{core: &m.core, name: name, codec: codec, stats: stats}
	switch m.mode {
	case config.ModeMock:
		p.rec = &recorder.Recorder[T]{}
	case config.ModeKafka:
		p.promise = p.delivered
		rctx, cancel := m.bound(ctx)
		id, err := p.register(rctx) // guard.go: the field-type guard, then Register
		cancel()
		switch {
		case err == nil:
			p.schemaID.Store(id)
		case m.life.state.Load() == stateClosed:
			m.events.remove(name)
			return nil, ErrClosed
		case m.retryLater(ctx, err):
			m.log.Warn("schema registry unreachable: events are buffered and sent once the schema is registered",
				"event", name, "subject", subject, "error", err)
			p.state.Store(pubPending)
			m.events.addUnregistered(p)
			m.retry.add(task{name: "register " + subject, event: name, run: p.registerPending, last: err})
		case errors.As(err, new(*FieldTypeChangedError)):
			m.events.remove(name)
			return nil, err // names the event, the subject and the fields
		default:
			m.events.remove(name)
			return nil, fmt.Errorf("eventmanager: event %q: register schema: %w", name, err)
		}
	}
	m.log.Debug("metrics publisher created", "event", name, "subject", subject, "schema_id", p.schemaID.Load(), "mode", m.mode.String())
	return p, nil
}

// Manager returns the manager the publisher was created with.
func (p *Publisher[T]) Manager() *Manager { return p.core.manager }

// Name returns the event name the publisher was created with.
func (p *Publisher[T]) Name() string { return p.name }

// Subject returns the schema registry subject of the event's schema.
func (p *Publisher[T]) Subject() string { return p.core.cfg.Registry.Subject(p.codec.FullName()) }

// SchemaID returns the registry id of the event's schema: 0 outside Kafka
// mode and while the registration is still being retried.
func (p *Publisher[T]) SchemaID() uint32 {
	if p.state.Load() != pubReady {
		return 0
	}
	return p.schemaID.Load()
}

// Publish adds the metadata (a random event id, the application name and the
// current time), encodes the event and hands it to the Kafka client. It never
// waits for the broker and never blocks on I/O: delivery happens in the
// background and its outcome is counted in [Manager.Stats]. When the buffer of
// unsent events is full the event is dropped and counted (or, with
// METRICS_BLOCK_TIMEOUT > 0, Publish first waits that long for room; Close
// ends the wait). The caller's ctx is not attached to the record, so a
// finished HTTP request does not cancel delivery; it only bounds the opt-in
// wait for room.
//
// Errors: [ErrNotInitialized], [ErrClosed], and, for a value the pipeline cannot
// carry, a *payload.EnumValueError (an enum value outside its symbols) or a
// *payload.ValueError (a NaN or infinite float, a string longer than
// payload.MaxStringLen); both match payload.ErrInvalidValue; such an event
// is refused in any mode. In Kafka mode also an [*EventTooLargeError] for an event whose encoded
// size exceeds what the Kafka client may send in one record batch
// (kgo.ProducerBatchMaxBytes, 1,000,012 bytes by default, less the batch's
// overhead), which the broker would refuse. The event is then not
// published, and counted as Rejected. Invalid UTF-8 in
// strings is repaired (U+FFFD), not refused. With METRICS_RAISE_ON_ERROR=true
// also [ErrBufferFull].
func (p *Publisher[T]) Publish(ctx context.Context, event T) error {
	return p.publish(ctx, &event, nil, true)
}

// TryPublish is Publish that never waits for room, whatever
// METRICS_BLOCK_TIMEOUT says: when the buffer of unsent events is full, the
// event is dropped at once, counted (Stats' Dropped) and logged at most once
// per METRICS_LOG_INTERVAL, as Publish does with the default timeout of 0.
// Use it where a caller must never be delayed by metrics, such as code that
// publishes in an HTTP request's path (package httpmetrics does): there a
// full buffer costs events, never latency. The errors are Publish's, and
// ctx is used only for logging. Like Publish, it is safe for concurrent use.
func (p *Publisher[T]) TryPublish(ctx context.Context, event T) error {
	return p.publish(ctx, &event, nil, false)
}

// LogInterval returns the least time between two log lines of the
// publisher's manager about its events not delivered: METRICS_LOG_INTERVAL
// (config.Delivery.LogInterval), 1m when unset. Code that logs the errors
// Publish returns, such as package httpmetrics, throttles its lines to it
// too, so that one setting rules every metrics log line of an application.
func (p *Publisher[T]) LogInterval() time.Duration { return p.core.cfg.Delivery.LogInterval }

// PublishWithMetadata is Publish that also returns the metadata the SDK added to
// the event: its id, the application name and its time (TimestampNS, the
// InfluxDB point's time), as Safir's publish returns them, to log with the
// event or attach to a trace. The metadata is set when err is nil; in
// disabled and mock modes it is stamped too (with [WithIDSource] and
// [WithClock] when given), although nothing is sent.
func (p *Publisher[T]) PublishWithMetadata(ctx context.Context, event T) (payload.Metadata, error) {
	var md payload.Metadata
	err := p.publish(ctx, &event, &md, true)
	return md, err
}

// publish is Publish; it stores the event's metadata in out, when out is
// not nil, and waits for room in a full buffer (METRICS_BLOCK_TIMEOUT) only
// when wait is true.
func (p *Publisher[T]) publish(ctx context.Context, event *T, out *payload.Metadata, wait bool) error {
	m := p.core
	if err := m.usable(); err != nil {
		return err
	}
	switch m.mode {
	case config.ModeDisabled:
		if err := p.codec.Validate(event); err != nil {
			p.stats.rejected.Add(1)
			return err // names the event and the field
		}
		// Not counted Published: nothing is accepted for delivery, so
		// nothing is pending either.
		if out != nil {
			*out, _ = m.stamp.stamp()
		}
		if m.log.Enabled(ctx, slog.LevelDebug) {
			m.log.LogAttrs(ctx, slog.LevelDebug, "metrics disabled, event not sent",
				slog.String("event", p.name), slog.Any("payload", *event))
		}
		return nil
	case config.ModeMock:
		if err := p.codec.Validate(event); err != nil {
			p.stats.rejected.Add(1)
			return err // names the event and the field
		}
		p.rec.Add(p.codec.Clone(event)) // the value published, not what *event becomes
		p.stats.published.Add(1)
		p.stats.delivered.Add(1)
		if out != nil {
			*out, _ = m.stamp.stamp()
		}
		return nil
	}
	buf := m.buf
	if !buf.enter() {
		return ErrClosed
	}
	defer buf.exit()

	md, now := m.stamp.stamp()
	if out != nil {
		*out = md
	}
	// The state is read once, before encoding: the schema id is valid when
	// it says ready (it is stored first), and a record encoded while
	// pending carries id 0 and goes through publishSlow, which patches it
	// under the lock if the registration completed meanwhile. Reading the
	// id first and the state after would send id 0 when the registration
	// completes between the two (for example during a wait for room).
	ready := p.state.Load() == pubReady
	var id uint32
	if ready {
		id = p.schemaID.Load()
	}
	env := m.records.Get().(*envelope)
	r := &env.rec
	value, err := p.codec.Append(r.Value[:0], id, &md, event)
	if err != nil {
		m.records.Put(env)
		p.stats.rejected.Add(1)
		return err // names the event and the field
	}
	if len(value) > m.maxValue {
		m.records.Put(env)
		p.stats.rejected.Add(1)
		return &EventTooLargeError{Event: p.name, Size: len(value), Limit: m.maxValue}
	}
	r.Value = value
	// kgo stamps an unset Kafka timestamp with the wall clock and bounds
	// delivery from it (METRICS_DELIVERY_TIMEOUT), so an injected clock
	// ([WithClock]) must not leak into it; with the default clock, now is that
	// wall clock already and kgo is spared a second read (recycle clears it).
	if m.stamp.wall {
		r.Timestamp = now
	}
	r.Topic = m.topic
	fits, err := buf.reserve(ctx, cost(cap(value)), wait)
	if !fits {
		p.recycle(r)
		if err != nil { // Close began during the wait: not accepted
			return err
		}
		p.stats.dropped.Add(1)
		m.logFailure(p.name, p.stats, ErrBufferFull)
		if m.cfg.RaiseOnError {
			return fmt.Errorf("eventmanager: event %q: %w", p.name, ErrBufferFull)
		}
		return nil
	}
	p.stats.published.Add(1)
	// The record's envelope carries its Flush epoch until its promise
	// (flush.go).
	env.ep = buf.enroll()
	if !ready {
		p.publishSlow(r)
		return nil
	}
	// The record is detached from the caller's ctx: kgo would otherwise fail
	// it when a request's context ends.
	m.kafka.produce(r, p.promise)
	return nil
}

// fail counts an accepted record that will never be sent.
func (p *Publisher[T]) fail(r *kgo.Record, err error) {
	p.stats.failed.Add(1)
	p.core.logFailure(p.name, p.stats, err)
	p.core.buf.finish(recordEpoch(r), outFailed)
	p.core.buf.release(cost(cap(r.Value)))
	p.recycle(r)
}

// delivered is the promise of every record: it counts the outcome, recycles
// the record and gives its room in the buffer back.
func (p *Publisher[T]) delivered(r *kgo.Record, err error) {
	out := outFailed
	switch {
	case err == nil:
		out = outDelivered
		p.stats.delivered.Add(1)
		p.core.kafka.delivered()
	case p.core.kafka.resent(r, err, p.promise):
		// The topic was deleted and recreated: the record is sent again
		// once the client adopted the new topic (resend.go); it keeps its
		// room in the buffer meanwhile.
		return
	case errors.Is(err, kgo.ErrMaxBuffered):
		// The client's own buffer was full (a client passed by
		// [WithKafkaClient] that other producers share): the accepted event
		// certainly was not written. Published never decreases (it is a
		// Prometheus counter), so the event is Failed.
		p.stats.failed.Add(1)
		p.core.logFailure(p.name, p.stats, err)
	case p.core.kafka.maybeWritten(r, err):
		// In a Produce request left unanswered when Close closed the
		// client: it may or may not be in the topic.
		out = outUnknown
		p.stats.unknown.Add(1)
		p.core.logFailure(p.name, p.stats, err)
	default:
		// Among them the records the client failed at close that no
		// written request can hold: certainly not written.
		p.stats.failed.Add(1)
		p.core.kafka.failed(err)
		p.core.logFailure(p.name, p.stats, err)
	}
	p.core.buf.finish(recordEpoch(r), out)
	p.core.buf.release(cost(cap(r.Value)))
	p.recycle(r)
}

// recycle returns a record's envelope to the pool with its value buffer,
// unless the buffer is large (see maxPooledValue). A record without an
// envelope (none of the manager's) is left to the garbage collector.
func (p *Publisher[T]) recycle(r *kgo.Record) {
	e := envelopeOf(r)
	if e == nil || r != &e.rec {
		return
	}
	e.reset()
	p.core.records.Put(e)
}
