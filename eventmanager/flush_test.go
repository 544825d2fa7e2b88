package eventmanager_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kotel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// wantUndelivered checks that err is Flush's *UndeliveredError with count
// events not delivered, unknown of them still buffered.
func wantUndelivered(t *testing.T, err error, count, unknown int64) {
	t.Helper()
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) || !errors.As(err, new(*eventmanager.UndeliveredError)) {
		t.Fatalf("Flush = %v, want *UndeliveredError", err)
	}
	if ue.Op != "flush" || ue.Count != count || ue.Unknown != unknown {
		t.Fatalf("Flush = %+v, want Op flush, Count %d, Unknown %d", ue, count, unknown)
	}
}

// TestFlushUnderLoad flushes repeatedly while 16 goroutines publish
// without pause: each Flush returns although the buffer never empties (it
// waits only for the events accepted before it), and when it returns every
// Publish that returned nil before it was called has been delivered. The
// publishers outrun the broker, so the buffer fills at times: with
// METRICS_RAISE_ON_ERROR=true a dropped event's Publish returns
// ErrBufferFull and is not counted.
func TestFlushUnderLoad(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.cfg.RaiseOnError = true
	m, q := startQueries(t, env.cfg)
	var returned atomic.Int64 // Publish calls that returned nil
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := q.Publish(context.Background(), QueryEvent{Type: QuerySync})
				switch {
				case errors.Is(err, eventmanager.ErrBufferFull):
					runtime.Gosched()
					continue
				case err != nil:
					t.Error(err)
					return
				}
				returned.Add(1)
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	// Each Flush must have events to wait for: on a fast machine five
	// Flush calls end before the publishers have started.
	waitPublished := func(n int64) {
		t.Helper()
		within(t, "publishers publishing", func() bool {
			for returned.Load() < n {
				time.Sleep(100 * time.Microsecond)
			}
			return true
		})
	}
	for i := range 5 {
		waitPublished(returned.Load() + 100)
		before := returned.Load()
		if err := within(t, "Flush under load", func() error { return m.Flush(t.Context()) }); err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
		if st := m.Stats().Total; st.Delivered < uint64(before) {
			t.Fatalf("Flush %d returned with %d events delivered, but %d Publish calls had returned before it", i, st.Delivered, before)
		}
		if st := m.Stats().Total; st.Failed != 0 || st.Unknown != 0 {
			t.Fatalf("stats %+v: no event may fail", st)
		}
	}
}

// TestFlushOutage flushes while the broker is down: Flush reports exactly
// the events accepted before it, the manager keeps accepting events, and
// once the broker is back a second Flush delivers everything.
func TestFlushOutage(t *testing.T) {
	cfg, b := restartableSetup(t, nil)
	ctx := t.Context()
	m, q := startQueries(t, cfg, fastRetries())
	publish := func(n int) {
		t.Helper()
		for range n {
			if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(10)
	if err := m.Flush(ctx); err != nil {
		t.Fatalf("Flush with the broker up: %v", err)
	}
	if st := m.Stats().Total; st.Delivered != 10 {
		t.Fatalf("stats after the first Flush %+v, want 10 delivered", st)
	}
	b.stop()
	publish(100)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := within(t, "Flush with the broker down", func() error { return m.Flush(short) })
	cancel()
	wantUndelivered(t, err, 100, 100)
	// Still usable: Publish accepts events, and a Flush with an expired
	// ctx counts them too.
	publish(50)
	expired, cancel := context.WithCancel(ctx)
	cancel()
	wantUndelivered(t, m.Flush(expired), 150, 150)
	if st := m.Stats().Total; st.Pending() != 150 || st.Failed != 0 {
		t.Fatalf("stats during the outage %+v, want 150 pending, none failed", st)
	}
	b.start(false)
	if err := within(t, "Flush after the broker returned", func() error { return m.Flush(ctx) }); err != nil {
		t.Fatalf("Flush after the broker returned: %v", err)
	}
	if st := m.Stats().Total; st.Delivered != 160 || st.Pending() != 0 || st.Failed != 0 {
		t.Fatalf("stats after the outage %+v, want 160 delivered", st)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(countIDs(t, b.addr(), cfg.Topic(), 160, q.SchemaID())); got != 160 {
		t.Errorf("%d distinct events in the topic, want 160", got)
	}
}

// TestFlushPendingRegistration flushes the events of a publisher whose
// schema is registered in the background: they count until the registry
// answers.
func TestFlushPendingRegistration(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.registry.SetDown(true)
	ctx := t.Context()
	m, q := startQueries(t, faultConfig(env.cfg.Kafka.BootstrapServers[0], env.registry.URL()), fastRetries())
	for range 5 {
		if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := within(t, "Flush with the registry down", func() error { return m.Flush(short) })
	cancel()
	wantUndelivered(t, err, 5, 5)
	env.registry.SetDown(false)
	if err := within(t, "Flush with the registry back", func() error { return m.Flush(ctx) }); err != nil {
		t.Fatalf("Flush with the registry back: %v", err)
	}
	if st := m.Stats().Total; st.Delivered != 5 {
		t.Fatalf("stats %+v, want 5 delivered", st)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestFlushConcurrentWithClose flushes from several goroutines while others
// publish and the manager closes: every call returns, Flush reports what it
// did not see delivered, and the account is exact afterwards.
func TestFlushConcurrentWithClose(t *testing.T) {
	cfg, b := restartableSetup(t, nil)
	m, q := startQueries(t, cfg, fastRetries())
	b.stop() // nothing is delivered: Close has to fail what is buffered
	ctx := t.Context()
	for range 200 {
		if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	flushErrs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { flushErrs <- m.Flush(ctx) })
	}
	for range 4 {
		wg.Go(func() {
			for q.Publish(ctx, QueryEvent{Type: QueryAsync}) == nil {
			}
		})
	}
	closeCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	closeErr := within(t, "Close during Flush", func() error { return m.Close(closeCtx) })
	within(t, "Flush during Close", func() bool { wg.Wait(); return true })
	close(flushErrs)
	if !errors.As(closeErr, new(*eventmanager.UndeliveredError)) {
		t.Errorf("Close = %v, want *eventmanager.UndeliveredError", closeErr)
	}
	waitFor(t, "every outcome", func() bool { return m.Stats().Total.Pending() == 0 })
	st := m.Stats().Total
	checkAccount(t, st)
	for err := range flushErrs {
		// Each Flush waited for at least the first 200 events, all of
		// which failed at Close.
		var ue *eventmanager.UndeliveredError
		if !errors.As(err, &ue) || ue.Op != "flush" || ue.Count < 200 || ue.Count > int64(st.Published) {
			t.Errorf("Flush during Close = %v, want an *UndeliveredError counting 200 to %d events", err, st.Published)
		}
	}
	if err := m.Flush(ctx); err != nil {
		t.Errorf("Flush after Close = %v, want nil (nothing left)", err)
	}
}

// TestFlushNothingPending flushes with an expired ctx: nil when nothing
// accepted is unsent, in every mode and before Initialize.
func TestFlushNothingPending(t *testing.T) {
	expired, cancel := context.WithCancel(t.Context())
	cancel()
	env := newKafkaEnv(t, false)
	m, q := startQueries(t, env.cfg)
	if err := m.Flush(expired); err != nil {
		t.Errorf("Flush of an idle manager with an expired ctx = %v, want nil", err)
	}
	if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(expired); err != nil {
		t.Errorf("Flush after delivery with an expired ctx = %v, want nil", err)
	}
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]func() config.Config{"mock": mockConfig, "disabled": disabledConfig} {
		m, err := eventmanager.New(cfg(), eventmanager.WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Flush(expired); err != nil {
			t.Errorf("%s mode: Flush before Initialize = %v, want nil", name, err)
		}
	}
	fresh, err := eventmanager.New(env.cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Flush(expired); err != nil {
		t.Errorf("Kafka mode: Flush before Initialize = %v, want nil", err)
	}
	if err := fresh.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestFlushWithTracing is issue 24's #2: with franz-go's OpenTelemetry
// plugin installed, kotel replaces each record's Context with a context
// derived from it (the record's "publish" span). Flush must still find
// each event's epoch: it returns nil once the events are delivered, rather
// than waiting for its whole ctx and calling delivered events undelivered.
func TestFlushWithTracing(t *testing.T) {
	env := newKafkaEnv(t, false)
	tracer := kotel.NewTracer(kotel.TracerProvider(noop.NewTracerProvider()))
	hooks := kotel.NewKotel(kotel.WithTracer(tracer)).Hooks()
	m, q := startQueries(t, env.cfg, eventmanager.WithKafkaOptions(kgo.WithHooks(hooks...)))
	const n = 50
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := within(t, "Flush with kotel", func() error { return m.Flush(ctx) }); err != nil {
		t.Fatalf("Flush with kotel installed = %v, want nil (stats %+v)", err, m.Stats().Total)
	}
	if st := m.Stats().Total; st.Delivered != n {
		t.Fatalf("stats after Flush %+v, want %d delivered", st, n)
	}
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}
