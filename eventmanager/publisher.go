package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/recorder"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Publisher publishes events of one type T under one event name. Create it
// once per event type at start-up with CreatePublisher and share it; it is safe
// for concurrent use.
type Publisher[T any] struct {
	m        *Manager
	name     string
	codec    *payload.Codec[T]
	schemaID uint32
	stats    *counters
	rec      *recorder.Recorder[T] // mock mode only
	records  sync.Pool             // *kgo.Record with a reusable Value buffer
	promise  func(*kgo.Record, error)
}

// CreatePublisher validates T, derives its Avro schema (record name = name,
// namespace = the application's topic) and, in Kafka mode, registers the
// schema under the subject <topic>.<name><SCHEMA_MANAGER_SUFFIX> after setting
// the subject's compatibility. Call it once per event type at start-up: this
// is where every expensive step happens, so Publish does none of them.
//
// Errors, in every mode: ErrNotInitialized, ErrClosed, a
// *DuplicateEventError (errors.Is ErrDuplicateEvent), a *payload.NameError
// (errors.Is payload.ErrInvalidName) for a name that is not an Avro name, a
// *payload.UnsupportedError (errors.Is payload.ErrUnsupported) listing every
// unsupported field of T. In Kafka mode also the registry's error (for example
// schemaregistry.ErrIncompatible).
func CreatePublisher[T any](ctx context.Context, m *Manager, name string) (*Publisher[T], error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	codec, err := payload.NewCodec[T](name, m.topic)
	if err != nil {
		return nil, fmt.Errorf("eventmanager: event %q: %w", name, err)
	}
	subject := m.subject(codec.FullName())
	if err := validateSubject(subject); err != nil {
		return nil, fmt.Errorf("eventmanager: event %q: %w", name, err)
	}
	stats, err := m.register(name)
	if err != nil {
		return nil, err
	}
	p := &Publisher[T]{m: m, name: name, codec: codec, stats: stats}
	switch m.mode {
	case modeMock:
		p.rec = &recorder.Recorder[T]{}
	case modeKafka:
		id, err := m.registry.Register(ctx, codec.FullName(), codec.SchemaJSON())
		if err != nil {
			m.unregister(name)
			return nil, fmt.Errorf("eventmanager: event %q: register schema: %w", name, err)
		}
		p.schemaID = uint32(id)
		p.records.New = func() any { return &kgo.Record{} }
		p.promise = p.delivered
	}
	m.log.Debug("metrics publisher created", "event", name, "subject", subject, "schema_id", p.schemaID, "mode", m.mode.String())
	return p, nil
}

// Name returns the event name the publisher was created with.
func (p *Publisher[T]) Name() string { return p.name }

// Subject returns the schema registry subject of the event's schema.
func (p *Publisher[T]) Subject() string { return p.m.subject(p.codec.FullName()) }

// SchemaID returns the registry id of the event's schema (0 outside Kafka mode).
func (p *Publisher[T]) SchemaID() int { return int(p.schemaID) }

// Recorder returns what the publisher recorded in mock mode, and nil in the
// other modes. Use eventmanagertest.Published and its assertions instead of
// calling it directly.
func (p *Publisher[T]) Recorder() *recorder.Recorder[T] { return p.rec }

// Publish adds the metadata (a random event id, the application name and the
// current time), encodes the event and hands it to the Kafka client. It never
// waits for the broker and never blocks on I/O: delivery happens in the
// background and its outcome is counted in Manager.Stats. The caller's ctx is
// not attached to the record, so a finished HTTP request does not cancel
// delivery.
//
// Errors: ErrNotInitialized, ErrClosed, and a *payload.EnumValueError
// (errors.Is payload.ErrEnumValue) for an enum value outside its symbols; the
// event is then not published, in any mode.
func (p *Publisher[T]) Publish(ctx context.Context, event T) error {
	m := p.m
	m.calls.Add(1)
	defer m.calls.Add(-1)
	if err := m.usable(); err != nil {
		return err
	}
	switch m.mode {
	case modeDisabled:
		if err := p.codec.Validate(&event); err != nil {
			p.stats.rejected.Add(1)
			return fmt.Errorf("eventmanager: event %q: %w", p.name, err)
		}
		p.stats.published.Add(1)
		if m.log.Enabled(ctx, slog.LevelDebug) {
			m.log.LogAttrs(ctx, slog.LevelDebug, "metrics disabled, event not sent",
				slog.String("event", p.name), slog.Any("payload", event))
		}
		return nil
	case modeMock:
		if err := p.codec.Validate(&event); err != nil {
			p.stats.rejected.Add(1)
			return fmt.Errorf("eventmanager: event %q: %w", p.name, err)
		}
		p.rec.Add(event)
		p.stats.published.Add(1)
		p.stats.delivered.Add(1)
		return nil
	}

	md := payload.Metadata{
		ID:          m.newID(),
		Application: m.cfg.AppName,
		TimestampNS: m.now().UnixNano(),
	}

	r := p.records.Get().(*kgo.Record)
	value, err := p.codec.Append(r.Value[:0], p.schemaID, &md, &event)
	if err != nil {
		p.records.Put(r)
		p.stats.rejected.Add(1)
		return fmt.Errorf("eventmanager: event %q: %w", p.name, err)
	}
	r.Value = value
	// The Kafka timestamp stays unset: kgo stamps it with the wall clock and
	// bounds delivery from it (METRICS_DELIVERY_TIMEOUT), so an injected
	// clock (WithClock) must not leak into it.
	r.Topic = m.topic
	p.stats.published.Add(1)
	m.inflight.Add(1)
	// The record is detached from the caller's ctx: kgo would otherwise fail
	// it when a request's context ends.
	m.client.TryProduce(context.Background(), r, p.promise)
	return nil
}

// delivered is the promise of every record: it counts the outcome, recycles
// the record and releases the in-flight slot.
func (p *Publisher[T]) delivered(r *kgo.Record, err error) {
	switch {
	case err == nil:
		p.stats.delivered.Add(1)
	case errors.Is(err, kgo.ErrMaxBuffered):
		p.stats.dropped.Add(1)
		p.m.logFailure(p.name, p.stats, err)
	default:
		p.stats.failed.Add(1)
		p.m.logFailure(p.name, p.stats, err)
	}
	value := r.Value
	*r = kgo.Record{Value: value[:0]}
	p.records.Put(r)
	p.m.release()
}
