package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

// testQueryTime is how long every fake query takes in these tests.
const testQueryTime = 2 * time.Millisecond

// newTestApp returns the API over a mock-mode manager, as an application's
// own tests would: no Kafka, events recorded in memory.
func newTestApp(t *testing.T, queryTime time.Duration) (*app, *eventmanager.Manager) {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: defaultAppName, Mock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	events, err := appevents.Register(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "metrics\n") })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := newApp(events, m.Check, metrics, log, func() time.Duration { return queryTime })
	t.Cleanup(func() { _ = a.Wait(context.Background()) })
	return a, m
}

// serve sends one request to the API and returns the status and the body.
func serve(t *testing.T, a *app, method, target string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, target, nil))
	return rec.Code, rec.Body.String()
}

// waitBackground lets the async queries finish.
func waitBackground(t *testing.T, a *app) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestQuery(t *testing.T) {
	tests := []struct {
		target     string
		wantStatus int
		wantBody   string
		want       []appevents.QueryEvent
	}{
		{"/query?type=sync", http.StatusOK, `"status":"done"`, []appevents.QueryEvent{{Type: appevents.QuerySync}}},
		{"/query?type=async", http.StatusAccepted, `"status":"accepted"`, []appevents.QueryEvent{{Type: appevents.QueryAsync}}},
		{"/query?type=bogus", http.StatusBadRequest, `invalid query parameter type=\"bogus\": use type=async or type=sync`, nil},
		{"/query?type=SYNC", http.StatusBadRequest, `invalid query parameter type=\"SYNC\"`, nil},
		{"/query", http.StatusBadRequest, `missing query parameter \"type\": use type=async or type=sync`, nil},
		{"/query?type=", http.StatusBadRequest, `missing query parameter \"type\"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			a, _ := newTestApp(t, testQueryTime)
			status, body := serve(t, a, http.MethodGet, tt.target)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("GET %s = %d %s, want %d with %s", tt.target, status, body, tt.wantStatus, tt.wantBody)
			}
			if got := mustJSON(t, body); got == nil {
				t.Fatalf("body is not a JSON object: %s", body)
			}
			waitBackground(t, a)
			eventmanagertest.AssertPublishedAll(t, a.events.Query, tt.want, eventmanagertest.AnyValue("Duration"))
			for _, e := range eventmanagertest.Published(a.events.Query) {
				if e.Duration < testQueryTime {
					t.Errorf("published duration %v, want at least the query's %v", e.Duration, testQueryTime)
				}
			}
		})
	}
}

// A sync query whose client goes away publishes nothing.
func TestQuerySyncCancelled(t *testing.T) {
	a, _ := newTestApp(t, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rec := httptest.NewRecorder()
	a.routes().ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/query?type=sync", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("cancelled sync query: status %d, want 503", rec.Code)
	}
	eventmanagertest.AssertPublishedAll(t, a.events.Query, nil)
}

// Wait lets running async queries publish; when its ctx ends first it
// cancels them, and later async requests are refused.
func TestWait(t *testing.T) {
	t.Run("finishes", func(t *testing.T) {
		a, _ := newTestApp(t, testQueryTime)
		for range 3 {
			if status, body := serve(t, a, http.MethodGet, "/query?type=async"); status != http.StatusAccepted {
				t.Fatalf("async query: %d %s", status, body)
			}
		}
		waitBackground(t, a)
		if got := len(eventmanagertest.Published(a.events.Query)); got != 3 {
			t.Errorf("%d events after Wait, want 3", got)
		}
		if status, _ := serve(t, a, http.MethodGet, "/query?type=async"); status != http.StatusServiceUnavailable {
			t.Errorf("async query after Wait: status %d, want 503", status)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		a, _ := newTestApp(t, time.Hour)
		if status, body := serve(t, a, http.MethodGet, "/query?type=async"); status != http.StatusAccepted {
			t.Fatalf("async query: %d %s", status, body)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := a.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Wait with an ended ctx = %v, want context.Canceled", err)
		}
		eventmanagertest.AssertPublishedAll(t, a.events.Query, nil)
	})
}

func TestLogin(t *testing.T) {
	portal := "portal"
	tests := []struct {
		target     string
		wantStatus int
		wantBody   string
		want       []appevents.LoginEvent
	}{
		{"/login?user=ann&scope=read:tap&scope=exec:portal&service=portal", http.StatusOK,
			`{"username":"ann","scopes":2,"service":"portal"}`, []appevents.LoginEvent{{Username: "ann", Scopes: 2, Service: &portal}}},
		{"/login?user=bob", http.StatusOK, `{"username":"bob","scopes":0,"service":null}`, []appevents.LoginEvent{{Username: "bob"}}},
		{"/login?user=bob&service=", http.StatusOK, `"service":null`, []appevents.LoginEvent{{Username: "bob"}}},
		{"/login", http.StatusBadRequest, `missing query parameter \"user\"`, nil},
		{"/login?scope=x", http.StatusBadRequest, `missing query parameter \"user\"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			a, _ := newTestApp(t, testQueryTime)
			status, body := serve(t, a, http.MethodGet, tt.target)
			if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("GET %s = %d %s, want %d with %s", tt.target, status, body, tt.wantStatus, tt.wantBody)
			}
			eventmanagertest.AssertPublishedAll(t, a.events.Login, tt.want)
			eventmanagertest.AssertPublishedAll(t, a.events.Query, nil)
		})
	}
}

func TestHealthAndMetrics(t *testing.T) {
	a, m := newTestApp(t, testQueryTime)
	tests := []struct {
		method, target string
		wantStatus     int
		wantBody       string
	}{
		{http.MethodGet, "/health/live", http.StatusOK, `{"status":"alive"}`},
		{http.MethodGet, "/health/ready", http.StatusOK, `{"status":"ready"}`},
		{http.MethodGet, "/metrics", http.StatusOK, "metrics"},
		{http.MethodHead, "/health/live", http.StatusOK, ""},
		{http.MethodPost, "/query?type=sync", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/nothing", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		status, body := serve(t, a, tt.method, tt.target)
		if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
			t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.target, status, body, tt.wantStatus, tt.wantBody)
		}
	}
	eventmanagertest.AssertPublishedAll(t, a.events.Query, nil)

	// Readiness follows the manager: closed is not ready.
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	status, body := serve(t, a, http.MethodGet, "/health/ready")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"unavailable"`) || !strings.Contains(body, "closed") {
		t.Errorf("ready after Close = %d %s, want 503 unavailable naming the closed manager", status, body)
	}
}

// Publishing after the manager is closed is logged, and the request still
// succeeds: metrics never fail the app.
func TestPublishErrorDoesNotFailRequest(t *testing.T) {
	a, m := newTestApp(t, testQueryTime)
	var logs strings.Builder
	a.log = slog.New(slog.NewTextHandler(&logs, nil))
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if status, body := serve(t, a, http.MethodGet, "/query?type=sync"); status != http.StatusOK {
		t.Errorf("sync query after Close = %d %s, want 200", status, body)
	}
	if !strings.Contains(logs.String(), "query event not published") || !strings.Contains(logs.String(), "closed") {
		t.Errorf("log lacks the publish error: %s", logs.String())
	}
}

func mustJSON(t *testing.T, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return v
}

// Every request but the health checks publishes an http_request event with
// the route pattern, never the raw path; unmatched requests have the route
// "unmatched".
func TestRequestEvents(t *testing.T) {
	a, _ := newTestApp(t, testQueryTime)
	for _, r := range []struct{ method, target string }{
		{http.MethodGet, "/health/live"},
		{http.MethodHead, "/health/ready"},
		{http.MethodGet, "/query?type=sync"},
		{http.MethodGet, "/login"},
		{http.MethodGet, "/metrics"},
		{http.MethodGet, "/nothing/here"},
		{http.MethodPost, "/query?type=sync"},
	} {
		serve(t, a, r.method, r.target)
	}
	eventmanagertest.AssertPublishedAll(t, a.events.HTTP, []httpmetrics.Event{
		{Method: "GET", Route: "GET /query", Status: "200"},
		{Method: "GET", Route: "GET /login", Status: "400"},
		{Method: "GET", Route: "GET /metrics", Status: "200"},
		{Method: "GET", Route: httpmetrics.UnmatchedRoute, Status: "404"},
		{Method: "POST", Route: httpmetrics.UnmatchedRoute, Status: "405"},
	}, eventmanagertest.AnyValue("Duration"), eventmanagertest.AnyValue("ResponseBytes"))
	// The sizes of the answers, whose JSON bodies vary with the duration.
	published := eventmanagertest.Published(a.events.HTTP)
	for i, want := range []int{-1, -1, len("metrics\n"), len("404 page not found\n"), len("Method Not Allowed\n")} {
		if got := published[i].ResponseBytes; want < 0 && got < 20 || want >= 0 && got != int64(want) {
			t.Errorf("event %d %+v: response_bytes %d, want %d (-1: a JSON answer)", i, published[i], got, want)
		}
	}
}
