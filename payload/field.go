package payload

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// ErrNoField is matched (with errors.Is) by the error of FieldOf when the
// payload has no field of that Avro name and Go type.
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

// FieldOf locates the payload field whose Avro name is name (embedded
// structs flattened, as in the schema). F must be the field's Go type
// exactly (for a nullable field, the pointer type).
//
// Errors (errors.Is ErrNoField): no field of that name, or a field of
// another type (a *FieldTypeError); the message names the event, the field
// and both types.
func FieldOf[T, F any](c *Codec[T], name string) (Field[T, F], error) {
	want := reflect.TypeFor[F]()
	for i, f := range c.Fields() {
		if f != name {
			continue
		}
		if got := c.c.goTypes[i]; got != want {
			return Field[T, F]{}, &FieldTypeError{Event: c.c.name, Field: name, GoPath: c.c.goNames[i], Type: got, Want: want}
		}
		return Field[T, F]{off: c.c.ops[i].off, found: true, record: c.c.record}, nil
	}
	return Field[T, F]{}, fmt.Errorf("%w: event %q has no field %q of type %s (fields: %v): add one, or name it with an avro:%q tag", ErrNoField, c.c.name, name, want, c.Fields(), name)
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
