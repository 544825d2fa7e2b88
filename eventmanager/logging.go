package eventmanager

import (
	"context"
	"log/slog"
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
