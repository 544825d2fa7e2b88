package eventmanager

import (
	"log/slog"
	"sync"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// core is the state a Manager shares with its publishers, owned once: the
// Manager embeds it and every Publisher points to it. It holds the resolved
// configuration, the mode, the lifecycle, the buffer of unsent events, the
// metadata stamper, the Kafka link and the registry client.
type core struct {
	manager *Manager      // for Publisher.Manager only
	cfg     config.Config // resolved by New
	mode    config.Mode   // cfg.Mode()
	topic   string        // cfg.Topic()
	log     *slog.Logger
	life    lifecycle // Initialize and Close
	stamp   stamper   // the metadata Publish adds (idsource.go)
	buf     *buffer   // the account of unsent events (buffer.go)
	kafka   kafkaLink // the Kafka client and what watches it (kafka.go)
	// registry is the schema registry client; Kafka mode only.
	registry *schemaregistry.Client
	// maxValue is the largest encoded event the Kafka client can send
	// (valueLimit); Kafka mode only.
	maxValue int
	// records pools *envelope (a record with a reusable Value buffer) for every
	// publisher of the manager: one pool, fed by every delivery, stays warm
	// when a service publishes several event types in turn (a pool per
	// publisher made each switch read cold memory and miss more often).
	records sync.Pool
}

// usable reports the lifecycle error, if any, for [CreatePublisher] and Publish.
func (e *core) usable() error {
	switch e.life.state.Load() {
	case stateNew:
		return ErrNotInitialized
	case stateClosed:
		return ErrClosed
	}
	return nil
}

// logFailure logs a delivery failure of an event at most once per
// METRICS_LOG_INTERVAL, with the cause and the counts. The failures it does
// not log are reported, with their count and last cause, by reportFailures
// once the interval has passed (a burst of failures is never summed up as
// its first one).
func (e *core) logFailure(event string, c *counters, err error) {
	if b := c.lastErr.Load(); b == nil || b.err != err {
		c.lastErr.Store(&errBox{err})
	}
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if last != 0 && now-last < int64(e.cfg.Delivery.LogInterval) {
		return
	}
	if !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	e.logUndelivered(event, c, err)
}

// reportFailures logs, for each event whose failures logFailure left
// unlogged, one line with their count and last cause, once
// METRICS_LOG_INTERVAL has passed since its last line.
func (e *core) reportFailures(t *eventTable, now time.Time) {
	t.each(func(event string, c *counters) {
		last := c.lastLog.Load()
		if last == 0 || now.UnixNano()-last < int64(e.cfg.Delivery.LogInterval) || c.undelivered() == c.reported.Load() {
			return
		}
		if !c.lastLog.CompareAndSwap(last, now.UnixNano()) {
			return
		}
		var err error
		if b := c.lastErr.Load(); b != nil {
			err = b.err
		}
		e.logUndelivered(event, c, err)
	})
}

// logUndelivered logs the line of logFailure and reportFailures: the
// events not delivered since the last line, the cause of the last one, and
// the totals.
func (e *core) logUndelivered(event string, c *counters, err error) {
	s := c.snapshot()
	total := s.Failed + s.Unknown + s.Dropped
	since := total - c.reported.Swap(total)
	e.log.Warn("metrics events not delivered",
		"event", event, "count", since, "error", err,
		"failed_total", s.Failed, "unknown_total", s.Unknown, "dropped_total", s.Dropped,
		"next_report_after", e.cfg.Delivery.LogInterval.String())
}
