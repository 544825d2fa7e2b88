package eventmanagertest_test

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// QueryEvent is SPEC section 5's event (testkit.QueryEvent) without the
// docs and with an optional field, for the assertions about optional
// values (AnyValue("User"), NotZero("User")).
type QueryEvent struct {
	Type     testkit.QueryType
	Duration time.Duration
	User     *string
}

// recordingTB captures failures instead of failing the real test, and where
// each would be reported: like package testing, it skips the frames of the
// functions that called Helper.
type recordingTB struct {
	testing.TB
	helpers map[string]bool // functions that called Helper
	errors  []string
	where   []string // file:line of each failure
	fatal   bool
}

func newRecordingTB(t *testing.T) *recordingTB {
	return &recordingTB{TB: t, helpers: map[string]bool{}}
}

func (r *recordingTB) Helper() {
	pc, _, _, _ := runtime.Caller(1)
	r.helpers[runtime.FuncForPC(pc).Name()] = true
}

func (r *recordingTB) Errorf(format string, args ...any) { r.fail(format, args...) }

// Fatalf records the failure; unlike testing.T's, it returns, so the code
// after it must not rely on it stopping the goroutine.
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.fatal = true
	r.fail(format, args...)
}

func (r *recordingTB) fail(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs) // skip Callers, fail and Errorf/Fatalf
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !r.helpers[f.Function] {
			r.where = append(r.where, fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line))
			return
		}
		if !more {
			r.where = append(r.where, "?")
			return
		}
	}
}

// thisFile is the base name of this file, where every failure of an
// assertion called here must be reported.
func thisFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Base(file)
}

func newPublisher(t *testing.T) *eventmanager.Publisher[QueryEvent] {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true, TopicPrefix: "lsst.square.metrics.events"},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	p, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func user(s string) *string { return &s }

func TestAssertions(t *testing.T) {
	p := newPublisher(t)
	published := []QueryEvent{
		{Type: "sync", Duration: 1 * time.Second},
		{Type: "async", Duration: 2 * time.Second, User: user("alice")},
		{Type: "sync", Duration: 3 * time.Second},
		{Type: "async", Duration: 4 * time.Second},
	}
	for _, e := range published {
		if err := p.Publish(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	got := eventmanagertest.Published(p)
	if len(got) != len(published) {
		t.Fatalf("Published returned %d events, want %d", len(got), len(published))
	}
	got[0].Type = "mutated"
	if eventmanagertest.Published(p)[0].Type != "sync" {
		t.Errorf("Published does not return a copy")
	}

	e := published
	tests := []struct {
		name   string
		assert func(tb testing.TB)
		fail   string // substring of the failure; "" = must pass
	}{
		{"ordered consecutive", func(tb testing.TB) { eventmanagertest.AssertPublished(tb, p, e[1:3]) }, ""},
		{"ordered not consecutive", func(tb testing.TB) { eventmanagertest.AssertPublished(tb, p, []QueryEvent{e[0], e[2]}) }, "not consecutively"},
		{"ordered wrong order", func(tb testing.TB) { eventmanagertest.AssertPublished(tb, p, []QueryEvent{e[2], e[1]}) }, "not consecutively"},
		{"missing", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "sync", Duration: time.Hour}})
		}, "1 wanted events were not published"},
		{"too many", func(tb testing.TB) { eventmanagertest.AssertPublished(tb, p, append(e, e[0])) }, "more events"},
		{"any order", func(tb testing.TB) { eventmanagertest.AssertPublishedAnyOrder(tb, p, []QueryEvent{e[3], e[0]}) }, ""},
		{"any order counts duplicates", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAnyOrder(tb, p, []QueryEvent{e[0], e[0]})
		}, "not published"},
		{"all exact", func(tb testing.TB) { eventmanagertest.AssertPublishedAll(tb, p, e) }, ""},
		{"all subset", func(tb testing.TB) { eventmanagertest.AssertPublishedAll(tb, p, e[:3]) }, "published 4 events, want 3"},
		{"any value", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "sync"}, {Type: "async", User: user("alice")}}, eventmanagertest.AnyValue("Duration"))
		}, ""},
		{"any value wrong order", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "async", User: user("alice")}, {Type: "async"}}, eventmanagertest.AnyValue("Duration"))
		}, "not consecutively"},
		{"any value consecutive", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "async"}, {Type: "sync"}}, eventmanagertest.AnyValue("Duration", "User"))
		}, ""},
		{"any value by Avro name", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "sync"}, {Type: "async", User: user("alice")}}, eventmanagertest.AnyValue("duration"))
		}, ""},
		{"not zero by Avro name fails on nil", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "async", Duration: 4 * time.Second}}, eventmanagertest.NotZero("user"))
		}, "not published"},
		{"not zero", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "async", Duration: 2 * time.Second}}, eventmanagertest.NotZero("User"))
		}, ""},
		{"not zero fails on nil", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{Type: "async", Duration: 4 * time.Second}}, eventmanagertest.NotZero("User"))
		}, "not published"},
		{"all any order", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAllAnyOrder(tb, p, []QueryEvent{e[3], e[1], e[2], e[0]})
		}, ""},
		{"all any order subset", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAllAnyOrder(tb, p, []QueryEvent{e[3], e[1]})
		}, "published 4 events, want 2"},
		{"per-item wildcard needs a real matching, not first fit", func(tb testing.TB) {
			// The loose first wanted event could take e[0], the only event
			// the strict second one matches; e[2] is left for it.
			eventmanagertest.AssertPublishedAnyOrder(tb, p, []QueryEvent{{Type: "sync"}, e[0]},
				eventmanagertest.ForItem(0, eventmanagertest.AnyValue("Duration")))
		}, ""},
		{"per-item wildcard does not leak to other items", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAnyOrder(tb, p, []QueryEvent{{Type: "sync"}, {Type: "sync"}},
				eventmanagertest.ForItem(0, eventmanagertest.AnyValue("Duration")))
		}, "1 wanted events were not published"},
		{"any event", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{{}, e[1]}, eventmanagertest.AnyEvent(0))
		}, ""},
		{"any event keeps order", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []QueryEvent{e[1], {}, e[0]}, eventmanagertest.AnyEvent(1))
		}, "not consecutively"},
		{"item index out of range", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, e[:1], eventmanagertest.AnyEvent(3))
		}, "index 3 outside the 1 wanted events"},
		{"unknown field", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, e[:1], eventmanagertest.AnyValue("Nope"))
		}, `no field "Nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecordingTB(t)
			tc.assert(rec)
			msg := strings.Join(rec.errors, "\n")
			switch {
			case tc.fail == "" && len(rec.errors) > 0:
				t.Errorf("assertion failed unexpectedly: %s", msg)
			case tc.fail != "" && !strings.Contains(msg, tc.fail):
				t.Errorf("failure = %q, want it to contain %q", msg, tc.fail)
			}
			for _, w := range rec.where {
				if !strings.HasPrefix(w, thisFile()+":") {
					t.Errorf("failure reported at %s, want the caller's line in %s", w, thisFile())
				}
			}
		})
	}

	eventmanagertest.Reset(p)
	if n := len(eventmanagertest.Published(p)); n != 0 {
		t.Errorf("after Reset: %d events", n)
	}
}

// TestNotMockModeFailsLoudly: a publisher whose manager does not record
// (here disabled: METRICS_ENABLED=false without METRICS_MOCK=true) must
// fail every assertion, even one that wants nothing published, and say how
// to turn mock mode on.
func TestNotMockModeFailsLoudly(t *testing.T) {
	t.Setenv("METRICS_APP_NAME", "app")
	t.Setenv("METRICS_ENABLED", "false")
	t.Setenv("METRICS_MOCK", "")
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	disabled, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query")
	if err != nil {
		t.Fatal(err)
	}
	if err := disabled.Publish(t.Context(), QueryEvent{Type: "sync"}); err != nil {
		t.Fatal(err)
	}
	if got := eventmanagertest.Published(disabled); got != nil {
		t.Errorf("Published outside mock mode = %v, want nil", got)
	}

	asserts := map[string]func(tb testing.TB, p *eventmanager.Publisher[QueryEvent]){
		"AssertPublished": func(tb testing.TB, p *eventmanager.Publisher[QueryEvent]) {
			eventmanagertest.AssertPublished(tb, p, nil)
		},
		"AssertPublishedAnyOrder": func(tb testing.TB, p *eventmanager.Publisher[QueryEvent]) {
			eventmanagertest.AssertPublishedAnyOrder(tb, p, nil)
		},
		"AssertPublishedAll": func(tb testing.TB, p *eventmanager.Publisher[QueryEvent]) {
			eventmanagertest.AssertPublishedAll(tb, p, nil)
		},
		"AssertPublishedAllAnyOrder": func(tb testing.TB, p *eventmanager.Publisher[QueryEvent]) {
			eventmanagertest.AssertPublishedAllAnyOrder(tb, p, nil)
		},
	}
	publishers := map[string]struct {
		p    *eventmanager.Publisher[QueryEvent]
		want []string
	}{
		"disabled": {disabled, []string{`publisher "query" is not in mock mode`, "disabled mode", "METRICS_ENABLED=false with METRICS_MOCK=true"}},
		"nil":      {nil, []string{"nil publisher"}},
	}
	for pname, pc := range publishers {
		for aname, assert := range asserts {
			t.Run(pname+"/"+aname, func(t *testing.T) {
				rec := newRecordingTB(t)
				assert(rec, pc.p)
				msg := strings.Join(rec.errors, "\n")
				if !rec.fatal {
					t.Fatalf("assertion did not fail fatally (errors: %q)", msg)
				}
				for _, w := range pc.want {
					if !strings.Contains(msg, w) {
						t.Errorf("failure = %q, want it to contain %q", msg, w)
					}
				}
			})
		}
	}
}

type LoginEvent struct {
	Method   string
	Username *string
	Attempts int
	Duration time.Duration
}

// TestFailureNamesTheField: a failure prints values (pointers dereferenced,
// nil as nil) and names the first field that differs.
func TestFailureNamesTheField(t *testing.T) {
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	p, err := eventmanager.CreatePublisher[LoginEvent](t.Context(), m, "login")
	if err != nil {
		t.Fatal(err)
	}
	published := []LoginEvent{
		{Method: "password", Username: user("carol"), Attempts: 1, Duration: time.Second},
		{Method: "token", Attempts: 1, Duration: 2 * time.Second},
		{Method: "password", Username: user("bob"), Attempts: 2, Duration: 1500 * time.Millisecond},
	}
	for _, e := range published {
		if err := p.Publish(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	alice := published[2]
	alice.Username = user("alice")
	named := published[1]
	named.Username = user("dave")

	tests := []struct {
		name   string
		assert func(tb testing.TB)
		want   []string
	}{
		{"all, in order", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, p, []LoginEvent{published[0], published[1], alice})
		}, []string{`1 wanted events were not published:`, `published event 2: field Username: got "bob", want "alice"`, `Username:"bob"`, `Duration:1.5s`}},
		{"nil published", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, p, []LoginEvent{published[0], named, published[2]})
		}, []string{`published event 1: field Username: got nil, want "dave"`, `Username:nil`}},
		{"any order, closest event", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAnyOrder(tb, p, []LoginEvent{alice}, eventmanagertest.AnyValue("Duration"))
		}, []string{`wanted event 0`, `published event 2: field Username: got "bob", want "alice"`}},
		{"consecutive run, closest event", func(tb testing.TB) {
			eventmanagertest.AssertPublished(tb, p, []LoginEvent{published[1], alice})
		}, []string{`wanted event 1`, `published event 2: field Username: got "bob", want "alice"`}},
		{"not zero", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, p, published, eventmanagertest.ForItem(1, eventmanagertest.NotZero("Username")))
		}, []string{`published event 1: field Username: got nil, want not zero`}},
		{"all, another order", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, p, []LoginEvent{published[1], published[0], published[2]})
		}, []string{`not consecutively`, `wanted event 0, published event 0: field Method: got "password", want "token"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecordingTB(t)
			tc.assert(rec)
			msg := strings.Join(rec.errors, "\n")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("failure = %q\nwant it to contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "0x") {
				t.Errorf("failure prints a pointer: %q", msg)
			}
		})
	}
}

// TestReportedAtCallersLine: a misspelled field name is reported at the line
// of the test that made the typo, not inside this package.
func TestReportedAtCallersLine(t *testing.T) {
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	p, err := eventmanager.CreatePublisher[QueryEvent](t.Context(), m, "query")
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecordingTB(t)
	_, file, line, _ := runtime.Caller(0)
	eventmanagertest.AssertPublishedAll(rec, p, nil, eventmanagertest.AnyValue("Durtion"))
	want := fmt.Sprintf("%s:%d", filepath.Base(file), line+1)
	if len(rec.where) == 0 {
		t.Fatal("the misspelled field was not reported")
	}
	if rec.where[0] != want {
		t.Errorf("failure %q reported at %s, want %s", rec.errors[0], rec.where[0], want)
	}
	if !strings.Contains(rec.errors[0], `no field "Durtion"`) {
		t.Errorf("failure = %q, want it to name the field", rec.errors[0])
	}
}

// ItemRequest embeds httpmetrics.Event, as docs/usage.md shows.
type ItemRequest struct {
	httpmetrics.Event
	Client string `influx:"tag"`
}

// ItemBase is a base struct shared by an app's events; ItemCall embeds it,
// so the fields of httpmetrics.Event are two levels down.
type ItemBase struct {
	httpmetrics.Event
	Client string `influx:"tag"`
}

type ItemCall struct {
	ItemBase
	Item string
}

// itemBase is an unexported base struct: its exported fields are promoted
// and published all the same.
type itemBase struct {
	Client string `influx:"tag"`
}

type ItemLocal struct {
	itemBase
	Item   string
	secret string
}

// ItemShadow has a Client of its own, which shadows ItemBase.Client in Go
// (and is published under another name).
type ItemShadow struct {
	ItemBase
	Client string `avro:"caller"`
}

// newMockPublisher returns a publisher of T in mock mode.
func newMockPublisher[T any](t *testing.T) *eventmanager.Publisher[T] {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	p, err := eventmanager.CreatePublisher[T](t.Context(), m, "item")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEmbeddedFields: the fields of an embedded struct are fields of the
// event for AnyValue and NotZero, by their promoted name (Duration) or by
// their path (Event.Duration, ItemBase.Client), one or two levels down, and
// a failure names the field that differs, not the embedded struct.
func TestEmbeddedFields(t *testing.T) {
	event := httpmetrics.Event{Method: "GET", Route: "GET /items/{id}", Status: "200", Duration: 3 * time.Millisecond, ResponseBytes: 10}
	zeroDuration := event
	zeroDuration.Duration = 0

	req := newMockPublisher[ItemRequest](t)
	if err := req.Publish(t.Context(), ItemRequest{Event: event, Client: "portal"}); err != nil {
		t.Fatal(err)
	}
	call := newMockPublisher[ItemCall](t)
	if err := call.Publish(t.Context(), ItemCall{ItemBase: ItemBase{Event: event, Client: "portal"}, Item: "x"}); err != nil {
		t.Fatal(err)
	}
	local := newMockPublisher[ItemLocal](t)
	if err := local.Publish(t.Context(), ItemLocal{itemBase: itemBase{Client: "portal"}, Item: "x", secret: "s"}); err != nil {
		t.Fatal(err)
	}
	shadow := newMockPublisher[ItemShadow](t)
	if err := shadow.Publish(t.Context(), ItemShadow{ItemBase: ItemBase{Event: event, Client: "portal"}, Client: "me"}); err != nil {
		t.Fatal(err)
	}
	unpredictable := ItemRequest{Event: zeroDuration, Client: "portal"} // what a test can write
	wantCall := ItemCall{ItemBase: ItemBase{Event: zeroDuration, Client: "portal"}, Item: "x"}
	status500 := zeroDuration
	status500.Status = "500"
	otherClient := wantCall
	otherClient.Client = "notebook"

	tests := []struct {
		name   string
		assert func(tb testing.TB)
		fail   []string // substrings of the failure; nil = must pass
	}{
		{"promoted name", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable}, eventmanagertest.AnyValue("Duration"))
		}, nil},
		{"path through the embedded struct", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable}, eventmanagertest.AnyValue("Event.Duration"))
		}, nil},
		{"not zero, promoted", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable}, eventmanagertest.NotZero("Duration"))
		}, nil},
		{"per item, promoted", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable},
				eventmanagertest.ForItem(0, eventmanagertest.AnyValue("Duration")))
		}, nil},
		{"no rule: the field is named", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable})
		}, []string{"field Duration: got 3ms, want 0s"}},
		{"another field still compared", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{{Event: status500, Client: "portal"}}, eventmanagertest.AnyValue("Duration"))
		}, []string{`field Status: got "200", want "500"`}},
		{"unknown path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable}, eventmanagertest.AnyValue("Event.Nope"))
		}, []string{`no field "Event.Nope"`}},
		{"two levels, promoted name", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{wantCall}, eventmanagertest.AnyValue("Duration"))
		}, nil},
		{"two levels, full path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{wantCall}, eventmanagertest.AnyValue("ItemBase.Event.Duration"))
		}, nil},
		{"two levels, promoted path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{wantCall}, eventmanagertest.AnyValue("Event.Duration"))
		}, nil},
		{"two levels, not zero", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{wantCall}, eventmanagertest.NotZero("ItemBase.Duration"))
		}, nil},
		{"two levels, base field by path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{otherClient}, eventmanagertest.AnyValue("Duration", "ItemBase.Client"))
		}, nil},
		{"two levels, base field promoted", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{otherClient}, eventmanagertest.AnyValue("Duration", "Client"))
		}, nil},
		{"two levels, the whole base", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{otherClient}, eventmanagertest.AnyValue("ItemBase"))
		}, nil},
		{"two levels, the field is named", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, call, []ItemCall{otherClient}, eventmanagertest.AnyValue("Duration"))
		}, []string{`field Client: got "portal", want "notebook"`}},
		{"unexported base, compared", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, local, []ItemLocal{{itemBase: itemBase{Client: "notebook"}, Item: "x"}})
		}, []string{`field Client: got "portal", want "notebook"`, `itemBase:{Client:"notebook"}`}},
		{"unexported base, promoted name", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, local, []ItemLocal{{itemBase: itemBase{Client: "notebook"}, Item: "x"}}, eventmanagertest.AnyValue("Client"))
		}, nil},
		{"a rule no comparison would see", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, local, []ItemLocal{{itemBase: itemBase{Client: "portal"}, Item: "x"}}, eventmanagertest.AnyValue("Item.Client"))
		}, []string{`no field "Item.Client": Item is not an embedded struct`}},
		{"an unexported field", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, local, []ItemLocal{{itemBase: itemBase{Client: "portal"}, Item: "x"}}, eventmanagertest.AnyValue("secret"))
		}, []string{`field "secret" of eventmanagertest_test.ItemLocal is unexported`}},
		{"two names of one field, two rules", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, req, []ItemRequest{unpredictable},
				eventmanagertest.AnyValue("Duration"), eventmanagertest.NotZero("Event.Duration"))
		}, []string{`"Duration" and "Event.Duration" name the same field`}},
		{"shadowed field named by its path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, shadow, []ItemShadow{{ItemBase: ItemBase{Event: zeroDuration, Client: "notebook"}, Client: "me"}},
				eventmanagertest.AnyValue("Duration"))
		}, []string{`field ItemBase.Client: got "portal", want "notebook"`}},
		{"shadowed field, rule by path", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, shadow, []ItemShadow{{ItemBase: ItemBase{Event: zeroDuration, Client: "notebook"}, Client: "me"}},
				eventmanagertest.AnyValue("Duration", "ItemBase.Client"))
		}, nil},
		{"shadowing field, promoted name", func(tb testing.TB) {
			eventmanagertest.AssertPublishedAll(tb, shadow, []ItemShadow{{ItemBase: ItemBase{Event: zeroDuration, Client: "portal"}, Client: "you"}},
				eventmanagertest.AnyValue("Duration"))
		}, []string{`field Client: got "me", want "you"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecordingTB(t)
			tc.assert(rec)
			msg := strings.Join(rec.errors, "\n")
			if tc.fail == nil && len(rec.errors) > 0 {
				t.Errorf("assertion failed unexpectedly: %s", msg)
			}
			for _, w := range tc.fail {
				if !strings.Contains(msg, w) {
					t.Errorf("failure = %q\nwant it to contain %q", msg, w)
				}
			}
		})
	}
}

// crossedEvent has a name, "B", that is the Avro name of one field and the
// Go name of another.
type crossedEvent struct {
	A int64 `avro:"B"`
	B int64 `avro:"a"`
}

// TestFieldNameAmbiguous: a field rule whose name is the Go name of one
// field and the Avro name of another fails the assertion, naming both,
// rather than picking one; the unambiguous names work.
func TestFieldNameAmbiguous(t *testing.T) {
	p := newMockPublisher[crossedEvent](t)
	if err := p.Publish(t.Context(), crossedEvent{A: 1, B: 2}); err != nil {
		t.Fatal(err)
	}
	rec := newRecordingTB(t)
	eventmanagertest.AssertPublished(rec, p, []crossedEvent{{A: 1}}, eventmanagertest.AnyValue("B"))
	if msg := strings.Join(rec.errors, "\n"); !rec.fatal || !strings.Contains(msg, "is the Avro name of Go field A and the Go name of field B") {
		t.Errorf("AnyValue(B): failures %q (fatal %v), want a fatal ambiguous-name failure", msg, rec.fatal)
	}
	rec = newRecordingTB(t)
	eventmanagertest.AssertPublished(rec, p, []crossedEvent{{A: 1}}, eventmanagertest.AnyValue("a"))
	if len(rec.errors) != 0 {
		t.Errorf("AnyValue(a), the Avro name of B: %q", rec.errors)
	}
}
