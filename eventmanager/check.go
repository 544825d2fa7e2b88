package eventmanager

import (
	"context"
	"fmt"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// Stats returns a snapshot of the per-event and total counters. It never
// blocks on I/O.
func (m *Manager) Stats() Stats {
	s := m.events.stats()
	s.Buffered.Events, s.Buffered.Bytes = m.buf.unsent()
	return s
}

// Check reports whether the manager is ready to deliver events, for a
// readiness probe. In Kafka mode it fails while a start-up step (connecting,
// registering a schema) is still retried in the background, naming the step
// and its last error; while the topic is being adopted again after it was
// recreated; after a delivery was refused for lack of authorization, until a
// delivery succeeds; while the buffer of unsent events is nearly full; and
// when the broker or the registry does not answer.
// Errors: [ErrNotInitialized], [ErrClosed], or an error saying what is wrong.
func (m *Manager) Check(ctx context.Context) error {
	if err := m.usable(); err != nil {
		return err
	}
	if m.mode != config.ModeKafka {
		return nil
	}
	if failing := m.retry.failing(); len(failing) > 0 {
		return fmt.Errorf("eventmanager: not ready: retrying in the background: %s", strings.Join(failing, "; "))
	}
	if m.kafka.adopting() {
		return fmt.Errorf("eventmanager: not ready: topic %q was deleted and recreated; adopting the new topic and sending its events again", m.topic)
	}
	if err := m.kafka.refused(); err != nil {
		return fmt.Errorf("eventmanager: not ready: the broker refused the last delivery: %w", err)
	}
	if m.buf.saturated() {
		events, bytes := m.buf.unsent()
		return fmt.Errorf("eventmanager: not ready: buffer of unsent events nearly full (%d events, %d bytes; limits %d, %d)",
			events, bytes, m.buf.maxEvents, m.buf.maxBytes)
	}
	if err := m.kafka.client.Ping(ctx); err != nil {
		return fmt.Errorf("eventmanager: kafka: %w", err)
	}
	if err := m.registry.Check(ctx); err != nil {
		return fmt.Errorf("eventmanager: not ready: %w", err)
	}
	return nil
}
