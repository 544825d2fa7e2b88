package httpmetrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// mockPublisher returns a mock-mode manager and an Event publisher on it.
func mockPublisher(t *testing.T) (*eventmanager.Manager, *eventmanager.Publisher[httpmetrics.Event]) {
	t.Helper()
	return mockPublisherWith(t, config.Delivery{})
}

// mockPublisherWith is mockPublisher with the manager's delivery settings.
func mockPublisherWith(t *testing.T, d config.Delivery) (*eventmanager.Manager, *eventmanager.Publisher[httpmetrics.Event]) {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: testApp, Mock: true, Delivery: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	p, err := eventmanager.CreatePublisher[httpmetrics.Event](t.Context(), m, eventName)
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func get(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil))
	return rec
}

// A handler not behind a ServeMux has no pattern: its requests are
// UnmatchedRoute, unless WithRouteFunc names them.
func TestRouteFunc(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })
	_, p := mockPublisher(t)
	get(t, httpmetrics.New(p).Wrap(h), "/some/raw/path")
	get(t, httpmetrics.New(p, httpmetrics.WithRouteFunc(func(*http.Request) string { return "greeter" })).Wrap(h), "/other/raw/path")
	get(t, httpmetrics.New(p, httpmetrics.WithRouteFunc(func(*http.Request) string { return "" })).Wrap(h), "/third")
	excluded := httpmetrics.New(p, httpmetrics.WithRouteFunc(func(*http.Request) string { return "greeter" }),
		httpmetrics.WithExcludedRoutes("greeter"))
	get(t, excluded.Wrap(h), "/x")
	eventmanagertest.AssertPublishedAll(t, p, []httpmetrics.Event{
		{Method: "GET", Route: httpmetrics.UnmatchedRoute, Status: "200", ResponseBytes: 2},
		{Method: "GET", Route: "greeter", Status: "200", ResponseBytes: 2},
		{Method: "GET", Route: httpmetrics.UnmatchedRoute, Status: "200", ResponseBytes: 2},
	}, eventmanagertest.AnyValue("Duration"))
}

// RequestEvent adds a tag of the application's own to the request event.
type RequestEvent struct {
	httpmetrics.Event
	Client string `influx:"tag" doc:"Who sent the request"`
}

// NewFunc publishes an event type of the application's own, built from
// the request and the Event; its tags join the pipeline's.
func TestNewFunc(t *testing.T) {
	k := startKafka(t)
	p, err := eventmanager.CreatePublisher[RequestEvent](t.Context(), k.m, eventName)
	if err != nil {
		t.Fatal(err)
	}
	mw := httpmetrics.NewFunc(p, func(r *http.Request, e httpmetrics.Event) RequestEvent {
		return RequestEvent{Event: e, Client: r.Header.Get("X-Client")}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := mw.Wrap(mux)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil)
	req.Header.Set("X-Client", "portal")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got, want := strings.Join(k.m.Pipeline().Tags, ","), "client,method,route,status"; got != want {
		t.Errorf("pipeline tags %s, want %s", got, want)
	}
	recs := k.consume(t, 1)
	if got, want := recs[0].String(), `GET "GET /x" 418 0B panicked=false`; got != want || recs[0]["client"] != "portal" {
		t.Errorf("event %s client=%v, want %s client=portal", got, recs[0]["client"], want)
	}
}

// The duration runs from the request's arrival to the handler's return.
func TestDuration(t *testing.T) {
	_, p := mockPublisher(t)
	synctest.Test(t, func(t *testing.T) {
		h := httpmetrics.New(p).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(1500 * time.Millisecond)
		}))
		get(t, h, "/")
	})
	eventmanagertest.AssertPublishedAll(t, p, []httpmetrics.Event{
		{Method: "GET", Route: httpmetrics.UnmatchedRoute, Status: "200", Duration: 1500 * time.Millisecond},
	})
}

// A Publish error (here: the manager is closed) never fails the request;
// it is logged once per interval at most, with the count of those not logged.
func TestPublishErrorLogged(t *testing.T) {
	m, p := mockPublisher(t)
	logger, logs := testkit.NewLogger(slog.LevelInfo)
	h := httpmetrics.New(p, httpmetrics.WithLogger(logger)).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "fine")
	}))
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if rec := get(t, h, "/"); rec.Code != 200 || rec.Body.String() != "fine" {
			t.Fatalf("request after Close: %d %q, want 200 fine", rec.Code, rec.Body)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "request event not published"); n != 1 || !strings.Contains(out, "manager closed") || !strings.Contains(out, "event="+eventName) {
		t.Errorf("want one warning naming the event and the error, got:\n%s", out)
	}
}

// Publish errors are logged at most once per METRICS_LOG_INTERVAL of the
// publisher's manager (config.Delivery.LogInterval), each line with the
// count of those not logged since the previous one.
func TestPublishErrorLogInterval(t *testing.T) {
	m, p := mockPublisherWith(t, config.Delivery{LogInterval: 10 * time.Second})
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		logger, logs := testkit.NewLogger(slog.LevelInfo)
		h := httpmetrics.New(p, httpmetrics.WithLogger(logger)).Wrap(http.NotFoundHandler())
		get(t, h, "/") // logged
		time.Sleep(9 * time.Second)
		get(t, h, "/")
		get(t, h, "/")
		time.Sleep(2 * time.Second)
		get(t, h, "/") // 11 s after the first line: logged, with the 2 not logged
		got := strings.Split(strings.TrimSpace(logs.String()), "\n")
		if len(got) != 2 || !strings.Contains(got[0], "suppressed=0") || !strings.Contains(got[1], "suppressed=2") ||
			!strings.Contains(got[1], "next_report_after=10s") {
			t.Errorf("want two warnings 11 s apart, the second counting 2 not logged, every 10s, got:\n%s", logs)
		}
	})
}

// Mock mode records what the middleware published, as for any publisher:
// an application's tests assert on it with eventmanagertest.
func TestMockMode(t *testing.T) {
	_, p := mockPublisher(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such item", http.StatusNotFound) })
	h := httpmetrics.New(p).Wrap(mux)
	get(t, h, "/items/1")
	get(t, h, "/items/2")
	eventmanagertest.AssertPublishedAll(t, p, []httpmetrics.Event{
		{Method: "GET", Route: "GET /items/{id}", Status: "404", ResponseBytes: int64(len("no such item\n"))},
		{Method: "GET", Route: "GET /items/{id}", Status: "404", ResponseBytes: int64(len("no such item\n"))},
	}, eventmanagertest.AnyValue("Duration"))
}

// A ServeMux answers a CONNECT request for /users/x under the pattern
// /users/{id}/ with a redirect, and sets its Pattern to the path it
// redirects to, which the client chose: such a request is UnmatchedRoute,
// so that clients cannot mint one series per request. Other methods'
// redirects carry the pattern, and a CONNECT request the pattern serves
// has it.
func TestConnectRedirectRoute(t *testing.T) {
	_, p := mockPublisher(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/users/{id}/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "user") })
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "static") })
	h := httpmetrics.New(p).Wrap(mux)
	serve := func(method, target string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, target, nil))
		return rec.Code
	}
	for _, id := range []string{"1", "b7c9e0", "x%2Fy", "a.b", "trailing%2F"} {
		if code := serve(http.MethodConnect, "/users/"+id); code != http.StatusTemporaryRedirect {
			t.Fatalf("CONNECT /users/%s: %d, want the mux's redirect", id, code)
		}
	}
	serve(http.MethodConnect, "/static") // the redirect path is a pattern's text: still no pattern served it
	serve(http.MethodGet, "/users/1")
	serve(http.MethodConnect, "/users/1/")
	redirect := httpmetrics.Event{Method: http.MethodConnect, Route: httpmetrics.UnmatchedRoute, Status: "307"}
	eventmanagertest.AssertPublishedAll(t, p, []httpmetrics.Event{
		redirect, redirect, redirect, redirect, redirect, redirect,
		{Method: http.MethodGet, Route: "/users/{id}/", Status: "307"},
		{Method: http.MethodConnect, Route: "/users/{id}/", Status: "200"},
	}, eventmanagertest.AnyValue("Duration", "ResponseBytes"))
}
