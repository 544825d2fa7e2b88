//go:build stack

package tests_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// restartEvent is the event of TestSDKSurvivesKafkaRestart.
type restartEvent struct {
	Seq   int64  // publication order
	Phase string // "before", "down" or "after" the broker restart (as the publisher saw it)
}

// TestSDKSurvivesKafkaRestart publishes through the SDK every few milliseconds while the
// stack's broker is stopped and started again (same port, same data), then closes the manager
// and checks that nothing was lost or duplicated: Stats says every published event was
// delivered, the topic holds each event id exactly once, and InfluxDB has one point per event.
func TestSDKSurvivesKafkaRestart(t *testing.T) {
	s := loadStack(t)
	const (
		app      = "stacktest"
		interval = 5 * time.Millisecond
		// settle is how many events must be delivered before the stop and after the start.
		settle = 20
	)
	st := newStamps()
	m := newManager(t, s, app, nil, st.options()...)
	ctx := t.Context()
	name := uniqueName("sdkrestart")
	p, err := eventmanager.CreatePublisher[restartEvent](ctx, m, name)
	if err != nil {
		t.Fatal(err)
	}

	// One goroutine publishes until stopPublishing; phase tells it what to write.
	var (
		mu      sync.Mutex
		phase   = "before"
		setPh   = func(ph string) { mu.Lock(); phase = ph; mu.Unlock() }
		stop    = make(chan struct{})
		done    = make(chan error, 1)
		stopped sync.Once
		pubErr  error
	)
	stopPublishing := func() error {
		stopped.Do(func() { close(stop); pubErr = <-done })
		return pubErr
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for seq := int64(0); ; seq++ {
			select {
			case <-stop:
				done <- nil
				return
			case <-tick.C:
			}
			mu.Lock()
			ph := phase
			mu.Unlock()
			// Publish never waits for the broker: it must not fail while the broker is down.
			if err := p.Publish(context.Background(), restartEvent{Seq: seq, Phase: ph}); err != nil {
				done <- fmt.Errorf("publish %d (%s): %w", seq, ph, err)
				return
			}
		}
	}()
	t.Cleanup(func() { _ = stopPublishing() })
	published := func() uint64 { return m.Stats().Total.Published }
	delivered := func() uint64 { return m.Stats().Total.Delivered }

	waitFor(t, pipelineTimeout, "events delivered before the restart", func(context.Context) (bool, error) {
		return delivered() >= settle, nil
	})
	setPh("down")
	s.KafkaStop(t)
	downFrom := published()
	s.KafkaStart(t)
	downTo := published()
	setPh("after")
	if downTo <= downFrom {
		t.Fatalf("no event was published while the broker was down (%d then %d): the test proves nothing", downFrom, downTo)
	}
	t.Logf("%d events published while the broker was down", downTo-downFrom)
	waitFor(t, pipelineTimeout, "delivery to resume after the restart", func(context.Context) (bool, error) {
		d := delivered()
		return d >= downTo+settle, fmt.Errorf("%d of %d published events delivered", d, published())
	})
	if err := stopPublishing(); err != nil {
		t.Fatal(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := m.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}

	ids := st.issued()
	total := len(ids)
	got := m.Stats().Total
	if got.Published != uint64(total) || got.Delivered != got.Published || got.Failed+got.Dropped+got.Rejected != 0 {
		t.Fatalf("stats %+v after %d events, want every published event delivered and none failed, dropped or rejected", got, total)
	}
	t.Logf("%d events published and delivered", total)

	// The topic: each event id exactly once (the producer is idempotent; a retry after the
	// restart must not duplicate).
	counts := make(map[string]int)
	for _, r := range readTopic(t, s, s.Topic(app)) {
		if len(r.Value) < 42 || binary.BigEndian.Uint32(r.Value[1:5]) != uint32(p.SchemaID()) {
			continue // another test's event
		}
		// The id is the first field: a 36-byte string after its 1-byte zig-zag length.
		counts[string(r.Value[6:42])]++
	}
	var bad []string
	for _, id := range ids {
		if n := counts[id.String()]; n != 1 {
			bad = append(bad, fmt.Sprintf("%s x%d", id, n))
		}
	}
	if len(bad) > 0 || len(counts) != total {
		t.Fatalf("topic holds %d distinct events of %d; not exactly once: %v", len(counts), total, bad)
	}

	// InfluxDB: one point per event, every id present.
	s.WaitForMeasurement(t, s.Topic(app)+"."+name, pipelineTimeout, func(m Measurement) error {
		seen := make(map[string]bool, len(m.Points))
		for _, pt := range m.Points {
			id, _ := pt.Fields["id"].(string)
			seen[id] = true
		}
		var missing int
		for _, id := range ids {
			if !seen[id.String()] {
				missing++
			}
		}
		if missing > 0 || len(m.Points) != total {
			return fmt.Errorf("%d point(s) for %d events, %d event id(s) missing", len(m.Points), total, missing)
		}
		return nil
	})
}

// readTopic reads every record of topic, from its start to the end offsets it has now (the
// topic is shared by the tests of app stacktest and keeps their records between runs).
func readTopic(t *testing.T, s *Stack, topic string) []*kgo.Record {
	t.Helper()
	return testkit.ConsumeAll(t, topic, kgo.SeedBrokers(s.KafkaBrokers))
}
