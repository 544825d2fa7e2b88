package eventmanagertest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/recorder"
)

// Published returns a copy of the payloads p recorded, in publish order. It
// returns nil when p's manager is not in mock mode.
func Published[T any](p *eventmanager.Publisher[T]) []T {
	rec, _ := lookup(p)
	if rec == nil {
		return nil
	}
	return rec.Snapshot()
}

// Reset forgets what p recorded so far, for tests that share a publisher.
func Reset[T any](p *eventmanager.Publisher[T]) {
	if rec, _ := lookup(p); rec != nil {
		rec.Reset()
	}
}

// lookup returns p's recorder, nil outside mock mode, and its manager's mode.
func lookup[T any](p *eventmanager.Publisher[T]) (*recorder.Recorder[T], string) {
	if p == nil {
		return nil, ""
	}
	rec, mode := recorder.Of(p)
	r, _ := rec.(*recorder.Recorder[T])
	return r, mode
}

// MatchOption relaxes how a wanted event is compared with a published one.
type MatchOption func(*matcher)

type fieldRule int

const (
	ruleAny fieldRule = iota + 1
	ruleNotZero
)

// matcher holds the rules of one assertion: rules apply to every wanted
// event, items[i] adds to (or, with anyEvent, replaces) them for wanted
// event i.
type matcher struct {
	rules    map[string]fieldRule
	anyEvent bool
	items    map[int]*matcher
}

func newRules() *matcher { return &matcher{rules: map[string]fieldRule{}} }

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

// ForItem applies opts to the wanted event at index i only (0-based), on top
// of the options given for every wanted event: Safir's ANY and NOT_NONE are
// per expected item, and so can these be.
func ForItem(i int, opts ...MatchOption) MatchOption {
	return func(m *matcher) {
		it := m.item(i)
		for _, o := range opts {
			o(it)
		}
	}
}

// AnyEvent makes the wanted events at the given indexes (0-based) match any
// published event, like Safir's ANY standing for a whole expected item: the
// wanted value there is ignored.
func AnyEvent(indexes ...int) MatchOption {
	return func(m *matcher) {
		for _, i := range indexes {
			m.item(i).anyEvent = true
		}
	}
}

func (m *matcher) item(i int) *matcher {
	if m.items == nil {
		m.items = map[int]*matcher{}
	}
	it, ok := m.items[i]
	if !ok {
		it = newRules()
		m.items[i] = it
	}
	return it
}

// newMatcher builds the rules of an assertion over n wanted events, failing
// tb for a field T does not have or an index outside the wanted events.
func newMatcher[T any](tb testing.TB, n int, opts []MatchOption) *matcher {
	tb.Helper()
	m := newRules()
	for _, o := range opts {
		o(m)
	}
	t := reflect.TypeFor[T]()
	check := func(rules map[string]fieldRule) {
		for name := range rules {
			if t.Kind() != reflect.Struct {
				tb.Fatalf("eventmanagertest: field rule %q given for non-struct type %s", name, t)
			}
			if _, ok := t.FieldByName(name); !ok {
				tb.Fatalf("eventmanagertest: type %s has no field %q (use the Go field name)", t, name)
			}
		}
	}
	check(m.rules)
	for i, it := range m.items {
		if i < 0 || i >= n {
			tb.Fatalf("eventmanagertest: ForItem/AnyEvent index %d outside the %d wanted events", i, n)
		}
		check(it.rules)
	}
	return m
}

// rule returns the rule for a field of wanted event i.
func (m *matcher) rule(i int, field string) fieldRule {
	if it, ok := m.items[i]; ok {
		if r, ok := it.rules[field]; ok {
			return r
		}
	}
	return m.rules[field]
}

// match reports whether got matches want, the wanted event at index i.
func match[T any](m *matcher, i int, want, got T) bool {
	it := m.items[i]
	if it != nil && it.anyEvent {
		return true
	}
	if len(m.rules) == 0 && it == nil {
		return reflect.DeepEqual(want, got)
	}
	wv, gv := reflect.ValueOf(want), reflect.ValueOf(got)
	t := wv.Type()
	for k := range t.NumField() {
		f := t.Field(k)
		switch m.rule(i, f.Name) {
		case ruleAny:
			continue
		case ruleNotZero:
			if gv.Field(k).IsZero() {
				return false
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if !reflect.DeepEqual(wv.Field(k).Interface(), gv.Field(k).Interface()) {
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
	m := newMatcher[T](tb, len(want), opts)
	if !publishedAnyOrder(tb, m, want, got) {
		return
	}
	for i := 0; i+len(want) <= len(got); i++ {
		ok := true
		for j := range want {
			if !match(m, j, want[j], got[i+j]) {
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
	publishedAnyOrder(tb, newMatcher[T](tb, len(want), opts), want, Published(p))
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

// unmatched returns the wanted events left over by a maximum matching
// between wanted and published events, each published event matching at most
// one wanted event. It searches augmenting paths: with per-item rules a
// first-fit scan can let a loose wanted event take the only published event
// a strict one matches, and fail where an assignment exists (Safir's greedy
// matching does exactly that).
func unmatched[T any](m *matcher, want, got []T) []T {
	owner := make([]int, len(got)) // wanted index matched to got[j], or -1
	for j := range owner {
		owner[j] = -1
	}
	var assign func(i int, seen []bool) bool
	assign = func(i int, seen []bool) bool {
		for j := range got {
			if seen[j] || !match(m, i, want[i], got[j]) {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || assign(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	var missing []T
	for i := range want {
		if !assign(i, make([]bool, len(got))) {
			missing = append(missing, want[i])
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
