package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// A fieldValue is one -f name=value, in command-line order.
type fieldValue struct {
	name, text string
}

// A fieldSpec is one field of the event: its Avro name, its Go type (as
// the SDK maps Go types to Avro, payload's table), its doc, whether it is an
// InfluxDB tag (-tag) and, when its type was inferred, the text it was
// inferred from.
type fieldSpec struct {
	name     string
	typ      reflect.Type
	doc      string
	tag      bool
	inferred bool
	text     string
}

// parseFields splits the -f flags; a name given twice is an error.
func parseFields(flags []string) ([]fieldValue, error) {
	var out []fieldValue
	seen := map[string]bool{}
	for _, f := range flags {
		name, text, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("-f %q: want name=value", f)
		}
		if !avroname.Valid(name) {
			return nil, fmt.Errorf("-f %q: field name %q must match %s (an Avro name)", f, name, avroname.Pattern)
		}
		if seen[name] {
			return nil, fmt.Errorf("-f %s given twice", name)
		}
		seen[name] = true
		out = append(out, fieldValue{name, text})
	}
	return out, nil
}

var (
	typeDuration = reflect.TypeFor[time.Duration]()
	typeInt64    = reflect.TypeFor[int64]()
	typeFloat64  = reflect.TypeFor[float64]()
	typeBool     = reflect.TypeFor[bool]()
	typeString   = reflect.TypeFor[string]()
)

// inferType is the documented inference rule: Go duration, integer, finite
// float, true/false, else string.
func inferType(text string) reflect.Type {
	if _, err := time.ParseDuration(text); err == nil && strings.ContainsAny(text, "nuµmsh") {
		return typeDuration
	}
	if _, err := strconv.ParseInt(text, 10, 64); err == nil {
		return typeInt64
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return typeFloat64
	}
	if text == "true" || text == "false" {
		return typeBool
	}
	return typeString
}

// inferSpecs gives each -f field its inferred type. A field declared a tag
// is a string unless its value is true or false: InfluxDB tags are text, and
// the SDK takes tags of string and boolean types only.
func inferSpecs(values []fieldValue, tags map[string]bool) []fieldSpec {
	specs := make([]fieldSpec, len(values))
	for i, v := range values {
		typ := inferType(v.text)
		if tags[v.name] && typ != typeBool {
			typ = typeString
		}
		specs[i] = fieldSpec{name: v.name, typ: typ, inferred: true, text: v.text}
	}
	return specs
}

// markTags sets the tag of each spec named in tags; a tag that names no
// field of the event is an error.
func markTags(specs []fieldSpec, tags map[string]bool) error {
	known := map[string]bool{}
	for i := range specs {
		known[specs[i].name] = true
		specs[i].tag = tags[specs[i].name]
	}
	for _, t := range slices.Sorted(maps.Keys(tags)) {
		if !known[t] {
			return fmt.Errorf("-tag %s: the event has no field %q (give it with -f %s=VALUE, or in -schema)", t, t, t)
		}
	}
	return nil
}

// typeHint says, for a field whose inferred type the SDK's guard refused,
// which type it was inferred as and how to send the registered type
// instead (registered is an InfluxDB type class: string, integer, float or
// boolean).
func typeHint(s fieldSpec, registered string) string {
	how := map[string]string{
		"float":   fmt.Sprintf("write %s.0 (a double) or %ss (a duration)", s.text, s.text),
		"integer": "write an integer such as 42",
		"boolean": "write true or false",
	}[registered]
	if how != "" {
		how += ", or "
	}
	return fmt.Sprintf("field %q was inferred as %s from %q but is %s in the registered schema: to send %s, %sgive the types with -schema FILE",
		s.name, avroName(s.typ), s.text, registered, registered, how)
}

// avroName is the Avro type the SDK maps t to, for messages.
func avroName(t reflect.Type) string {
	switch t {
	case typeDuration:
		return "a duration (double seconds)"
	case typeInt64:
		return "long"
	case typeFloat64:
		return "double"
	case typeBool:
		return "boolean"
	}
	return "string"
}

// metadataFields are the fields the SDK adds to every event; a schema file
// may list them (a schema copied from the registry does).
var metadataFields = map[string]bool{"id": true, "application": true, "timestamp": true, "timestamp_ns": true}

// maxSchemaBytes bounds the -schema file: the schema of one event record
// is a few KiB at most.
const maxSchemaBytes = 1 << 20

// readSchema reads file, refusing one larger than maxSchemaBytes without
// reading past the bound.
func readSchema(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("-schema: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSchemaBytes+1))
	if err != nil {
		return nil, fmt.Errorf("-schema: %w", err)
	}
	if len(data) > maxSchemaBytes {
		return nil, fmt.Errorf("-schema %s: larger than 1 MiB, the limit: not the Avro schema of one event record", file)
	}
	return data, nil
}

// schemaSpecs reads the fields of the record schema in file. Every field
// without a null branch needs a value; a value for a field the file lacks
// is an error.
func schemaSpecs(file string, values []fieldValue) ([]fieldSpec, error) {
	data, err := readSchema(file)
	if err != nil {
		return nil, err
	}
	var rec struct {
		Type   string `json:"type"`
		Fields []struct {
			Name string          `json:"name"`
			Type json.RawMessage `json:"type"`
			Doc  string          `json:"doc"`
		} `json:"fields"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("-schema %s: not an Avro schema (JSON): %w", file, err)
	}
	if rec.Type != "record" {
		return nil, fmt.Errorf("-schema %s: want a record schema, got type %q", file, rec.Type)
	}
	given := map[string]bool{}
	for _, v := range values {
		given[v.name] = true
	}
	var specs []fieldSpec
	known := map[string]bool{}
	for _, f := range rec.Fields {
		if !avroname.Valid(f.Name) {
			return nil, fmt.Errorf("-schema %s: field name %q must match %s (an Avro name)", file, f.Name, avroname.Pattern)
		}
		if metadataFields[f.Name] {
			continue
		}
		known[f.Name] = true
		typ, err := avroType(f.Type)
		if err != nil {
			return nil, fmt.Errorf("-schema %s: field %q: %w", file, f.Name, err)
		}
		if typ.Kind() != reflect.Pointer && !given[f.Name] {
			return nil, fmt.Errorf("field %q (required by %s) has no value: add -f %s=VALUE", f.Name, file, f.Name)
		}
		specs = append(specs, fieldSpec{name: f.Name, typ: typ, doc: f.Doc})
	}
	for _, v := range values {
		if !known[v.name] {
			return nil, fmt.Errorf("-f %s: schema %s has no field %q", v.name, file, v.name)
		}
	}
	return specs, nil
}

// avroType maps one Avro field type to the Go type the SDK maps to it.
func avroType(raw json.RawMessage) (reflect.Type, error) {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		switch name {
		case "string":
			return typeString, nil
		case "boolean":
			return typeBool, nil
		case "long":
			return typeInt64, nil
		case "int":
			return reflect.TypeFor[int32](), nil
		case "double":
			return typeFloat64, nil
		case "float":
			return reflect.TypeFor[float32](), nil
		}
		return nil, fmt.Errorf("type %q is not supported (string, boolean, int, long, float, double, a duration, a uuid, or a union with null)", name)
	}
	var union []json.RawMessage
	if json.Unmarshal(raw, &union) == nil {
		if len(union) != 2 || string(union[0]) != `"null"` {
			return nil, fmt.Errorf(`union %s is not supported: only ["null", T]`, raw)
		}
		t, err := avroType(union[1])
		if err != nil {
			return nil, err
		}
		return reflect.PointerTo(t), nil
	}
	var obj struct {
		Type        string `json:"type"`
		LogicalType string `json:"logicalType"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("type %s: %w", raw, err)
	}
	switch {
	case obj.Type == "double" && obj.LogicalType == "dataclasses-avroschema-timedelta":
		return typeDuration, nil
	case obj.Type == "string" && obj.LogicalType == "uuid":
		return reflect.TypeFor[uuid.UUID](), nil
	case obj.Type == "enum":
		return nil, fmt.Errorf("enums are not supported by sasquatch-publish: declare the field as a string")
	case obj.LogicalType == "":
		return avroType(json.RawMessage(strconv.Quote(obj.Type)))
	}
	return nil, fmt.Errorf("type %s is not supported", raw)
}

// buildRecord builds the event's struct type (field i is Go field F<i>,
// named by an avro tag) and a record holding the values.
func buildRecord(specs []fieldSpec, values []fieldValue) (reflect.Type, payload.Record, error) {
	fields := make([]reflect.StructField, len(specs))
	for i, s := range specs {
		tag := fmt.Sprintf("avro:%q", s.name)
		if s.tag {
			tag += ` influx:"tag"`
		}
		if s.doc != "" {
			tag += fmt.Sprintf(" doc:%q", s.doc)
		}
		fields[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: s.typ, Tag: reflect.StructTag(tag)}
	}
	typ := reflect.StructOf(fields)
	rec := payload.NewRecord(typ)
	text := map[string]string{}
	for _, v := range values {
		text[v.name] = v.text
	}
	for i, s := range specs {
		t, ok := text[s.name]
		if !ok {
			continue // optional: null
		}
		f := rec.Value().Field(i)
		if f.Kind() == reflect.Pointer {
			f.Set(reflect.New(s.typ.Elem()))
			f = f.Elem()
		}
		if err := setValue(f, t); err != nil {
			return nil, payload.Record{}, fmt.Errorf("field %q: %w", s.name, err)
		}
	}
	return typ, rec, nil
}

// maxDurationSeconds bounds a duration given in seconds: a time.Duration
// holds at most math.MaxInt64 nanoseconds.
const maxDurationSeconds = float64(math.MaxInt64) / float64(time.Second)

// setValue parses text into f according to f's type.
func setValue(f reflect.Value, text string) error {
	switch f.Type() {
	case typeDuration:
		d, err := time.ParseDuration(text)
		if err != nil {
			secs, ferr := strconv.ParseFloat(text, 64)
			if ferr != nil {
				return fmt.Errorf("%q is not a duration (1m30s, 1.5s) nor seconds (95.2)", text)
			}
			if math.IsNaN(secs) || math.Abs(secs) >= maxDurationSeconds {
				return fmt.Errorf("%q seconds is not a duration the SDK can hold (a time.Duration: finite, under %.0f seconds, about 292 years)", text, maxDurationSeconds)
			}
			d = time.Duration(secs * float64(time.Second))
		}
		f.SetInt(int64(d))
		return nil
	case reflect.TypeFor[uuid.UUID]():
		u, err := uuid.Parse(text)
		if err != nil {
			return fmt.Errorf("%q is not a UUID: %w", text, err)
		}
		f.Set(reflect.ValueOf(u))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", text)
		}
		f.SetBool(b)
	case reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer of %d bits", text, f.Type().Bits())
		}
		f.SetInt(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(text, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
		f.SetFloat(x)
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}
