package payload

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// Enum is implemented by string-kinded types whose values are Avro enum
// symbols. Symbols must have a value receiver, return at least one symbol,
// and every symbol must be a unique Avro name. It is called once, when the
// codec is built; the Avro enum is named after the Go type.
type Enum interface{ Symbols() []string }

// durationLogicalType is the logicalType Safir (dataclasses-avroschema) gives
// a timedelta: a double holding seconds.
const durationLogicalType = "dataclasses-avroschema-timedelta"

// opKind is what one payload field is, as the encoder sees it.
type opKind uint8

const (
	opString opKind = iota
	opBool
	opInt8
	opInt16
	opInt32
	opInt64
	opUint8
	opUint16
	opUint32
	opFloat32
	opFloat64
	opDuration
	opUUID
	opEnum
)

// fieldOp is one precompiled step of the encoding plan: where the field
// lives in the struct and how to write it.
type fieldOp struct {
	off      uintptr   // offset of the field in the struct
	enum     *enumInfo // for opEnum
	rest     int       // upper bound of the bytes the later fields take, string contents excepted
	kind     opKind
	nullable bool // the field is a pointer: write the union branch first
}

// maxLen bounds the bytes a field takes, string contents excepted.
func (op *fieldOp) maxLen() int {
	n := 0
	if op.nullable {
		n = 1
	}
	switch op.kind {
	case opBool:
		return n + 1
	case opFloat32:
		return n + 4
	case opFloat64, opDuration:
		return n + 8
	case opUUID:
		return n + 1 + uuidStringLen
	default: // longs, string lengths, enum indexes
		return n + maxVarintLen
	}
}

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

// Reasons shared by several rejections.
const (
	reasonNestedStruct = "nested struct: flatten its fields into the event"
	reasonTime         = "time.Time: Telegraf silently drops it; use an int64 field holding unix nanoseconds (t.UnixNano())"
	reasonDoublePtr    = "pointer to pointer: use a single pointer (*T) for an optional field"
)

// isPrimitiveName reports whether name is an Avro primitive type name, which
// a named type may not take: a reference to it would mean the primitive.
func isPrimitiveName(name string) bool {
	switch name {
	case "null", "boolean", "int", "long", "float", "double", "bytes", "string":
		return true
	}
	return false
}

// deriver walks a payload type once and collects the encoding plan, the
// schema's payload fields and every problem.
type deriver struct {
	event    string
	root     string // Go name of the payload type, the start of each path
	ops      []fieldOp
	goNames  []string                // Go name of each op's field, for errors
	fields   []string                // JSON of each payload field
	problems []FieldError            // everything wrong, in declaration order
	names    map[string]string       // avro field name -> Go path that took it
	enums    map[string]reflect.Type // avro enum name -> Go type
	infos    map[reflect.Type]*enumInfo
}

// typeSpec is what a field type maps to.
type typeSpec struct {
	kind     opKind
	nullable bool
	enum     reflect.Type // for opEnum
}

// derive validates the struct type t and builds its plan and schema fields.
func (d *deriver) derive(t reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("avro")
		if tag == "-" {
			continue
		}
		path := d.root + "." + f.Name
		if f.Anonymous {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				d.problem(path, f.Type, "embedded struct: nested structs are not supported; declare its fields in the event itself or tag it avro:\"-\"")
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		name := tag
		if !tagged || tag == "" {
			name = snakeCase(f.Name)
		}
		nameOK := d.checkName(path, f.Type, name, tagged && tag != "")
		spec, reason := d.classify(f.Type)
		if reason != "" {
			d.problem(path, f.Type, reason)
			continue
		}
		var info *enumInfo
		typeJSON, ok := d.typeJSON(path, f.Type, spec, &info)
		if !ok || !nameOK {
			continue
		}
		d.ops = append(d.ops, fieldOp{off: f.Offset, kind: spec.kind, nullable: spec.nullable, enum: info})
		d.goNames = append(d.goNames, f.Name)
		d.fields = append(d.fields, fieldJSON(name, typeJSON, spec.nullable, f.Tag.Get("doc")))
	}
}

func (d *deriver) problem(path string, t reflect.Type, reason string) {
	d.problems = append(d.problems, FieldError{Path: path, GoType: typeString(t), Reason: reason})
}

// typeString names a type for errors, even a nil one.
func typeString(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}

// checkName validates an Avro field name, reporting a problem if it is not
// usable; it records the name as taken.
func (d *deriver) checkName(path string, t reflect.Type, name string, fromTag bool) bool {
	if !avroname.Valid(name) {
		how := "rename the field or set avro:\"...\""
		if fromTag {
			how = "fix its avro:\"...\" tag"
		}
		d.problem(path, t, fmt.Sprintf("field name %q is not an avro name (%s): %s", name, avroname.Pattern, how))
		return false
	}
	if isMetadataName(name) {
		d.problem(path, t, fmt.Sprintf("field name %q collides with the metadata field the SDK adds to every event: rename it with avro:\"...\"", name))
		return false
	}
	if other, dup := d.names[name]; dup {
		d.problem(path, t, fmt.Sprintf("field name %q is already used by %s: give one of them another avro:\"...\" name", name, other))
		return false
	}
	d.names[name] = path
	return true
}

// classify maps a field type to its spec, or says why it is rejected.
func (d *deriver) classify(t reflect.Type) (typeSpec, string) {
	if t.Kind() != reflect.Pointer {
		return d.classifyBase(t)
	}
	elem := t.Elem()
	switch {
	case elem.Kind() == reflect.Pointer:
		return typeSpec{}, reasonDoublePtr
	case elem == reflect.TypeFor[time.Time]():
		return typeSpec{}, reasonTime
	case elem.Kind() == reflect.Struct:
		return typeSpec{}, reasonNestedStruct
	}
	spec, reason := d.classifyBase(elem)
	spec.nullable = true
	return spec, reason
}

// classifyBase maps a non-pointer field type to its spec, or says why it is
// rejected. Special types come before the kinds they are made of.
func (d *deriver) classifyBase(t reflect.Type) (typeSpec, string) {
	switch t {
	case reflect.TypeFor[uuid.UUID]():
		return typeSpec{kind: opUUID}, ""
	case reflect.TypeFor[time.Duration]():
		return typeSpec{kind: opDuration}, ""
	case reflect.TypeFor[time.Time]():
		return typeSpec{}, reasonTime
	}
	if t.Kind() == reflect.Interface {
		return typeSpec{}, "interface: the concrete type must be known at registration; use a concrete field type"
	}
	if t.Implements(reflect.TypeFor[Enum]()) {
		if t.Kind() != reflect.String {
			return typeSpec{}, fmt.Sprintf("%s has a Symbols method but is not string-kinded: an avro enum must be a string type", t)
		}
		return typeSpec{kind: opEnum, enum: t}, ""
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[Enum]()) && t.Kind() == reflect.String {
		return typeSpec{}, fmt.Sprintf("Symbols has a pointer receiver: declare func (%s) Symbols() []string on the value so it is an enum", t.Name())
	}
	switch t.Kind() {
	case reflect.String:
		return typeSpec{kind: opString}, ""
	case reflect.Bool:
		return typeSpec{kind: opBool}, ""
	case reflect.Int, reflect.Int64:
		if t.Size() == 4 {
			return typeSpec{kind: opInt32}, ""
		}
		return typeSpec{kind: opInt64}, ""
	case reflect.Int8:
		return typeSpec{kind: opInt8}, ""
	case reflect.Int16:
		return typeSpec{kind: opInt16}, ""
	case reflect.Int32:
		return typeSpec{kind: opInt32}, ""
	case reflect.Uint8:
		return typeSpec{kind: opUint8}, ""
	case reflect.Uint16:
		return typeSpec{kind: opUint16}, ""
	case reflect.Uint32:
		return typeSpec{kind: opUint32}, ""
	case reflect.Float32:
		return typeSpec{kind: opFloat32}, ""
	case reflect.Float64:
		return typeSpec{kind: opFloat64}, ""
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return typeSpec{}, t.Kind().String() + ": values above 2^63-1 overflow an avro long; use int64, or uint32 if it fits"
	case reflect.Complex64, reflect.Complex128:
		return typeSpec{}, "complex number: not supported; use two float64 fields (real and imaginary parts)"
	case reflect.Struct:
		return typeSpec{}, reasonNestedStruct
	case reflect.Map:
		return typeSpec{}, "map: not supported (Telegraf writes flat fields); use one field per key"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return typeSpec{}, "[]byte: not supported; store it as a string (hex or base64)"
		}
		return typeSpec{}, "slice: not supported (Telegraf writes flat fields); use one field per value, or a summary such as a count"
	case reflect.Array:
		return typeSpec{}, "array: not supported (Telegraf writes flat fields); use one field per element"
	case reflect.Chan:
		return typeSpec{}, "chan: not data; remove the field or tag it avro:\"-\""
	case reflect.Func:
		return typeSpec{}, "func: not data; remove the field or tag it avro:\"-\""
	default: // unsafe.Pointer and anything new
		return typeSpec{}, t.Kind().String() + ": not supported; remove the field or tag it avro:\"-\""
	}
}

// typeJSON returns the Avro type of a field, defining an enum the first time
// its type appears and referring to it by name after that. It reports a
// problem and returns false if the enum is malformed.
func (d *deriver) typeJSON(path string, ft reflect.Type, spec typeSpec, info **enumInfo) (string, bool) {
	var base string
	switch spec.kind {
	case opString:
		base = `"string"`
	case opBool:
		base = `"boolean"`
	case opFloat32:
		base = `"float"`
	case opFloat64:
		base = `"double"`
	case opDuration:
		base = `{"type":"double","logicalType":"` + durationLogicalType + `"}`
	case opUUID:
		base = `{"type":"string","logicalType":"uuid"}`
	case opEnum:
		if known, ok := d.infos[spec.enum]; ok {
			*info = known
			base = `"` + spec.enum.Name() + `"`
			break
		}
		e, reason := d.newEnum(spec.enum)
		if reason != "" {
			d.problem(path, ft, reason)
			return "", false
		}
		*info = e
		base = enumJSON(spec.enum.Name(), e.symbols)
	default: // every integer kind
		base = `"long"`
	}
	if spec.nullable {
		return `["null",` + base + `]`, true
	}
	return base, true
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

// fieldJSON is one record field. Names are validated Avro names and need no
// escaping; the doc is escaped by encoding/json.
func fieldJSON(name, typeJSON string, nullable bool, doc string) string {
	var b strings.Builder
	b.WriteString(`{"name":"`)
	b.WriteString(name)
	b.WriteString(`","type":`)
	b.WriteString(typeJSON)
	if nullable {
		b.WriteString(`,"default":null`)
	}
	if doc != "" {
		quoted, _ := json.Marshal(doc) // a string always marshals
		b.WriteString(`,"doc":`)
		b.Write(quoted)
	}
	b.WriteByte('}')
	return b.String()
}

// recordJSON is the schema of the whole event.
func recordJSON(name, namespace string, fields []string) string {
	var b strings.Builder
	b.WriteString(`{"type":"record","name":"`)
	b.WriteString(name)
	b.WriteString(`","namespace":"`)
	b.WriteString(namespace)
	b.WriteString(`","fields":[`)
	b.WriteString(metadataFieldsJSON)
	for _, f := range fields {
		b.WriteByte(',')
		b.WriteString(f)
	}
	b.WriteString(`]}`)
	return b.String()
}
