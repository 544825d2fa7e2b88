//go:build cluster

package cluster_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// rate is the steady publication rate of each load, in events per second.
const rate = 1000

// seqEvent is the event of every scenario: its sequence number in its load.
type seqEvent struct {
	Seq int64
}

// newManager builds and initializes an event manager for app as a user would: config from
// the environment (Kafka mode, PLAINTEXT, the cluster's three brokers, the registry; extra
// variables in env), franz-go's producer defaults (acks=all, idempotence on), after creating
// its topic (CreateTopic). Its logs go to a file in the cluster's dir. The caller closes it (Close is checked).
func newManager(t *testing.T, c *Cluster, r *Registry, app string, env map[string]string) *eventmanager.Manager {
	t.Helper()
	vars := map[string]string{
		"METRICS_APP_NAME":            app,
		"METRICS_ENABLED":             "true",
		"METRICS_MOCK":                "false",
		"KAFKA_BOOTSTRAP_SERVERS":     c.Bootstrap,
		"KAFKA_SECURITY_PROTOCOL":     "PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL": r.URL,
	}
	maps.Copy(vars, env)
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	c.CreateTopic(t, cfg.Topic())
	logf, err := os.Create(filepath.Join(c.dir, app+".log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = m.Close(ctx)
		if t.Failed() {
			t.Logf("SDK log of %s: %s", app, logf.Name())
		}
	})
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	return m
}

// load publishes seqEvents through one publisher at a steady rate (sequence numbers 0, 1, ...)
// and watches the publisher's counters.
type load struct {
	name  string
	m     *eventmanager.Manager
	p     *eventmanager.Publisher[seqEvent]
	start time.Time
	stop  chan struct{}
	done  sync.WaitGroup

	mu        sync.Mutex
	attempted int64 // events passed to Publish
	maxLat    time.Duration
	err       error
	// Delivery progress, sampled every 10 ms.
	lastProgress time.Time
	lastDeliv    uint64
	maxStall     time.Duration // longest time without a delivery while events were pending
	// Catch-up after the fault: from faultEnd until delivered >= target.
	faultEnd time.Time
	target   uint64
	catchUp  time.Duration
}

// startLoad creates the publisher of event name on m and starts publishing.
func startLoad(t *testing.T, m *eventmanager.Manager, name string) *load {
	t.Helper()
	p, err := eventmanager.CreatePublisher[seqEvent](t.Context(), m, name)
	if err != nil {
		t.Fatalf("CreatePublisher %s: %v", name, err)
	}
	now := time.Now()
	l := &load{name: name, m: m, p: p, start: now, stop: make(chan struct{}), lastProgress: now}
	l.done.Add(2)
	go l.publish()
	go l.watch()
	t.Cleanup(l.Stop)
	return l
}

func (l *load) publish() {
	defer l.done.Done()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for seq := int64(0); ; {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		due := int64(time.Since(l.start).Seconds() * rate)
		for ; seq < due; seq++ {
			t0 := time.Now()
			err := l.p.Publish(context.Background(), seqEvent{Seq: seq})
			lat := time.Since(t0)
			l.mu.Lock()
			l.attempted = seq + 1
			l.maxLat = max(l.maxLat, lat)
			if err != nil && l.err == nil {
				l.err = fmt.Errorf("publish %d: %w", seq, err)
			}
			l.mu.Unlock()
		}
	}
}

func (l *load) stats() eventmanager.EventStats { return l.m.Stats().Events[l.name] }

func (l *load) watch() {
	defer l.done.Done()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		s, now := l.stats(), time.Now()
		l.mu.Lock()
		switch {
		case s.Delivered > l.lastDeliv:
			l.lastDeliv, l.lastProgress = s.Delivered, now
		case s.Pending() > 0:
			l.maxStall = max(l.maxStall, now.Sub(l.lastProgress))
		default:
			l.lastProgress = now
		}
		if !l.faultEnd.IsZero() && l.catchUp == 0 && s.Delivered >= l.target {
			l.catchUp = max(now.Sub(l.faultEnd), time.Millisecond)
		}
		l.mu.Unlock()
	}
}

// WaitDelivered waits until n events are delivered (the load is running and reaching Kafka).
func (l *load) WaitDelivered(t *testing.T, n uint64) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for l.stats().Delivered < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d events delivered after %v: %+v", l.name, l.stats().Delivered, n, readyTimeout, l.stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FaultEnded marks the end of the fault: catch-up is measured from now until every event
// accepted so far is delivered.
func (l *load) FaultEnded() {
	s := l.stats()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.faultEnd, l.target = time.Now(), s.Published
}

// WaitCaughtUp waits until the catch-up measured from FaultEnded is over.
func (l *load) WaitCaughtUp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		l.mu.Lock()
		done, target := l.catchUp > 0, l.target
		l.mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not caught up %v after the fault ended: %d of %d delivered (%+v)", l.name, readyTimeout, l.stats().Delivered, target, l.stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop stops publishing (idempotent).
func (l *load) Stop() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.done.Wait()
}

// row is one line of the report.
type row struct {
	Scenario                          string
	Attempted                         int64
	Accepted, Delivered, Dropped      uint64
	Consumed, Duplicates, Loss, Extra int64
	Reordered                         int
	Stall, CatchUp, MaxPublish        time.Duration
}

// Verify checks the load after its manager was closed: every accepted event is in topic
// exactly once, and Stats agrees with the topic (accepted == delivered == distinct sequence
// numbers read back, dropped == attempted - accepted, nothing failed, unknown or rejected).
// recs are the topic's records; those of other schemas are skipped. wantDrops says whether
// the scenario overflows the buffer (then at least one drop is required, else none).
func (l *load) Verify(t *testing.T, r *Registry, recs []*kgo.Record, wantDrops bool) row {
	t.Helper()
	l.Stop()
	id := l.p.SchemaID()
	if id == 0 {
		t.Fatalf("%s: schema never registered", l.name)
	}
	js, err := r.Schema(t.Context(), int(id))
	if err != nil {
		t.Fatalf("%s: the registry does not know the schema id its events carry: %v", l.name, err)
	}
	schema, err := avro.Parse(js)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[int64]int)
	var consumed int64
	reordered, prev := 0, int64(-1)
	for _, rec := range recs {
		if len(rec.Value) < 5 || rec.Value[0] != 0 || binary.BigEndian.Uint32(rec.Value[1:5]) != uint32(id) {
			continue
		}
		var v map[string]any
		if err := avro.Unmarshal(schema, rec.Value[5:], &v); err != nil {
			t.Fatalf("%s: decode offset %d: %v", l.name, rec.Offset, err)
		}
		seq, ok := v["seq"].(int64)
		if !ok {
			t.Fatalf("%s: offset %d has no long seq: %v", l.name, rec.Offset, v)
		}
		consumed++
		seen[seq]++
		if seq < prev {
			reordered++
		}
		prev = seq
	}
	s := l.stats()
	l.mu.Lock()
	defer l.mu.Unlock()
	out := row{Scenario: l.name, Attempted: l.attempted, Accepted: s.Published, Delivered: s.Delivered, Dropped: s.Dropped,
		Consumed: int64(len(seen)), Duplicates: consumed - int64(len(seen)), Reordered: reordered,
		Stall: l.maxStall, CatchUp: l.catchUp, MaxPublish: l.maxLat}
	for seq := range seen {
		if seq < 0 || seq >= l.attempted {
			out.Extra++
		}
	}
	out.Loss = int64(s.Published) - (out.Consumed - out.Extra)
	var bad []string
	if l.err != nil {
		bad = append(bad, l.err.Error())
	}
	if out.Duplicates != 0 {
		bad = append(bad, fmt.Sprintf("%d duplicate(s)", out.Duplicates))
	}
	if out.Extra != 0 {
		bad = append(bad, fmt.Sprintf("%d sequence number(s) never published", out.Extra))
	}
	if out.Loss != 0 {
		bad = append(bad, fmt.Sprintf("%d accepted event(s) not in the topic", out.Loss))
	}
	if s.Delivered != s.Published || uint64(out.Consumed) != s.Delivered {
		bad = append(bad, fmt.Sprintf("stats say %d accepted and %d delivered, the topic holds %d", s.Published, s.Delivered, out.Consumed))
	}
	if s.Failed+s.Unknown+s.Rejected != 0 {
		bad = append(bad, fmt.Sprintf("failed %d, unknown %d, rejected %d, want 0", s.Failed, s.Unknown, s.Rejected))
	}
	if int64(s.Published+s.Dropped) != l.attempted {
		bad = append(bad, fmt.Sprintf("accepted %d + dropped %d != %d published", s.Published, s.Dropped, l.attempted))
	}
	if wantDrops != (s.Dropped > 0) {
		bad = append(bad, fmt.Sprintf("dropped %d, want drops: %v", s.Dropped, wantDrops))
	}
	if len(bad) > 0 {
		t.Errorf("%s: %s (row %+v)", l.name, strings.Join(bad, "; "), out)
	}
	return out
}

// readAll reads every record of topic.
func readAll(t *testing.T, c *Cluster, topic string) []*kgo.Record {
	t.Helper()
	return testkit.ConsumeAll(t, topic, kgo.SeedBrokers(strings.Split(c.Bootstrap, ",")...))
}

// closeManager closes m (delivering what is pending) and fails the test on an error.
func closeManager(t *testing.T, m *eventmanager.Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}
