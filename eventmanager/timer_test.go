package eventmanager_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// JobEvent is a timed event with an outcome.
type JobEvent struct {
	Job      string `influx:"tag"`
	Duration time.Duration
	Success  bool
}

// timedJob runs a block under a deferred Time: it sleeps for d, then
// returns fail or panics with it when panics is set.
func timedJob(ctx context.Context, timer *eventmanager.Timer[JobEvent], name string, d time.Duration, fail error, panics bool) (err error) {
	ev := JobEvent{Job: name}
	defer timer.Time(ctx, time.Now(), &ev, &err)
	time.Sleep(d)
	if panics {
		panic(fail)
	}
	return fail
}

// TestTimerKafka times blocks that succeed, fail and panic, and decodes
// their events from the topic: each carries the block's outcome and a
// duration at least as long as the block.
func TestTimerKafka(t *testing.T) {
	env := newKafkaEnv(t, false)
	m, jobs := startPublisher[JobEvent](t, env.cfg, "job")
	ctx := t.Context()
	timer, err := eventmanager.NewTimer(jobs)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	const d = 20 * time.Millisecond
	if err := timedJob(ctx, timer, "ok", d, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := timedJob(ctx, timer, "failed", d, boom, false); err != boom {
		t.Fatalf("timed block returned %v, want its own error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != boom {
				t.Errorf("recovered %v, want the block's panic to go on", r)
			}
		}()
		_ = timedJob(ctx, timer, "panicked", d, boom, true)
	}()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"ok": true, "failed": false, "panicked": false}
	for _, r := range consume(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic(), len(want)) {
		id, rec := testkit.Decode(t, env.cfg.Registry.URL, r.Value)
		if id != int(jobs.SchemaID()) {
			t.Errorf("schema id %d, want %d", id, jobs.SchemaID())
		}
		job := rec["job"].(string)
		if rec["success"] != want[job] {
			t.Errorf("job %s: success = %v, want %v", job, rec["success"], want[job])
		}
		if secs := rec["duration"].(float64); secs < d.Seconds() {
			t.Errorf("job %s: duration %vs, want at least %v", job, secs, d)
		}
		delete(want, job)
	}
	if len(want) != 0 {
		t.Errorf("no event for %v", want)
	}
}

// TestTimerSetFunc uses a set function, for an event whose fields have
// other names; a nil event pointer and a nil error pointer are allowed.
func TestTimerSetFunc(t *testing.T) {
	_, logins := startPublisher[LoginEvent](t, mockConfig(), "login")
	ctx := t.Context()
	timer := eventmanager.NewTimerFunc(logins, func(ev LoginEvent, elapsed time.Duration, err error) LoginEvent {
		ev.Elapsed, ev.Success = elapsed, err == nil
		return ev
	})
	if timer.Publisher() != logins {
		t.Errorf("Publisher() = %p, want %p", timer.Publisher(), logins)
	}
	start := time.Now().Add(-time.Second)
	if err := timer.Time(ctx, start, nil, nil); err != nil {
		t.Fatal(err)
	}
	got := eventmanagertest.Published(logins)
	if len(got) != 1 || got[0].Elapsed < time.Second || !got[0].Success {
		t.Fatalf("recorded %+v, want one successful event of at least 1s", got)
	}
}

// TestNewTimerErrors refuses events without a duration field or with a
// success field of another type, when no set function is given.
func TestNewTimerErrors(t *testing.T) {
	type noDuration struct{ Elapsed time.Duration }
	type badSuccess struct {
		Duration time.Duration
		Success  string
	}
	m, a := startPublisher[noDuration](t, mockConfig(), "a")
	ctx := t.Context()
	if _, err := eventmanager.NewTimer(a); !errors.Is(err, eventmanager.ErrTimerField) || !errors.Is(err, payload.ErrNoField) {
		t.Errorf("NewTimer without a duration field = %v, want ErrTimerField", err)
	}
	b, err := eventmanager.CreatePublisher[badSuccess](ctx, m, "b")
	if err != nil {
		t.Fatal(err)
	}
	_, err = eventmanager.NewTimer(b)
	if !errors.Is(err, eventmanager.ErrTimerField) {
		t.Errorf("NewTimer with a string success field = %v, want ErrTimerField", err)
	}
	// The field exists, with the wrong type: the error says so, not "no
	// such field".
	if err == nil || !strings.Contains(err.Error(), `event "b": field success is a string, the timer needs a bool`) || strings.Contains(err.Error(), "no such field") || strings.Contains(err.Error(), "has no field") {
		t.Errorf("NewTimer with a string success field: %v, want it to say that field success is a string and the timer needs a bool", err)
	}
	type floatDuration struct{ Duration float64 }
	f, err := eventmanager.CreatePublisher[floatDuration](ctx, m, "f")
	if err != nil {
		t.Fatal(err)
	}
	_, err = eventmanager.NewTimer(f)
	if !errors.Is(err, eventmanager.ErrTimerField) || err == nil || !strings.Contains(err.Error(), `field duration is a float64, the timer needs a time.Duration`) || strings.Contains(err.Error(), "no such field") {
		t.Errorf("NewTimer with a float64 duration field: %v, want ErrTimerField saying that field duration is a float64 and the timer needs a time.Duration", err)
	}
}

// TestTimerAllocations is the timer's allocation budget: Time allocates
// no more than the Publish it makes (measured in disabled mode, where
// Publish allocates nothing; Kafka mode: BenchmarkTimer).
func TestTimerAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's runtime allocates on its own")
	}
	_, jobs := startPublisher[JobEvent](t, disabledConfig(), "job")
	ctx := t.Context()
	auto, err := eventmanager.NewTimer(jobs)
	if err != nil {
		t.Fatal(err)
	}
	custom := eventmanager.NewTimerFunc(jobs, func(ev JobEvent, d time.Duration, err error) JobEvent {
		ev.Duration, ev.Success = d, err == nil
		return ev
	})
	publish := testing.AllocsPerRun(1000, func() { _ = jobs.Publish(ctx, JobEvent{Job: "j"}) })
	for name, timer := range map[string]*eventmanager.Timer[JobEvent]{"located fields": auto, "set function": custom} {
		allocs := testing.AllocsPerRun(1000, func() {
			var err error
			ev := JobEvent{Job: "j"}
			defer timer.Time(ctx, time.Now(), &ev, &err)
		})
		if allocs > publish {
			t.Errorf("%s: Time allocates %.2f times per call, Publish %.2f: want no more", name, allocs, publish)
		}
	}
}

// BenchmarkTimer compares a deferred Time with a plain Publish of the same
// event, against a kfake broker (ns/op and allocs/op in the same run).
func BenchmarkTimer(b *testing.B) {
	m, jobs := startPublisher[JobEvent](b, newKafkaEnvB(b), "job")
	ctx := context.Background()
	defer m.Close(ctx)
	timer, err := eventmanager.NewTimer(jobs)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Publish", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = jobs.Publish(ctx, JobEvent{Job: "j", Duration: time.Millisecond, Success: true})
		}
		_ = m.Flush(ctx)
	})
	b.Run("Time", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			func() {
				var err error
				ev := JobEvent{Job: "j"}
				defer timer.Time(ctx, time.Now(), &ev, &err)
			}()
		}
		_ = m.Flush(ctx)
	})
}

// TestTimerGoexit: a block ended by runtime.Goexit (t.FailNow in a test,
// directly or in a deferred closure) is published as a failure, not a
// success (issue 24, item 15); a normal return in a closure still succeeds.
func TestTimerGoexit(t *testing.T) {
	_, jobs := startPublisher[JobEvent](t, mockConfig(), "job")
	ctx := t.Context()
	timer, err := eventmanager.NewTimer(jobs)
	if err != nil {
		t.Fatal(err)
	}
	run := func(body func(ev *JobEvent, err *error)) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			var err error
			ev := JobEvent{Job: "j"}
			body(&ev, &err)
		}()
		<-done
	}
	run(func(ev *JobEvent, err *error) {
		defer timer.Time(ctx, time.Now(), ev, err)
		runtime.Goexit()
	})
	run(func(ev *JobEvent, err *error) {
		defer func() { _ = timer.Time(ctx, time.Now(), ev, err) }()
		runtime.Goexit()
	})
	run(func(ev *JobEvent, err *error) {
		defer func() { _ = timer.Time(ctx, time.Now(), ev, err) }()
	})
	got := eventmanagertest.Published(jobs)
	if len(got) != 3 || got[0].Success || got[1].Success || !got[2].Success {
		t.Errorf("recorded %+v, want two failures (Goexit) and a success", got)
	}
}

// TestTimerRecordPublisher: NewTimer(p) on a publisher of records
// built at run time writes the duration and the outcome into the record's
// value, whatever fields come before them (issue 24, item 1: it wrote into
// the Record header and crashed the process).
func TestTimerRecordPublisher(t *testing.T) {
	m := startManager(t, mockConfig())
	typ := reflect.StructOf([]reflect.StructField{
		{Name: "Label", Type: reflect.TypeFor[string](), Tag: `avro:"label"`},
		{Name: "Note", Type: reflect.TypeFor[string](), Tag: `avro:"note"`},
		{Name: "Duration", Type: reflect.TypeFor[time.Duration](), Tag: `avro:"duration"`},
		{Name: "Success", Type: reflect.TypeFor[bool](), Tag: `avro:"success"`},
	})
	p, err := eventmanager.CreateRecordPublisher(t.Context(), m, "job", typ)
	if err != nil {
		t.Fatal(err)
	}
	timer, err := eventmanager.NewTimer(p)
	if err != nil {
		t.Fatal(err)
	}
	rec := payload.NewRecord(typ)
	rec.Value().Field(0).SetString("nightly")
	rec.Value().Field(1).SetString("a note")
	if err := timer.Time(t.Context(), time.Now().Add(-time.Second), &rec, nil); err != nil {
		t.Fatalf("Time on a record: %v", err)
	}
	v := rec.Value()
	if v.Field(0).String() != "nightly" || v.Field(1).String() != "a note" || v.Field(2).Interface().(time.Duration) < time.Second || !v.Field(3).Bool() {
		t.Errorf("record after Time = %v, want its strings kept, a duration of at least 1s and success", rec)
	}
	if st := m.Stats().Total; st.Published != 1 || st.Rejected != 0 {
		t.Errorf("stats %+v, want the record published once, nothing rejected", st)
	}
}
