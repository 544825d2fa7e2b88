package payload

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// Record is a value of a payload struct type known only at run time (built
// with reflect.StructOf), for tools whose event fields come from their input,
// such as cmd/sasquatch-publish. Create the type's codec with
// NewRecordCodec, a value with NewRecord, and set its fields through Value.
// A Record refers to its value: copies share it. The zero Record holds no
// value and is refused by Append and Validate.
type Record struct {
	typ reflect.Type
	ptr unsafe.Pointer
}

// NewRecord returns a Record holding the zero value of the struct type t.
func NewRecord(t reflect.Type) Record {
	return Record{typ: t, ptr: reflect.New(t).UnsafePointer()}
}

// Value returns the record's struct value, addressable, to set its fields;
// the zero Value for the zero Record.
func (r Record) Value() reflect.Value {
	if r.ptr == nil {
		return reflect.Value{}
	}
	return reflect.NewAt(r.typ, r.ptr).Elem()
}

// String formats the record's value like fmt's %+v.
func (r Record) String() string {
	if r.ptr == nil {
		return "<nil record>"
	}
	return fmt.Sprintf("%+v", r.Value().Interface())
}

// NewRecordCodec is NewCodec for records of the struct type t, with the
// same rules and errors. The codec refuses a Record of another type. Strings
// holding invalid UTF-8 are repaired in the record's value itself.
func NewRecordCodec(t reflect.Type, name, namespace string) (*Codec[Record], error) {
	c, err := newCodecOf(t, name, namespace)
	if err != nil {
		return nil, err
	}
	c.record = t
	return &Codec[Record]{c: c}, nil
}

// errRecordType is returned for a Record whose type is not its codec's.
var errRecordType = errors.New("payload: record of another type than the codec's")

// value returns where the payload of v lives: v itself, or, for a codec of
// records, the value v refers to (nil if v is not of the codec's type).
func (c *Codec[T]) value(v *T) unsafe.Pointer {
	if c.c.record == nil {
		return unsafe.Pointer(v)
	}
	r := (*Record)(unsafe.Pointer(v))
	if r.typ != c.c.record {
		return nil
	}
	return r.ptr
}
