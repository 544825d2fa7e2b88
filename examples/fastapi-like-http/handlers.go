package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

// readyTimeout bounds the readiness probe's call to Manager.Check.
const readyTimeout = 2 * time.Second

// app is the HTTP API. Its dependencies are injected by newApp at start-up,
// like FastAPI dependencies; the handlers only publish through them.
type app struct {
	events    *appevents.Events
	check     func(context.Context) error // readiness: the event manager's Check
	metrics   http.Handler                // GET /metrics
	log       *slog.Logger
	queryTime func() time.Duration // how long a fake query runs

	// Async queries run in goroutines owned by the app: Wait lets them
	// finish (and publish) at shutdown, or cancels them when its ctx ends.
	mu       sync.Mutex
	closing  bool
	running  sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
}

// newApp returns the API. queryTime may be nil: fake queries then take a
// random 10-50 ms.
func newApp(events *appevents.Events, check func(context.Context) error, metrics http.Handler, log *slog.Logger, queryTime func() time.Duration) *app {
	if queryTime == nil {
		queryTime = func() time.Duration { return 10*time.Millisecond + rand.N(40*time.Millisecond) }
	}
	return &app{
		events:    events,
		check:     check,
		metrics:   metrics,
		log:       log,
		queryTime: queryTime,
		stop:      make(chan struct{}),
	}
}

// Routes the request events leave out: probes run every few seconds and
// tell InfluxDB nothing.
const (
	liveRoute  = "GET /health/live"
	readyRoute = "GET /health/ready"
)

// routes returns the service's request handler: the router (Go 1.22
// patterns: a GET pattern also answers HEAD, other methods get 405) behind
// the httpmetrics middleware, which publishes an http_request event for
// every request but the health checks, unmatched ones (404, 405) included.
func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /query", a.query)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc(liveRoute, a.live)
	mux.HandleFunc(readyRoute, a.ready)
	mux.Handle("GET /metrics", a.metrics)
	return httpmetrics.New(a.events.HTTP,
		httpmetrics.WithExcludedRoutes(liveRoute, readyRoute),
		httpmetrics.WithLogger(a.log),
	).Wrap(mux)
}

// queryResponse is the body of GET /query.
type queryResponse struct {
	Type            appevents.QueryType `json:"type"`
	Status          string              `json:"status"`
	DurationSeconds float64             `json:"duration_seconds,omitempty"`
}

// query runs a fake query. type=sync runs it in the request and answers 200
// when it is done; type=async answers 202 at once and runs it in the
// background. Either way an appevents.QueryEvent is published when the query finishes.
// A missing or unknown type is a 400 and publishes nothing.
func (a *app) query(w http.ResponseWriter, r *http.Request) {
	typ, err := parseQueryType(r.URL.Query().Get("type"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if typ == appevents.QueryAsync {
		started := a.background(func(stop <-chan struct{}) {
			if d, ok := a.runQuery(stop); ok {
				// No request ctx here: the request is long gone. Publish
				// never waits for the broker anyway.
				a.publishErr(typ, a.events.Query.Publish(context.Background(), appevents.QueryEvent{Type: typ, Duration: d}))
			}
		})
		if !started {
			writeError(w, http.StatusServiceUnavailable, "the service is shutting down")
			return
		}
		writeJSON(w, http.StatusAccepted, queryResponse{Type: typ, Status: "accepted"})
		return
	}
	d, ok := a.runQuery(r.Context().Done())
	if !ok {
		writeError(w, http.StatusServiceUnavailable, "query cancelled")
		return
	}
	a.publishErr(typ, a.events.Query.Publish(r.Context(), appevents.QueryEvent{Type: typ, Duration: d}))
	writeJSON(w, http.StatusOK, queryResponse{Type: typ, Status: "done", DurationSeconds: d.Seconds()})
}

// parseQueryType checks the type parameter against appevents.QueryType's symbols.
func parseQueryType(s string) (appevents.QueryType, error) {
	symbols := appevents.QueryType("").Symbols()
	want := "type=" + strings.Join(symbols, " or type=")
	if s == "" {
		return "", fmt.Errorf("missing query parameter \"type\": use %s", want)
	}
	if !slices.Contains(symbols, s) {
		return "", fmt.Errorf("invalid query parameter type=%q: use %s", s, want)
	}
	return appevents.QueryType(s), nil
}

// runQuery pretends to run a query and measures how long it took. It returns
// false when cancel is closed first.
func (a *app) runQuery(cancel <-chan struct{}) (time.Duration, bool) {
	start := time.Now()
	t := time.NewTimer(a.queryTime())
	defer t.Stop()
	select {
	case <-t.C:
		return time.Since(start), true
	case <-cancel:
		return 0, false
	}
}

// background runs f in a goroutine that Wait waits for. It returns false,
// without running f, once Wait has been called.
func (a *app) background(f func(stop <-chan struct{})) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return false
	}
	a.running.Add(1)
	go func() {
		defer a.running.Done()
		f(a.stop)
	}()
	return true
}

// Wait stops accepting background work and waits for the running async
// queries to finish and publish. When ctx ends first it cancels them (their
// events are then not published) and returns ctx's error. Call it once,
// after http.Server.Shutdown and before Manager.Close.
func (a *app) Wait(ctx context.Context) error {
	a.mu.Lock()
	a.closing = true
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		a.stopOnce.Do(func() { close(a.stop) })
		<-done
		return fmt.Errorf("async queries cancelled at shutdown: %w", ctx.Err())
	}
}

// loginResponse is the body of GET /login.
type loginResponse struct {
	Username string  `json:"username"`
	Scopes   int     `json:"scopes"`
	Service  *string `json:"service"`
}

// login records a login: user is required, each scope parameter counts one
// scope, service is optional (absent or empty: null in the event).
func (a *app) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	user := q.Get("user")
	if user == "" {
		writeError(w, http.StatusBadRequest, "missing query parameter \"user\": use user=<name>")
		return
	}
	ev := appevents.LoginEvent{Username: user, Scopes: len(q["scope"])}
	if s := q.Get("service"); s != "" {
		ev.Service = &s
	}
	if err := a.events.Login.Publish(r.Context(), ev); err != nil {
		a.log.Error("login event not published", "error", err)
	}
	writeJSON(w, http.StatusOK, loginResponse(ev))
}

// statusBody is the body of the health endpoints.
type statusBody struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// live answers 200 while the process serves requests.
func (a *app) live(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, statusBody{Status: "alive"})
}

// ready answers 200 when the event manager can deliver events, else 503
// with the reason.
func (a *app) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := a.check(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, statusBody{Status: "unavailable", Detail: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, statusBody{Status: "ready"})
}

// publishErr logs a Publish error. Publish only fails on misuse (an enum
// value outside its symbols, a closed manager), never because Kafka is
// slow or down, and a metrics failure must not fail the request.
func (a *app) publishErr(typ appevents.QueryType, err error) {
	if err != nil {
		a.log.Error("query event not published", "type", string(typ), "error", err)
	}
}

// errorBody is the body of every error answer, FastAPI style.
type errorBody struct {
	Detail string `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, errorBody{Detail: detail})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // a write error means the client left
}
