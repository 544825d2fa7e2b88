package eventmanager_test

// Regression tests of issue 12 ("keep every promise under faults"), each
// named after the defect it reproduces (#n). They run against kfake and
// registrytest; the security defects (#15-#17) are checked against a real
// broker by make test-stack.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// liveness bounds how long a call that must return promptly may take before
// the test calls it stuck. It is not a performance target: the calls under
// test return in milliseconds, and the defects they reproduce blocked for
// 10 s to forever (or for the hour the tests configure where the old code
// waited for a franz-go or METRICS_BLOCK_TIMEOUT bound).
const liveness = 30 * time.Second

// dialLiveness is the bound of calls that the old code held for franz-go's
// dial timeout (10 s, fixed) against a broker that never answers, with a
// ctx of 300 ms: half the dial timeout, 16 times the ctx.
const dialLiveness = 5 * time.Second

// within runs f in a goroutine and fails the test if it has not returned
// within liveness.
func within[R any](t *testing.T, what string, f func() R) R {
	t.Helper()
	return withinD(t, liveness, what, f)
}

// withinD is within with a bound of d.
func withinD[R any](t *testing.T, d time.Duration, what string, f func() R) R {
	t.Helper()
	done := make(chan R, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
		panic("unreachable")
	}
}

// registryProxy stands in front of a registrytest server and answers as an
// ingress does while the registry behind it restarts: 503, a 404 page, a
// 401, or garbage with status 200.
type registryProxy struct {
	mode atomic.Value // string: "ok", "503", "404", "401", "garbage"
	url  string
}

func newRegistryProxy(t *testing.T, backend *registrytest.Server) *registryProxy {
	t.Helper()
	target, err := url.Parse(backend.URL())
	if err != nil {
		t.Fatal(err)
	}
	p := &registryProxy{}
	p.mode.Store("ok")
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p.mode.Load().(string) {
		case "503":
			http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
		case "404":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<html><body>404 Not Found</body></html>"))
		case "401":
			http.Error(w, "unauthorized", http.StatusUnauthorized)
		case "garbage":
			_, _ = w.Write([]byte("<html>welcome to nginx</html>"))
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *registryProxy) set(mode string) { p.mode.Store(mode) }

// totalsAdd up checks the account after Close: every accepted event has an
// outcome.
func checkAccount(t *testing.T, st eventmanager.EventStats) {
	t.Helper()
	if st.Pending() != 0 || st.Published != st.Delivered+st.Failed+st.Unknown {
		t.Errorf("stats %+v: want every accepted event delivered, failed or unknown", st)
	}
}

// TestNoSchemaIDZero is #1: a Publish that waits for room while the schema
// is being registered in the background, and wakes once the registration
// flushed the pending events, must send the registered id, never 0.
func TestNoSchemaIDZero(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.registry.SetDown(true)
	cfg := faultConfig(env.cfg.Kafka.BootstrapServers[0], env.registry.URL())
	const room, waiting = 20, 40
	cfg.Delivery.MaxBufferedEvents = room
	cfg.Delivery.BlockTimeout = time.Hour
	m, q := startQueries(t, cfg, fastRetries())
	ctx := t.Context()
	for range room {
		if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, waiting)
	var started sync.WaitGroup
	started.Add(waiting)
	for range waiting {
		wg.Go(func() {
			started.Done()
			errs <- q.Publish(ctx, QueryEvent{Type: QueryAsync})
		})
	}
	started.Wait()
	time.Sleep(20 * time.Millisecond) // let them encode and wait for room (not a timing assertion)
	env.registry.SetDown(false)
	within(t, "the waiting Publish calls", func() bool { wg.Wait(); return true })
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// countIDs fails on any record whose schema id is not the registered one.
	if got := len(countIDs(t, cfg.Kafka.BootstrapServers[0], cfg.Topic(), room+waiting, q.SchemaID())); got != room+waiting {
		t.Errorf("%d distinct events, want %d", got, room+waiting)
	}
}

// TestCloseWithTightPublishers is #5: Publish calls in tight loops on many
// goroutines must not keep Close from returning, and the account must be
// exact afterwards.
func TestCloseWithTightPublishers(t *testing.T) {
	env := newKafkaEnv(t, false)
	m, q := startQueries(t, env.cfg)
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
				_ = q.Publish(context.Background(), QueryEvent{Type: QuerySync})
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // publish for a while (not a timing assertion)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	err := within(t, "Close with 16 publishing goroutines", func() error { return m.Close(ctx) })
	close(stop)
	wg.Wait()
	// When ctx ended before the client finished closing, Close returned
	// with the rest counted as not delivered and of unknown outcome; their
	// final outcome reaches Stats when the client reports it.
	waitFor(t, "the client to report every outcome", func() bool { return m.Stats().Total.Pending() == 0 })
	st := m.Stats().Total
	checkAccount(t, st)
	var ue *eventmanager.UndeliveredError
	switch {
	case errors.As(err, &ue):
		// Not delivered when Close returned: what failed or stayed unknown,
		// and at most as many as were later delivered on top of those.
		if ue.Count < int64(st.Failed+st.Unknown) || ue.Count > int64(st.Published-st.Delivered)+ue.Unknown {
			t.Errorf("UndeliveredError %+v, stats %+v: want Failed+Unknown <= Count <= Published-Delivered+Unknown", ue, st)
		}
		if ue.Count-ue.Unknown > int64(st.Failed) {
			t.Errorf("UndeliveredError %+v, stats %+v: the certain failures (Count-Unknown) exceed Failed", ue, st)
		}
	case err != nil:
		t.Errorf("Close: %v", err)
	}
	if err := q.Publish(context.Background(), QueryEvent{}); !errors.Is(err, eventmanager.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
}

// TestCloseEndsWaitForRoom is #6: a Publish waiting for room
// (METRICS_BLOCK_TIMEOUT) gives up with ErrClosed when Close begins, and
// does not hold Close until its own timeout.
func TestCloseEndsWaitForRoom(t *testing.T) {
	cfg, b := restartableSetup(t, func(cfg *config.Config) {
		cfg.Delivery.MaxBufferedEvents = 1
		cfg.Delivery.BlockTimeout = time.Hour
	})
	m, q := startQueries(t, cfg, fastRetries())
	b.stop()
	ctx := t.Context()
	if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan error, 1)
	go func() { waiting <- q.Publish(ctx, QueryEvent{Type: QueryAsync}) }()
	time.Sleep(20 * time.Millisecond) // let it wait for room (not a timing assertion)
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err := within(t, "Close while a Publish waits for room", func() error { return m.Close(cctx) })
	if !errors.As(err, new(*eventmanager.UndeliveredError)) {
		t.Errorf("Close = %v, want *eventmanager.UndeliveredError (the broker is down)", err)
	}
	if err := within(t, "the waiting Publish", func() error { return <-waiting }); !errors.Is(err, eventmanager.ErrClosed) {
		t.Errorf("waiting Publish = %v, want ErrClosed", err)
	}
	st := m.Stats().Total
	checkAccount(t, st)
	if st.Published != 1 || st.Failed != 1 {
		t.Errorf("stats %+v, want the 1 accepted event failed (never sent: the broker was down)", st)
	}
}

// TestCloseExpiredNothingPending is #7: Close with an expired ctx and
// nothing to deliver succeeds, and logs no error.
func TestCloseExpiredNothingPending(t *testing.T) {
	for range 20 {
		env := newKafkaEnv(t, false)
		var logs bytes.Buffer
		m, q := startQueries(t, env.cfg, eventmanager.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "delivery", func() bool { return m.Stats().Total.Delivered == 1 })
		expired, cancel := context.WithCancel(t.Context())
		cancel()
		if err := m.Close(expired); err != nil {
			t.Fatalf("Close(expired ctx) with nothing pending = %v, want nil", err)
		}
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("logged an error: %s", logs.String())
		}
	}
}

// hangingRegistry answers every request only once released (or when the
// client gives up).
func hangingRegistry(t *testing.T) (url string, release func()) {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ch:
		case <-r.Context().Done():
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(release)
	return srv.URL, release
}

// TestStatsAndCloseDuringInitialize is #8: Stats never waits for
// Initialize's I/O, and Close ends it.
func TestStatsAndCloseDuringInitialize(t *testing.T) {
	env := newKafkaEnv(t, false)
	regURL, _ := hangingRegistry(t)
	cfg := faultConfig(env.cfg.Kafka.BootstrapServers[0], regURL)
	cfg.Registry.Timeout = time.Hour
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	initErr := make(chan error, 1)
	go func() { initErr <- m.Initialize(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // let Initialize reach the registry (not a timing assertion)
	within(t, "Stats during Initialize", func() eventmanager.Stats { return m.Stats() })
	if err := within(t, "Close during Initialize", func() error { return m.Close(t.Context()) }); err != nil {
		t.Errorf("Close = %v, want nil (nothing was accepted)", err)
	}
	if err := within(t, "Initialize after Close", func() error { return <-initErr }); !errors.Is(err, eventmanager.ErrClosed) {
		t.Errorf("Initialize = %v, want ErrClosed", err)
	}
}

// blackHole accepts TCP connections and never answers.
func blackHole(t *testing.T) string { return blackHoleAt(t, "127.0.0.1:0") }

// blackHoleAt is blackHole on a given address.
func blackHoleAt(t *testing.T, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

// TestBlackHoleBroker is #9: a broker that accepts TCP and never answers
// holds Initialize no longer than its ctx (the old code waited for
// franz-go's 10 s dial timeout and returned a dial error).
func TestBlackHoleBroker(t *testing.T) {
	reg := registrytest.NewServer()
	t.Cleanup(reg.Close)
	for _, raise := range []bool{false, true} {
		cfg := faultConfig(blackHole(t), reg.URL())
		cfg.RaiseOnError = raise
		m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		// The ctx is cancelled, not timed out, so that its error
		// (context.Canceled) tells it ended Initialize, not a timeout of
		// franz-go's.
		ictx, cancel := context.WithCancel(t.Context())
		timer := time.AfterFunc(300*time.Millisecond, cancel)
		err = withinD(t, dialLiveness, "Initialize against a black hole", func() error { return m.Initialize(ictx) })
		timer.Stop()
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("raise=%v: Initialize = %v, want the ctx's error", raise, err)
		}
		cctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		if err := within(t, "Close against a black hole", func() error { return m.Close(cctx) }); err != nil {
			t.Errorf("raise=%v: Close = %v, want nil (nothing accepted)", raise, err)
		}
		cancel()
	}
}

// holeDialer is a franz-go dialer (kgo.Dialer) that connects to the broker
// until swallow is called; it then cuts the connections it made and
// connects every later dial to a black hole: TCP is accepted, nothing is
// ever answered, as from a broker host that hangs.
type holeDialer struct {
	mu    sync.Mutex
	hole  string // the black hole's address, once swallowing
	conns []net.Conn
}

func (d *holeDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	if d.hole != "" {
		addr = d.hole
	}
	d.mu.Unlock()
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

func (d *holeDialer) swallow(hole string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hole = hole
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

// TestBlackHoleBrokerAtClose is #9 at Close: with events accepted and the
// broker turned into a black hole, Close returns at its ctx (the old code
// waited for franz-go's dial timeout, 10 s: its Close waits for a
// connection's first request) and counts the events as not delivered.
func TestBlackHoleBrokerAtClose(t *testing.T) {
	env := newKafkaEnv(t, false)
	d := &holeDialer{}
	cfg := env.cfg
	m, q := startQueries(t, cfg, eventmanager.WithKafkaOptions(kgo.Dialer(d.dial),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond })))
	d.swallow(blackHole(t))
	const n = 10
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // let the client dial the black hole (not a timing assertion)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := withinD(t, dialLiveness, "Close against a black hole", func() error { return m.Close(ctx) })
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != n {
		t.Fatalf("Close = %v, want *UndeliveredError{Count: %d}", err, n)
	}
	waitFor(t, "the closing client to report every event", func() bool { return m.Stats().Total.Pending() == 0 })
	checkAccount(t, m.Stats().Total)
}

// TestBlackHoleBrokerInBackground is #9 in background mode: the broker
// refused connections at start-up (Initialize succeeded, the connection is
// retried in the background) and then accepts TCP without ever answering.
// Close returns at its ctx: the old code waited for the background attempt,
// which franz-go held for its 10 s dial timeout.
func TestBlackHoleBrokerInBackground(t *testing.T) {
	reg := registrytest.NewServer()
	t.Cleanup(reg.Close)
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	m, err := eventmanager.New(faultConfig(addr, reg.URL()), eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatalf("Initialize with the broker refusing connections: %v", err)
	}
	q, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query")
	if err != nil {
		t.Fatal(err)
	}
	blackHoleAt(t, addr)
	for range 10 {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the background attempt reach the black hole (not a timing assertion)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err = withinD(t, dialLiveness, "Close against a black hole", func() error { return m.Close(ctx) })
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != 10 {
		t.Fatalf("Close = %v, want *UndeliveredError{Count: 10}", err)
	}
}

// TestInFlightAtClose is #10: records in a Produce request the broker has
// not answered when Close's ctx expires may still land; they must not be
// counted Failed (certainly not written), and UndeliveredError.Count must
// match the account after Close.
func TestInFlightAtClose(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("needs kfake's ControlKey")
	}
	m, q := startQueries(t, env.cfg)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	env.cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		env.cluster.KeepControl()
		signalTest(entered)
		env.cluster.SleepControl(func() { <-release })
		return nil, nil, false
	})
	const n = 100
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := within(t, "Close with a request in flight", func() error { return m.Close(ctx) })
	close(release)
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) {
		t.Fatalf("Close = %v, want *UndeliveredError", err)
	}
	st := m.Stats().Total
	checkAccount(t, st)
	if ue.Count != int64(st.Failed+st.Unknown) || ue.Unknown != int64(st.Unknown) {
		t.Errorf("UndeliveredError %+v, stats %+v: want Count = Failed+Unknown and Unknown = Unknown", ue, st)
	}
	if st.Unknown == 0 {
		t.Errorf("stats %+v: records in flight at Close must be counted Unknown", st)
	}
	// What lands is at most what was not counted Failed.
	landed := countLanded(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic())
	if landed > int(st.Published-st.Failed) {
		t.Errorf("%d records landed, but %d of %d were counted Failed (certainly not written)", landed, st.Failed, st.Published)
	}
}

// signalTest sends on a channel of capacity 1 without blocking.
func signalTest(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// countLanded returns how many records topic holds, once the broker has
// written what it was still handling.
func countLanded(t *testing.T, brokers []string, topic string) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var total int64
	waitFor(t, "the broker to settle", func() bool {
		ends, err := adm.ListEndOffsets(t.Context(), topic)
		if err != nil {
			return false
		}
		var sum int64
		ends.Each(func(o kadm.ListedOffset) { sum += o.Offset })
		if sum == total && sum > 0 {
			return true
		}
		total = sum
		time.Sleep(50 * time.Millisecond)
		return false
	})
	return int(total)
}

// TestBackgroundRefusalsRetried is #11: answers that look final during
// background registration and connection (a 404 page, a 401, garbage with
// status 200) do not break the publisher for good: Check names the error
// while it lasts, and everything is delivered once the registry is back.
func TestBackgroundRefusalsRetried(t *testing.T) {
	for _, mode := range []string{"404", "401", "garbage"} {
		t.Run(mode, func(t *testing.T) {
			env := newKafkaEnv(t, false)
			proxy := newRegistryProxy(t, env.registry)
			proxy.set("503")
			cfg := faultConfig(env.cfg.Kafka.BootstrapServers[0], proxy.url)
			ctx := t.Context()
			m, q := startQueries(t, cfg, fastRetries()) // succeeds with the registry down
			proxy.set(mode)
			for range 50 {
				if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "Check to name the refusal", func() bool {
				err := m.Check(ctx)
				return err != nil && strings.Contains(err.Error(), "connect: ") && strings.Contains(err.Error(), "register ")
			})
			proxy.set("ok")
			waitFor(t, "readiness once the registry is back", func() bool { return m.Check(ctx) == nil })
			if err := m.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if st := m.Stats().Total; st.Delivered != 50 {
				t.Errorf("stats %+v, want 50 delivered", st)
			}
			countIDs(t, cfg.Kafka.BootstrapServers[0], cfg.Topic(), 50, q.SchemaID())
		})
	}
}

// TestTopicRecreated is #12: after the topic is deleted and recreated, the
// events are delivered to the new topic without a restart.
func TestTopicRecreated(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("deletes and recreates the topic on kfake")
	}
	m, q := startQueries(t, env.cfg, fastRetries())
	ctx := t.Context()
	for range 10 {
		if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the first events", func() bool { return m.Stats().Total.Delivered == 10 })
	topic := env.cfg.Topic()
	if err := env.cluster.DeleteTopic(topic); err != nil {
		t.Fatal(err)
	}
	if err := env.cluster.CreateTopic(topic, 2, nil); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if err := q.Publish(ctx, QueryEvent{Type: QueryAsync}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	waitFor(t, "every event delivered to the new topic", func() bool { return m.Stats().Total.Delivered == 110 })
	waitFor(t, "readiness", func() bool { return m.Check(ctx) == nil })
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats().Total; st.Failed != 0 || st.Delivered != 110 {
		t.Errorf("stats %+v, want 110 delivered, none failed", st)
	}
	countIDs(t, env.cfg.Kafka.BootstrapServers[0], topic, 100, q.SchemaID())
}

// TestProducerIDRefused is #13: a broker that refuses this client an
// idempotent producer id (CLUSTER_AUTHORIZATION_FAILED, no IDEMPOTENT_WRITE
// ACL on brokers before 3.0) is a *TopicError from Initialize in every mode,
// not a client whose every event fails while Check says ready.
func TestProducerIDRefused(t *testing.T) {
	for _, raise := range []bool{false, true} {
		env := newKafkaEnv(t, false)
		if env.cluster == nil {
			t.Skip("needs kfake's ControlKey")
		}
		env.cluster.ControlKey(int16(kmsg.InitProducerID), func(req kmsg.Request) (kmsg.Response, error, bool) {
			env.cluster.KeepControl()
			resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
			resp.ErrorCode = kerr.ClusterAuthorizationFailed.Code
			return resp, nil, true
		})
		err := initializeErr(t, env.cfg, raise)
		var te *eventmanager.TopicError
		if !errors.As(err, &te) || !errors.Is(err, kerr.ClusterAuthorizationFailed) || !strings.Contains(err.Error(), "IDEMPOTENT_WRITE") {
			t.Errorf("raise=%v: Initialize = %v, want a *TopicError naming IDEMPOTENT_WRITE", raise, err)
		}
	}
}

// TestPassedClientSmallerBuffer is #14: with a client whose own buffer is
// smaller than the SDK's (WithKafkaClient with kgo's default 50 000 records,
// or kgo.MaxBufferedRecords in WithKafkaOptions), events are counted either
// published or dropped, never both, Published never decreases, and the
// pending gauge drains.
func TestPassedClientSmallerBuffer(t *testing.T) {
	for _, passed := range []bool{true, false} {
		cfg, b := restartableSetup(t, nil)
		const limit = 1000
		var opts []eventmanager.Option
		if passed {
			cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.BootstrapServers...), kgo.DefaultProduceTopic(cfg.Topic()),
				kgo.MaxBufferedRecords(limit), kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.Close)
			cfg.Delivery.DeliveryTimeout = 0 // the client's own applies (a conflict otherwise)
			opts = append(opts, eventmanager.WithKafkaClient(cl))
		} else {
			opts = append(opts, fastRetries(), eventmanager.WithKafkaOptions(kgo.MaxBufferedRecords(limit)))
		}
		m, q := startQueries(t, cfg, opts...)
		b.stop()
		const n = 3 * limit
		var last uint64
		for i := range n {
			if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
				t.Fatal(err)
			}
			if i%10 == 0 {
				if p := m.Stats().Total.Published; p < last {
					t.Fatalf("passed=%v: Published went down from %d to %d", passed, last, p)
				} else {
					last = p
				}
			}
		}
		b.start(false)
		waitFor(t, "the accepted events to be delivered", func() bool {
			st := m.Stats().Total
			return st.Pending() == 0 && st.Delivered > 0
		})
		st := m.Stats().Total
		if st.Published+st.Dropped != n || st.Delivered != st.Published || st.Published > limit {
			t.Errorf("passed=%v: stats %+v: want published+dropped = %d, all published delivered, at most %d published", passed, st, n, limit)
		}
		if err := m.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTopicNotAuthorized is #16: a broker that answers the topic's metadata
// with TOPIC_AUTHORIZATION_FAILED (kadm then returns it as the call's
// error) is a *TopicError from Initialize in every mode.
func TestTopicNotAuthorized(t *testing.T) {
	for _, raise := range []bool{false, true} {
		env := newKafkaEnv(t, false)
		if env.cluster == nil {
			t.Skip("needs kfake's ControlKey")
		}
		topic := env.cfg.Topic()
		env.cluster.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
			env.cluster.KeepControl()
			mreq := req.(*kmsg.MetadataRequest)
			if len(mreq.Topics) != 1 || mreq.Topics[0].Topic == nil || *mreq.Topics[0].Topic != topic {
				return nil, nil, false
			}
			resp := req.ResponseKind().(*kmsg.MetadataResponse)
			host, port := splitHostPort(t, env.cfg.Kafka.BootstrapServers[0])
			resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: 0, Host: host, Port: port}}
			rt := kmsg.NewMetadataResponseTopic()
			rt.Topic = &topic
			rt.ErrorCode = kerr.TopicAuthorizationFailed.Code
			resp.Topics = append(resp.Topics, rt)
			return resp, nil, true
		})
		err := initializeErr(t, env.cfg, raise)
		var te *eventmanager.TopicError
		if !errors.As(err, &te) || !errors.Is(err, kerr.TopicAuthorizationFailed) {
			t.Errorf("raise=%v: Initialize = %v, want a *TopicError (not authorized)", raise, err)
		}
	}
}

// initializeErr builds a manager for cfg with METRICS_RAISE_ON_ERROR = raise
// and returns what Initialize returns; the manager is closed.
func initializeErr(t *testing.T, cfg config.Config, raise bool) error {
	t.Helper()
	cfg.RaiseOnError = raise
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close(t.Context()) }()
	return m.Initialize(t.Context())
}

func splitHostPort(t *testing.T, addr string) (string, int32) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var p int32
	for _, c := range port {
		p = p*10 + int32(c-'0')
	}
	return host, p
}

// TestDeliveryRefusedCheck is #13's second half: while the broker refuses
// deliveries for lack of authorization (which franz-go does not retry),
// Check says so; once a delivery succeeds, Check is ready again.
func TestDeliveryRefusedCheck(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("needs kfake's ControlKey")
	}
	m, q := startQueries(t, env.cfg)
	var refuse atomic.Bool
	refuse.Store(true)
	env.cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		env.cluster.KeepControl()
		if !refuse.Load() {
			return nil, nil, false
		}
		return produceError(req, kerr.TopicAuthorizationFailed), nil, true
	})
	ctx := t.Context()
	if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused delivery", func() bool { return m.Stats().Total.Failed == 1 })
	if err := m.Check(ctx); err == nil || !strings.Contains(err.Error(), "TOPIC_AUTHORIZATION_FAILED") {
		t.Errorf("Check after a refused delivery = %v, want it named", err)
	}
	refuse.Store(false)
	if err := q.Publish(ctx, QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a delivery", func() bool { return m.Stats().Total.Delivered == 1 })
	if err := m.Check(ctx); err != nil {
		t.Errorf("Check after a delivery = %v, want nil", err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestFranzGoQuiet is a trap of issue 13: franz-go's chatter (half a dozen
// INFO lines at a normal start, two WARN lines a second while the broker is
// down) stays at DEBUG; the application's INFO log shows only the SDK's own
// lines. At DEBUG, franz-go's lines are there.
func TestFranzGoQuiet(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		cfg, b := restartableSetup(t, nil)
		var logs testkit.Buffer
		m, q := startQueries(t, cfg, eventmanager.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))), fastRetries())
		b.stop()
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // let franz-go retry the dead broker (not a timing assertion)
		b.start(false)
		if err := m.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		franz := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "component=franz-go") {
				franz++
				if level == slog.LevelInfo {
					t.Errorf("franz-go line in the INFO log: %s", line)
				}
			}
		}
		if level == slog.LevelDebug && franz == 0 {
			t.Errorf("no franz-go line in the DEBUG log")
		}
	}
}

// TestSharedClientFull: a client passed by WithKafkaClient whose buffer
// another producer filled refuses the SDK's records (kgo.ErrMaxBuffered)
// after Publish accepted them: they are Failed (certainly not written), and
// Published never decreases (issue 24, item 16: it was un-counted, though
// eventmanager/prom exports it as a _total counter).
func TestSharedClientFull(t *testing.T) {
	cfg, b := restartableSetup(t, nil)
	const limit = 10
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Kafka.BootstrapServers...), kgo.DefaultProduceTopic(cfg.Topic()),
		kgo.MaxBufferedRecords(limit), kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	cfg.Delivery.DeliveryTimeout = 0 // the client's own applies (a conflict otherwise)
	m, q := startQueries(t, cfg, eventmanager.WithKafkaClient(cl))
	b.stop()
	for range limit { // the other producer of the shared client fills it
		cl.TryProduce(context.Background(), &kgo.Record{Value: []byte("other")}, func(*kgo.Record, error) {})
	}
	const n = limit / 2 // within the SDK's own bound, which follows the client's
	var last uint64
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
		p := m.Stats().Total.Published
		if p < last {
			t.Fatalf("Published went down from %d to %d", last, p)
		}
		last = p
	}
	waitFor(t, "the client to refuse the records", func() bool { return m.Stats().Total.Pending() == 0 })
	st := m.Stats().Total
	if st.Published != n || st.Failed != n || st.Dropped != 0 || st.Pending() != 0 {
		t.Errorf("stats %+v: want %d published and failed (the client refused them), none dropped or pending", st, n)
	}
	b.start(false)
}
