package payload

import (
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// validate runs appendValue's checks on the payload at p, in the same
// order, without writing anything.
func (c *codec) validate(p unsafe.Pointer) error {
	for _, i := range c.checkOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		switch op.kind {
		case opString:
			s := *(*string)(fp)
			if len(s) > MaxStringLen {
				return c.stringError(i, len(s))
			}
			// Repairing at most triples a string: only a long one may
			// end up over the limit.
			if len(s) > MaxStringLen/3 && !utf8.ValidString(s) {
				if size := repairedLen(s); size > MaxStringLen {
					return c.stringError(i, size)
				}
			}
		case opEnum:
			if s := *(*string)(fp); op.enum.lookup(s) < 0 {
				return c.enumError(i, s)
			}
		case opFloat32:
			if f := *(*float32)(fp); !finite32(f) {
				return c.floatError(i, float64(f))
			}
		case opFloat64:
			if f := *(*float64)(fp); !finite64(f) {
				return c.floatError(i, f)
			}
		}
	}
	return nil
}

// appField stands for the metadata field application where an op index is
// expected.
const appField = -1

// fieldName returns the Go name of op i, or "application".
func (c *codec) fieldName(i int) string {
	if i == appField {
		return "application"
	}
	return c.goNames[i]
}

// avroName returns the Avro name of op i, or "application".
func (c *codec) avroName(i int) string {
	if i == appField {
		return "application"
	}
	return c.avroNames()[i]
}

// floatError reports a NaN or infinite value f of op i.
func (c *codec) floatError(i int, f float64) error {
	return &ValueError{
		Event:  c.name,
		Field:  c.fieldName(i),
		Avro:   c.avroName(i),
		Value:  strconv.FormatFloat(f, 'g', -1, 64),
		Reason: "is not a finite number, and InfluxDB rejects NaN and infinite fields: publish a finite value (or make the field a pointer and leave it nil)",
	}
}

// stringError reports a string of op i (or appField) of size bytes, over
// MaxStringLen.
func (c *codec) stringError(i, size int) error {
	return &ValueError{
		Event:  c.name,
		Field:  c.fieldName(i),
		Avro:   c.avroName(i),
		Value:  "a string of " + strconv.Itoa(size) + " bytes",
		Reason: "is longer than payload.MaxStringLen (" + strconv.Itoa(MaxStringLen) + " bytes, InfluxDB's limit for a field value): shorten it before publishing",
	}
}

// enumError reports the value of op i that is not one of its symbols.
func (c *codec) enumError(i int, value string) error {
	op := &c.ops[i]
	return &EnumValueError{
		Event:   c.name,
		Field:   c.goNames[i],
		Avro:    c.avroName(i),
		Type:    op.enum.goType,
		Value:   value,
		Symbols: slices.Clone(op.enum.symbols),
	}
}
