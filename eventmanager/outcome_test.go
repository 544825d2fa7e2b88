package eventmanager_test

// Regression tests of issue 24's items on the account of outcomes: what
// Flush reports when Close fails its events (#3), and which events Close
// counts Unknown (#5).

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// holdRequests makes the broker hold every request of kind key until the
// test ends (or release is called). entered receives once a request is held.
func holdRequests(t *testing.T, c *kfake.Cluster, key kmsg.Key) (entered <-chan struct{}, release func()) {
	t.Helper()
	ch := make(chan struct{}, 1)
	done := make(chan struct{})
	var released bool
	release = func() {
		if !released {
			released = true
			close(done)
		}
	}
	t.Cleanup(release)
	c.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		signalTest(ch)
		c.SleepControl(func() { <-done })
		return nil, nil, false
	})
	return ch, release
}

// produceWritten is a franz-go hook that signals each Produce request
// written to a broker. The manager's own hooks run before those of
// WithKafkaOptions, so when it fires the manager has seen the write.
type produceWritten chan struct{}

// clientClosed is closed when the Kafka client finished closing
// (kgo.HookClientClosed): its requests are aborted by then, so that a
// request the broker holds can be released without its answer reaching
// the client. Close returns at its ctx, possibly before the client's own
// Close got that far; a test releasing the request earlier would see it
// answered.
type clientClosed chan struct{}

func (c clientClosed) OnClientClosed(*kgo.Client) { close(c) }

// awaitClosed waits for c, within the tests' bound.
func (c clientClosed) awaitClosed(t *testing.T) {
	t.Helper()
	within(t, "the Kafka client to close", func() error { <-c; return nil })
}

func (w produceWritten) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == int16(kmsg.Produce) && err == nil {
		signalTest(w)
	}
}

// TestFlushDuringCloseAgreesWithStats is #3: a Flush waiting while Close
// has to close the client with a Produce request unanswered reports the
// events that may be in the topic as Unknown, as Stats does, never as
// certainly not written.
func TestFlushDuringCloseAgreesWithStats(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("needs kfake's ControlKey")
	}
	written, closed := make(produceWritten, 1), make(clientClosed)
	m, q := startQueries(t, env.cfg, eventmanager.WithKafkaOptions(kgo.WithHooks(written, closed)))
	entered, release := holdRequests(t, env.cluster, kmsg.Produce)
	const n = 200
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	<-written
	flushed := make(chan error, 1)
	go func() { flushed <- m.Flush(t.Context()) }()
	// Flush has begun once it waits: its events are the 200.
	waitFor(t, "Flush to wait", func() bool { return len(flushed) == 0 })
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	closeErr := within(t, "Close with a request in flight", func() error { return m.Close(ctx) })
	flushErr := within(t, "Flush during Close", func() error { return <-flushed })
	closed.awaitClosed(t)
	release()
	st := m.Stats().Total
	checkAccount(t, st)
	if st.Unknown == 0 {
		t.Fatalf("stats %+v: the events of the unanswered request must be Unknown", st)
	}
	var ue *eventmanager.UndeliveredError
	if !errors.As(flushErr, &ue) || ue.Op != "flush" {
		t.Fatalf("Flush = %v, want an *UndeliveredError", flushErr)
	}
	if ue.Count != n || ue.Unknown != int64(st.Unknown) || ue.Count-ue.Unknown != int64(st.Failed) {
		t.Errorf("Flush = %+v, stats %+v: want Count %d, Unknown = Stats' Unknown, Count-Unknown = Stats' Failed", ue, st, n)
	}
	var ce *eventmanager.UndeliveredError
	if !errors.As(closeErr, &ce) || ce.Unknown != int64(st.Unknown) {
		t.Errorf("Close = %v, stats %+v: want Unknown = Stats' Unknown", closeErr, st)
	}
	if landed := countLanded(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic()); landed > int(st.Published-st.Failed) {
		t.Errorf("%d events landed, but %d of %d were reported certainly not written", landed, st.Failed, st.Published)
	}
}

// TestUnknownOnlyWhatWasSent is #5: with one Produce request unanswered at
// Close, the events published after it was written certainly are not in
// the topic: Failed, not Unknown.
func TestUnknownOnlyWhatWasSent(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("needs kfake's ControlKey")
	}
	written, closed := make(produceWritten, 1), make(clientClosed)
	m, q := startQueries(t, env.cfg, eventmanager.WithKafkaOptions(kgo.WithHooks(written, closed)))
	entered, release := holdRequests(t, env.cluster, kmsg.Produce)
	const first, later = 10, 2000
	for range first {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	<-written
	for range later {
		if err := q.Publish(t.Context(), QueryEvent{Type: QueryAsync}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := within(t, "Close with a request in flight", func() error { return m.Close(ctx) })
	closed.awaitClosed(t)
	release()
	waitFor(t, "every outcome reported", func() bool { return m.Stats().Total.Pending() == 0 })
	st := m.Stats().Total
	checkAccount(t, st)
	if st.Unknown == 0 || st.Unknown > first {
		t.Errorf("stats %+v: want 1 to %d Unknown (the events of the request in flight), the %d published after it Failed", st, first, later)
	}
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != int64(st.Failed+st.Unknown) || ue.Unknown != int64(st.Unknown) {
		t.Errorf("Close = %v, stats %+v: want Count = Failed+Unknown, Unknown = Unknown", err, st)
	}
	if landed := countLanded(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic()); landed > int(st.Published-st.Failed) {
		t.Errorf("%d events landed, but %d of %d were counted Failed", landed, st.Failed, st.Published)
	}
}

// TestUnknownBoundedPerPartition is #5 where every event was handed to the
// client before the last Produce request was written: the broker dropped
// the connection of the first request unanswered, and holds the request
// that sends its batches again. Per partition, only the oldest events that
// fit in the requests allowed in flight may have been written; the rest
// are Failed.
func TestUnknownBoundedPerPartition(t *testing.T) {
	env := newKafkaEnv(t, false)
	if env.cluster == nil {
		t.Skip("needs kfake's ControlKey")
	}
	const batchBytes = 1024
	written := make(produceWritten, 1)
	m, q := startQueries(t, env.cfg, fastRetries(),
		eventmanager.WithKafkaOptions(kgo.WithHooks(written), kgo.ProducerBatchMaxBytes(batchBytes)))
	c := env.cluster
	first, again := make(chan struct{}, 1), make(chan struct{}, 1)
	drop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(done) })
	var requests atomic.Int32
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if requests.Add(1) == 1 {
			signalTest(first)
			c.SleepControl(func() { <-drop })
			return nil, errors.New("connection dropped"), true
		}
		signalTest(again)
		c.SleepControl(func() { <-done })
		return nil, nil, false
	})
	const n = 2000
	publish := func(n int) {
		for range n {
			if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
				t.Fatal(err)
			}
		}
	}
	publish(1)
	<-first
	<-written
	publish(n - 1)
	close(drop)
	<-again
	<-written
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_ = within(t, "Close with a request in flight", func() error { return m.Close(ctx) })
	// Close returns at its ctx even when franz-go's close outlives it; the
	// outcomes it has not reported yet follow (docs/delivery.md).
	waitFor(t, "every outcome reported", func() bool { return m.Stats().Total.Pending() == 0 })
	st := m.Stats().Total
	checkAccount(t, st)
	// Two partitions, five requests in flight at most (franz-go's
	// idempotent producer), a batch of at most batchBytes per partition and
	// request, each event more than 64 bytes in a batch.
	const bound = 2 * 5 * batchBytes / 64
	if st.Unknown == 0 || st.Unknown > bound {
		t.Errorf("stats %+v: want 1 to %d Unknown, the rest Failed", st, bound)
	}
	if st.Delivered != 0 {
		t.Fatalf("stats %+v: nothing may be delivered (the broker answers no Produce request)", st)
	}
}

// TestUndeliveredErrorWords is #5's words: no "(0 of them ...)", the
// singular for one event, and "all" when every one may be in the topic.
func TestUndeliveredErrorWords(t *testing.T) {
	cause := context.DeadlineExceeded
	for _, tc := range []struct {
		count, unknown int64
		want, not      string
	}{
		{200, 0, "eventmanager: close: 200 accepted events not delivered: context deadline exceeded", "of them"},
		{1, 0, "eventmanager: close: 1 accepted event not delivered: context deadline exceeded", "events"},
		{1, 1, "eventmanager: close: 1 accepted event not delivered (its outcome is unknown: ", "of them"},
		{200, 36, "eventmanager: close: 200 accepted events not delivered (36 of them with an unknown outcome: ", "all"},
		{200, 200, "eventmanager: close: 200 accepted events not delivered (all with an unknown outcome: ", "of them"},
	} {
		got := (&eventmanager.UndeliveredError{Op: "close", Count: tc.count, Unknown: tc.unknown, Err: cause}).Error()
		if !strings.HasPrefix(got, tc.want) || strings.Contains(got, tc.not) {
			t.Errorf("Count %d, Unknown %d: %q, want it to begin with %q and not to say %q", tc.count, tc.unknown, got, tc.want, tc.not)
		}
	}
}

// TestCloseEarlyLogWords is #5's words: Close that returns before its ctx
// ends (the schema of pending events could not be registered) does not
// log "before close deadline".
func TestCloseEarlyLogWords(t *testing.T) {
	env := newKafkaEnv(t, false)
	env.registry.SetDown(true)
	log, logs := testkit.NewLogger(slog.LevelWarn)
	m, q := startQueries(t, faultConfig(env.cfg.Kafka.BootstrapServers[0], env.registry.URL()), fastRetries(), eventmanager.WithLogger(log))
	if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	err := within(t, "Close with the registry down", func() error { return m.Close(t.Context()) })
	if !errors.As(err, new(*eventmanager.UndeliveredError)) || t.Context().Err() != nil {
		t.Fatalf("Close = %v, want *eventmanager.UndeliveredError before its ctx ended", err)
	}
	if !strings.Contains(err.Error(), "1 accepted event not delivered: schema not registered") {
		t.Errorf("Close = %q, want it to say 1 accepted event not delivered: schema not registered", err)
	}
	if got := logs.String(); strings.Contains(got, "deadline") || !strings.Contains(got, "metrics events not delivered at close") {
		t.Errorf("log:\n%s\nwant \"metrics events not delivered at close\", no deadline", got)
	}
}

// TestFailuresReportedWithCount is what TestLongBrokerDown30s once showed
// (29 344 events Failed and no log line saying so): when the oldest batch
// of a partition outlives METRICS_DELIVERY_TIMEOUT, franz-go fails every
// record buffered for the partition at once, and the throttled log said
// failed_total=1 for the first of them and nothing more. The failures left
// unlogged are now reported, with their count and cause, once
// METRICS_LOG_INTERVAL has passed.
func TestFailuresReportedWithCount(t *testing.T) {
	cfg, b := restartableSetup(t, func(c *config.Config) {
		c.Delivery.DeliveryTimeout = time.Second
		c.Delivery.LogInterval = time.Second // the least METRICS_LOG_INTERVAL
	})
	log, logs := testkit.NewLogger(slog.LevelWarn)
	m, q := startQueries(t, cfg, fastRetries(), eventmanager.WithLogger(log))
	b.stop()
	const n = 500
	for range n {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the events to fail", func() bool { return m.Stats().Total.Failed == n })
	counted := func() (sum int) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if !strings.Contains(line, `msg="metrics events not delivered"`) {
				continue
			}
			var c int
			if _, err := fmt.Sscanf(line[strings.Index(line, " count=")+1:], "count=%d", &c); err != nil {
				t.Fatalf("no count in %q", line)
			}
			if !strings.Contains(line, "timed out") {
				t.Errorf("the line does not give the cause: %q", line)
			}
			sum += c
		}
		return sum
	}
	waitFor(t, "a log line for every failure", func() bool { return counted() == n })
	_ = m.Close(t.Context())
}
