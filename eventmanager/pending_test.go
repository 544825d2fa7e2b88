package eventmanager

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

// pendingEvent is the event of TestPendingFlushLeavesPublishFree.
type pendingEvent struct {
	Seq int64
}

// flushHook calls onFlush for the first record the Kafka client buffers
// once armed (OnProduceRecordBuffered runs in the goroutine that produces).
type flushHook struct {
	mu      sync.Mutex
	armed   bool
	onFlush func()
}

func (h *flushHook) OnProduceRecordBuffered(*kgo.Record) {
	h.mu.Lock()
	f := h.onFlush
	if !h.armed {
		f = nil
	}
	h.armed = false
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

// TestPendingFlushLeavesPublishFree: a publisher created while the registry
// is down holds its events until the schema is registered. Sending that
// backlog (up to METRICS_MAX_BUFFERED_EVENTS events) must not hold the lock
// that Publish takes meanwhile: found by make test-cluster, where a Publish
// waited 143 ms for a 20 000-event backlog. While the first waiting event is
// handed to the Kafka client, the publisher's lock is free and a Publish
// returns; every event is then in the topic once, in publication order.
func TestPendingFlushLeavesPublishFree(t *testing.T) {
	const waiting = 1000
	topic := "lsst.square.metrics.events.pendingtest"
	cluster, reg := fakes.Start(t, topic, 1)
	reg.SetDown(true)

	hook := &flushHook{}
	cfg := config.Config{
		AppName:     "pendingtest",
		TopicPrefix: "lsst.square.metrics.events",
		Kafka:       config.Kafka{BootstrapServers: cluster.ListenAddrs(), SecurityProtocol: config.Plaintext},
		Registry:    config.Registry{URL: reg.URL(), Compatibility: "NONE", Timeout: 5 * time.Second},
		Delivery: config.Delivery{MaxBufferedEvents: 100000, MaxBufferedBytes: 64 << 20, DeliveryTimeout: 30 * time.Second,
			LogInterval: time.Minute, BackoffMax: 20 * time.Millisecond},
	}
	log, _ := testkit.NewLogger(slog.LevelError)
	m, err := New(cfg, WithLogger(log), WithKafkaOptions(kgo.WithHooks(hook)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	ctx := t.Context()
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := CreatePublisher[pendingEvent](ctx, m, "pending")
	if err != nil {
		t.Fatal(err)
	}
	if p.state.Load() != pubPending {
		t.Fatal("publisher not pending with the registry down: the test proves nothing")
	}
	for seq := range int64(waiting) {
		if err := p.Publish(ctx, pendingEvent{Seq: seq}); err != nil {
			t.Fatal(err)
		}
	}

	// errLockHeld is what the hook reports when p.mu is held.
	errLockHeld := errors.New("the publisher's lock was held while its waiting events were handed to the Kafka client: a Publish meanwhile waits for the whole backlog")
	published := make(chan error, 1)
	hook.mu.Lock()
	hook.armed = true
	hook.onFlush = func() {
		// The background registration is handing the first waiting event
		// to the client. Publish needs p.mu: it must be free (else the
		// Publish would wait for the whole backlog; here it would never
		// return, so it is only called when the lock is free).
		if !p.mu.TryLock() {
			published <- errLockHeld
			return
		}
		p.mu.Unlock()
		published <- p.Publish(context.Background(), pendingEvent{Seq: waiting})
	}
	hook.mu.Unlock()
	reg.SetDown(false)
	if err := <-published; err != nil {
		t.Fatalf("Publish during the flush: %v", err)
	}
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if s := m.Stats().Total; s.Published != waiting+1 || s.Delivered != s.Published {
		t.Fatalf("stats %+v, want %d published and delivered", s, waiting+1)
	}
	recs := testkit.Consume(t, topic, waiting+1, kgo.SeedBrokers(cluster.ListenAddrs()...))
	var seqs []int64
	for _, r := range recs {
		var v map[string]any
		if err := avro.Unmarshal(p.codec.Schema(), r.Value[5:], &v); err != nil {
			t.Fatal(err)
		}
		seq, _ := v["seq"].(int64)
		seqs = append(seqs, seq)
	}
	want := make([]int64, waiting+1)
	for i := range want {
		want[i] = int64(i)
	}
	if !slices.Equal(seqs, want) {
		t.Fatalf("topic holds sequence numbers %v..., want 0..%d once each, in order", seqs[:min(len(seqs), 20)], waiting)
	}
}
