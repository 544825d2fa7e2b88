//go:build soak

package eventmanager_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// TestSoak publishes at a steady rate from concurrent goroutines for
// SOAK_DURATION (default 5m; `make soak`, and a 5-minute run in .ci/run)
// while a schedule rotates faults every few seconds: the broker stopped and
// restarted with its data, produce requests failing, a slow broker, the
// registry down (and a new event type created meanwhile), the topic deleted
// and recreated, a new event type created during a broker outage; Flush is
// called between faults. At the end every accepted event is in the topic
// exactly once or counted Failed/Unknown (Dropped events were never
// accepted), the account is exact, and the goroutines, the live heap and
// the open files are back to their level after warm-up.
func TestSoak(t *testing.T) {
	duration := 5 * time.Minute
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK_DURATION=%q: %v", v, err)
		}
		duration = d
	}
	const (
		publishers = 4
		every      = 2 * time.Millisecond // per publisher: about 2000 events/s in all
		faultFor   = 4 * time.Second
		calmFor    = 3 * time.Second
	)

	backend := registrytest.NewServer()
	t.Cleanup(backend.Close)
	reg := newRegistryProxy(t, backend)
	cfg := faultConfig("", reg.url)
	b := newRestartableBroker(t, cfg.Topic(), 0)
	cfg.Kafka.BootstrapServers = []string{b.addr()}
	cfg.Delivery.MaxBufferedEvents = 50_000
	cfg.Delivery.LogInterval = 10 * time.Second

	logger, logs := testkit.NewLogger(slog.LevelWarn)
	// Event ids count up from 1 (in the UUID's last 6 bytes), so that the
	// events seen in the topic are counted in a slice allocated before the
	// warm-up, not in a map whose growth would hide the manager's heap.
	var lastID atomic.Uint64
	ids := func() uuid.UUID {
		var u uuid.UUID
		n := lastID.Add(1)
		for i := range 6 {
			u[15-i] = byte(n >> (8 * i))
		}
		return u
	}
	m := startManager(t, cfg, fastRetries(), eventmanager.WithLogger(logger), eventmanager.WithIDSource(ids))
	ctx := t.Context()

	// The event types: one per publisher goroutine to start with, more
	// created during faults.
	var (
		typesMu sync.Mutex
		types   []*eventmanager.Publisher[QueryEvent]
	)
	newType := func(name string) {
		p, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, name)
		if err != nil {
			t.Fatalf("CreatePublisher %s: %v", name, err)
		}
		typesMu.Lock()
		types = append(types, p)
		typesMu.Unlock()
	}
	newType("query")
	pick := func(i int) *eventmanager.Publisher[QueryEvent] {
		typesMu.Lock()
		defer typesMu.Unlock()
		return types[i%len(types)]
	}

	// The publishers; pause stops them (for the topic's deletion).
	var (
		stop   = make(chan struct{})
		wg     sync.WaitGroup
		paused sync.RWMutex
		sent   atomic.Int64
	)
	for g := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(every)
			defer tick.Stop()
			for i := g; ; i += publishers {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				paused.RLock()
				err := pick(i).Publish(ctx, QueryEvent{Type: QuerySync, Duration: time.Duration(i)})
				paused.RUnlock()
				if err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
				sent.Add(1)
			}
		}()
	}

	// seen counts each event id over every generation of the topic. The
	// broker runs in this process, so its records would count in the live
	// heap: rotate reads a generation to its end and replaces the topic by a
	// new one, with the publishers paused and everything accepted flushed
	// (an acknowledged record must not be deleted unread). It runs after
	// each fault, and is the fault "topic deleted and recreated" too.
	seen := make([]uint8, 1+int(2*duration/every)*publishers) // by event id: how often it is in the topic
	count := func(r *kgo.Record) {
		n, err := strconv.ParseUint(string(r.Value[6+24:42]), 16, 64) // the id's last 12 hex digits
		if err != nil || n == 0 {
			t.Fatalf("record with an unexpected id %q", r.Value[6:42])
		}
		for int(n) >= len(seen) {
			seen = append(seen, 0)
		}
		if seen[n] < 255 {
			seen[n]++
		}
	}
	var rotations, skipped int
	var flush func(time.Duration) error
	rotate := func() {
		paused.Lock()
		defer paused.Unlock()
		if err := flush(time.Minute); err != nil {
			skipped++ // still delivering: the next rotation reads this generation
			return
		}
		for _, r := range testkit.ConsumeAll(t, cfg.Topic(), kgo.SeedBrokers(b.addr())) {
			count(r)
		}
		if err := b.c.DeleteTopic(cfg.Topic()); err != nil {
			t.Fatal(err)
		}
		if err := b.c.CreateTopic(cfg.Topic(), 1, nil); err != nil {
			t.Fatal(err)
		}
		rotations++
	}
	flush = func(d time.Duration) error {
		fctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return m.Flush(fctx)
	}

	// Warm-up, then the levels the end is compared with.
	time.Sleep(3 * time.Second)
	if err := flush(30 * time.Second); err != nil {
		t.Fatalf("Flush after warm-up: %v", err)
	}
	rotate()
	warmG, warmHeap, warmFDs := runtime.NumGoroutine(), liveHeap(), openFiles(t)

	var produceRequests atomic.Int64
	faults := []struct {
		name string
		on   func()
		off  func()
	}{
		{"broker stopped, restarted with its data", b.stop, func() { b.start(false) }},
		{"produce requests failing (every other one, retriable)", func() {
			b.c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
				b.c.KeepControl()
				if produceRequests.Add(1)%2 == 0 {
					return nil, nil, false
				}
				return produceError(req, kerr.NotEnoughReplicas), nil, true
			})
		}, func() { b.c.DropControl() }},
		{"slow broker (200 ms per produce request)", func() {
			b.c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
				b.c.KeepControl()
				b.c.SleepControl(func() { time.Sleep(200 * time.Millisecond) })
				return nil, nil, false
			})
		}, func() { b.c.DropControl() }},
		{"registry down, a new event type created meanwhile", func() {
			reg.set("503")
			newType(fmt.Sprintf("during_registry_outage_%d", len(types)))
		}, func() { reg.set("ok") }},
		{"topic deleted and recreated, then a new event type", func() {
			rotate()
			newType(fmt.Sprintf("after_topic_recreated_%d", len(types)))
		}, func() {}},
		{"broker stopped, a new event type created meanwhile", func() {
			b.stop()
			newType(fmt.Sprintf("during_broker_outage_%d", len(types)))
		}, func() { b.start(false) }},
	}

	start := time.Now()
	rounds := map[string]int{}
	var flushErrs int
	for i := 0; time.Since(start) < duration; i++ {
		f := faults[i%len(faults)]
		f.on()
		time.Sleep(faultFor)
		f.off()
		rounds[f.name]++
		time.Sleep(calmFor)
		if err := flush(2 * time.Second); err != nil {
			flushErrs++ // the calm after a fault may not be long enough: counted, not failed
		}
		rotate()
	}
	close(stop)
	wg.Wait()

	// Everything is back: the events accepted during the faults are
	// delivered, and the manager's resources are back to their level.
	if err := flush(2 * time.Minute); err != nil {
		t.Errorf("final Flush: %v", err)
	}
	rotate()
	st := m.Stats().Total
	endG, endHeap, endFDs := runtime.NumGoroutine(), liveHeap(), openFiles(t)
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := m.Close(cctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	st = m.Stats().Total
	for _, r := range testkit.ConsumeAll(t, cfg.Topic(), kgo.SeedBrokers(b.addr())) {
		count(r) // the last generation, if Close delivered more
	}

	var twice, distinct int
	for _, n := range seen {
		if n == 0 {
			continue
		}
		distinct++
		if n > 1 {
			twice++
		}
	}
	t.Logf("soak %v: %d publish calls, stats %+v; %d distinct events in the topic, %d more than once; "+
		"fault rounds %v; %d of the Flush calls between faults ended with events pending; topic rotated %d times (%d skipped: still delivering)",
		duration.Round(time.Second), sent.Load(), st, distinct, twice, rounds, flushErrs, rotations, skipped)
	t.Logf("goroutines %d after warm-up, %d at the end; live heap %d KiB, %d KiB; open files %d, %d",
		warmG, endG, warmHeap>>10, endHeap>>10, warmFDs, endFDs)
	fmt.Printf("SOAK duration=%v published=%d delivered=%d failed=%d unknown=%d dropped=%d rejected=%d in_topic=%d duplicates=%d goroutines=%d/%d heap_kib=%d/%d files=%d/%d\n",
		duration.Round(time.Second), st.Published, st.Delivered, st.Failed, st.Unknown, st.Dropped, st.Rejected,
		distinct, twice, warmG, endG, warmHeap>>10, endHeap>>10, warmFDs, endFDs)

	checkAccount(t, st)
	if st.Published+st.Dropped+st.Rejected != uint64(sent.Load()) {
		t.Errorf("published %d + dropped %d + rejected %d != %d publish calls", st.Published, st.Dropped, st.Rejected, sent.Load())
	}
	if twice != 0 {
		t.Errorf("%d events are in the topic more than once", twice)
	}
	if uint64(distinct) < st.Delivered || uint64(distinct) > st.Delivered+st.Unknown {
		t.Errorf("%d distinct events in the topic, want between Delivered %d and Delivered+Unknown %d", distinct, st.Delivered, st.Delivered+st.Unknown)
	}
	if st.Failed+st.Unknown+st.Dropped > 0 {
		t.Logf("the SDK logged:\n%s", logs.String())
	}
	if endG > warmG+10 {
		t.Errorf("goroutines: %d at the end, %d after warm-up", endG, warmG)
	}
	if endHeap > warmHeap*3/2+8<<20 {
		t.Errorf("live heap: %d KiB at the end, %d KiB after warm-up", endHeap>>10, warmHeap>>10)
	}
	if endFDs > warmFDs+10 {
		t.Errorf("open files: %d at the end, %d after warm-up", endFDs, warmFDs)
	}
}

// openFiles counts the process's open file descriptors (sockets
// included), from /proc on Linux.
func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(entries)
}
