package eventmanager

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

func TestBackoff(t *testing.T) {
	const maxWait = 5 * time.Second
	for n := 1; n <= 20; n++ {
		want := 100 * time.Millisecond << (n - 1)
		if n > 7 || want > maxWait {
			want = maxWait
		}
		for range 50 {
			d := backoff(n, maxWait)
			if d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

// TestFailureLogThrottled checks that delivery failures of an event are
// logged at most once per METRICS_LOG_INTERVAL, on a fake clock.
func TestFailureLogThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		m, err := New(config.Config{AppName: "app", Mock: true,
			Delivery: config.Delivery{LogInterval: time.Minute}},
			WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
		if err != nil {
			t.Fatal(err)
		}
		c := &counters{}
		for range 100 {
			m.logFailure("query", c, ErrBufferFull)
		}
		if n := strings.Count(buf.String(), "not delivered"); n != 1 {
			t.Fatalf("%d log lines for 100 failures in one interval, want 1", n)
		}
		time.Sleep(59 * time.Second)
		m.logFailure("query", c, ErrBufferFull)
		if n := strings.Count(buf.String(), "not delivered"); n != 1 {
			t.Fatalf("%d log lines before the interval ended, want 1", n)
		}
		time.Sleep(time.Second)
		m.logFailure("query", c, ErrBufferFull)
		if n := strings.Count(buf.String(), "not delivered"); n != 2 {
			t.Fatalf("%d log lines after the interval, want 2", n)
		}
	})
}

// TestRetrierBacksOff runs a failing task on a fake clock: attempts follow
// the capped exponential schedule and stop once the task succeeds.
func TestRetrierBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRetrier(slog.New(slog.DiscardHandler), time.Second)
		var at []time.Time
		r.add(task{name: "flaky", run: func(context.Context) error {
			at = append(at, time.Now())
			if len(at) < 8 {
				return ErrBufferFull
			}
			return nil
		}})
		time.Sleep(time.Minute)
		synctest.Wait()
		if len(at) != 8 {
			t.Fatalf("%d attempts, want 8", len(at))
		}
		if len(r.failing()) != 0 {
			t.Errorf("task still pending after success")
		}
		for i := 1; i < len(at); i++ {
			gap := at[i].Sub(at[i-1])
			max := min(100*time.Millisecond<<(i-1), time.Second)
			if gap < max/2 || gap > max {
				t.Errorf("gap before attempt %d = %v, want in [%v, %v]", i+1, gap, max/2, max)
			}
		}
		r.stop()
	})
}

func TestRandomIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 10_000 {
		id := newRandomID()
		if id.Version() != 4 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("id %s: version %d variant %v, want a v4 RFC 4122 UUID", id, id.Version(), id.Variant())
		}
		if seen[id.String()] {
			t.Fatalf("id %s repeated", id)
		}
		seen[id.String()] = true
	}
}

// TestRetrierRetriesEveryError is issue 12 #11: in the background, an answer
// that looks final (wrong credentials, a registry refusal such as a 404 page
// from an ingress) is retried with backoff like an outage, logged at ERROR,
// and named by failing (which Check reports) until the step succeeds.
func TestRetrierRetriesEveryError(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		level string
	}{
		{"authentication", &SecurityError{Kind: ErrAuthentication, Reason: "wrong password"}, "ERROR"},
		{"tls", &SecurityError{Kind: ErrTLS, Reason: "unknown CA"}, "ERROR"},
		{"registry refusal", &schemaregistry.RequestError{Op: "check", Status: 404}, "ERROR"},
		{"missing topic", &TopicError{Topic: "t", Reason: "does not exist"}, "ERROR"},
		{"outage", schemaregistry.ErrUnavailable, "WARN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs testkit.Buffer
				r := newRetrier(slog.New(slog.NewTextHandler(&logs, nil)), time.Second)
				var runs atomic.Int64
				r.add(task{name: "step", run: func(context.Context) error {
					if runs.Add(1) == 20 {
						return nil
					}
					return tc.err
				}})
				time.Sleep(5 * time.Second)
				synctest.Wait()
				if n := runs.Load(); n < 5 || n >= 20 {
					t.Fatalf("%d attempts in 5 s, want retries", n)
				}
				failing := r.failing()
				if len(failing) != 1 || !strings.Contains(failing[0], "step: "+tc.err.Error()) {
					t.Errorf("failing() = %q, want the step and its error", failing)
				}
				if !strings.Contains(logs.String(), "level="+tc.level) {
					t.Errorf("logs %q, want level %s", logs.String(), tc.level)
				}
				time.Sleep(time.Minute)
				synctest.Wait()
				if n := runs.Load(); n != 20 || len(r.failing()) != 0 {
					t.Errorf("%d attempts, failing %q; want 20 and nothing failing once the step succeeds", n, r.failing())
				}
				r.stop()
			})
		})
	}
}
