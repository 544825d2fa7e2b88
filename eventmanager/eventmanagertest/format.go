package eventmanagertest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// formatEvents prints events by value: "[{Field:value ...}, ...]".
func formatEvents[T any](events []T) string {
	parts := make([]string, len(events))
	for i, e := range events {
		parts[i] = formatEvent(e)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// formatEvent prints one event by value (see formatValue).
func formatEvent[T any](e T) string { return formatValue(reflect.ValueOf(&e).Elem()) }

// formatValue prints v for a failure message: pointers dereferenced, nil as
// nil, strings quoted, Stringers (time.Duration, uuid.UUID) by their String,
// times in RFC 3339, structs as {Field:value ...} with their exported fields
// and their embedded structs, exported or not (the payload publishes the
// fields of both).
func formatValue(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		return formatValue(v.Elem())
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case time.Time:
			return x.Format(time.RFC3339Nano)
		case fmt.Stringer:
			return x.String()
		}
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String())
	case reflect.Struct:
		var b strings.Builder
		b.WriteByte('{')
		t := v.Type()
		for k := range t.NumField() {
			if f := t.Field(k); !f.IsExported() && !embeddedStruct(f) {
				continue
			}
			if b.Len() > 1 {
				b.WriteByte(' ')
			}
			b.WriteString(t.Field(k).Name + ":" + formatValue(readable(v.Field(k))))
		}
		b.WriteByte('}')
		return b.String()
	case reflect.Slice, reflect.Map:
		if v.IsNil() {
			return "nil"
		}
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for k := range parts {
			parts[k] = formatValue(v.Index(k))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.Map:
		parts := make([]string, 0, v.Len())
		for it := v.MapRange(); it.Next(); {
			parts = append(parts, formatValue(it.Key())+":"+formatValue(it.Value()))
		}
		slices.Sort(parts)
		return "map[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

// String prints d as "field Name: got X, want Y".
func (d difference) String() string {
	var b strings.Builder
	if d.name != "" {
		b.WriteString("field " + d.name + ": ")
	}
	b.WriteString("got " + formatValue(d.got) + ", want ")
	if d.notZero {
		b.WriteString("not zero")
	} else {
		b.WriteString(formatValue(d.want))
	}
	return b.String()
}
