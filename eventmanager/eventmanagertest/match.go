package eventmanagertest

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/lsst-sqre/sasquatch-go/payload"
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
// event i. The options fill rules by the names the test gave; newMatcher
// resolves them into fields, keyed by index path (see indexKey), for
// compare.
type matcher struct {
	rules    map[string]fieldRule // by name, as given
	fields   map[string]fieldRule // by index path in the event type
	anyEvent bool
	items    map[int]*matcher
}

func newRules() *matcher { return &matcher{rules: map[string]fieldRule{}} }

// AnyValue makes the named fields match any value, like Safir's ANY: use it
// for durations and other values a test cannot predict. A field is named as
// a Go selector would name it on a value of the event type: its Go name,
// promoted names of embedded structs included ("Duration" for an event that
// embeds httpmetrics.Event), or a path through embedded structs
// ("Event.Duration", "ItemBase.Client"); or by its Avro name ("duration"),
// the rule of payload.Codec.FieldPath. A name that is the Go name of one
// field and the Avro name of another fails rather than guesses. Naming an embedded struct itself
// ("Event") applies the rule to it as a whole. A name that selects no
// field, or an unexported field (never published, never compared), fails
// the assertion at the caller's line.
func AnyValue(fields ...string) MatchOption {
	return func(m *matcher) {
		for _, f := range fields {
			m.rules[f] = ruleAny
		}
	}
}

// NotZero makes the named fields (named as for AnyValue) match any value
// except their zero value. On pointer fields it is Safir's NOT_NONE
// (anything but nil); on other fields it also refuses 0, "" and false, where
// NOT_NONE would accept them (use AnyValue there).
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
// tb, at the caller's line, and returns false for a name that selects no
// field of T, or an index outside the wanted events.
func newMatcher[T any](tb testing.TB, n int, opts []MatchOption) (*matcher, bool) {
	tb.Helper()
	m := newRules()
	for _, o := range opts {
		o(m)
	}
	t := reflect.TypeFor[T]()
	// The Avro names of T's fields, by payload's rule (payload.Codec.FieldPath):
	// a test may name a field as the code or as InfluxDB does.
	var avro avroNames
	if c, err := payload.NewCodec[T]("eventmanagertest", "eventmanagertest"); err == nil {
		avro = c
	}
	if !m.resolve(tb, t, avro) {
		return nil, false
	}
	for i, it := range m.items {
		if i < 0 || i >= n {
			tb.Fatalf("eventmanagertest: ForItem/AnyEvent index %d outside the %d wanted events", i, n)
			return nil, false
		}
		if !it.resolve(tb, t, avro) {
			return nil, false
		}
	}
	return m, true
}

// resolve fills m.fields from m.rules: it fails tb and returns false unless
// every name selects a field of t that compare sees, and two names of one
// field have the same rule.
func (m *matcher) resolve(tb testing.TB, t reflect.Type, avro avroNames) bool {
	tb.Helper()
	m.fields = make(map[string]fieldRule, len(m.rules))
	byField := map[string]string{} // the name that set each field's rule
	for _, name := range slices.Sorted(maps.Keys(m.rules)) {
		if t.Kind() != reflect.Struct {
			tb.Fatalf("eventmanagertest: field rule %q given for non-struct type %s", name, t)
			return false
		}
		index, problem := resolveField(t, name)
		if avro != nil && slices.Contains(avro.Fields(), name) {
			// An Avro name: one rule with payload.FieldOf (FieldPath), the
			// Go name or the Avro name, never a guess between two fields.
			path, err := avro.FieldPath(name)
			switch {
			case err != nil: // the Avro name of one field, the Go name of another
				problem = err.Error()
			case problem == "" && indexKey(mustIndex(t, path)) != indexKey(index):
				problem = fmt.Sprintf("%q names two fields of %s: Go field %s, and the field whose Avro name it is (Go %s): use the Go path", name, t, name, path)
			default:
				index, problem = resolveField(t, path)
			}
		}
		if problem != "" {
			tb.Fatalf("eventmanagertest: %s", problem)
			return false
		}
		key := indexKey(index)
		if other, ok := byField[key]; ok && m.rules[other] != m.rules[name] {
			tb.Fatalf("eventmanagertest: %q and %q name the same field of %s with different rules", other, name, t)
			return false
		}
		byField[key] = name
		m.fields[key] = m.rules[name]
	}
	return true
}

// resolveField returns the index path of the field of the struct type t that
// name selects, as a Go selector on a value of t would: a field name,
// promoted names included, or dot-separated names through embedded structs,
// each resolved in the type the previous one selected. Otherwise it says why
// not.
func resolveField(t reflect.Type, name string) ([]int, string) {
	root := t
	var index []int
	parts := strings.Split(name, ".")
	for k, part := range parts {
		f, ok := t.FieldByName(part)
		switch {
		case !ok:
			return nil, fmt.Sprintf("type %s has no field %q (use the Go field name, a promoted one, a path through embedded structs such as Event.Duration, or the field's Avro name)", root, name)
		case !f.IsExported() && !embeddedStruct(f):
			return nil, fmt.Sprintf("field %q of %s is unexported: it is not published, and not compared", name, root)
		case k < len(parts)-1 && !embeddedStruct(f):
			return nil, fmt.Sprintf("type %s has no field %q: %s is not an embedded struct, whose fields would be the event's", root, name, part)
		}
		index = append(index, f.Index...)
		t = f.Type
	}
	return index, ""
}

// avroNames is what a matcher needs of the payload codec of the event type:
// its fields' Avro names, and payload's field-name rule.
type avroNames interface {
	Fields() []string
	FieldPath(name string) (string, error)
}

// mustIndex is resolveField's index path for a Go path payload returned
// (nil if it does not resolve).
func mustIndex(t reflect.Type, path string) []int {
	index, _ := resolveField(t, path)
	return index
}

// embeddedStruct reports whether f is an embedded struct (not a pointer to
// one), whose fields the payload flattens into the event's, exported or not.
func embeddedStruct(f reflect.StructField) bool {
	return f.Anonymous && f.Type.Kind() == reflect.Struct
}

// indexKey is an index path as a map key.
func indexKey(index []int) string {
	var b strings.Builder
	for k, i := range index {
		if k > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// fieldName names the field of t at index as a failure prints it: its
// promoted name when that selects it ("Duration"), else its path
// ("ItemBase.Client" when the event has a Client of its own).
func fieldName(t reflect.Type, index []int) string {
	names := make([]string, len(index))
	for k := range index {
		names[k] = t.FieldByIndex(index[:k+1]).Name
	}
	leaf := names[len(names)-1]
	if f, ok := t.FieldByName(leaf); ok && slices.Equal(f.Index, index) {
		return leaf
	}
	return strings.Join(names, ".")
}

// rule returns the rule for the field at index of wanted event i.
func (m *matcher) rule(i int, index []int) fieldRule {
	key := indexKey(index)
	if it, ok := m.items[i]; ok {
		if r, ok := it.fields[key]; ok {
			return r
		}
	}
	return m.fields[key]
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
// The fields of an embedded struct are compared one by one, as the payload
// flattens them into the event's; unexported fields, which are not
// published, are not compared.
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
	m.compareFields(i, wv.Type(), nil, wv, gv, &diffs, all)
	return diffs
}

// compareFields appends to diffs the fields of the structs w and g, at index
// path prefix in the event type root, where they differ. It returns false
// when it stopped at a difference (all unset).
func (m *matcher) compareFields(i int, root reflect.Type, prefix []int, w, g reflect.Value, diffs *[]difference, all bool) bool {
	t := w.Type()
	for k := range t.NumField() {
		f := t.Field(k)
		embedded := embeddedStruct(f)
		if !f.IsExported() && !embedded {
			continue
		}
		index := append(prefix[:len(prefix):len(prefix)], k)
		fw, fg := readable(w.Field(k)), readable(g.Field(k))
		switch m.rule(i, index) {
		case ruleAny:
			continue
		case ruleNotZero:
			if fg.IsZero() {
				*diffs = append(*diffs, difference{name: fieldName(root, index), got: fg, want: fw, notZero: true})
			}
		default:
			if embedded {
				if !m.compareFields(i, root, index, fw, fg, diffs, all) {
					return false
				}
				continue
			}
			if !reflect.DeepEqual(fw.Interface(), fg.Interface()) {
				*diffs = append(*diffs, difference{name: fieldName(root, index), got: fg, want: fw})
			}
		}
		if !all && len(*diffs) > 0 {
			return false
		}
	}
	return true
}

// readable returns v, or, when v is an unexported embedded struct (whose
// exported fields are promoted and published like the event's own), the same
// variable without reflect's read-only mark, so that its fields can be
// compared and printed. v must be addressable for that; compare's and
// formatEvent's values are.
func readable(v reflect.Value) reflect.Value {
	if v.CanInterface() || !v.CanAddr() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
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
