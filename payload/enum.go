package payload

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// Enum is implemented by string-kinded types whose values are Avro enum
// symbols. Symbols must have a value receiver, return at least one symbol,
// and every symbol must be a unique Avro name. It is called once, when the
// codec is built; the Avro enum is named after the Go type.
type Enum interface{ Symbols() []string }

// linearEnumMax is the symbol count up to which an enum value is looked up by
// scanning instead of through a map.
const linearEnumMax = 8

// enumInfo is one Avro enum, shared by every field of its Go type.
type enumInfo struct {
	goType  string         // Go type, for errors
	symbols []string       // the symbols, in order; index = Avro value
	index   map[string]int // symbol -> index, only for large enums
}

// lookup returns the index of s in the symbols, or -1.
func (e *enumInfo) lookup(s string) int {
	if e.index == nil {
		for i, sym := range e.symbols {
			if sym == s {
				return i
			}
		}
		return -1
	}
	if i, ok := e.index[s]; ok {
		return i
	}
	return -1
}

// newEnum validates the enum type t, records it and returns its info, or the
// reason it is malformed. A malformed enum is reported at each field using it.
func (d *deriver) newEnum(t reflect.Type) (*enumInfo, string) {
	name := t.Name()
	switch {
	case !avroname.Valid(name):
		return nil, fmt.Sprintf("enum type name %q is not an avro name (%s): use a plain named string type", name, avroname.Pattern)
	case isPrimitiveName(name):
		return nil, fmt.Sprintf("enum type name %q is an avro primitive type name: rename the type", name)
	case name == d.event:
		return nil, fmt.Sprintf("enum type name %q is also the event (record) name: rename the type or the event", name)
	}
	if other, ok := d.enums[name]; ok {
		return nil, fmt.Sprintf("enum type name %q is already used by %s: avro names must be unique in a schema, rename one of the types", name, other)
	}
	symbols, reason := callSymbols(t)
	if reason != "" {
		return nil, reason
	}
	if len(symbols) == 0 {
		return nil, fmt.Sprintf("enum %s: Symbols returned no symbols; list at least one", name)
	}
	seen := make(map[string]struct{}, len(symbols))
	for _, s := range symbols {
		if !avroname.Valid(s) {
			return nil, fmt.Sprintf("enum %s: symbol %q is not an avro name (%s)", name, s, avroname.Pattern)
		}
		if _, dup := seen[s]; dup {
			return nil, fmt.Sprintf("enum %s: symbol %q is listed twice", name, s)
		}
		seen[s] = struct{}{}
	}
	e := &enumInfo{goType: t.String(), symbols: symbols}
	if len(symbols) > linearEnumMax {
		e.index = make(map[string]int, len(symbols))
		for i, s := range symbols {
			e.index[s] = i
		}
	}
	d.enums[name] = t
	d.infos[t] = e
	return e, ""
}

// callSymbols calls Symbols on the zero value of t and copies the result, so
// later changes to what the method returns cannot alter the codec. A panic in
// Symbols is reported as a reason, not propagated.
func callSymbols(t reflect.Type) (symbols []string, reason string) {
	defer func() {
		if r := recover(); r != nil {
			symbols, reason = nil, fmt.Sprintf("enum %s: Symbols panicked on the zero value: %v", t.Name(), r)
		}
	}()
	e, ok := reflect.Zero(t).Interface().(Enum)
	if !ok {
		return nil, fmt.Sprintf("%s does not implement payload.Enum", t)
	}
	return slices.Clone(e.Symbols()), ""
}

// enumJSON is the full definition of an enum.
func enumJSON(name string, symbols []string) string {
	var b strings.Builder
	b.WriteString(`{"type":"enum","name":"`)
	b.WriteString(name)
	b.WriteString(`","symbols":[`)
	for i, s := range symbols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
	}
	b.WriteString(`]}`)
	return b.String()
}
