package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Timer publishes events that say how long a block of code took, and
// whether it failed. Build it once per publisher at start-up with [NewTimer]
// (it finds the event's fields) or [NewTimerFunc] (a function fills them), and time a block with Time, usually deferred:
//
//	func run(ctx context.Context) (err error) {
//		ev := QueryEvent{Type: QuerySync}
//		defer timer.Time(ctx, time.Now(), &ev, &err)
//		...
//	}
//
// A Timer is safe for concurrent use.
type Timer[T any] struct {
	p        *Publisher[T]
	set      func(event T, elapsed time.Duration, err error) T // NewTimerFunc's; nil: the fields below
	duration payload.Field[T, time.Duration]
	success  payload.Field[T, bool] // zero (not set) when the event has none
}

// Timer field names [NewTimer] looks for.
const (
	TimerDurationField = "duration" // time.Duration: the time the block took
	TimerSuccessField  = "success"  // bool, optional: true unless the block failed
)

// ErrTimerField is matched (with errors.Is) by [NewTimer]'s error when the
// event lacks the fields it needs, or has one of another type: the wrapped
// error is payload's (payload.ErrNoField, a *payload.FieldTypeError).
var ErrTimerField = errors.New("eventmanager: the timer cannot fill the event")

// NewTimer returns a Timer for p's events that writes the elapsed time and
// the outcome into the event's fields, located once, here, by Avro name
// (payload.Codec.FieldPath's rule):
// TimerDurationField ("duration", a time.Duration; required) and, when the
// event has it, TimerSuccessField ("success", a bool). Time then does no
// reflection. For events shaped otherwise, use [NewTimerFunc].
//
// Errors: ErrTimerField when the event has no field named "duration"
// (wrapping payload.ErrNoField; name yours so with an avro:"duration" tag,
// or use [NewTimerFunc]), or has one that is not a time.Duration, or a
// "success" field that is not a bool (the message says what the field is
// and what the timer needs).
func NewTimer[T any](p *Publisher[T]) (*Timer[T], error) {
	t := &Timer[T]{p: p}
	var err error
	if t.duration, err = payload.FieldOf[T, time.Duration](p.codec, TimerDurationField); err != nil {
		return nil, timerFieldError(err)
	}
	if slices.Contains(p.codec.Fields(), TimerSuccessField) {
		if t.success, err = payload.FieldOf[T, bool](p.codec, TimerSuccessField); err != nil {
			return nil, timerFieldError(err)
		}
	}
	return t, nil
}

// NewTimerFunc returns a Timer for p's events that calls set to write the
// elapsed time and the block's outcome (err nil: success) into the event:
// set returns the event to publish. It runs in Time, on the caller's
// goroutine, before the event is published. With a nil set, Time publishes
// the event as given. Like httpmetrics.NewFunc beside httpmetrics.New, it is
// the form for events [NewTimer] cannot fill.
func NewTimerFunc[T any](p *Publisher[T], set func(event T, elapsed time.Duration, err error) T) *Timer[T] {
	if set == nil {
		set = func(event T, _ time.Duration, _ error) T { return event }
	}
	return &Timer[T]{p: p, set: set}
}

// Publisher returns the publisher the timer publishes through.
func (t *Timer[T]) Publisher() *Publisher[T] { return t.p }

// timerFieldError is [NewTimer]'s error for FieldOf's err: for a field of the
// wrong type it says what the field is and what the timer needs.
func timerFieldError(err error) error {
	var te *payload.FieldTypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%w: %w", ErrTimerField, err)
	}
	a := func(t reflect.Type) string { // "a string", "an int64"
		if s := t.String(); strings.ContainsRune("aeio", rune(s[0])) {
			return "an " + s
		}
		return "a " + t.String()
	}
	return fmt.Errorf("%w: event %q: field %s is %s, the timer needs %s: make it one, or use NewTimerFunc",
		ErrTimerField, te.Event, te.Field, a(te.Type), a(te.Want))
}

// Time publishes *event (the zero T when event is nil) after writing into
// it the time elapsed since start and the outcome *errp (success when errp
// or *errp is nil); *event then holds what was published. Defer it with start = time.Now() and pointers to the
// event and to the function's named error result, so that both are read
// when the function returns:
//
//	defer timer.Time(ctx, time.Now(), &ev, &err)
//
// When Time is deferred and the function panics, the event is published as
// a failure and the panic goes on; when the function is ended by
// runtime.Goexit (testing.T's FailNow, say), the event is published as a
// failure too. Time returns Publish's error (misuse
// only, see [Publisher.Publish]), which a deferred call drops: it is counted
// in [Manager.Stats]. It allocates no more than Publish.
func (t *Timer[T]) Time(ctx context.Context, start time.Time, event *T, errp *error) error {
	elapsed := time.Since(start)
	var outcome error
	if errp != nil {
		outcome = *errp
	}
	r := recover()
	switch {
	case r != nil && outcome == nil:
		outcome = errPanicked
	case r == nil && outcome == nil && goexiting():
		outcome = errGoexit // t.FailNow, log.Fatal's runtime.Goexit: not a success
	}
	var ev T
	if event != nil {
		ev = *event
	}
	if t.set != nil {
		ev = t.set(ev, elapsed, outcome)
	} else {
		t.duration.Set(&ev, elapsed)
		t.success.Set(&ev, outcome == nil)
	}
	err := t.p.Publish(ctx, ev)
	if event != nil {
		*event = ev
	}
	if r != nil {
		panic(r)
	}
	return err
}

// errPanicked is the outcome Time reports for a block that panicked.
var errPanicked = errors.New("eventmanager: timed block panicked")

// errGoexit is the outcome Time reports for a block ended by
// runtime.Goexit (testing's FailNow and SkipNow among others).
var errGoexit = errors.New("eventmanager: timed block ended by runtime.Goexit")

// goexitEntry is the entry PC of runtime.Goexit.
var goexitEntry = runtime.FuncForPC(reflect.ValueOf(runtime.Goexit).Pointer()).Entry()

// goexiting reports whether Time runs as a deferred call of a goroutine
// that runtime.Goexit is ending: runtime.Goexit then calls the deferred
// functions itself, so it is the caller of Time (deferred directly) or of
// the function that calls Time (deferred in a closure). recover returns nil
// then, as after a normal return, so the stack is the only witness. It
// does not allocate.
func goexiting() bool {
	var pcs [2]uintptr
	n := runtime.Callers(3, pcs[:]) // skip Callers, goexiting and Time
	for _, pc := range pcs[:n] {
		if f := runtime.FuncForPC(pc - 1); f != nil && f.Entry() == goexitEntry {
			return true
		}
	}
	return false
}
