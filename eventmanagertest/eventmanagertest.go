package eventmanagertest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// Published returns a copy of the payloads p recorded, in publish order. It
// returns nil when p's manager is not in mock mode.
func Published[T any](p *eventmanager.Publisher[T]) []T {
	rec := p.Recorder()
	if rec == nil {
		return nil
	}
	return rec.Snapshot()
}

// Reset forgets what p recorded so far, for tests that share a publisher.
func Reset[T any](p *eventmanager.Publisher[T]) {
	if rec := p.Recorder(); rec != nil {
		rec.Reset()
	}
}

// MatchOption relaxes how a wanted event is compared with a published one.
type MatchOption func(*matcher)

type fieldRule int

const (
	ruleAny fieldRule = iota + 1
	ruleNotZero
)

type matcher struct {
	rules map[string]fieldRule
}

// AnyValue makes the named fields (Go field names, as in the struct) match any
// value, like Safir's ANY: use it for durations and other values a test cannot
// predict.
func AnyValue(fields ...string) MatchOption {
	return func(m *matcher) {
		for _, f := range fields {
			m.rules[f] = ruleAny
		}
	}
}

// NotZero makes the named fields match any value except their zero value.
// On pointer fields it is Safir's NOT_NONE (anything but nil); on other
// fields it also refuses 0, "" and false, where NOT_NONE would accept them
// (use AnyValue there).
func NotZero(fields ...string) MatchOption {
	return func(m *matcher) {
		for _, f := range fields {
			m.rules[f] = ruleNotZero
		}
	}
}

func newMatcher[T any](tb testing.TB, opts []MatchOption) *matcher {
	tb.Helper()
	m := &matcher{rules: map[string]fieldRule{}}
	for _, o := range opts {
		o(m)
	}
	t := reflect.TypeFor[T]()
	for name := range m.rules {
		if t.Kind() != reflect.Struct {
			tb.Fatalf("eventmanagertest: field rule %q given for non-struct type %s", name, t)
		}
		if _, ok := t.FieldByName(name); !ok {
			tb.Fatalf("eventmanagertest: type %s has no field %q (use the Go field name)", t, name)
		}
	}
	return m
}

// match reports whether got matches want under the rules.
func match[T any](m *matcher, want, got T) bool {
	if len(m.rules) == 0 {
		return reflect.DeepEqual(want, got)
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	t := wv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		switch m.rules[f.Name] {
		case ruleAny:
			continue
		case ruleNotZero:
			if gv.Field(i).IsZero() {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if !reflect.DeepEqual(wv.Field(i).Interface(), gv.Field(i).Interface()) {
			return false
		}
	}
	return true
}

// AssertPublished fails tb unless want appears in what p published as a
// consecutive run, in order (Safir's assert_published). It reports which
// wanted events were not published at all before checking the order.
func AssertPublished[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	got := Published(p)
	m := newMatcher[T](tb, opts)
	if !publishedAnyOrder(tb, m, want, got) {
		return
	}
	for i := 0; i+len(want) <= len(got); i++ {
		ok := true
		for j := range want {
			if !match(m, want[j], got[i+j]) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	fail(tb, "wanted events were published, but not consecutively in this order", want, got)
}

// AssertPublishedAnyOrder fails tb unless each wanted event matches a distinct
// published event, in any order (Safir's assert_published with any_order).
func AssertPublishedAnyOrder[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	publishedAnyOrder(tb, newMatcher[T](tb, opts), want, Published(p))
}

// publishedAnyOrder fails tb and returns false unless each wanted event
// matches a distinct published event.
func publishedAnyOrder[T any](tb testing.TB, m *matcher, want, got []T) bool {
	tb.Helper()
	if len(want) > len(got) {
		fail(tb, "expected more events than were published", want, got)
		return false
	}
	if missing := unmatched(m, want, got); len(missing) > 0 {
		fail(tb, fmt.Sprintf("%d wanted events were not published: %s", len(missing), format(missing)), want, got)
		return false
	}
	return true
}

// AssertPublishedAllAnyOrder fails tb unless the published events are
// exactly want, in any order (Safir's assert_published_all with any_order).
func AssertPublishedAllAnyOrder[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	got := Published(p)
	if len(want) != len(got) {
		fail(tb, fmt.Sprintf("published %d events, want %d", len(got), len(want)), want, got)
		return
	}
	AssertPublishedAnyOrder(tb, p, want, opts...)
}

// AssertPublishedAll fails tb unless the published events are exactly want,
// in order (Safir's assert_published_all).
func AssertPublishedAll[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	got := Published(p)
	if len(want) != len(got) {
		fail(tb, fmt.Sprintf("published %d events, want %d", len(got), len(want)), want, got)
		return
	}
	AssertPublished(tb, p, want, opts...)
}

// unmatched returns the wanted events that match no published event, each
// published event matching at most one wanted event. First fit is exact
// here: match options apply to every wanted event alike, so two wanted events
// either accept the same published events or none in common (unlike Safir's
// per-item ANY, whose greedy matching can miss a valid assignment).
func unmatched[T any](m *matcher, want, got []T) []T {
	used := make([]bool, len(got))
	var missing []T
	for _, w := range want {
		found := false
		for i, g := range got {
			if !used[i] && match(m, w, g) {
				used[i] = true
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	return missing
}

func fail[T any](tb testing.TB, msg string, want, got []T) {
	tb.Helper()
	tb.Errorf("eventmanagertest: %s\nwant: %s\ngot:  %s", msg, format(want), format(got))
}

func format[T any](events []T) string {
	if len(events) == 0 {
		return "[]"
	}
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = fmt.Sprintf("%+v", e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
