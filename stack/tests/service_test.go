//go:build stack

package tests_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

// exampleApp is the example service's default app name; the stack's Telegraf consumes its
// topic (SASQUATCH_STACK_TOPICS).
const exampleApp = "fastapiexample"

// TestExampleServicePipeline runs the example service (examples/fastapi-like-http) against the
// stack's Kafka and registry, as a deployed service would run, calls its endpoints, stops it
// with SIGTERM (graceful shutdown delivers every accepted event), and checks the InfluxDB points
// of both its event types: measurement <prefix>.fastapiexample.<event>, tag application, each
// field's value and InfluxDB type, the optional service field absent when not given, and point
// time == timestamp_ns.
func TestExampleServicePipeline(t *testing.T) {
	s := loadStack(t)
	if !slices.Contains(s.Topics, s.Topic(exampleApp)) {
		t.Fatalf("the stack's Telegraf does not consume %s (SASQUATCH_STACK_TOPICS=%v)", s.Topic(exampleApp), s.Topics)
	}
	bin := proc.Build(t, "github.com/lsst-sqre/sasquatch-go/examples/fastapi-like-http")
	// Points from earlier runs against a stack that stayed up are older than this.
	start := time.Now()
	svc := startService(t, bin, s)

	waitFor(t, 30*time.Second, "the service to be ready", func(ctx context.Context) (bool, error) {
		status, body, err := svc.get(ctx, "/health/ready")
		if err != nil {
			return false, err
		}
		return status == http.StatusOK, fmt.Errorf("HTTP %d: %s", status, body)
	})

	var syncDurations []float64
	for range 2 {
		var resp struct {
			Type            string  `json:"type"`
			Status          string  `json:"status"`
			DurationSeconds float64 `json:"duration_seconds"`
		}
		svc.getJSON(t, "/query?type=sync", http.StatusOK, &resp)
		if resp.Type != "sync" || resp.Status != "done" || resp.DurationSeconds <= 0 {
			t.Fatalf("GET /query?type=sync answered %+v", resp)
		}
		syncDurations = append(syncDurations, resp.DurationSeconds)
	}
	svc.getJSON(t, "/query?type=async", http.StatusAccepted, nil)
	svc.getJSON(t, "/query?type=bogus", http.StatusBadRequest, nil) // publishes nothing
	user := uniqueName("user")
	svc.getJSON(t, "/login?"+url.Values{"user": {user + "_a"}, "scope": {"read", "write"}, "service": {"portal"}}.Encode(), http.StatusOK, nil)
	svc.getJSON(t, "/login?"+url.Values{"user": {user + "_b"}}.Encode(), http.StatusOK, nil)
	svc.stop(t)

	// Every point of this run: tag application, time == timestamp_ns, a fresh uuid.
	ids := make(map[string]bool)
	common := func(p Point, i int) error {
		var errs []error
		if !maps.Equal(p.Tags, map[string]string{"application": exampleApp}) {
			errs = append(errs, fmt.Errorf("point %d: tags %v, want application=%s", i, p.Tags, exampleApp))
		}
		if ns, ok := p.Fields["timestamp_ns"].(json.Number); !ok || ns.String() != fmt.Sprint(p.Time) {
			errs = append(errs, fmt.Errorf("point %d: time %d, want timestamp_ns %v", i, p.Time, p.Fields["timestamp_ns"]))
		}
		id, _ := p.Fields["id"].(string)
		if u, err := uuid.Parse(id); err != nil || u.Version() != 4 {
			errs = append(errs, fmt.Errorf("point %d: id %q, want a random (v4) uuid", i, id))
		}
		ids[id] = true
		return errors.Join(errs...)
	}
	since := func(m Measurement, keep func(Point) bool) []Point {
		var pts []Point
		for _, p := range m.Points {
			if p.Time >= start.UnixNano() && keep(p) {
				pts = append(pts, p)
			}
		}
		return pts
	}
	fieldsAre := func(p Point, i int, want ...string) error {
		got := slices.Sorted(maps.Keys(p.Fields))
		want = append(want, "id", "timestamp_ns")
		slices.Sort(want)
		if !slices.Equal(got, want) {
			return fmt.Errorf("point %d: fields %v, want %v", i, got, want)
		}
		return nil
	}
	typesAre := func(m Measurement, want map[string]string) error {
		want["id"], want["timestamp_ns"] = "string", "integer"
		if !maps.Equal(m.FieldTypes, want) {
			return fmt.Errorf("field types %v, want %v", m.FieldTypes, want)
		}
		return nil
	}

	// Queries: sync, sync, async, in that order (each published before the next request).
	s.WaitForMeasurement(t, s.Topic(exampleApp)+".query", pipelineTimeout, func(m Measurement) error {
		clear(ids)
		pts := since(m, func(Point) bool { return true })
		if len(pts) != 3 {
			return fmt.Errorf("%d point(s) since the service started, want 3: %v", len(pts), pts)
		}
		errs := []error{typesAre(m, map[string]string{"type": "string", "duration": "float"})}
		for i, p := range pts {
			errs = append(errs, common(p, i), fieldsAre(p, i, "type", "duration"))
			d, err := p.Fields["duration"].(json.Number).Float64()
			if err != nil {
				errs = append(errs, fmt.Errorf("point %d: duration %v: %v", i, p.Fields["duration"], err))
				continue
			}
			wantType := "sync"
			if i < 2 {
				// The service answered time.Duration.Seconds() and published float64(d)/1e9:
				// equal to the nanosecond.
				if math.Round(d*1e9) != math.Round(syncDurations[i]*1e9) {
					errs = append(errs, fmt.Errorf("point %d: duration %v s, want %v s (the response's)", i, d, syncDurations[i]))
				}
			} else {
				wantType = "async"
				if d <= 0 || d >= 1 {
					errs = append(errs, fmt.Errorf("point %d: async duration %v s, want 10-50 ms", i, d))
				}
			}
			if p.Fields["type"] != wantType {
				errs = append(errs, fmt.Errorf("point %d: type %v, want %s", i, p.Fields["type"], wantType))
			}
		}
		if len(ids) != 3 {
			errs = append(errs, fmt.Errorf("%d distinct ids in 3 points", len(ids)))
		}
		return errors.Join(errs...)
	})

	// Logins: this run's users, with and without the optional service.
	s.WaitForMeasurement(t, s.Topic(exampleApp)+".login", pipelineTimeout, func(m Measurement) error {
		clear(ids)
		pts := since(m, func(p Point) bool { u, _ := p.Fields["username"].(string); return strings.HasPrefix(u, user) })
		if len(pts) != 2 {
			return fmt.Errorf("%d point(s) of users %s_*, want 2: %v", len(pts), user, pts)
		}
		errs := []error{typesAre(m, map[string]string{"username": "string", "scopes": "integer", "service": "string"})}
		for i, want := range []map[string]any{
			{"username": user + "_a", "scopes": json.Number("2"), "service": "portal"},
			{"username": user + "_b", "scopes": json.Number("0")},
		} {
			p := pts[i]
			errs = append(errs, common(p, i))
			keys := make([]string, 0, len(want))
			for k, v := range want {
				keys = append(keys, k)
				if p.Fields[k] != v {
					errs = append(errs, fmt.Errorf("point %d: %s = %v, want %v", i, k, p.Fields[k], v))
				}
			}
			errs = append(errs, fieldsAre(p, i, keys...))
		}
		return errors.Join(errs...)
	})
}

// service is the example service running as a child process.
type service struct {
	p      *proc.Process
	base   string // http://127.0.0.1:port
	client *http.Client
}

// startService starts bin on a free loopback port with the stack's Kafka and registry and
// METRICS_APP_NAME=fastapiexample (the environment's own SDK variables are not inherited),
// and waits until it prints its address. The kit kills it at cleanup if it still runs and logs
// its output when the test failed.
func startService(t *testing.T, bin string, s *Stack) *service {
	t.Helper()
	env := proc.CleanEnv(
		"METRICS_APP_NAME="+exampleApp,
		"METRICS_EVENTS_TOPIC_PREFIX="+s.TopicPrefix,
		"KAFKA_BOOTSTRAP_SERVERS="+s.KafkaBrokers,
		"KAFKA_SECURITY_PROTOCOL=PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL="+s.RegistryURL,
	)
	p := proc.Start(t, bin, env, "-addr", "127.0.0.1:0", "-shutdown-timeout", "30s")
	svc := &service{p: p, base: p.WaitPrefix(t, "# listening on "), client: &http.Client{Timeout: 10 * time.Second}}
	t.Logf("example service at %s", svc.base)
	return svc
}

// stop sends SIGTERM and waits for a clean exit: the service shuts its server down, lets async
// queries finish, and closes the event manager, which delivers every accepted event (Close
// failing makes the exit status 1).
func (s *service) stop(t *testing.T) {
	t.Helper()
	if err := s.p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	if err := s.p.WaitExit(t); err != nil {
		t.Fatalf("the example service did not shut down cleanly: %v\n%s", err, s.p.Stderr())
	}
}

func (s *service) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// getJSON calls path, fails the test unless the answer has status want, and decodes it into out
// (when not nil).
func (s *service) getJSON(t *testing.T, path string, want int, out any) {
	t.Helper()
	status, body, err := s.get(t.Context(), path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if status != want {
		t.Fatalf("GET %s: HTTP %d (%s), want %d", path, status, bytes.TrimSpace(body), want)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
	}
}
