package payload

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/hamba/avro/v2"
)

// ErrNoField is matched (with errors.Is) by the error of FieldOf and
// Codec.FieldPath when the payload has no field of that name (and, for
// FieldOf, Go type), or two fields answer to it.
var ErrNoField = errors.New("payload: no such field")

// FieldTypeError is the error of FieldOf for a field that exists with another
// Go type than the one asked for. It matches ErrNoField with errors.Is (the
// payload has no field of that name and type), though its message says what
// the field is rather than that there is none.
type FieldTypeError struct {
	Event  string       // the event's name
	Field  string       // the field's Avro name
	GoPath string       // its Go selector from the event ("Base.Elapsed" in an embedded Base)
	Type   reflect.Type // its Go type
	Want   reflect.Type // the type asked for
}

// Error names the event, the field and both types.
func (e *FieldTypeError) Error() string {
	return fmt.Sprintf("payload: event %q: field %s (Go field %s) is %s, not %s", e.Event, e.Field, e.GoPath, article(e.Type), e.Want)
}

// Unwrap returns ErrNoField.
func (e *FieldTypeError) Unwrap() error { return ErrNoField }

// article returns the name of t with its indefinite article: "a string", "an
// int64".
func article(t reflect.Type) string {
	s := t.String()
	if s != "" && strings.ContainsRune("aeio", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// Field is a payload field of type F in events of type T, located once by
// FieldOf, for code that fills one field of any event type (a timer writing
// a duration). Its zero value is no field: Set does nothing.
type Field[T, F any] struct {
	off   uintptr
	found bool
	// record is the struct type of a codec of Records (T is Record): the
	// field then lives in the value the Record refers to.
	record reflect.Type
}

// FieldOf locates the payload field that name names, as Codec.FieldPath
// resolves it: its Avro name or its Go name (embedded structs flattened, as
// in the schema). F must be the field's Go type exactly (for a nullable
// field, the pointer type).
//
// Errors (errors.Is ErrNoField): no field of that name, a name that names
// two fields, or a field of another type (a *FieldTypeError); the message
// names the event, the field (both names) and both types.
func FieldOf[T, F any](c *Codec[T], name string) (Field[T, F], error) {
	want := reflect.TypeFor[F]()
	i, err := c.c.field(name)
	if err != nil {
		return Field[T, F]{}, fmt.Errorf("%w (of type %s): add one, or name it with an avro:%q tag", err, want, name)
	}
	if got := c.c.goTypes[i]; got != want {
		return Field[T, F]{}, &FieldTypeError{Event: c.c.name, Field: c.Fields()[i], GoPath: c.c.goNames[i], Type: got, Want: want}
	}
	return Field[T, F]{off: c.c.ops[i].off, found: true, record: c.c.record}, nil
}

// FieldPath returns the Go path from the event ("Elapsed", or
// "Base.Elapsed" for a field of an embedded Base) of the payload field that
// name names. One rule for every API that takes a field name (FieldOf,
// eventmanager.NewTimer's fields, eventmanagertest.AnyValue and NotZero):
// name is either the field's Avro name (as in the schema, InfluxDB and
// Telegraf's avro_tags: "duration_ms") or its Go name (as in the code: the
// field name, promoted through embedded structs, or its path "Base.Elapsed"),
// so that code and tests may use the name they see. A name that is the Avro
// name of one field and the Go name of another is refused rather than
// guessed, and so is a Go name two embedded structs share.
//
// Errors (errors.Is ErrNoField): no such field, or an ambiguous name; the
// message lists the fields by both names.
func (c *Codec[T]) FieldPath(name string) (string, error) {
	i, err := c.c.field(name)
	if err != nil {
		return "", err
	}
	return c.c.goNames[i], nil
}

// field returns the index (in ops) of the payload field that name names,
// by Avro name or Go name, as FieldPath describes.
func (c *codec) field(name string) (int, error) {
	avroNames := c.avroNames()
	byAvro := slices.Index(avroNames, name)
	var byGo []int
	for i, g := range c.goNames {
		if g == name {
			byGo = []int{i} // a full path wins over promoted names
			break
		}
		if !strings.Contains(name, ".") && g[strings.LastIndexByte(g, '.')+1:] == name {
			byGo = append(byGo, i)
		}
	}
	switch {
	case byAvro >= 0 && (len(byGo) == 0 || len(byGo) == 1 && byGo[0] == byAvro):
		return byAvro, nil
	case byAvro >= 0:
		return 0, fmt.Errorf("%w: event %q: %q is the Avro name of Go field %s and the Go name of field %s (Avro %q): rename one of the two, or its avro tag, so that no name names two fields",
			ErrNoField, c.name, name, c.goNames[byAvro], c.goNames[byGo[0]], avroNames[byGo[0]])
	case len(byGo) == 1:
		return byGo[0], nil
	case len(byGo) > 1:
		paths := make([]string, len(byGo))
		for k, i := range byGo {
			paths[k] = c.goNames[i]
		}
		return 0, fmt.Errorf("%w: event %q: Go name %q is promoted from more than one embedded struct (%s): use its path", ErrNoField, c.name, name, strings.Join(paths, ", "))
	}
	return 0, fmt.Errorf("%w: event %q has no field %q (fields, Avro name = Go name: %s)", ErrNoField, c.name, name, c.describeFields())
}

// avroNames returns the Avro names of the payload fields, in ops order.
func (c *codec) avroNames() []string {
	rs, ok := c.schema.(*avro.RecordSchema)
	if !ok {
		return nil
	}
	var names []string
	for _, f := range rs.Fields() {
		if !isMetadataName(f.Name()) {
			names = append(names, f.Name())
		}
	}
	return names
}

// describeFields lists the payload fields as "avro = Go" pairs, for errors.
func (c *codec) describeFields() string {
	avroNames := c.avroNames()
	parts := make([]string, len(avroNames))
	for i, a := range avroNames {
		parts[i] = a + " = " + c.goNames[i]
	}
	return strings.Join(parts, ", ")
}

// Found reports whether f was located by FieldOf.
func (f Field[T, F]) Found() bool { return f.found }

// Set stores x in v's field, without reflection or allocation; it does
// nothing for the zero Field. For a codec of Records (NewRecordCodec) it
// stores x in the value *v refers to, and does nothing when *v is not a
// Record of the codec's type (the codec refuses such a Record anyway): it
// never writes outside the value it is given. It is safe for concurrent use
// on different values.
func (f Field[T, F]) Set(v *T, x F) {
	if !f.found || v == nil {
		return
	}
	p := unsafe.Pointer(v)
	if f.record != nil {
		r := (*Record)(p)
		if r.typ != f.record || r.ptr == nil {
			return
		}
		p = r.ptr
	}
	*(*F)(unsafe.Add(p, f.off)) = x
}
