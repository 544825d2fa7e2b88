package eventmanager_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/linkedin/goavro/v2"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/payload"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

func ptr[T any](v T) *T { return &v }

// TestKafkaEndToEnd publishes events of two types to a kfake broker, consumes
// them with a plain franz-go consumer and decodes each with goavro, using the
// schema fetched from the registry by the id in the frame.
func TestKafkaEndToEnd(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.cfg.Registry.Compatibility = "BACKWARD"
	env.cfg.Registry.Suffix = "_dev"

	base := time.Date(2026, 11, 23, 12, 0, 0, 123456789, time.UTC)
	var tick int64
	var ids []uuid.UUID
	m, err := eventmanager.New(env.cfg,
		eventmanager.WithLogger(quietLogger()),
		eventmanager.WithClock(func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Millisecond) }),
		eventmanager.WithIDSource(func() uuid.UUID { id := uuid.New(); ids = append(ids, id); return id }),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	queries, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
	if err != nil {
		t.Fatal(err)
	}
	logins, err := eventmanager.CreatePublisher[LoginEvent](ctx, m, "login")
	if err != nil {
		t.Fatal(err)
	}

	topic := "lsst.square.metrics.events." + env.cfg.AppName
	if m.Topic() != topic {
		t.Errorf("Topic() = %q, want %q", m.Topic(), topic)
	}
	for _, tc := range []struct{ got, want string }{
		{queries.Subject(), topic + ".query_dev"},
		{logins.Subject(), topic + ".login_dev"},
	} {
		if tc.got != tc.want {
			t.Errorf("subject = %q, want %q", tc.got, tc.want)
		}
		if env.registry == nil {
			continue // an external registry: the subject is checked by decoding below
		}
		if !env.registry.Fake().SubjectExists(tc.want) {
			t.Errorf("subject %q not registered", tc.want)
		}
		if lvl := env.registry.Compatibility(tc.want); lvl != "BACKWARD" {
			t.Errorf("compatibility of %q = %q, want BACKWARD", tc.want, lvl)
		}
	}

	const n = 50
	wantQueries := make([]QueryEvent, n)
	wantLogins := make([]LoginEvent, n)
	var requestsBefore int64
	if env.registry != nil {
		requestsBefore = env.registry.Requests()
	}
	for i := range n {
		wantQueries[i] = QueryEvent{Type: []QueryType{QueryAsync, QuerySync}[i%2], Duration: time.Duration(i) * 1500 * time.Millisecond}
		wantLogins[i] = LoginEvent{
			Username: fmt.Sprintf("user%d", i), Attempts: -i, Success: i%3 == 0, Score: float64(i) / 3,
			Ratio: float32(i) / 4, Small: uint16(i * 1000), SessionID: uuid.New(), Elapsed: time.Duration(i) * time.Microsecond,
			Renamed: "r", Skipped: "not sent",
		}
		if i%2 == 0 {
			wantLogins[i].Client = ptr(fmt.Sprintf("client-%d", i))
			wantLogins[i].Retries = ptr(int64(i))
			wantLogins[i].Kind = ptr(QuerySync)
		}
		// A context that is already cancelled must not cancel delivery.
		reqCtx, cancel := context.WithCancel(ctx)
		if err := queries.Publish(reqCtx, wantQueries[i]); err != nil {
			t.Fatal(err)
		}
		if err := logins.Publish(reqCtx, wantLogins[i]); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	if env.registry == nil {
		// External registry: no request counter to read.
	} else if got := env.registry.Requests(); got != requestsBefore {
		t.Errorf("publishing made %d registry requests, want 0", got-requestsBefore)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	st := m.Stats()
	if st.Total.Published != 2*n || st.Total.Delivered != 2*n || st.Total.Pending() != 0 {
		t.Errorf("stats = %+v, want %d published and delivered", st.Total, 2*n)
	}

	reg, err := schemaregistry.New(config.Registry{URL: env.cfg.Registry.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	codecs := map[uint32]*goavro.Codec{}
	records := consume(t, env.cfg.Kafka.BootstrapServers, topic, 2*n)
	var gotQueries, gotLogins []map[string]any
	for _, r := range records {
		if r.Key != nil {
			t.Errorf("record has key %q, want none", r.Key)
		}
		if len(r.Value) < 5 || r.Value[0] != 0 {
			t.Fatalf("value %x lacks the Confluent frame", r.Value)
		}
		id := binary.BigEndian.Uint32(r.Value[1:5])
		codec, ok := codecs[id]
		if !ok {
			schema, err := reg.SchemaByID(ctx, id)
			if err != nil {
				t.Fatalf("schema %d: %v", id, err)
			}
			codec, err = goavro.NewCodec(schema)
			if err != nil {
				t.Fatalf("goavro cannot parse schema %d: %v", id, err)
			}
			codecs[id] = codec
		}
		native, rest, err := codec.NativeFromBinary(r.Value[5:])
		if err != nil || len(rest) != 0 {
			t.Fatalf("goavro decode: %v (%d bytes left)", err, len(rest))
		}
		rec := native.(map[string]any)
		if rec["application"] != env.cfg.AppName {
			t.Errorf("application = %v", rec["application"])
		}
		switch id {
		case queries.SchemaID():
			gotQueries = append(gotQueries, rec)
		case logins.SchemaID():
			gotLogins = append(gotLogins, rec)
		default:
			t.Fatalf("record with unknown schema id %d", id)
		}
	}
	if len(gotQueries) != n || len(gotLogins) != n {
		t.Fatalf("got %d queries and %d logins, want %d each", len(gotQueries), len(gotLogins), n)
	}
	// One partition key-less records may land on either partition: match by
	// content, in per-partition order, by looking each up by its event id.
	seen := map[string]bool{}
	for _, rec := range append(gotQueries, gotLogins...) {
		id := rec["id"].(string)
		if seen[id] {
			t.Errorf("event id %s delivered twice", id)
		}
		seen[id] = true
	}
	for i, id := range ids {
		if !seen[id.String()] {
			t.Errorf("event %d (id %s) not delivered", i, id)
		}
	}
	checkQueries(t, wantQueries, gotQueries)
	checkLogins(t, topic, wantLogins, gotLogins)
}

func checkQueries(t *testing.T, want []QueryEvent, got []map[string]any) {
	t.Helper()
	byDur := map[float64]map[string]any{}
	for _, g := range got {
		byDur[g["duration"].(float64)] = g
	}
	for _, w := range want {
		g, ok := byDur[w.Duration.Seconds()]
		if !ok {
			t.Errorf("query %+v not found", w)
			continue
		}
		if g["type"] != string(w.Type) {
			t.Errorf("query type = %v, want %v", g["type"], w.Type)
		}
		ms := g["timestamp"].(time.Time).UnixMilli()
		ns := g["timestamp_ns"].(int64)
		if ms != ns/1e6 {
			t.Errorf("timestamp %d ms does not match timestamp_ns %d", ms, ns)
		}
	}
}

func checkLogins(t *testing.T, topic string, want []LoginEvent, got []map[string]any) {
	t.Helper()
	byUser := map[string]map[string]any{}
	for _, g := range got {
		byUser[g["username"].(string)] = g
	}
	for _, w := range want {
		g, ok := byUser[w.Username]
		if !ok {
			t.Errorf("login %q not found", w.Username)
			continue
		}
		checks := []struct {
			field string
			got   any
			want  any
		}{
			{"attempts", g["attempts"], int64(w.Attempts)},
			{"success", g["success"], w.Success},
			{"score", g["score"], w.Score},
			{"ratio", g["ratio"], w.Ratio},
			{"small", g["small"], int64(w.Small)},
			{"session_id", g["session_id"], w.SessionID.String()},
			{"elapsed", g["elapsed"], w.Elapsed.Seconds()},
			{"custom_name", g["custom_name"], w.Renamed},
			{"client", g["client"], union("string", w.Client)},
			{"retries", g["retries"], union("long", w.Retries)},
			{"kind", g["kind"], unionEnum(topic+".QueryType", w.Kind)},
		}
		for _, c := range checks {
			if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
				t.Errorf("login %q field %s = %#v, want %#v", w.Username, c.field, c.got, c.want)
			}
		}
		for _, absent := range []string{"ignored", "skipped", "Skipped"} {
			if _, ok := g[absent]; ok {
				t.Errorf("field %q was published", absent)
			}
		}
	}
}

// union is goavro's native form of a ["null", T] value.
func union[T any](name string, v *T) any {
	if v == nil {
		return nil
	}
	return map[string]any{name: *v}
}

func unionEnum(name string, v *QueryType) any {
	if v == nil {
		return nil
	}
	return map[string]any{name: string(*v)}
}

// TestGoldenValueOnTheWire checks that a published QueryEvent carries the SPEC
// section 5 body byte for byte, behind the registry's schema id.
func TestGoldenValueOnTheWire(t *testing.T) {
	env := newKafkaEnv(t, true)
	env.cfg.AppName = "myapp"
	id := uuid.MustParse("12345678-1234-4678-9234-567812345678")
	m, err := eventmanager.New(env.cfg,
		eventmanager.WithLogger(quietLogger()),
		eventmanager.WithTopicCreation(1),
		eventmanager.WithClock(func() time.Time { return time.Unix(0, 1700000000123456789) }),
		eventmanager.WithIDSource(func() uuid.UUID { return id }),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Publish(ctx, QueryEvent{Type: QuerySync, Duration: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	recs := consume(t, env.cfg.Kafka.BootstrapServers, "lsst.square.metrics.events.myapp", 1)
	golden := mustHex(t, "000000002a4831323334353637382d313233342d343637382d393233342d3536373831323334353637380a6d79617070f6a1abfef962aab4aed8c7bfce972f02000000000000f83f")
	want := append([]byte{0}, binary.BigEndian.AppendUint32(nil, uint32(q.SchemaID()))...)
	want = append(want, golden[5:]...)
	if !bytes.Equal(recs[0].Value, want) {
		t.Errorf("value\n got %x\nwant %x", recs[0].Value, want)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		if _, err := fmt.Sscanf(s[i:i+2], "%02x", &v); err != nil {
			t.Fatal(err)
		}
		b = append(b, v)
	}
	return b
}

// TestErrorsInEveryMode checks that usage errors are returned in Kafka,
// disabled and mock modes alike.
func TestErrorsInEveryMode(t *testing.T) {
	modes := []struct {
		name string
		cfg  func(t *testing.T) config.Config
	}{
		{"kafka", func(t *testing.T) config.Config { return newKafkaEnv(t, false).cfg }},
		{"disabled", func(*testing.T) config.Config { return disabledConfig() }},
		{"mock", func(*testing.T) config.Config { return mockConfig() }},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			ctx := t.Context()
			cfg := mode.cfg(t)

			bad := cfg
			bad.AppName = "bad-app"
			if _, err := eventmanager.New(bad); !errors.As(err, new(*config.Error)) {
				t.Errorf("New with app name %q: err = %v, want *config.Error", bad.AppName, err)
			}

			m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query"); !errors.Is(err, eventmanager.ErrNotInitialized) {
				t.Errorf("CreatePublisher before Initialize: err = %v, want ErrNotInitialized", err)
			}
			if err := m.Initialize(ctx); err != nil {
				t.Fatal(err)
			}
			q, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := eventmanager.CreatePublisher[LoginEvent](ctx, m, "query"); !errors.As(err, new(*eventmanager.DuplicateEventError)) {
				t.Errorf("duplicate name: err = %v, want *eventmanager.DuplicateEventError", err)
			}
			_, err = eventmanager.CreatePublisher[NestedEvent](ctx, m, "nested")
			var unsupported *payload.UnsupportedError
			if !errors.As(err, &unsupported) || !errors.As(err, new(*payload.UnsupportedError)) {
				t.Errorf("unsupported payload: err = %v, want *payload.UnsupportedError", err)
			} else if len(unsupported.Fields) != 3 {
				t.Errorf("unsupported fields = %+v, want Inner, Tags and When", unsupported.Fields)
			}
			// The name is free again after a failed registration.
			if _, err := eventmanager.CreatePublisher[EmptyEvent](ctx, m, "nested"); err != nil {
				t.Errorf("CreatePublisher after a failed one with the same name: %v", err)
			}
			for _, name := range []string{"bad-name", "1query", "", "a.b"} {
				if _, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, name); !errors.As(err, new(*payload.NameError)) {
					t.Errorf("event name %q: err = %v, want *payload.NameError", name, err)
				}
			}
			if err := q.Publish(ctx, QueryEvent{Type: "bogus"}); !errors.As(err, new(*payload.EnumValueError)) {
				t.Errorf("enum outside symbols: err = %v, want a *payload.EnumValueError", err)
			}
			if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
				t.Errorf("Publish: %v", err)
			}
			if err := m.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if err := m.Close(ctx); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); !errors.Is(err, eventmanager.ErrClosed) {
				t.Errorf("Publish after Close: err = %v, want ErrClosed", err)
			}
			if _, err := eventmanager.CreatePublisher[LoginEvent](ctx, m, "login"); !errors.Is(err, eventmanager.ErrClosed) {
				t.Errorf("CreatePublisher after Close: err = %v, want ErrClosed", err)
			}
			if err := m.Initialize(ctx); !errors.Is(err, eventmanager.ErrClosed) {
				t.Errorf("Initialize after Close: err = %v, want ErrClosed", err)
			}
			st := m.Stats().Events["query"]
			published := uint64(1)
			if mode.name == "disabled" {
				published = 0 // nothing is accepted for delivery
			}
			if st.Published != published || st.Rejected != 1 {
				t.Errorf("stats = %+v, want %d published, 1 rejected", st, published)
			}
		})
	}
}

func TestMissingTopic(t *testing.T) {
	env := newKafkaEnv(t, true)
	m, err := eventmanager.New(env.cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	err = m.Initialize(t.Context())
	var te *eventmanager.TopicError
	if !errors.As(err, &te) || !errors.As(err, new(*eventmanager.TopicError)) {
		t.Fatalf("Initialize with no topic: err = %v, want *TopicError", err)
	}
	if te.Topic != env.cfg.Topic() {
		t.Errorf("TopicError.Topic = %q, want %q", te.Topic, env.cfg.Topic())
	}
	if _, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query"); !errors.Is(err, eventmanager.ErrNotInitialized) {
		t.Errorf("CreatePublisher after failed Initialize: err = %v, want ErrNotInitialized", err)
	}
}

func TestBadSubjectSuffix(t *testing.T) {
	cfg := mockConfig()
	cfg.Registry.Suffix = "-staging"
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		// A config-level check is as good as a CreatePublisher one.
		if !errors.As(err, new(*config.Error)) {
			t.Fatalf("New: %v", err)
		}
		return
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query"); !errors.As(err, new(*payload.NameError)) {
		t.Errorf("suffix %q: err = %v, want *payload.NameError", cfg.Registry.Suffix, err)
	}
}

// TestIncompatibleChange registers a new version of an event whose change the
// subject's compatibility level refuses.
func TestIncompatibleChange(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.cfg.Registry.Compatibility = "BACKWARD"
	ctx := t.Context()
	newManager := func() *eventmanager.Manager {
		m, err := eventmanager.New(env.cfg, eventmanager.WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close(context.Background()) })
		if err := m.Initialize(ctx); err != nil {
			t.Fatal(err)
		}
		return m
	}
	type v1 struct{ Count int }
	type v2Compatible struct {
		Count int
		Note  *string
	}
	type v3Incompatible struct {
		Count int
		Label string
	}
	if _, err := eventmanager.CreatePublisher[v1](ctx, newManager(), "evolving"); err != nil {
		t.Fatal(err)
	}
	p2, err := eventmanager.CreatePublisher[v2Compatible](ctx, newManager(), "evolving")
	if err != nil {
		t.Fatalf("compatible change refused: %v", err)
	}
	_, err = eventmanager.CreatePublisher[v3Incompatible](ctx, newManager(), "evolving")
	if !errors.As(err, new(*schemaregistry.IncompatibleError)) {
		t.Fatalf("incompatible change: err = %v, want *schemaregistry.IncompatibleError", err)
	}
	if p2.SchemaID() == 0 {
		t.Errorf("compatible version has schema id 0")
	}
}

// Publisher.LogInterval is the manager's METRICS_LOG_INTERVAL, 1m when
// unset, in every mode.
func TestPublisherLogInterval(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  config.Config
		want time.Duration
	}{
		{"unset", config.Config{AppName: testApp, Mock: true}, time.Minute},
		{"set, mock", config.Config{AppName: testApp, Mock: true, Delivery: config.Delivery{LogInterval: 7 * time.Second}}, 7 * time.Second},
		{"set, disabled", config.Config{AppName: testApp, Disabled: true, Delivery: config.Delivery{LogInterval: 3 * time.Hour}}, 3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, q := startQueries(t, tc.cfg)
			if got := q.LogInterval(); got != tc.want {
				t.Errorf("LogInterval() = %v, want %v", got, tc.want)
			}
		})
	}
}
