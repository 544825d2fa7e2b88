package eventmanager

import (
	"context"
	"log/slog"
	"time"
)

// quiet wraps the handler franz-go logs through (kslog) so that its
// chatter stays out of the application's logs: a normal start logs half a
// dozen INFO lines, and a broker that is down two WARN lines a second.
// franz-go's debug, info and warn records become DEBUG and its errors WARN;
// what matters to the application (an event not delivered, a start-up step
// retried) the manager logs itself, throttled. Because Enabled answers for
// the lowered level, franz-go does not even format what would be dropped.
type quiet struct{ slog.Handler }

func quieted(l slog.Level) slog.Level {
	if l >= slog.LevelError {
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

// Enabled implements slog.Handler.
func (h quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, quieted(l))
}

// Handle implements slog.Handler.
func (h quiet) Handle(ctx context.Context, r slog.Record) error {
	r.Level = quieted(r.Level)
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h quiet) WithAttrs(attrs []slog.Attr) slog.Handler { return quiet{h.Handler.WithAttrs(attrs)} }

// WithGroup implements slog.Handler.
func (h quiet) WithGroup(name string) slog.Handler { return quiet{h.Handler.WithGroup(name)} }

// logFailure logs a delivery failure of an event at most once per
// METRICS_LOG_INTERVAL, with the cause and the counts. The failures it does
// not log are reported, with their count and last cause, by reportFailures
// once the interval has passed (a burst of failures is never summed up as
// its first one).
func (e *core) logFailure(event string, c *counters, err error) {
	if b := c.lastErr.Load(); b == nil || b.err != err {
		c.lastErr.Store(&errBox{err})
	}
	if c.line.Take(time.Now(), e.cfg.Delivery.LogInterval) {
		e.logUndelivered(event, c, err)
	}
}

// reportFailures logs, for each event whose failures logFailure left
// unlogged, one line with their count and last cause, once
// METRICS_LOG_INTERVAL has passed since its last line.
func (e *core) reportFailures(t *eventTable, now time.Time) {
	t.each(func(event string, c *counters) {
		if c.undelivered() == c.reported.Load() || !c.line.TakeOverdue(now, e.cfg.Delivery.LogInterval) {
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
