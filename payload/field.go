package payload

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// ErrNoField is matched (with errors.Is) by the error of FieldSetter when
// the payload has no field of that Avro name and Go type.
var ErrNoField = errors.New("payload: no such field")

// FieldSetter returns a function that stores a value of type F in the
// payload field whose Avro name is name (embedded structs flattened, as in
// the schema), for code that fills one field of any event type, such as a
// timer writing a duration. The field is located once, here; the returned
// function does no reflection and no allocation, and is safe for concurrent
// use on different values. F must be the field's Go type exactly (for a
// nullable field, the pointer type).
//
// Errors (errors.Is ErrNoField): no field of that name, or a field of
// another type; the message names the event, the field and both types.
func FieldSetter[T, F any](c *Codec[T], name string) (func(*T, F), error) {
	want := reflect.TypeFor[F]()
	for i, f := range c.Fields() {
		if f != name {
			continue
		}
		if got := c.c.goTypes[i]; got != want {
			return nil, fmt.Errorf("%w: event %q: field %q (%s) is a %s, not a %s", ErrNoField, c.c.name, name, c.c.goNames[i], got, want)
		}
		off := c.c.ops[i].off
		return func(v *T, x F) { *(*F)(unsafe.Add(unsafe.Pointer(v), off)) = x }, nil
	}
	return nil, fmt.Errorf("%w: event %q has no field %q of type %s (fields: %v): add one, or name it with an avro:%q tag", ErrNoField, c.c.name, name, want, c.Fields(), name)
}
