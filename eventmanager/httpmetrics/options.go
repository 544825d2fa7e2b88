package httpmetrics

import (
	"log/slog"
	"net/http"
)

// Option configures New and NewFunc.
type Option func(*options)

type options struct {
	route   func(*http.Request) string
	exclude map[string]bool
	log     *slog.Logger
}

// WithExcludedRoutes publishes nothing for requests whose route is one of
// routes: ServeMux patterns exactly as registered ("GET /healthz"), the
// values of WithRouteFunc, or UnmatchedRoute. Default: none excluded. Later
// calls add to the list.
func WithExcludedRoutes(routes ...string) Option {
	return func(o *options) {
		if o.exclude == nil {
			o.exclude = make(map[string]bool, len(routes))
		}
		for _, r := range routes {
			o.exclude[r] = true
		}
	}
}

// WithRouteFunc names the route of each request with route instead of
// Request.Pattern, for handlers not behind an http.ServeMux or another
// router's pattern. It runs after the handler returned; an empty result is
// UnmatchedRoute. Its values become an InfluxDB tag: return a few fixed
// names, never the raw path. Default: the ServeMux pattern.
func WithRouteFunc(route func(*http.Request) string) Option {
	return func(o *options) { o.route = route }
}

// WithLogger sets where errors of Publish are logged (Warn, at most once
// per METRICS_LOG_INTERVAL, the interval of the publisher's manager).
// Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}
