package eventmanager

import (
	"context"
	"errors"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// Close stops accepting events (a Publish waiting for room returns
// [ErrClosed]), delivers every accepted event, and closes the Kafka client if
// the manager built it. It waits for delivery until ctx expires; then it
// closes the client (what was never sent fails; what was in flight has an
// unknown outcome) and returns an [*UndeliveredError] (Op "close") with the number of events not delivered and how many of
// them have an unknown outcome. It returns nil when nothing is left to
// deliver, even with an expired ctx. Close never waits for Initialize, and
// returns at ctx even when franz-go's own close takes longer. Close runs
// once: later calls return the first call's result. Publish and
// [CreatePublisher] return [ErrClosed] afterwards.
func (m *Manager) Close(ctx context.Context) error {
	m.life.closeOnce.Do(func() { m.life.closeErr = m.close(ctx) })
	return m.life.closeErr
}

func (m *Manager) close(ctx context.Context) error {
	m.life.state.Store(stateClosed)
	m.life.end()
	// Publish calls inside the gate finish handing their record over; one
	// waiting for room gives up.
	m.buf.close(ctx)
	m.retry.stop()
	m.stall.end()
	if m.mode != config.ModeKafka {
		return nil
	}
	defer m.registry.CloseIdleConnections()
	defer m.kafka.resend.stop()
	// The account at the start: Published is frozen from here on (the gate
	// is shut, unless ctx ended before the calls inside it left), so what
	// Close does not deliver is what was pending now minus what gets
	// delivered.
	start := m.events.totals()
	// Background retries are stopped: give events still waiting for their
	// schema one last chance within ctx.
	var lost int64
	for _, f := range m.events.unregisteredPublishers() {
		lost += f.lastRegistration(ctx)
	}
	var err error
	if events, _ := m.buf.unsent(); events > 0 {
		err = m.kafka.drain(ctx)
	}
	// The SDK's own count decides: kgo's Flush can report ctx's error
	// although nothing was left to send.
	if events, _ := m.buf.unsent(); events == 0 {
		err = nil
	}
	if m.kafka.owns {
		m.kafka.shut(ctx, m.buf)
	} else if err == nil {
		m.buf.waitIdle(ctx)
	}
	if err == nil && lost > 0 {
		err = errors.New("schema not registered before close (registry unreachable, or the schema refused: see Check and the logs)")
	}
	if err == nil {
		return nil
	}
	end := m.events.totals()
	// Not delivered: failed or unknown during Close, or still unsent (a
	// client Close could not close within ctx, or one it does not own).
	count := int64(end.Published) - int64(end.Delivered) - int64(start.Failed) - int64(start.Unknown)
	ue := &UndeliveredError{Op: "close", Count: count, Unknown: count - int64(end.Failed-start.Failed), Err: err}
	msg := "metrics events not delivered at close"
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		msg = "metrics events not delivered before close deadline"
	}
	m.log.Error(msg, "count", ue.Count, "outcome_unknown", ue.Unknown, "error", err)
	return ue
}
