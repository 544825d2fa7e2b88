//go:build safir

package safir_test

import (
	"fmt"
	"maps"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

// mockCase is one case of testdata/safir/mock_cases.json (see mock_cases.py):
// a sequence published through Safir's MockEventManager, an assertion and
// Safir's verdict.
type mockCase struct {
	Name      string           `json:"name"`
	Published []mockItem       `json:"published"`
	Publisher string           `json:"publisher"`
	Expected  []map[string]any `json:"expected"`
	Method    string           `json:"method"`
	AnyOrder  bool             `json:"any_order"`
	Verdict   string           `json:"verdict"`
	SafirBug  string           `json:"safir_bug"`
}

type mockItem struct {
	Event  string         `json:"event"`
	Fields map[string]any `json:"fields"`
}

// Safir's verdicts: "ok" or the class of the assertion error.
const (
	verdictOK              = "ok"
	verdictTooFew          = "PublishedTooFewError"
	verdictCount           = "PublishedCountError"
	verdictNotPublished    = "NotPublishedError"
	verdictNotConsecutive  = "NotPublishedConsecutivelyError"
	verdictFatal           = "Fatal"
	matchAny, matchNotNone = "any", "not_none"
)

// goDeviations lists the cases where the Go verdict deliberately differs from
// Safir's, with the Go verdict and why. Every other case must agree.
var goDeviations = map[string]struct{ verdict, why string }{
	"greedy_any_order": {verdictOK, "Safir bug: greedy matching without " +
		"backtracking; eventmanagertest's maximum matching accepts"},
}

// TestMockCases replays every case Safir's real MockEventManager and
// PublishedList judged through the Go mock mode and eventmanagertest, and
// checks that both reach the same verdict (down to the kind of failure).
func TestMockCases(t *testing.T) {
	safir9(t)
	t.Parallel()
	var cases []mockCase
	readJSON(t, repoPath("testdata", "safir", "mock_cases.json"), &cases)
	if len(cases) == 0 {
		t.Fatal("no mock cases")
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			got := runMockCase(t, c)
			want, why := c.Verdict, ""
			if d, ok := goDeviations[c.Name]; ok {
				want, why = d.verdict, d.why
			} else if c.SafirBug != "" {
				t.Fatalf("case marked safir_bug (%s) has no entry in goDeviations", c.SafirBug)
			}
			if got.verdict != want {
				t.Errorf("Go verdict %s, want %s (Safir: %s)%s\nGo said: %s", got.verdict, want, c.Verdict, suffix(why), got.msg)
			}
			if why != "" {
				t.Logf("deviation from Safir (%s): %s", c.Verdict, why)
			}
		})
	}
	for name := range goDeviations {
		if !seen[name] {
			t.Errorf("goDeviations names %q, which is not in mock_cases.json", name)
		}
	}
}

func suffix(why string) string {
	if why == "" {
		return ""
	}
	return " [" + why + "]"
}

type goVerdict struct{ verdict, msg string }

// runMockCase publishes the case's sequence in mock mode and runs the matching
// eventmanagertest assertion on the target publisher.
func runMockCase(t *testing.T, c mockCase) goVerdict {
	t.Helper()
	ctx := t.Context()
	m, err := eventmanager.New(config.Config{AppName: app, Mock: true, TopicPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(ctx) })
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	query, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
	if err != nil {
		t.Fatal(err)
	}
	rich, err := eventmanager.CreatePublisher[RichEvent](ctx, m, "rich")
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range c.Published {
		var err error
		switch item.Event {
		case "query":
			err = query.Publish(ctx, fromFields[QueryEvent](t, item.Fields))
		case "rich":
			err = rich.Publish(ctx, fromFields[RichEvent](t, item.Fields))
		default:
			t.Fatalf("unknown event %q", item.Event)
		}
		if err != nil {
			t.Fatalf("publish %v: %v", item, err)
		}
	}
	switch c.Publisher {
	case "query":
		return assertCase(t, query, c)
	case "rich":
		return assertCase(t, rich, c)
	}
	t.Fatalf("unknown publisher %q", c.Publisher)
	return goVerdict{}
}

// assertCase translates the expected items and runs the assertion.
//
// Safir's wildcards are per expected item and per field, and so are
// eventmanagertest's (ForItem, AnyEvent): the translation is exact. NOT_NONE
// becomes NotZero on a pointer field (nil is None) and AnyValue on any other
// field (its value is never None in Safir, so NOT_NONE matches everything
// there, zero included); a whole-item ANY or NOT_NONE becomes AnyEvent.
func assertCase[T any](t *testing.T, p *eventmanager.Publisher[T], c mockCase) goVerdict {
	t.Helper()
	typ := reflect.TypeFor[T]()
	want := make([]T, len(c.Expected))
	var rules []map[string]string // per item: Go field -> any|not_none
	for i, e := range c.Expected {
		r := map[string]string{}
		if kind, ok := matcher(e); ok { // the whole item
			for _, f := range reflect.VisibleFields(typ) {
				r[f.Name] = kind
			}
		} else {
			if ev, _ := e["event"].(string); ev != c.Publisher {
				t.Fatalf("expected item of event %q asserted on publisher %q", ev, c.Publisher)
			}
			fields, _ := e["fields"].(map[string]any)
			plain := map[string]any{}
			for name, v := range fields {
				if kind, ok := matcher(v); ok {
					r[goField(t, typ, name).Name] = kind
					continue
				}
				plain[name] = v
			}
			want[i] = fromFields[T](t, plain)
		}
		rules = append(rules, r)
	}
	var opts []eventmanagertest.MatchOption
	for i, r := range rules {
		if _, whole := matcher(c.Expected[i]); whole {
			opts = append(opts, eventmanagertest.AnyEvent(i))
			continue
		}
		var anyFields, notZero []string
		for _, name := range slices.Sorted(maps.Keys(r)) {
			f, _ := typ.FieldByName(name)
			if r[name] == matchNotNone && f.Type.Kind() == reflect.Pointer {
				notZero = append(notZero, name)
			} else {
				anyFields = append(anyFields, name)
			}
		}
		var item []eventmanagertest.MatchOption
		if len(anyFields) > 0 {
			item = append(item, eventmanagertest.AnyValue(anyFields...))
		}
		if len(notZero) > 0 {
			item = append(item, eventmanagertest.NotZero(notZero...))
		}
		if len(item) > 0 {
			opts = append(opts, eventmanagertest.ForItem(i, item...))
		}
	}

	var assert func(testing.TB)
	switch {
	case c.Method == "assert_published" && !c.AnyOrder:
		assert = func(tb testing.TB) { eventmanagertest.AssertPublished(tb, p, want, opts...) }
	case c.Method == "assert_published" && c.AnyOrder:
		assert = func(tb testing.TB) { eventmanagertest.AssertPublishedAnyOrder(tb, p, want, opts...) }
	case c.Method == "assert_published_all" && !c.AnyOrder:
		assert = func(tb testing.TB) { eventmanagertest.AssertPublishedAll(tb, p, want, opts...) }
	case c.Method == "assert_published_all" && c.AnyOrder:
		assert = func(tb testing.TB) { eventmanagertest.AssertPublishedAllAnyOrder(tb, p, want, opts...) }
	default:
		t.Fatalf("unknown method %q", c.Method)
	}
	return record(t, assert)
}

// matcher reports whether v is {"$match": kind}.
func matcher(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	kind, ok := m["$match"].(string)
	return kind, ok && (kind == matchAny || kind == matchNotNone)
}

// goField returns the field of typ whose Avro name (snake case of the Go
// name; the twins have one-word names) is name.
func goField(t testing.TB, typ reflect.Type, name string) reflect.StructField {
	t.Helper()
	for _, f := range reflect.VisibleFields(typ) {
		if strings.ToLower(f.Name) == name {
			return f
		}
	}
	t.Fatalf("%s has no field for %q", typ, name)
	return reflect.StructField{}
}

// fromFields builds a T from the case's JSON fields: durations in
// nanoseconds, enums as their symbol, null as a nil pointer. Fields left out
// stay zero.
func fromFields[T any](t testing.TB, fields map[string]any) T {
	t.Helper()
	var v T
	rv := reflect.ValueOf(&v).Elem()
	for name, raw := range fields {
		f := rv.FieldByIndex(goField(t, rv.Type(), name).Index)
		if raw == nil {
			if f.Kind() != reflect.Pointer {
				t.Fatalf("null for non-pointer field %s", name)
			}
			continue
		}
		if f.Kind() == reflect.Pointer {
			f.Set(reflect.New(f.Type().Elem()))
			f = f.Elem()
		}
		switch x := raw.(type) {
		case string:
			f.SetString(x)
		case bool:
			f.SetBool(x)
		case float64:
			switch {
			case f.Type() == reflect.TypeFor[time.Duration]():
				f.SetInt(int64(x))
			case f.CanInt():
				f.SetInt(int64(x))
			default:
				f.SetFloat(x)
			}
		default:
			t.Fatalf("field %s: unexpected JSON value %#v", name, raw)
		}
	}
	return v
}

// record runs assert with a testing.TB that records failures instead of
// failing t, and classifies the outcome like Safir's error classes.
func record(t *testing.T, assert func(testing.TB)) goVerdict {
	t.Helper()
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert(rec)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.failed {
		return goVerdict{verdict: verdictOK}
	}
	msg := strings.Join(rec.msgs, "\n")
	switch {
	case rec.fatal:
		return goVerdict{verdictFatal, msg}
	case strings.Contains(msg, "expected more events than were published"):
		return goVerdict{verdictTooFew, msg}
	case strings.Contains(msg, "were not published:"):
		return goVerdict{verdictNotPublished, msg}
	case strings.Contains(msg, "not consecutively"):
		return goVerdict{verdictNotConsecutive, msg}
	case strings.Contains(msg, "published ") && strings.Contains(msg, " events, want "):
		return goVerdict{verdictCount, msg}
	}
	return goVerdict{"unclassified", msg}
}

// recordingTB is a testing.TB whose failures are recorded rather than
// reported; FailNow stops the calling goroutine, as testing does.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	msgs   []string
	failed bool
	fatal  bool
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Log(args ...any)                 {}
func (r *recordingTB) Logf(format string, args ...any) {}

func (r *recordingTB) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recordingTB) FailNow() {
	r.mu.Lock()
	r.failed, r.fatal = true, true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recordingTB) Error(args ...any) { r.add(fmt.Sprint(args...)) }

func (r *recordingTB) Errorf(format string, args ...any) { r.add(fmt.Sprintf(format, args...)) }

func (r *recordingTB) Fatal(args ...any) {
	r.add(fmt.Sprint(args...))
	r.FailNow()
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.add(fmt.Sprintf(format, args...))
	r.FailNow()
}

func (r *recordingTB) add(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.msgs = append(r.msgs, msg)
}
