package eventmanagertest

import (
	"reflect"
	"testing"
)

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
// predict. A name T does not have fails the assertion at the caller's line.
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

// newMatcher builds the rules of an assertion over n wanted events. It fails
// tb, at the caller's line, and returns false for a field T does not have or
// an index outside the wanted events.
func newMatcher[T any](tb testing.TB, n int, opts []MatchOption) (*matcher, bool) {
	tb.Helper()
	m := newRules()
	for _, o := range opts {
		o(m)
	}
	t := reflect.TypeFor[T]()
	if !checkRules(tb, t, m.rules) {
		return nil, false
	}
	for i, it := range m.items {
		if i < 0 || i >= n {
			tb.Fatalf("eventmanagertest: ForItem/AnyEvent index %d outside the %d wanted events", i, n)
			return nil, false
		}
		if !checkRules(tb, t, it.rules) {
			return nil, false
		}
	}
	return m, true
}

// checkRules fails tb and returns false unless every field named in rules is
// a field of t.
func checkRules(tb testing.TB, t reflect.Type, rules map[string]fieldRule) bool {
	tb.Helper()
	for name := range rules {
		if t.Kind() != reflect.Struct {
			tb.Fatalf("eventmanagertest: field rule %q given for non-struct type %s", name, t)
			return false
		}
		if _, ok := t.FieldByName(name); !ok {
			tb.Fatalf("eventmanagertest: type %s has no field %q (use the Go field name)", t, name)
			return false
		}
	}
	return true
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

// difference is one field where a published event differs from a wanted
// one: name is "" when T is not a struct (the whole values differ).
type difference struct {
	name      string
	got, want reflect.Value
	notZero   bool // the rule was NotZero and got is zero
}

// match reports whether got matches want, the wanted event at index i.
func match[T any](m *matcher, i int, want, got T) bool {
	return len(compare(m, i, want, got, false)) == 0
}

// compare returns the fields where got differs from want, the wanted event at
// index i, in field order: all of them, or only the first unless all is set.
// Unexported fields, which are not published, are not compared.
func compare[T any](m *matcher, i int, want, got T, all bool) []difference {
	if it := m.items[i]; it != nil && it.anyEvent {
		return nil
	}
	wv, gv := reflect.ValueOf(&want).Elem(), reflect.ValueOf(&got).Elem()
	if wv.Kind() != reflect.Struct {
		if reflect.DeepEqual(want, got) {
			return nil
		}
		return []difference{{got: gv, want: wv}}
	}
	var diffs []difference
	t := wv.Type()
	for k := range t.NumField() {
		f := t.Field(k)
		if !f.IsExported() {
			continue
		}
		w, g := wv.Field(k), gv.Field(k)
		switch m.rule(i, f.Name) {
		case ruleAny:
			continue
		case ruleNotZero:
			if g.IsZero() {
				diffs = append(diffs, difference{name: f.Name, got: g, want: w, notZero: true})
			}
		default:
			if !reflect.DeepEqual(w.Interface(), g.Interface()) {
				diffs = append(diffs, difference{name: f.Name, got: g, want: w})
			}
		}
		if !all && len(diffs) > 0 {
			return diffs
		}
	}
	return diffs
}

// unmatched returns the indexes of the wanted events left over by a maximum
// matching between wanted and published events, each published event
// matching at most one wanted event. It searches augmenting paths: with
// per-item rules a first-fit scan can let a loose wanted event take the only
// published event a strict one matches, and fail where an assignment exists
// (Safir's greedy matching does exactly that).
func unmatched[T any](m *matcher, want, got []T) []int {
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
	var missing []int
	for i := range want {
		if !assign(i, make([]bool, len(got))) {
			missing = append(missing, i)
		}
	}
	return missing
}
