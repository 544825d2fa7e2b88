package httpmetrics

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/throttle"
)

// Middleware publishes one event per request of the handlers it wraps. Build
// it once at start-up with New or NewFunc; it is safe for concurrent use and
// holds no per-request state.
type Middleware[T any] struct {
	pub     *eventmanager.Publisher[T]
	build   func(*http.Request, Event) T
	route   func(*http.Request) string // nil: Request.Pattern
	exclude map[string]bool
	log     *slog.Logger
	// interval is the least time between two log lines about events not
	// published: METRICS_LOG_INTERVAL, the publisher's manager's.
	interval time.Duration

	line throttle.Line // the rate limit of its "not published" log lines
}

// New returns middleware that publishes an Event per request with p, whose
// event name (CreatePublisher's) becomes the InfluxDB measurement
// <topic>.<name>. p must not be nil: New panics, at start-up, as
// http.Handle does for a nil handler.
func New(p *eventmanager.Publisher[Event], opts ...Option) *Middleware[Event] {
	return NewFunc(p, func(_ *http.Request, e Event) Event { return e }, opts...)
}

// NewFunc returns middleware that publishes, with p, the event build makes
// of each request and its Event. It is for event types that add fields to
// Event: embed Event in T (its fields are flattened into the record) and set
// the others from the request. build runs after the handler returned, on the
// request the middleware received: values the handler or inner middleware
// stored in a request copy's context are not visible. p and build must not
// be nil: NewFunc panics, at start-up.
func NewFunc[T any](p *eventmanager.Publisher[T], build func(*http.Request, Event) T, opts ...Option) *Middleware[T] {
	if p == nil || build == nil {
		panic("httpmetrics: NewFunc needs a publisher and a build function")
	}
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return &Middleware[T]{pub: p, build: build, route: o.route, exclude: o.exclude, log: o.log, interval: p.LogInterval()}
}

// Wrap returns a handler that serves each request with next and then
// publishes its event. Wrap the http.ServeMux itself (every request is
// recorded, unmatched ones too) or individual handlers registered on it;
// either way the route is the mux's pattern. A handler that copies the
// request between the middleware and the mux (http.StripPrefix, a
// middleware calling Request.WithContext) hides the pattern the mux sets on
// the copy: wrap below it, or the route is UnmatchedRoute (or the outer
// mux's pattern).
//
// The handler gets a wrapping http.ResponseWriter that has http.Flusher,
// http.Hijacker and io.ReaderFrom exactly when the server's writer has them
// (over HTTP/2 it is no http.Hijacker, as net/http's writer is not), has
// io.StringWriter, and unwraps for http.ResponseController (deadlines, full
// duplex).
//
// When next panics the event is published (Panicked, and status 500 unless
// next wrote one) and the panic continues unchanged: it is never
// recovered, so http.ErrAbortHandler keeps its meaning.
//
// Publishing never makes the response wait: it waits neither for Kafka nor
// for room in a full buffer, whatever METRICS_BLOCK_TIMEOUT says
// (eventmanager.Publisher.TryPublish: the event is dropped and counted). An
// error from publishing (a closed manager, an invalid value in a NewFunc
// event) is logged at most once per METRICS_LOG_INTERVAL (the interval of
// the publisher's manager, eventmanager.Publisher.LogInterval), and the
// response is unaffected.
func (m *Middleware[T]) Wrap(next http.Handler) http.Handler {
	return &handler[T]{m: m, next: next}
}

type handler[T any] struct {
	m    *Middleware[T]
	next http.Handler
}

// ServeHTTP implements http.Handler.
func (h *handler[T]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	if m.route == nil && r.Pattern != "" && m.exclude[r.Pattern] {
		// Wrapped below the mux: the route is known already.
		h.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	ww, rw := wrap(w)
	returned := false
	defer func() {
		if !returned { // a panic (or runtime.Goexit) is unwinding: record, never recover
			m.record(r, rw, start, true)
		}
	}()
	h.next.ServeHTTP(ww, r)
	returned = true
	m.record(r, rw, start, false)
}

// record publishes the event of one request unless its route is excluded.
func (m *Middleware[T]) record(r *http.Request, rw *responseWriter, start time.Time, panicked bool) {
	d := time.Since(start)
	var route string
	switch {
	case m.route != nil:
		route = m.route(r)
	case !connectRedirect(r):
		route = r.Pattern
	}
	if route == "" {
		route = UnmatchedRoute
	}
	if m.exclude[route] {
		return
	}
	ev := Event{
		Method:        method(r.Method),
		Route:         route,
		Status:        statusText(rw.code(panicked)),
		Duration:      d,
		ResponseBytes: rw.size,
		Panicked:      panicked,
	}
	// TryPublish: a full buffer drops the event (counted in Manager.Stats)
	// rather than hold the response for METRICS_BLOCK_TIMEOUT.
	if err := m.pub.TryPublish(r.Context(), m.build(r, ev)); err != nil {
		m.logError(r.Context(), err)
	}
}

// logError logs a Publish error, at most once per m.interval, with the
// number of errors not logged since the previous line.
func (m *Middleware[T]) logError(ctx context.Context, err error) {
	if !m.line.TakeOrCount(time.Now(), m.interval) {
		return
	}
	m.log.LogAttrs(ctx, slog.LevelWarn, "httpmetrics: request event not published",
		slog.String("event", m.pub.Name()), slog.Any("error", err),
		slog.Int64("suppressed", m.line.Suppressed()),
		slog.String("next_report_after", m.interval.String()))
}

// connectRedirect reports whether r is a CONNECT request that a ServeMux
// answered with its trailing-slash redirect (for /users/x under the pattern
// /users/{id}/). The mux then sets Request.Pattern not to the pattern but to
// the path it redirects to, /users/x/, which the client chose: as a route it
// would mint one InfluxDB series per request. Other methods' redirects
// carry the pattern. A registered pattern never equals that path: one that
// ends in a slash cannot match the path without it, which is why the mux
// redirects.
func connectRedirect(r *http.Request) bool {
	if r.Method != http.MethodConnect {
		return false
	}
	p, ok := strings.CutSuffix(r.Pattern, "/")
	return ok && p == cleanPath(r.URL.Path)
}

// cleanPath is the path a ServeMux redirects to, less the slash it adds:
// p rooted and cleaned, a trailing slash kept (net/http's cleanPath).
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
