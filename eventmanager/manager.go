package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// life ends when Close begins: it cancels the I/O of Initialize and
	// CreatePublisher, so that Close never waits for them.
	life    context.Context
	endLife context.CancelFunc
	// initMu serialises Initialize; mu guards events and flushers and is
	// never held during I/O, so that Stats and Close never wait for it.
	initMu   sync.Mutex
	mu       sync.Mutex
	events   map[string]*counters
	flushers []pendingFlusher

	client     *kgo.Client
	ownsClient bool
	conn       *connWatch // hook on the client the manager built (security.go); nil otherwise
	wire       *wireCount // hook on the client the manager built (inflight.go); nil otherwise
	registry   *schemaregistry.Client

	buf      *buffer               // the account of unsent events (buffer.go)
	retry    *retrier              // start-up steps retried in the background (background.go)
	resend   *resender             // records sent again after a topic recreation (resend.go)
	lastFail atomic.Pointer[error] // the last authorization failure of a delivery, nil after a success

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
		cfg:       cfg,
		topic:     cfg.Topic(),
		now:       o.clock,
		wallClock: !o.customClock,
		newID:     o.idSource,
		opts:      o,
		events:    make(map[string]*counters),
		buf:       newBuffer(cfg.Delivery.MaxBufferedEvents, cfg.Delivery.MaxBufferedBytes, cfg.Delivery.BlockTimeout),
	}
	m.life, m.endLife = context.WithCancel(context.Background())
	switch {
	case !cfg.Enabled:
		m.mode = modeDisabled
	case cfg.Mock:
		m.mode = modeMock
	default:
		m.mode = modeKafka
	}
	m.log = o.logger.With("component", "sasquatch-go", "app", cfg.AppName)
	m.retry = newRetrier(m.log, cfg.Delivery.StartupBackoffMax)
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
		m.resend = newResender(m.client, m.topic, m.log)
		m.clampBuffer()
		return m, nil
	}
	m.conn = &connWatch{}
	kopts, err := kafkaOptions(cfg, o.logger.With("component", "franz-go", "app", cfg.AppName), m.conn)
	if err != nil {
		return nil, err
	}
	m.wire = &wireCount{}
	kopts = append(kopts, kgo.WithHooks(m.wire))
	cl, err := kgo.NewClient(append(kopts, o.kafkaOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("eventmanager: kafka client: %w", err)
	}
	m.client = cl
	m.ownsClient = true
	m.resend = newResender(m.client, m.topic, m.log)
	m.clampBuffer()
	return m, nil
}

// clampBuffer keeps the buffer's bounds within the Kafka client's own
// (a client passed by WithKafkaClient, or kgo.MaxBufferedRecords in
// WithKafkaOptions), so that the client never refuses a record the
// manager accepted. kgo runs a record's promise before it uncounts the
// record, so one more record than ours must fit in its buffer.
func (m *Manager) clampBuffer() {
	records, _ := m.client.OptValue(kgo.MaxBufferedRecords).(int64)
	bytes, _ := m.client.OptValue(kgo.MaxBufferedBytes).(int64)
	m.buf.clamp(int(records-1), bytes)
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
	m.initMu.Lock()
	defer m.initMu.Unlock()
	switch m.state.Load() {
	case stateClosed:
		return ErrClosed
	case stateReady:
		return nil
	}
	if m.mode == modeKafka {
		bctx, cancel := m.bound(ctx)
		err := m.connect(bctx)
		cancel()
		if err != nil {
			if m.state.Load() == stateClosed {
				return ErrClosed
			}
			if fatal(err) || m.cfg.RaiseOnError || ctx.Err() != nil {
				return err
			}
			m.log.Warn("metrics infrastructure unreachable at start-up: events are buffered and sent once it answers", "error", err)
			m.retry.add(task{name: "connect", run: m.connect})
		}
	}
	if !m.state.CompareAndSwap(stateNew, stateReady) {
		return ErrClosed
	}
	m.log.Debug("metrics event manager initialized", "mode", m.mode.String(), "topic", m.topic)
	return nil
}

// bound returns ctx, also cancelled when Close begins.
func (m *Manager) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(m.life, cancel)
	return ctx, func() { stop(); cancel() }
}

// connectTimeout bounds each start-up check of Kafka, so that an unreachable
// broker is reported instead of retried forever by the client.
const connectTimeout = 10 * time.Second

// connect checks that the registry answers, that the topic exists and is
// writable, and that the broker grants this client an idempotent producer
// id. A *TopicError is a usage error and a *SecurityError or a registry
// refusal a configuration error (see fatal); anything else is an
// infrastructure error worth retrying.
//
// franz-go dials with its own timeout (10 s), whatever the request's ctx
// says, so the Kafka checks run in a goroutine and connect returns when ctx
// ends; the goroutine ends with the dial (or when Close closes the client).
func (m *Manager) connect(ctx context.Context) error {
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: initialize: schema registry: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.checkKafka(cctx) }()
	select {
	case err := <-done:
		return err
	case <-cctx.Done():
		return fmt.Errorf("eventmanager: initialize: kafka %v: no answer: %w", m.cfg.Kafka.BootstrapServers, cctx.Err())
	}
}

// checkKafka checks the topic, then the producer id.
func (m *Manager) checkKafka(ctx context.Context) error {
	if err := m.checkTopic(ctx); err != nil {
		return err
	}
	if _, _, err := m.client.ProducerID(ctx); err != nil {
		if errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) {
			return &TopicError{Topic: m.topic, Reason: "cannot be written by this client's idempotent producer (the broker refused a producer id)",
				Fix: "grant this client IDEMPOTENT_WRITE on the cluster (brokers before Kafka 3.0 require it), or WRITE on the topic", Err: err}
		}
		if se := m.securityError(ctx, err); se != nil {
			return se
		}
		return fmt.Errorf("eventmanager: initialize: kafka producer id: %w", err)
	}
	return nil
}

// checkTopic asks the broker for the topic's metadata, including the
// operations this client is authorized to perform on it.
func (m *Manager) checkTopic(ctx context.Context) error {
	ctx, end := m.conn.watch(ctx)
	defer end()
	adm := kadm.NewClient(m.client)
	details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), m.topic)
	if errors.Is(err, kerr.TopicAuthorizationFailed) {
		// Real brokers answer a client without DESCRIBE on the topic with
		// this error for the whole request, not for the topic.
		return &TopicError{Topic: m.topic, Reason: "is not authorized for this client", Err: err}
	}
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
// readiness probe. In Kafka mode it fails while a start-up step (connecting,
// registering a schema) is still retried in the background, naming the step
// and its last error; while the topic is being adopted again after it was
// recreated; after a delivery was refused for lack of authorization, until a
// delivery succeeds; while the buffer of unsent events is nearly full; and
// when the broker or the registry does not answer.
// Errors: ErrNotInitialized, ErrClosed, or an error saying what is wrong.
func (m *Manager) Check(ctx context.Context) error {
	if err := m.usable(); err != nil {
		return err
	}
	if m.mode != modeKafka {
		return nil
	}
	if failing := m.retry.failing(); len(failing) > 0 {
		return fmt.Errorf("eventmanager: not ready: retrying in the background: %s", strings.Join(failing, "; "))
	}
	if m.resend.active() {
		return fmt.Errorf("eventmanager: not ready: topic %q was deleted and recreated; adopting the new topic and sending its events again", m.topic)
	}
	if errp := m.lastFail.Load(); errp != nil {
		return fmt.Errorf("eventmanager: not ready: the broker refused the last delivery: %w", *errp)
	}
	if m.buf.saturated() {
		events, bytes := m.buf.unsent()
		return fmt.Errorf("eventmanager: not ready: buffer of unsent events nearly full (%d events, %d bytes; limits %d, %d)",
			events, bytes, m.buf.maxEvents, m.buf.maxBytes)
	}
	if err := m.client.Ping(ctx); err != nil {
		return fmt.Errorf("eventmanager: kafka: %w", err)
	}
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: schema registry: %w", err)
	}
	return nil
}

// noteProduceError remembers a delivery refused for lack of authorization,
// which franz-go does not retry, for Check.
func (m *Manager) noteProduceError(err error) {
	var ke *kerr.Error
	if errors.As(err, &ke) && strings.HasSuffix(ke.Message, "_AUTHORIZATION_FAILED") {
		m.lastFail.Store(&err)
	}
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
	m.state.Store(stateClosed)
	m.endLife()
	// Publish calls inside the gate finish handing their record over; one
	// waiting for room gives up.
	m.buf.close(ctx)
	m.retry.stop()
	if m.mode != modeKafka {
		return nil
	}
	defer m.registry.CloseIdleConnections()
	defer m.resend.stop()
	// Background retries are stopped: give events still waiting for their
	// schema one last chance within ctx.
	m.mu.Lock()
	flushers := append([]pendingFlusher(nil), m.flushers...)
	m.mu.Unlock()
	var lost int64
	for _, f := range flushers {
		lost += f.flushPending(ctx)
	}
	var err error
	if events, _ := m.buf.unsent(); events > 0 {
		err = m.flush(ctx)
	}
	// The SDK's own count decides: kgo's Flush can report ctx's error
	// although nothing was left to send.
	if events, _ := m.buf.unsent(); events == 0 {
		err = nil
	}
	before := m.totals()
	var left int64
	if m.ownsClient {
		left = m.closeClient(ctx)
	} else if err == nil {
		m.buf.waitIdle(ctx)
	} else {
		left, _ = m.buf.unsent()
	}
	after := m.totals()
	undelivered := lost + int64(after.Failed-before.Failed) + int64(after.Unknown-before.Unknown) + left
	if err == nil && undelivered > 0 {
		err = errors.New("schema registry unreachable until close")
	}
	if err == nil {
		return nil
	}
	ue := &UndeliveredError{Count: undelivered, Unknown: int64(after.Unknown-before.Unknown) + left, Err: err}
	m.log.Error("metrics events not delivered before close deadline", "count", ue.Count, "outcome_unknown", ue.Unknown, "error", err)
	return ue
}

// flush sends what the client buffers and what waits to be sent again after a
// topic recreation, until ctx ends.
func (m *Manager) flush(ctx context.Context) error {
	for {
		if err := m.client.Flush(ctx); err != nil {
			return err
		}
		if !m.resend.active() {
			return nil
		}
		if err := m.resend.wait(ctx); err != nil {
			return err
		}
	}
}

// closeClient closes the client the manager built: the records still
// buffered or in flight then fail with kgo.ErrClientClosed and are counted
// as Unknown. franz-go's Close waits for dials in progress (up to its dial
// timeout), so it is bounded by ctx; the events whose promise has not run
// when ctx ends are returned, and counted Unknown when it runs.
func (m *Manager) closeClient(ctx context.Context) (left int64) {
	done := make(chan struct{})
	go func() {
		m.client.Close()
		m.resend.stop()
		m.buf.waitIdle(context.Background())
		close(done)
	}()
	select {
	case <-done:
		return 0
	case <-ctx.Done():
	}
	// The promises of records the client failed while closing are
	// already queued: give them a moment to run before counting.
	select {
	case <-done:
		return 0
	case <-time.After(50 * time.Millisecond):
	}
	left, _ = m.buf.unsent()
	return left
}

// totals sums the counters of every event.
func (m *Manager) totals() EventStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t EventStats
	for _, c := range m.events {
		t.add(c.snapshot())
	}
	return t
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
