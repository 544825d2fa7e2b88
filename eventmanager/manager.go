package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/payload"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

type mode int

const (
	modeKafka mode = iota
	modeDisabled
	modeMock
)

func (m mode) String() string {
	switch m {
	case modeDisabled:
		return "disabled"
	case modeMock:
		return "mock"
	default:
		return "kafka"
	}
}

const (
	stateNew int32 = iota
	stateReady
	stateClosed
)

// Manager owns the Kafka client, the schema registry client and the
// publishers of one application. Create it with New, call Initialize once at
// start-up, create one Publisher per event type with CreatePublisher, and call
// Close at shutdown. Every method is safe for concurrent use.
type Manager struct {
	cfg   config.Config
	mode  mode
	topic string
	log   *slog.Logger
	now   func() time.Time
	// wallClock is true when now is time.Now (no WithClock): Publish then
	// stamps the Kafka record with the time it already read, sparing
	// franz-go a second clock read per event.
	wallClock bool
	newID     func() uuid.UUID
	opts      options

	state atomic.Int32

	// mu serialises Initialize, CreatePublisher's registration and Close.
	mu     sync.Mutex
	events map[string]*counters

	client     *kgo.Client
	ownsClient bool
	conn       *connWatch // hook on the client the manager built (security.go); nil otherwise
	registry   *schemaregistry.Client

	// calls counts Publish calls between their state check and the hand-off
	// to kgo; Close waits for it to drain before flushing.
	calls atomic.Int64
	_     [56]byte      // keep calls (Publish only) off the line the promises write
	idle  chan struct{} // signalled when the buffer empties after Close began

	// The bounded buffer of unsent events (buffer.go).
	maxEvents, maxBytes int64
	blockTimeout        time.Duration
	bufEvents, bufBytes atomic.Int64
	_                   [48]byte
	waiters             atomic.Int64
	room                chan struct{}

	retry     *retrier
	connected atomic.Bool // the registry answered and the topic was checked
	flushers  []pendingFlusher

	closeOnce sync.Once
	closeErr  error
}

// New builds a Manager from cfg. It validates the configuration, chooses the
// mode (Kafka, disabled or mock) and, in Kafka mode, builds the franz-go client
// (unless WithKafkaClient is given) and the schema registry client. New does no
// network I/O and never blocks. Errors: cfg's validation error (see
// config.ErrInvalid) or a client construction error.
func New(cfg config.Config, opts ...Option) (*Manager, error) {
	cfg, err := cfg.Resolve()
	if err != nil {
		return nil, fmt.Errorf("eventmanager: %w", err)
	}
	o := buildOptions(opts)
	m := &Manager{
		cfg:          cfg,
		topic:        cfg.Topic(),
		now:          o.clock,
		wallClock:    !o.customClock,
		newID:        o.idSource,
		opts:         o,
		events:       make(map[string]*counters),
		idle:         make(chan struct{}, 1),
		maxEvents:    int64(cfg.Delivery.MaxBufferedEvents),
		maxBytes:     cfg.Delivery.MaxBufferedBytes,
		blockTimeout: cfg.Delivery.BlockTimeout,
		room:         make(chan struct{}, 1),
	}
	m.retry = newRetrier(m, cfg.Delivery.StartupBackoffMax)
	switch {
	case !cfg.Enabled:
		m.mode = modeDisabled
	case cfg.Mock:
		m.mode = modeMock
	default:
		m.mode = modeKafka
	}
	m.log = o.logger.With("component", "sasquatch-go", "app", cfg.AppName)
	for _, w := range cfg.Warnings {
		m.log.Warn("metrics configuration: " + w)
	}
	if m.mode != modeKafka {
		return m, nil
	}

	reg, err := schemaregistry.New(schemaregistry.Config{
		URL:           cfg.Registry.URL,
		Username:      cfg.Registry.Username,
		Password:      cfg.Registry.Password.Value(),
		RootCAs:       cfg.Registry.RootCAs,
		Timeout:       cfg.Registry.Timeout,
		Suffix:        cfg.Registry.Suffix,
		Compatibility: cfg.Registry.Compatibility,
	})
	if err != nil {
		return nil, fmt.Errorf("eventmanager: schema registry client: %w", err)
	}
	m.registry = reg

	if o.client != nil {
		m.client = o.client
		return m, nil
	}
	m.conn = &connWatch{}
	kopts, err := kafkaOptions(cfg, o.logger.With("component", "franz-go", "app", cfg.AppName), m.conn)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(kopts, o.kafkaOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("eventmanager: kafka client: %w", err)
	}
	m.client = cl
	m.ownsClient = true
	return m, nil
}

// Topic returns the Kafka topic every event of this application goes to,
// <METRICS_EVENTS_TOPIC_PREFIX>.<METRICS_APP_NAME>.
func (m *Manager) Topic() string { return m.topic }

// Initialize prepares the manager for CreatePublisher. In Kafka mode it checks
// that the schema registry answers and that the application's topic exists
// and this client may write to it (creating it only with WithTopicCreation).
// In disabled and mock modes it does no I/O. Calling it again after success
// does nothing. Errors: ErrClosed; a *TopicError (errors.Is ErrTopic) for a
// missing or unwritable topic; a *SecurityError (errors.Is ErrAuthentication
// or ErrTLS) when Kafka refuses the SASL credentials or the certificates; a
// *schemaregistry.RequestError when the registry refuses the credentials or
// its certificate is not trusted; the broker's or registry's error when they
// cannot be reached. Only the last kind is retried in the background when
// METRICS_RAISE_ON_ERROR is false: the others are configuration errors,
// returned in every mode.
func (m *Manager) Initialize(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch m.state.Load() {
	case stateClosed:
		return ErrClosed
	case stateReady:
		return nil
	}
	if m.mode == modeKafka {
		if err := m.connect(ctx); err != nil {
			if fatal(err) || m.cfg.RaiseOnError || ctx.Err() != nil {
				return err
			}
			m.log.Warn("metrics infrastructure unreachable at start-up: events are buffered and sent once it answers", "error", err)
			m.retry.add(task{name: "connect", run: m.connect})
		}
	}
	m.state.Store(stateReady)
	m.log.Debug("metrics event manager initialized", "mode", m.mode.String(), "topic", m.topic)
	return nil
}

// connectTimeout bounds each start-up check of Kafka, so that an unreachable
// broker is reported instead of retried forever by the client.
const connectTimeout = 10 * time.Second

// connect checks that the registry answers and that the topic exists and is
// writable. A *TopicError is a usage error and a *SecurityError or a
// registry refusal a configuration error (see fatal); anything else is an
// infrastructure error worth retrying.
func (m *Manager) connect(ctx context.Context) error {
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: initialize: schema registry: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := m.checkTopic(cctx); err != nil {
		return err
	}
	m.connected.Store(true)
	return nil
}

// checkTopic asks the broker for the topic's metadata, including the
// operations this client is authorized to perform on it.
func (m *Manager) checkTopic(ctx context.Context) error {
	ctx, end := m.conn.watch(ctx)
	defer end()
	adm := kadm.NewClient(m.client)
	details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), m.topic)
	if err != nil {
		if se := m.securityError(ctx, err); se != nil {
			return se
		}
		return fmt.Errorf("eventmanager: initialize: kafka metadata for topic %q: %w", m.topic, err)
	}
	d, ok := details[m.topic]
	if ok && d.Err == nil {
		if !writable(d.AuthorizedOperations) {
			return &TopicError{Topic: m.topic, Reason: "is not writable by this client", Err: kerr.TopicAuthorizationFailed}
		}
		return nil
	}
	var derr error
	if ok {
		derr = d.Err
	}
	switch {
	case errors.Is(derr, kerr.TopicAuthorizationFailed):
		return &TopicError{Topic: m.topic, Reason: "is not authorized for this client", Err: derr}
	case derr == nil, errors.Is(derr, kerr.UnknownTopicOrPartition):
		if m.opts.createTopic {
			return m.createTopic(ctx, adm)
		}
		return &TopicError{Topic: m.topic, Reason: "does not exist", Err: derr}
	default:
		return fmt.Errorf("eventmanager: initialize: kafka metadata for topic %q: %w", m.topic, derr)
	}
}

func (m *Manager) createTopic(ctx context.Context, adm *kadm.Client) error {
	resp, err := adm.CreateTopic(ctx, m.opts.partitions, -1, nil, m.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return &TopicError{Topic: m.topic, Reason: "does not exist and could not be created", Err: err}
	}
	m.log.Info("created metrics topic", "topic", m.topic, "partitions", m.opts.partitions)
	return nil
}

// writable reports whether a topic's authorized operations allow producing.
// An empty list means the broker did not report them (no authorizer, or an old
// broker): the produce path will surface a denial instead.
func writable(ops []kadm.ACLOperation) bool {
	if len(ops) == 0 {
		return true
	}
	for _, op := range ops {
		if op == kadm.OpWrite || op == kadm.OpAll {
			return true
		}
	}
	return false
}

// register reserves an event name; it returns the event's counters.
func (m *Manager) register(name string) (*counters, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(); err != nil {
		return nil, err
	}
	if _, dup := m.events[name]; dup {
		return nil, &DuplicateEventError{Event: name}
	}
	c := &counters{}
	m.events[name] = c
	return c, nil
}

// unregister releases a name whose registration failed, so that a retry with
// a fixed type can succeed.
func (m *Manager) unregister(name string) {
	m.mu.Lock()
	delete(m.events, name)
	m.mu.Unlock()
}

// usable reports the lifecycle error, if any, for CreatePublisher and Publish.
func (m *Manager) usable() error {
	switch m.state.Load() {
	case stateNew:
		return ErrNotInitialized
	case stateClosed:
		return ErrClosed
	}
	return nil
}

// subject returns the registry subject for a record full name.
func (m *Manager) subject(fullName string) string {
	return fullName + m.cfg.Registry.Suffix
}

// Stats returns a snapshot of the per-event and total counters. It never
// blocks on I/O.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Events: make(map[string]EventStats, len(m.events))}
	for name, c := range m.events {
		es := c.snapshot()
		s.Events[name] = es
		s.Total.add(es)
	}
	return s
}

// Check reports whether the manager is ready to deliver events, for a
// readiness probe. In Kafka mode it pings a broker and the schema registry.
// Errors: ErrNotInitialized, ErrClosed, or the unreachable service's error.
func (m *Manager) Check(ctx context.Context) error {
	if err := m.usable(); err != nil {
		return err
	}
	if m.mode != modeKafka {
		return nil
	}
	if !m.connected.Load() {
		return fmt.Errorf("eventmanager: not ready: start-up checks still failing (%s), retrying in the background", strings.Join(m.retry.pending(), ", "))
	}
	if pending := m.retry.pending(); len(pending) > 0 {
		return fmt.Errorf("eventmanager: not ready: waiting for %s", strings.Join(pending, ", "))
	}
	if m.saturated() {
		return fmt.Errorf("eventmanager: not ready: buffer of unsent events nearly full (%d events, %d bytes; limits %d, %d)",
			m.bufEvents.Load(), m.bufBytes.Load(), m.maxEvents, m.maxBytes)
	}
	if err := m.client.Ping(ctx); err != nil {
		return fmt.Errorf("eventmanager: kafka: %w", err)
	}
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: schema registry: %w", err)
	}
	return nil
}

// Close stops accepting events, delivers every accepted event, and closes the
// Kafka client if the manager built it. It waits for delivery until ctx
// expires; then it fails what is left and returns an *UndeliveredError
// (errors.Is ErrUndelivered) with the number of events not delivered. Close
// runs once: later calls return the first call's result. Publish and
// CreatePublisher return ErrClosed afterwards.
func (m *Manager) Close(ctx context.Context) error {
	m.closeOnce.Do(func() { m.closeErr = m.close(ctx) })
	return m.closeErr
}

func (m *Manager) close(ctx context.Context) error {
	m.mu.Lock()
	m.state.Store(stateClosed)
	m.mu.Unlock()
	m.retry.stop()
	if m.mode != modeKafka {
		return nil
	}
	defer m.registry.CloseIdleConnections()
	// Publish calls that passed the state check before we closed finish
	// handing their record over (they block at most METRICS_BLOCK_TIMEOUT).
	for m.calls.Load() > 0 {
		runtime.Gosched()
	}
	// Background retries are stopped: give events still waiting for their
	// schema one last chance within ctx.
	m.mu.Lock()
	flushers := append([]pendingFlusher(nil), m.flushers...)
	m.mu.Unlock()
	var lost int64
	for _, f := range flushers {
		lost += f.flushPending(ctx)
	}
	flushErr := m.client.Flush(ctx)
	undelivered := lost
	if flushErr != nil {
		undelivered += m.bufEvents.Load()
	} else if lost > 0 {
		flushErr = ctx.Err()
		if flushErr == nil {
			flushErr = errors.New("schema registry unreachable")
		}
	}
	if m.ownsClient {
		// Closing fails whatever is still buffered; its promises still run,
		// and kgo may run them after Close returns: wait for our own count.
		m.client.Close()
		m.waitIdle(context.WithoutCancel(ctx))
	} else if flushErr == nil {
		m.waitIdle(ctx)
	}
	if flushErr != nil {
		m.log.Error("metrics events not delivered before close deadline", "count", undelivered, "error", flushErr)
		return &UndeliveredError{Count: undelivered, Err: flushErr}
	}
	return nil
}

// waitIdle waits until the buffer of unsent events is empty (every promise
// has run) or ctx is done.
func (m *Manager) waitIdle(ctx context.Context) {
	for m.bufEvents.Load() > 0 {
		select {
		case <-m.idle:
		case <-ctx.Done():
			return
		}
	}
}

// logFailure logs a delivery failure of an event at most once per
// METRICS_LOG_INTERVAL.
func (m *Manager) logFailure(event string, c *counters, err error) {
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	interval := m.cfg.Delivery.LogInterval
	if interval <= 0 {
		interval = time.Minute
	}
	if last != 0 && now-last < int64(interval) {
		return
	}
	if !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	s := c.snapshot()
	m.log.Warn("metrics event not delivered",
		"event", event, "error", err,
		"failed_total", s.Failed, "dropped_total", s.Dropped,
		"next_report_after", interval.String())
}

// validateSubject checks every dot-separated part of an event's subject.
func validateSubject(subject string) error {
	for _, part := range strings.Split(subject, ".") {
		if err := payload.ValidateName(part); err != nil {
			return fmt.Errorf("eventmanager: subject %q: %w", subject, err)
		}
	}
	return nil
}
