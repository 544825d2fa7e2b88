package eventmanager

import (
	"github.com/hamba/avro/v2"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// FieldType is what InfluxDB stores a plain (non-tag) payload field as, once
// Sasquatch's Telegraf has written the event: the class of its Avro type, with
// durations told apart from other floats so that a dashboard can label them
// in seconds. [PipelineEvent.FieldTypes] lists it per field.
type FieldType string

// The field types. An optional field (a pointer, ["null", T] in Avro) has the
// type of T.
const (
	// FieldString is a string, an enum or a UUID: an InfluxDB string field.
	FieldString FieldType = "string"
	// FieldInteger is an int or long (Go's integers): an InfluxDB integer.
	FieldInteger FieldType = "integer"
	// FieldFloat is a float or double: an InfluxDB float.
	FieldFloat FieldType = "float"
	// FieldDuration is a time.Duration, an Avro double in seconds (logical
	// type dataclasses-avroschema-timedelta, as Safir writes a timedelta):
	// an InfluxDB float holding seconds.
	FieldDuration FieldType = "duration"
	// FieldBoolean is a bool: an InfluxDB boolean.
	FieldBoolean FieldType = "boolean"
)

// Numeric reports whether t is an integer, a float or a duration.
func (t FieldType) Numeric() bool {
	return t == FieldInteger || t == FieldFloat || t == FieldDuration
}

// fieldType returns the FieldType of an Avro field type: its InfluxDB class
// (influxClass, the one rule), a float with the duration logical type being
// FieldDuration. It returns "" for a type without an InfluxDB mapping.
func fieldType(s avro.Schema) FieldType {
	t := FieldType(influxClass(s))
	if t != FieldFloat {
		return t
	}
	if u, ok := s.(*avro.UnionSchema); ok {
		for _, v := range u.Types() {
			if v.Type() != avro.Null {
				s = v
			}
		}
	}
	if p, ok := s.(avro.PropertySchema); ok && p.Prop("logicalType") == payload.DurationLogicalType {
		return FieldDuration
	}
	return t
}

// fieldTypes returns the FieldType of each field of a record schema, by
// name; nil for a schema that is not a record.
func fieldTypes(s avro.Schema) map[string]FieldType {
	rs, ok := s.(*avro.RecordSchema)
	if !ok {
		return nil
	}
	types := make(map[string]FieldType, len(rs.Fields()))
	for _, f := range rs.Fields() {
		types[f.Name()] = fieldType(f.Type())
	}
	return types
}
