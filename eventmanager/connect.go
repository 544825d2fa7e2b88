package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// Initialize prepares the manager for [CreatePublisher]. In Kafka mode it checks
// that the schema registry answers and that the application's topic exists
// and this client may write to it (creating it only with [WithTopicCreation]).
// In disabled and mock modes it does no I/O. Calling it again after success
// does nothing. Errors: [ErrClosed]; a [*TopicError] for a
// missing or unwritable topic; a [*SecurityError] (errors.Is ErrAuthentication
// or ErrTLS) when Kafka refuses the SASL credentials or the certificates; a
// *schemaregistry.RequestError when the registry refuses the credentials or
// its certificate is not trusted; the broker's or registry's error when they
// cannot be reached. Only the last kind is retried in the background when
// METRICS_RAISE_ON_ERROR is false: the others are configuration errors,
// returned in every mode.
func (m *Manager) Initialize(ctx context.Context) error {
	m.life.initMu.Lock()
	defer m.life.initMu.Unlock()
	switch m.life.state.Load() {
	case stateClosed:
		return ErrClosed
	case stateReady:
		return nil
	}
	if m.mode == config.ModeKafka {
		bctx, cancel := m.bound(ctx)
		err := m.connect(bctx)
		cancel()
		if err != nil {
			if m.life.state.Load() == stateClosed {
				return ErrClosed
			}
			if !m.retryLater(ctx, err) {
				return err
			}
			m.log.Warn("metrics infrastructure unreachable at start-up: events are buffered and sent once it answers", "error", err)
			m.retry.add(task{name: "connect", run: m.connect})
		}
	}
	if !m.life.state.CompareAndSwap(stateNew, stateReady) {
		return ErrClosed
	}
	if m.mode == config.ModeKafka {
		m.stall.start()
	}
	m.log.Debug("metrics event manager initialized", "mode", m.mode.String(), "topic", m.topic)
	return nil
}

// bound returns ctx, also cancelled when Close begins.
func (m *Manager) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(m.life.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// connectTimeout bounds each start-up check of Kafka, so that an unreachable
// broker is reported instead of retried forever by the client.
const connectTimeout = 10 * time.Second

// connect checks that the registry answers, that the topic exists and is
// writable, and that the broker grants this client an idempotent producer
// id. A [*TopicError] is a usage error and a [*SecurityError] or a registry
// refusal a configuration error (see refused); anything else is an
// infrastructure error worth retrying.
//
// franz-go dials with its own timeout (10 s), whatever the request's ctx
// says, so the Kafka checks run in a goroutine and connect returns when ctx
// ends; the goroutine ends with the dial (or when Close closes the client).
func (m *Manager) connect(ctx context.Context) error {
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: initialize: %w", err)
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
	if _, _, err := m.kafka.client.ProducerID(ctx); err != nil {
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
	ctx, end := m.kafka.conn.watch(ctx)
	defer end()
	adm := kadm.NewClient(m.kafka.client)
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
