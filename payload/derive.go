package payload

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// DurationLogicalType is the logicalType of a time.Duration field, the one
// Safir (dataclasses-avroschema) gives a timedelta: a double holding seconds.
const DurationLogicalType = "dataclasses-avroschema-timedelta"

// Reasons shared by several rejections.
const (
	reasonNestedStruct = "nested struct: embed it (an anonymous field) to flatten its fields into the event, or declare them in the event itself"
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
	goTypes  []reflect.Type          // Go type of each op's field
	fields   []string                // JSON of each payload field
	tags     []string                // avro names of the fields tagged influx:"tag", in order
	problems []FieldProblem          // everything wrong, in declaration order
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
	d.deriveAt(t, 0, d.root, "")
}

// deriveAt walks the fields of the struct type t, which lives at offset base
// in the payload; path is its Go path for errors (the root type's name, then
// each embedded field) and goPrefix the selector that reaches it from a
// payload value ("" at the root, "Base." in an embedded Base). An embedded
// struct is flattened in place: its fields take its place in declaration
// order, at base plus their offsets, with the same rules as any other field.
func (d *deriver) deriveAt(t reflect.Type, base uintptr, path, goPrefix string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("avro")
		if tag == "-" {
			continue
		}
		fpath := path + "." + f.Name
		influx, influxTagged := f.Tag.Lookup("influx")
		if f.Anonymous {
			if embedded, flatten := d.embedded(f, fpath, tagged && tag != "", influxTagged); embedded {
				if flatten {
					d.deriveAt(f.Type, base+f.Offset, fpath, goPrefix+f.Name+".")
				}
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
		nameOK := d.checkName(fpath, f.Type, name, tagged && tag != "")
		spec, reason := d.classify(f.Type)
		if reason != "" {
			d.problem(fpath, f.Type, reason)
			continue
		}
		isTag := false
		if influxTagged {
			if reason := tagReason(influx, spec); reason != "" {
				d.problem(fpath, f.Type, reason)
				continue
			}
			isTag = true
		}
		var info *enumInfo
		typeJSON, ok := d.typeJSON(fpath, f.Type, spec, &info)
		if !ok || !nameOK {
			continue
		}
		d.ops = append(d.ops, fieldOp{off: base + f.Offset, kind: spec.kind, nullable: spec.nullable, enum: info})
		d.goNames = append(d.goNames, goPrefix+f.Name)
		d.goTypes = append(d.goTypes, f.Type)
		d.fields = append(d.fields, fieldJSON(name, typeJSON, spec.nullable, f.Tag.Get("doc")))
		if isTag {
			d.tags = append(d.tags, name)
		}
	}
}

// embedded reports whether the anonymous field f is an embedded struct or a
// pointer to one, and whether to flatten it: not if it is reported here as
// a problem (a pointer, time.Time, an avro name or an influx tag on it).
// Any other embedded type is a field like any other.
func (d *deriver) embedded(f reflect.StructField, path string, named, influxTagged bool) (embedded, flatten bool) {
	ft := f.Type
	switch {
	case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
		d.problem(path, ft, "embedded pointer to a struct: its fields would be missing when it is nil; embed the struct itself ("+
			typeString(ft.Elem())+"), or tag it avro:\"-\"")
	case ft.Kind() != reflect.Struct:
		return false, false
	case ft == reflect.TypeFor[time.Time]():
		d.problem(path, ft, reasonTime)
	case named:
		d.problem(path, ft, "embedded struct with an avro name: its fields are flattened into the event, so it has no name of its own; remove the name, or tag it avro:\"-\"")
	case influxTagged:
		d.problem(path, ft, "influx tag on an embedded struct: tag the fields of "+typeString(ft)+" that are InfluxDB tags instead")
	default:
		return true, true
	}
	return true, false
}

// tagReason says why a field with the struct tag influx:value cannot be an
// InfluxDB tag, or returns "".
func tagReason(value string, spec typeSpec) string {
	if value != "tag" {
		return fmt.Sprintf("influx:%q: the only influx struct tag is influx:\"tag\"; fix or remove it", value)
	}
	switch spec.kind {
	case opString, opEnum, opBool:
		return ""
	}
	return "influx:\"tag\" on a field that is not a string, an enum or a bool (or a pointer to one): " +
		"InfluxDB tags are strings, and a number or a time as a tag makes a series per value; remove the tag, or make the field a string"
}

func (d *deriver) problem(path string, t reflect.Type, reason string) {
	d.problems = append(d.problems, FieldProblem{Path: path, GoType: typeString(t), Reason: reason})
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
		base = `{"type":"double","logicalType":"` + DurationLogicalType + `"}`
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
