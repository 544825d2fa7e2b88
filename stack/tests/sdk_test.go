//go:build stack

package tests_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// sdkQuery has one field of each scalar kind the SDK maps, plus optional ones.
type sdkQuery struct {
	Type     testkit.QueryType // enum -> string field
	Duration time.Duration     // double (seconds) -> float field
	Rows     int               // long -> integer field
	Cached   bool              // boolean -> boolean field
	Ratio    float64           // double -> float field, even when integral
	Score    float32           // float -> float field
	User     *string           // ["null","string"]: absent when nil
	Retries  *int64            // ["null","long"]: absent when nil
}

// sdkLogin is a second event type: more optional kinds, a uuid, a renamed field.
type sdkLogin struct {
	Username  string
	Scopes    uint16 `avro:"scope_count"`
	SessionID uuid.UUID
	Service   *string
	Kind      *testkit.QueryType
	Elapsed   *time.Duration
}

// testLogger writes the SDK's warnings and errors (franz-go's included) to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newManager builds and initializes an event manager for app from the stack's environment
// (config.FromEnv after Stack.Setenv; extra variables in env), logging to the test, and closes
// it at cleanup.
func newManager(t *testing.T, s *Stack, app string, env map[string]string, opts ...eventmanager.Option) *eventmanager.Manager {
	t.Helper()
	s.Setenv(t, app)
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatalf("config from the stack's environment: %v", err)
	}
	m, err := eventmanager.New(cfg, append([]eventmanager.Option{eventmanager.WithLogger(testLogger(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = m.Close(ctx)
	})
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatalf("Initialize against the stack: %v", err)
	}
	return m
}

// stamps is an id source and a clock for WithIDSource and WithClock that remember what they
// gave out, so that a test knows each event's id and timestamp_ns. Times strictly increase
// (by 1 µs from a base with sub-millisecond digits), so no two events share an InfluxDB point.
type stamps struct {
	mu    sync.Mutex
	base  time.Time
	ids   []uuid.UUID
	times []time.Time
}

func newStamps() *stamps {
	return &stamps{base: time.Now().Truncate(time.Millisecond).Add(123456 * time.Nanosecond)}
}

func (s *stamps) id() uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := uuid.New()
	s.ids = append(s.ids, id)
	return id
}

func (s *stamps) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.base.Add(time.Duration(len(s.times)) * time.Microsecond)
	s.times = append(s.times, ts)
	return ts
}

// last returns the id and time of the latest event (one id and one time per Publish).
func (s *stamps) last(t testing.TB) (uuid.UUID, time.Time) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) == 0 || len(s.ids) != len(s.times) {
		t.Fatalf("%d ids and %d times issued, want one of each per event", len(s.ids), len(s.times))
	}
	return s.ids[len(s.ids)-1], s.times[len(s.times)-1]
}

func (s *stamps) issued() []uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uuid.UUID(nil), s.ids...)
}

func (s *stamps) options() []eventmanager.Option {
	return []eventmanager.Option{eventmanager.WithIDSource(s.id), eventmanager.WithClock(s.now)}
}

// num is how InfluxDB's JSON shows a number (encoding/json of the stored value).
func num(v any) json.Number {
	b, _ := json.Marshal(v) // numbers always marshal
	return json.Number(b)
}

// eventPoint is the point an event becomes: time timestamp_ns, tag application, fields the
// metadata (id, timestamp_ns; never timestamp) and the payload's fields.
func eventPoint(app string, id uuid.UUID, ts time.Time, fields map[string]any) Point {
	f := map[string]any{"id": id.String(), "timestamp_ns": json.Number(strconv.FormatInt(ts.UnixNano(), 10))}
	for k, v := range fields {
		f[k] = v
	}
	return Point{Time: ts.UnixNano(), Tags: map[string]string{"application": app}, Fields: f}
}

func ptr[T any](v T) *T { return &v }

// TestSDKPipeline publishes two event types through the SDK (configuration from the
// environment, as a service does) and checks the exact InfluxDB points: measurement
// <prefix>.<app>.<event>, tag application, every field's value and InfluxDB type, optional
// fields absent when nil, point time == timestamp_ns; and that every event was delivered.
func TestSDKPipeline(t *testing.T) {
	s := loadStack(t)
	const app = "stacktest"
	st := newStamps()
	m := newManager(t, s, app, nil, st.options()...)
	ctx := t.Context()
	queryName, loginName := uniqueName("sdkquery"), uniqueName("sdklogin")
	queries, err := eventmanager.CreatePublisher[sdkQuery](ctx, m, queryName)
	if err != nil {
		t.Fatal(err)
	}
	logins, err := eventmanager.CreatePublisher[sdkLogin](ctx, m, loginName)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.Topic(app) + "." + queryName; queries.Subject() != want {
		t.Errorf("subject %q, want %q", queries.Subject(), want)
	}

	var wantQueries, wantLogins []Point
	for _, tc := range []struct {
		event sdkQuery
		want  map[string]any
	}{
		{
			event: sdkQuery{Type: testkit.QuerySync, Duration: 1500 * time.Millisecond, Rows: 42, Cached: true, Ratio: 2, Score: 0.25,
				User: ptr("ann"), Retries: ptr(int64(3))},
			want: map[string]any{"type": "sync", "duration": num(1.5), "rows": num(42), "cached": true, "ratio": num(2.0),
				"score": num(0.25), "user": "ann", "retries": num(3)},
		},
		{
			event: sdkQuery{Type: testkit.QueryAsync, Duration: 250 * time.Millisecond, Rows: -7, Ratio: 0.5, Score: -1.5},
			want: map[string]any{"type": "async", "duration": num(0.25), "rows": num(-7), "cached": false, "ratio": num(0.5),
				"score": num(-1.5)},
		},
	} {
		if err := queries.Publish(ctx, tc.event); err != nil {
			t.Fatal(err)
		}
		id, ts := st.last(t)
		wantQueries = append(wantQueries, eventPoint(app, id, ts, tc.want))
	}
	session := uuid.MustParse("0b6e4bd2-5a0c-4a38-9d1c-7f0e5c1d2e3f")
	for _, tc := range []struct {
		event sdkLogin
		want  map[string]any
	}{
		{
			event: sdkLogin{Username: "bob", Scopes: 3, SessionID: session, Service: ptr("portal"), Kind: ptr(testkit.QuerySync),
				Elapsed: ptr(2 * time.Second)},
			want: map[string]any{"username": "bob", "scope_count": num(3), "session_id": session.String(), "service": "portal",
				"kind": "sync", "elapsed": num(2.0)},
		},
		{
			event: sdkLogin{Username: "eve", SessionID: session},
			want:  map[string]any{"username": "eve", "scope_count": num(0), "session_id": session.String()},
		},
	} {
		if err := logins.Publish(ctx, tc.event); err != nil {
			t.Fatal(err)
		}
		id, ts := st.last(t)
		wantLogins = append(wantLogins, eventPoint(app, id, ts, tc.want))
	}

	closeCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := m.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := m.Stats().Total; got.Published != 4 || got.Delivered != 4 || got.Failed+got.Dropped+got.Rejected != 0 {
		t.Errorf("stats %+v, want 4 published and delivered, nothing lost", got)
	}

	s.WaitForMeasurement(t, s.Topic(app)+"."+queryName, pipelineTimeout, func(m Measurement) error {
		return diffMeasurement(m, wantQueries, map[string]string{
			"id": "string", "timestamp_ns": "integer", "type": "string", "duration": "float", "rows": "integer",
			"cached": "boolean", "ratio": "float", "score": "float", "user": "string", "retries": "integer",
		})
	})
	s.WaitForMeasurement(t, s.Topic(app)+"."+loginName, pipelineTimeout, func(m Measurement) error {
		return diffMeasurement(m, wantLogins, map[string]string{
			"id": "string", "timestamp_ns": "integer", "username": "string", "scope_count": "integer",
			"session_id": "string", "service": "string", "kind": "string", "elapsed": "float",
		})
	})
}
