package eventmanager

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

const (
	stateNew int32 = iota
	stateReady
	stateClosed
)

// Manager owns the Kafka client, the schema registry client and the
// publishers of one application. Create it with New, call Initialize once at
// start-up, create one Publisher per event type with [CreatePublisher], and call
// Close at shutdown. Every method is safe for concurrent use.
type Manager struct {
	core   // the state the publishers share (core.go)
	opts   options
	events eventTable  // the publishers' names and counters (events.go)
	retry  *retrier    // start-up steps retried in the background (background.go)
	stall  *stallWatch // warns when deliveries stall (stall.go)
}

// lifecycle is the state of a Manager between New and Close.
type lifecycle struct {
	state atomic.Int32 // stateNew, stateReady, stateClosed
	// ctx ends when Close begins: it cancels the I/O of Initialize and
	// [CreatePublisher], so that Close never waits for them.
	ctx context.Context
	end context.CancelFunc
	// initMu serialises Initialize; Close never takes it.
	initMu    sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

// New builds a Manager from cfg. It validates the configuration, chooses the
// mode (Kafka, disabled or mock) and, in Kafka mode, builds the franz-go client
// (unless [WithKafkaClient] is given) and the schema registry client. New does no
// network I/O and never blocks. Errors: an [*OptionConflictError]
// for options that contradict each other (see
// [WithKafkaClient]), cfg's validation error (a *config.Error; with
// [WithKafkaClient] cfg is loaded by config.Config.LoadWithKafkaClient,
// which requires no Kafka connection setting) or a client construction
// error.
func New(cfg config.Config, opts ...Option) (*Manager, error) {
	o := buildOptions(opts)
	if err := o.conflicts(cfg); err != nil {
		return nil, err
	}
	// The configuration is resolved once, files included: what follows
	// runs on l (settings, TLS configuration, CA pool, warnings).
	load := cfg.Load
	if o.client != nil {
		load = cfg.LoadWithKafkaClient
	}
	l, err := load()
	if err != nil {
		return nil, fmt.Errorf("eventmanager: %w", err)
	}
	cfg = l.Config
	m := &Manager{
		opts:   o,
		events: eventTable{byName: make(map[string]*counters)},
	}
	m.core = core{
		manager: m,
		cfg:     cfg,
		mode:    cfg.Mode(),
		topic:   cfg.Topic(),
		log:     o.logger.With("component", "sasquatch-go", "app", cfg.AppName),
		stamp:   stamper{app: cfg.AppName, now: o.clock, wall: !o.customClock, newID: o.idSource},
		buf:     newBuffer(cfg.Delivery.MaxBufferedEvents, cfg.Delivery.MaxBufferedBytes, cfg.Delivery.BlockTimeout),
		records: sync.Pool{New: func() any { return newEnvelope() }},
	}
	m.life.ctx, m.life.end = context.WithCancel(context.Background())
	m.retry = newRetrier(m.log, cfg.Delivery.BackoffMax)
	m.stall = newStallWatch(m.buf, m.log, cfg.Delivery.LogInterval, func(now time.Time) { m.reportFailures(&m.events, now) })
	// Warnings include the notes about the environment only for a Config
	// read from it (config.FromEnv...), never for one built in code.
	for _, w := range l.Warnings {
		m.log.Warn("metrics configuration: " + w)
	}
	if m.mode != config.ModeKafka {
		return m, nil
	}

	reg, err := schemaregistry.New(cfg.Registry, schemaregistry.WithRootCAs(l.RegistryCAs))
	if err != nil {
		return nil, fmt.Errorf("eventmanager: %w", err)
	}
	m.registry = reg

	if o.client != nil {
		m.kafka.client = o.client
		m.kafka.resend = newResender(m.kafka.client, m.topic, m.log)
		m.clampBuffer()
		m.maxValue = valueLimit(m.kafka.client)
		return m, nil
	}
	m.kafka.conn = &connWatch{}
	kopts, err := kafkaOptions(l, slog.New(quiet{o.logger.Handler()}).With("component", "franz-go", "app", cfg.AppName), m.kafka.conn)
	if err != nil {
		return nil, err
	}
	m.kafka.wire = &wireCount{}
	kopts = append(kopts, kgo.WithHooks(m.kafka.wire))
	cl, err := kgo.NewClient(append(kopts, o.kafkaOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("eventmanager: kafka client: %w", err)
	}
	m.kafka.wire.setBudget(cl, m.topic)
	m.kafka.client = cl
	m.kafka.owns = true
	m.kafka.resend = newResender(m.kafka.client, m.topic, m.log)
	m.clampBuffer()
	m.maxValue = valueLimit(m.kafka.client)
	return m, nil
}

// batchOverhead bounds what a record batch holding one record adds to the
// record's value: the batch header (61 bytes, and the 4 of its length in
// the request) and the record's own framing (length, attributes, deltas,
// key and value lengths, header count: at most 24 bytes), rounded up.
const batchOverhead = 128

// valueLimit returns the largest encoded event cl can send:
// kgo.ProducerBatchMaxBytes (cl's, default 1,000,012 bytes) less
// batchOverhead. Publish refuses a larger one, which the
// client would fail after accepting it (MESSAGE_TOO_LARGE).
func valueLimit(cl *kgo.Client) int {
	batch, ok := cl.OptValue(kgo.ProducerBatchMaxBytes).(int32)
	if !ok || batch <= 0 {
		batch = 1_000_012 // kgo's documented default
	}
	return max(int(batch)-batchOverhead, 0)
}

// clampBuffer keeps the buffer's bounds within the Kafka client's own
// (a client passed by [WithKafkaClient], or kgo.MaxBufferedRecords in
// [WithKafkaOptions]), so that the client never refuses a record the
// manager accepted. kgo runs a record's promise before it uncounts the
// record, so one more record than ours must fit in its buffer.
func (m *Manager) clampBuffer() {
	records, _ := m.kafka.client.OptValue(kgo.MaxBufferedRecords).(int64)
	bytes, _ := m.kafka.client.OptValue(kgo.MaxBufferedBytes).(int64)
	m.buf.clamp(int(records-1), bytes)
}

// Topic returns the Kafka topic every event of this application goes to,
// <METRICS_EVENTS_TOPIC_PREFIX>.<app> (the app is METRICS_APP_NAME, or
// METRICS_APPLICATION as Phalanx sets it).
func (m *Manager) Topic() string { return m.topic }

// register reserves an event name; it returns the event's counters.
func (m *Manager) register(name string, sh shape) (*counters, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	return m.events.add(name, sh)
}

// Format implements fmt.Formatter: every verb prints a one-line summary of
// the manager, its configuration as config.Config prints it (secrets
// redacted). Without it fmt would print the configuration field by field,
// passwords included, as it cannot call the redacting methods of an
// unexported field.
func (m *Manager) Format(f fmt.State, _ rune) {
	if m == nil {
		_, _ = io.WriteString(f, "eventmanager.Manager(nil)")
		return
	}
	_, _ = io.WriteString(f, "eventmanager.Manager{"+m.cfg.String()+"}")
}
