package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// demoTimeout bounds the demo's requests and its wait for the events.
const demoTimeout = 30 * time.Second

// demoStep is one request of the demo and what it must answer.
type demoStep struct {
	path   string
	status int
	events int    // events the request publishes, its http_request event included
	body   string // a substring the answer must contain
}

// runDemo sends the demo's requests to the service at base and, when the
// tail runs, waits until it has printed their events. It returns how many
// events the requests published.
func runDemo(ctx context.Context, base string, t *tail, out *console) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	// Every request publishes an http_request event (the middleware), but
	// the health checks; events counts them with the handlers' own.
	steps := []demoStep{
		{path: "/health/live", status: http.StatusOK, body: `"alive"`},
		{path: "/health/ready", status: http.StatusOK, body: `"ready"`},
		{path: "/query?type=sync", status: http.StatusOK, events: 2, body: `"done"`},
		{path: "/query?type=async", status: http.StatusAccepted, events: 2, body: `"accepted"`},
		{path: "/query?type=bogus", status: http.StatusBadRequest, events: 1, body: "use type=async or type=sync"},
		{path: "/login?user=rubin&scope=read:tap&scope=exec:notebook&service=nublado", status: http.StatusOK, events: 2},
		{path: "/login?user=guest", status: http.StatusOK, events: 2, body: `"service":null`},
		{path: "/metrics", status: http.StatusOK, events: 1, body: "sasquatch_events_published_total{"},
	}
	client := &http.Client{}
	want := 0
	for _, s := range steps {
		status, body, err := get(ctx, client, base+s.path)
		if err != nil {
			return want, fmt.Errorf("demo: GET %s: %w", s.path, err)
		}
		out.Printf("# demo: GET %s -> %d %s\n", s.path, status, lineWith(body, s.body))
		if status != s.status {
			return want, fmt.Errorf("demo: GET %s answered %d, want %d: %s", s.path, status, s.status, lineWith(body, ""))
		}
		if !strings.Contains(body, s.body) {
			return want, fmt.Errorf("demo: GET %s: answer lacks %q", s.path, s.body)
		}
		want += s.events
	}
	if t != nil {
		if err := t.WaitFor(ctx, want); err != nil {
			return want, fmt.Errorf("demo: %w", err)
		}
	}
	return want, nil
}

// demoSummary checks, after the manager is closed, that every event the
// demo published was delivered, and prints the summary line.
func demoSummary(out *console, m *eventmanager.Manager, cfg config.Config, t *tail, want int) error {
	s := m.Stats().Total
	seen := "not tailed"
	if t != nil {
		seen = fmt.Sprintf("%d seen on the topic", t.Seen())
	}
	out.Printf("# demo: %d events published, %d delivered, %d failed, %d dropped, %s (%s)\n",
		s.Published, s.Delivered, s.Failed, s.Dropped, seen, cfg.Topic())
	if s.Published != uint64(want) {
		return fmt.Errorf("demo: %d events published, want %d", s.Published, want)
	}
	if cfg.Mode() != config.ModeDisabled && s.Delivered != uint64(want) {
		return fmt.Errorf("demo: %d of %d events delivered (%d failed, %d dropped)", s.Delivered, want, s.Failed, s.Dropped)
	}
	out.Printf("# demo: ok\n")
	return nil
}

// get sends one GET request and returns the status and the body.
func get(ctx context.Context, client *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// lineWith returns the first line of body that contains sub, shortened for
// the demo's output.
func lineWith(body, sub string) string {
	line := ""
	for l := range strings.Lines(body) {
		if strings.Contains(l, sub) {
			line = strings.TrimSpace(l)
			break
		}
	}
	if len(line) > 100 {
		line = line[:100] + "..."
	}
	return line
}
