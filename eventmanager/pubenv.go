package eventmanager

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// pubEnv is what a Publisher uses of its Manager, and no more: the
// lifecycle state, the mode, the buffer, the metadata stamper, the Kafka
// link and the registry, plus the few settings Publish reads. The Manager
// builds it once in New; every publisher shares it.
type pubEnv struct {
	manager  *Manager // for Publisher.Manager only
	state    *lifecycle
	mode     mode
	topic    string
	log      *slog.Logger
	buf      *buffer
	stamp    *stamper
	kafka    *kafkaLink
	registry *schemaregistry.Client
	reg      config.Registry // for subjects
	raise    bool            // METRICS_RAISE_ON_ERROR
	interval time.Duration   // METRICS_LOG_INTERVAL
	// maxValue is the largest encoded event the Kafka client can send
	// (valueLimit); Kafka mode only.
	maxValue int
	// records pools *envelope (a record with a reusable Value buffer) for every
	// publisher of the manager: one pool, fed by every delivery, stays warm
	// when a service publishes several event types in turn (a pool per
	// publisher made each switch read cold memory and miss more often).
	records *sync.Pool
}

// usable reports the lifecycle error, if any, for [CreatePublisher] and Publish.
func (e *pubEnv) usable() error {
	switch e.state.state.Load() {
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
func (e *pubEnv) logFailure(event string, c *counters, err error) {
	if b := c.lastErr.Load(); b == nil || b.err != err {
		c.lastErr.Store(&errBox{err})
	}
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if last != 0 && now-last < int64(e.interval) {
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
func (e *pubEnv) reportFailures(t *eventTable, now time.Time) {
	t.each(func(event string, c *counters) {
		last := c.lastLog.Load()
		if last == 0 || now.UnixNano()-last < int64(e.interval) || c.undelivered() == c.reported.Load() {
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
func (e *pubEnv) logUndelivered(event string, c *counters, err error) {
	s := c.snapshot()
	total := s.Failed + s.Unknown + s.Dropped
	since := total - c.reported.Swap(total)
	e.log.Warn("metrics events not delivered",
		"event", event, "count", since, "error", err,
		"failed_total", s.Failed, "unknown_total", s.Unknown, "dropped_total", s.Dropped,
		"next_report_after", e.interval.String())
}

// noteProduceError remembers a delivery refused for lack of authorization,
// which franz-go does not retry, for Check.
func (e *pubEnv) noteProduceError(err error) {
	var ke *kerr.Error
	if errors.As(err, &ke) && strings.HasSuffix(ke.Message, "_AUTHORIZATION_FAILED") {
		e.kafka.lastFail.Store(&err)
	}
}
