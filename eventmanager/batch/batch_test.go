package batch_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/batch"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

type JobEvent struct {
	Job      string `influx:"tag"`
	Duration time.Duration
	Success  bool
}

// setup starts kfake and a registry and returns a ready manager, the
// cluster (to stop it) and a timer for JobEvent.
func setup(t *testing.T) (*eventmanager.Manager, *kfake.Cluster, *eventmanager.Timer[JobEvent], config.Config) {
	t.Helper()
	cfg := config.Config{
		AppName:     "batchtest",
		TopicPrefix: "lsst.square.metrics.events",
		Kafka:       config.Kafka{SecurityProtocol: config.Plaintext},
		Registry:    config.Registry{Compatibility: "NONE", Timeout: 5 * time.Second},
		Delivery: config.Delivery{MaxBufferedEvents: 1000, MaxBufferedBytes: 1 << 20,
			DeliveryTimeout: 30 * time.Second, LogInterval: time.Minute, BackoffMax: 50 * time.Millisecond},
	}
	cluster, reg := fakes.Start(t, cfg.Topic(), 1)
	cfg.Kafka.BootstrapServers, cfg.Registry.URL = cluster.ListenAddrs(), reg.URL()
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		eventmanager.WithKafkaOptions(kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond })))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Bounded: TestRunUndelivered leaves an event no broker takes.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	jobs, err := eventmanager.CreatePublisher[JobEvent](t.Context(), m, "job")
	if err != nil {
		t.Fatal(err)
	}
	timer, err := eventmanager.NewTimer(jobs)
	if err != nil {
		t.Fatal(err)
	}
	return m, cluster, timer, cfg
}

// onlyEvent reads the topic's only record and decodes it.
func onlyEvent(t *testing.T, cfg config.Config) map[string]any {
	t.Helper()
	recs := testkit.Consume(t, cfg.Topic(), 1, kgo.SeedBrokers(cfg.Kafka.BootstrapServers...))
	_, rec := testkit.Decode(t, cfg.Registry.URL, recs[0].Value)
	return rec
}

// TestRunOutcomes runs a job that succeeds and one that fails, each with
// its own broker: the exit code, the error and the event on the topic.
func TestRunOutcomes(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		jobErr  error
		code    int
		success bool
	}{
		{"succeeds", nil, batch.ExitOK, true},
		{"fails", boom, batch.ExitJobFailed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, timer, cfg := setup(t)
			code, err := batch.Run(t.Context(), timer, &JobEvent{Job: tc.name}, func(context.Context) error {
				time.Sleep(10 * time.Millisecond)
				return tc.jobErr
			}, batch.WithTimeout(10*time.Second))
			if code != tc.code || !errors.Is(err, tc.jobErr) || (tc.jobErr == nil) != (err == nil) {
				t.Fatalf("Run = %d, %v; want %d, %v", code, err, tc.code, tc.jobErr)
			}
			rec := onlyEvent(t, cfg)
			if rec["job"] != tc.name || rec["success"] != tc.success || rec["duration"].(float64) < 0.01 {
				t.Errorf("event %v, want job %q, success %v, duration >= 10ms", rec, tc.name, tc.success)
			}
		})
	}
}

// TestRunUndelivered runs a job while the broker is gone: the job
// succeeds, its event is not delivered within the timeout, and Run says so.
func TestRunUndelivered(t *testing.T) {
	_, cluster, timer, _ := setup(t)
	cluster.Close()
	code, err := batch.Run(t.Context(), timer, &JobEvent{Job: "lost"}, func(context.Context) error { return nil }, batch.WithTimeout(300*time.Millisecond))
	var ue *eventmanager.UndeliveredError
	if code != batch.ExitUndelivered || !errors.As(err, &ue) || ue.Count != 1 || ue.Op != "batch.Run" {
		t.Fatalf("Run = %d, %v; want %d, an *eventmanager.UndeliveredError (Op batch.Run) with 1 event", code, err, batch.ExitUndelivered)
	}
}

// TestRunPanic flushes the failure event of a job that panics, then lets
// the panic go on.
func TestRunPanic(t *testing.T) {
	m, _, timer, cfg := setup(t)
	func() {
		defer func() {
			if r := recover(); r != "job panicked" {
				t.Errorf("recovered %v, want the job's panic", r)
			}
		}()
		_, _ = batch.Run(t.Context(), timer, &JobEvent{Job: "panics"}, func(context.Context) error { panic("job panicked") }, batch.WithTimeout(10*time.Second))
	}()
	if st := m.Stats().Total; st.Delivered != 1 {
		t.Fatalf("stats %+v: the event was not flushed before the panic went on", st)
	}
	if rec := onlyEvent(t, cfg); rec["success"] != false {
		t.Errorf("event %v, want success false", rec)
	}
}

// panickingJob is a job that panics in a frame of its own, for
// TestRunPanicKeepsStack to find.
func panickingJob(context.Context) error { panic("job panicked here") }

// TestRunPanicKeepsStack: the panic of a job goes on from the job's own
// frames, unrecovered, so a crashing CronJob's trace says where it panicked
// (issue 24, item 10: it showed batch.Run's deferred re-panic).
func TestRunPanicKeepsStack(t *testing.T) {
	_, _, timer, cfg := setup(t)
	var stack string
	func() {
		defer func() {
			if r := recover(); r != "job panicked here" {
				t.Errorf("recovered %v, want the job's panic", r)
			}
			stack = string(debug.Stack())
		}()
		_, _ = batch.Run(t.Context(), timer, &JobEvent{Job: "panics"}, panickingJob, batch.WithTimeout(10*time.Second))
	}()
	if !strings.Contains(stack, "batch_test.panickingJob") {
		t.Errorf("the panic's stack lacks the job's frame:\n%s", stack)
	}
	if rec := onlyEvent(t, cfg); rec["success"] != false {
		t.Errorf("event %v, want success false", rec)
	}
}

// TestRunGoexit: a job ended by runtime.Goexit has its event published as a
// failure and flushed.
func TestRunGoexit(t *testing.T) {
	_, _, timer, cfg := setup(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = batch.Run(t.Context(), timer, &JobEvent{Job: "exits"}, func(context.Context) error {
			runtime.Goexit()
			return nil
		}, batch.WithTimeout(10*time.Second))
	}()
	<-done
	if rec := onlyEvent(t, cfg); rec["success"] != false || rec["job"] != "exits" {
		t.Errorf("event %v, want the job's event with success false", rec)
	}
}

// TestRunClosedManager: exit 0 means the job's event was delivered; on a
// closed manager it cannot even be published, and Run says so (issue 24,
// item 4: it returned 0).
func TestRunClosedManager(t *testing.T) {
	m, _, timer, _ := setup(t)
	if err := m.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	code, err := batch.Run(t.Context(), timer, &JobEvent{Job: "late"}, func(context.Context) error { return nil }, batch.WithTimeout(time.Second))
	if code != batch.ExitUndelivered || !errors.As(err, new(*eventmanager.UndeliveredError)) || !errors.Is(err, eventmanager.ErrClosed) {
		t.Errorf("Run on a closed manager = %d, %v; want %d, an *eventmanager.UndeliveredError and ErrClosed", code, err, batch.ExitUndelivered)
	}
	boom := errors.New("boom")
	code, err = batch.Run(t.Context(), timer, &JobEvent{Job: "late"}, func(context.Context) error { return boom }, batch.WithTimeout(time.Second))
	if code != batch.ExitJobFailed || !errors.Is(err, boom) || !errors.Is(err, eventmanager.ErrClosed) {
		t.Errorf("Run of a failing job on a closed manager = %d, %v; want %d, the job's error and ErrClosed", code, err, batch.ExitJobFailed)
	}
}

// misuseCode is Run's exit code for misuse.
const misuseCode = batch.ExitUsage

// TestRunMisuse: Run refuses, without running the job, a nil timer, a timer
// without a publisher, a nil job and a timeout that is not positive.
func TestRunMisuse(t *testing.T) {
	_, _, timer, _ := setup(t)
	ran := false
	job := func(context.Context) error { ran = true; return nil }
	for name, run := range map[string]func() (int, error){
		"nil timer":    func() (int, error) { return batch.Run(t.Context(), nil, &JobEvent{}, job) },
		"zero timer":   func() (int, error) { return batch.Run(t.Context(), &eventmanager.Timer[JobEvent]{}, &JobEvent{}, job) },
		"nil job":      func() (int, error) { return batch.Run(t.Context(), timer, &JobEvent{}, nil) },
		"zero timeout": func() (int, error) { return batch.Run(t.Context(), timer, &JobEvent{}, job, batch.WithTimeout(0)) },
		"negative timer": func() (int, error) {
			return batch.Run(t.Context(), timer, &JobEvent{}, job, batch.WithTimeout(-time.Second))
		},
	} {
		if code, err := run(); code != misuseCode || err == nil || ran {
			t.Errorf("%s: Run = %d, %v (job ran: %v); want %d, an error, the job not run", name, code, err, ran, misuseCode)
		}
	}
}

// TestRunUsesTheTimersManager: Run flushes the manager of the timer's
// publisher, with DefaultTimeout when no WithTimeout is given.
func TestRunUsesTheTimersManager(t *testing.T) {
	m, _, timer, _ := setup(t)
	if timer.Publisher().Manager() != m {
		t.Fatalf("timer.Publisher().Manager() = %p, want %p", timer.Publisher().Manager(), m)
	}
	code, err := batch.Run(t.Context(), timer, &JobEvent{Job: "default"}, func(context.Context) error { return nil })
	if code != batch.ExitOK || err != nil {
		t.Fatalf("Run = %d, %v; want %d, nil", code, err, batch.ExitOK)
	}
	if st := m.Stats().Total; st.Delivered != 1 {
		t.Errorf("stats %+v: want the event delivered by Run's flush", st)
	}
}
