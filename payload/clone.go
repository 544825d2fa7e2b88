package payload

import (
	"reflect"
	"unsafe"
)

// Clone returns a copy of *v that shares no memory with it: the value a
// Record refers to is copied (for a codec of Records), and so is what each
// pointer field points to. Mock mode records events with it, so that an
// event value reused after Publish (a Record filled again, an optional
// field's variable changed) does not change what was recorded. It uses
// reflection and allocates: it is for tests, not for the hot path. A Record
// of another type than the codec's is returned as is (Validate refuses it).
func (c *Codec[T]) Clone(v *T) T {
	out := *v
	var dst reflect.Value
	if c.c.record != nil {
		r := any(&out).(*Record)
		if r.typ != c.c.record || r.ptr == nil {
			return out
		}
		fresh := NewRecord(r.typ)
		fresh.Value().Set(r.Value())
		*r = fresh
		dst = fresh.Value()
	} else {
		dst = reflect.ValueOf(&out).Elem()
	}
	copyPointees(dst)
	return out
}

// copyPointees replaces every non-nil pointer field of the struct v (an
// addressable value), in embedded structs too, by a pointer to a copy.
func copyPointees(v reflect.Value) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Kind() == reflect.Struct:
			// An embedded struct of an unexported type is read-only through
			// reflect, though its exported fields are the payload's.
			copyPointees(reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem())
		case f.Kind() == reflect.Pointer && f.CanSet() && !f.IsNil():
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(f.Elem())
			f.Set(p)
		}
	}
}
