package eventmanager

// The field-type guard: InfluxDB refuses a point whose field has another type
// than the one the measurement already holds, and the registry cannot catch
// it (Safir sets compatibility NONE), so a publisher compares its schema with
// the latest one registered under its subject before registering its own.

import (
	"context"
	"errors"
	"fmt"

	"github.com/hamba/avro/v2"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// InfluxDB type classes of Avro field types, as Telegraf's avro parser maps
// them (an optional field, ["null", T], has the class of T).
const (
	classString  = string(FieldString)  // string, enum, uuid (a string with a logical type)
	classInteger = string(FieldInteger) // int, long
	classFloat   = string(FieldFloat)   // float, double, duration (a double with a logical type)
	classBoolean = string(FieldBoolean)
)

// register guards the publisher's schema against the latest one registered
// under its subject (see guard), then registers it and returns its id. Its
// errors are the registry's (schemaregistry.ErrUnavailable for a registry
// that does not answer, whichever of the two requests met it) or a
// [*FieldTypeChangedError].
func (p *Publisher[T]) register(ctx context.Context) (uint32, error) {
	if err := p.guard(ctx); err != nil {
		return 0, err
	}
	return p.core.registry.Register(ctx, p.codec.FullName(), p.codec.SchemaJSON())
}

// guard returns a [*FieldTypeChangedError] when a field of the publisher's
// schema has another InfluxDB type class than in the latest schema
// registered under its subject. Added and removed fields, optional-ness,
// int -> long and new enum symbols keep the class and pass. A subject with
// no version passes; so does a latest schema that is not an Avro record this
// SDK can parse (logged: its fields cannot be compared). The named types a
// latest schema takes from other subjects (Confluent schema references) are
// read from the registry; when one cannot be, the guard refuses with an
// error naming the subject, the reference and the fix (matching
// schemaregistry.ErrUnavailable when the registry did not answer).
func (p *Publisher[T]) guard(ctx context.Context) error {
	latest, err := p.core.registry.LatestResolved(ctx, p.codec.FullName())
	if err != nil {
		if re := (*schemaregistry.ReferenceError)(nil); errors.As(err, &re) {
			return fmt.Errorf("eventmanager: event %q: field types not compared with the latest schema of subject %q: %w", p.name, p.Subject(), err)
		}
		return err
	}
	if latest.Schema == "" || latest.Schema == p.codec.SchemaJSON() {
		return nil
	}
	version := latest.Version
	cache := &avro.SchemaCache{}
	for _, text := range latest.Referenced {
		if _, err := avro.ParseWithCache(text, "", cache); err != nil {
			p.core.log.Warn("schema referenced by the latest registered schema not readable as Avro: field types not compared",
				"event", p.name, "subject", p.Subject(), "version", version, "error", err)
			return nil
		}
	}
	old, err := avro.ParseWithCache(latest.Schema, "", cache)
	if err != nil {
		p.core.log.Warn("latest registered schema not readable as Avro: field types not compared",
			"event", p.name, "subject", p.Subject(), "version", version, "error", err)
		return nil
	}
	changes := fieldTypeChanges(old, p.codec.Schema())
	if len(changes) == 0 {
		return nil
	}
	return &FieldTypeChangedError{Event: p.name, Subject: p.Subject(), Fields: changes}
}

// fieldTypeChanges lists the fields of next whose class differs from that of
// the field of the same name in prev, in next's field order. Fields without
// a class (no InfluxDB mapping) are not compared.
func fieldTypeChanges(prev, next avro.Schema) []FieldTypeChange {
	pr, ok1 := prev.(*avro.RecordSchema)
	nr, ok2 := next.(*avro.RecordSchema)
	if !ok1 || !ok2 {
		return nil
	}
	before := make(map[string]string, len(pr.Fields()))
	for _, f := range pr.Fields() {
		before[f.Name()] = influxClass(f.Type())
	}
	var changes []FieldTypeChange
	for _, f := range nr.Fields() {
		old, now := before[f.Name()], influxClass(f.Type())
		if old != "" && now != "" && old != now {
			changes = append(changes, FieldTypeChange{Field: f.Name(), Old: old, New: now})
		}
	}
	return changes
}

// influxClass returns the InfluxDB type class of an Avro field type, or ""
// for a type without one (bytes, fixed, arrays, maps, records, unions other
// than ["null", T]).
func influxClass(s avro.Schema) string {
	if u, ok := s.(*avro.UnionSchema); ok {
		if !u.Nullable() {
			return ""
		}
		for _, t := range u.Types() {
			if t.Type() != avro.Null {
				s = t
			}
		}
	}
	if r, ok := s.(*avro.RefSchema); ok {
		s = r.Schema()
	}
	switch s.Type() {
	case avro.String, avro.Enum:
		return classString
	case avro.Int, avro.Long:
		return classInteger
	case avro.Float, avro.Double:
		return classFloat
	case avro.Boolean:
		return classBoolean
	}
	return ""
}
