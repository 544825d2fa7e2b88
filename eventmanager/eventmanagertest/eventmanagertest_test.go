package eventmanagertest_test

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

type QueryType string

func (QueryType) Symbols() []string { return []string{"async", "sync"} }

type QueryEvent struct {
	Type     QueryType
	Duration time.Duration
	User     *string
}

// recordingTB captures failures instead of failing the real test.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func newPublisher(t *testing.T) *eventmanager.Publisher[QueryEvent] {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: "app", Enabled: true, Mock: true, TopicPrefix: "lsst.square.metrics.events"},
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
			rec := &recordingTB{TB: t}
			tc.assert(rec)
			msg := strings.Join(rec.errors, "\n")
			switch {
			case tc.fail == "" && len(rec.errors) > 0:
				t.Errorf("assertion failed unexpectedly: %s", msg)
			case tc.fail != "" && !strings.Contains(msg, tc.fail):
				t.Errorf("failure = %q, want it to contain %q", msg, tc.fail)
			}
		})
	}

	eventmanagertest.Reset(p)
	if n := len(eventmanagertest.Published(p)); n != 0 {
		t.Errorf("after Reset: %d events", n)
	}
}
