package payload

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/hamba/avro/v2"
)

// Codec is the encoding plan of one event type T: its Avro schema and the
// precompiled steps that write a T, both built once by NewCodec. The
// per-event methods do no reflection and no allocation beyond the returned
// buffer. A Codec is immutable and safe for concurrent use.
type Codec[T any] struct {
	c *codec
}

// NewCodec validates the event name, the namespace (the topic) and the
// payload type T, and builds T's Avro record schema and encoding plan. It does
// no I/O.
//
// It returns a *NameError (ErrInvalidName) for a bad event name or namespace
// part, and an *UnsupportedError (ErrUnsupported) listing every problem in T:
// unsupported field types, bad, duplicate or reserved field names, malformed
// enums. T must be a struct type, not a pointer to one.
func NewCodec[T any](name, namespace string) (*Codec[T], error) {
	c, err := newCodecOf(reflect.TypeFor[T](), name, namespace)
	if err != nil {
		return nil, err
	}
	return &Codec[T]{c: c}, nil
}

// Name returns the event name, which is the Avro record name.
func (c *Codec[T]) Name() string { return c.c.name }

// Namespace returns the Avro namespace (the topic).
func (c *Codec[T]) Namespace() string { return c.c.namespace }

// FullName returns namespace + "." + name: the record's full name and the
// registry subject before any suffix.
func (c *Codec[T]) FullName() string { return c.c.fullName }

// Schema returns the record schema as parsed by hamba/avro.
func (c *Codec[T]) Schema() avro.Schema { return c.c.schema }

// SchemaJSON returns the schema text to register, with field docs,
// logicalTypes and defaults.
func (c *Codec[T]) SchemaJSON() string { return c.c.schemaJSON }

// Append appends one event, metadata then payload, framed for Kafka with the
// Confluent wire format (0x00, the 4-byte big-endian schema id, the Avro
// binary body) to dst and returns the extended slice. If dst lacks room it
// grows it once, to an upper bound of the value's size; otherwise it does not
// allocate. Strings holding invalid UTF-8 are written with each run of
// invalid bytes replaced by U+FFFD (see the package documentation); such a
// string may grow dst once more.
//
// On error it returns dst unchanged and the error, and the event must not be
// sent: an *EnumValueError for an enum value outside its symbols, a
// *ValueError for a NaN or infinite float or a string longer than
// MaxStringLen (both match ErrInvalidValue), or an error for a nil md or v.
// The first bad field, in wire order, is reported.
func (c *Codec[T]) Append(dst []byte, schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	if md == nil || v == nil {
		return dst, c.c.nilError(md == nil)
	}
	return c.appendValue(dst, schemaID, md, v)
}

// appendValue is Append without the nil checks. The copy of a value whose
// strings need repair is made here, in typed code, so that the pointer to
// the caller's value never reaches reflection and can stay on the caller's
// stack (Publish passes the address of its parameter).
func (c *Codec[T]) appendValue(dst []byte, schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	out, err, repair := c.c.appendValue(dst, schemaID, md, unsafe.Pointer(v))
	if !repair {
		return out, err
	}
	cp := *v
	return c.c.appendRepaired(dst, schemaID, md, unsafe.Pointer(&cp))
}

// Encode is Append into a new buffer, allocated once with an upper bound of
// the value's size (a few bytes per integer field more than needed; once
// more for a string with invalid UTF-8). It returns nil and the error on
// failure.
func (c *Codec[T]) Encode(schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	if md == nil || v == nil {
		return nil, c.c.nilError(md == nil)
	}
	buf, err := c.appendValue(make([]byte, 0, c.c.maxLen(md.Application, unsafe.Pointer(v))), schemaID, md, v)
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// Validate runs the checks Encode does on the payload (enum values within
// their symbols, floats finite, strings at most MaxStringLen bytes once
// invalid UTF-8 is replaced) without producing bytes, and reports the same
// error as Encode for the same value: nil, an *EnumValueError or a
// *ValueError (both match ErrInvalidValue), or an error for a nil v. It does
// not allocate when the value is valid.
func (c *Codec[T]) Validate(v *T) error {
	if v == nil {
		return c.c.nilError(false)
	}
	return c.c.validate(unsafe.Pointer(v))
}

// codec is the type-erased core of Codec: everything but T.
type codec struct {
	name, namespace string
	fullName        string
	goType          string
	schemaJSON      string
	schema          avro.Schema
	ops             []fieldOp
	goNames         []string // Go field name of each op, for errors
	checkOps        []int    // indexes in ops of the fields Validate checks: strings, enums, floats
	stringOps       []int    // indexes in ops of the string fields
	fixedLen        int      // upper bound of the frame, string contents excepted
}

// newCodecOf is NewCodec over a reflect.Type, so tests can derive codecs for
// types built at run time.
func newCodecOf(t reflect.Type, name, namespace string) (*codec, error) {
	if err := validateName(name, "event name"); err != nil {
		return nil, err
	}
	if err := validateNamespace(namespace); err != nil {
		return nil, err
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, &UnsupportedError{Event: name, Type: typeString(t), Fields: []FieldError{{
			Path:   typeString(t),
			GoType: typeString(t),
			Reason: "a payload must be a struct type (not a pointer to one); pass the struct type as T",
		}}}
	}
	root := t.Name()
	if root == "" {
		root = "struct"
	}
	d := &deriver{
		event: name,
		root:  root,
		names: map[string]string{},
		enums: map[string]reflect.Type{},
		infos: map[reflect.Type]*enumInfo{},
	}
	d.derive(t)
	if len(d.problems) > 0 {
		return nil, &UnsupportedError{Event: name, Type: t.String(), Fields: d.problems}
	}
	schemaJSON := recordJSON(name, namespace, d.fields)
	// A cache per codec: enums of other events, or an earlier version of
	// this one, must not leak into this schema.
	schema, err := avro.ParseWithCache(schemaJSON, "", &avro.SchemaCache{})
	if err != nil {
		// Derivation only produces valid schemas; this is a bug, say so.
		return nil, fmt.Errorf("payload: event %q: derived schema for %s does not parse (please report this bug): %w", name, t, err)
	}
	c := &codec{
		name:       name,
		namespace:  namespace,
		fullName:   namespace + "." + name,
		goType:     t.String(),
		schemaJSON: schemaJSON,
		schema:     schema,
		ops:        slices.Clip(d.ops),
		goNames:    d.goNames,
		// header + id + application length + timestamp + timestamp_ns
		fixedLen: headerLen + 1 + uuidStringLen + 3*maxVarintLen,
	}
	opsLen := 0 // bound of the payload fields, string contents excepted
	for i := len(c.ops) - 1; i >= 0; i-- {
		c.ops[i].rest = opsLen
		opsLen += c.ops[i].maxLen()
	}
	c.fixedLen += opsLen
	for i := range c.ops {
		switch c.ops[i].kind {
		case opString:
			c.stringOps = append(c.stringOps, i)
			c.checkOps = append(c.checkOps, i)
		case opEnum, opFloat32, opFloat64:
			c.checkOps = append(c.checkOps, i)
		}
	}
	return c, nil
}

// nilError reports a nil argument.
func (c *codec) nilError(md bool) error {
	if md {
		return fmt.Errorf("payload: event %q: nil metadata", c.name)
	}
	return fmt.Errorf("payload: event %q: nil %s value", c.name, c.goType)
}

// maxLen bounds the framed size of the event at p with application app.
func (c *codec) maxLen(app string, p unsafe.Pointer) int {
	n := c.fixedLen + len(app)
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		n += len(*(*string)(fp))
	}
	return n
}

// appendValue writes the framed event; p points to a value of the codec's
// type. It is the hot path: one pass over the precompiled ops, reading each
// field at its offset and writing it in place. Room is checked up front for
// everything but string contents, and before each string for the string and
// the bound of what follows; growing (to the value's upper bound) happens at
// most once unless the value changes while being encoded.
//
// Invalid UTF-8 is handled off this path: the strings are written as they
// are, and checked for ASCII a word at a time (the common case, known
// valid: the application before the loop, the string fields after it, as a
// check inside the loop costs more). Only if one is not ASCII are they
// checked with utf8.ValidString, and only if one is invalid is the event
// encoded again, from a copy whose strings are repaired (see repaired), so
// that the checks apply to the repaired strings and the first bad field in
// wire order is still the one reported.
func (c *codec) appendValue(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer) (_ []byte, _ error, repair bool) {
	out, app, err := c.encode(dst, schemaID, md, p)
	if app&highBits == 0 && (len(c.stringOps) == 0 || c.ascii(p)) {
		return out, err, false
	}
	return c.appendNonASCII(dst, schemaID, md, p, out, err)
}

// appendNonASCII is appendValue's slow path for an event with a string
// that is not ASCII or is too long: out and err are what encode made of it
// as it is, kept when every string is valid UTF-8.
//
//go:noinline
func (c *codec) appendNonASCII(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer, out []byte, err error) (_ []byte, _ error, repair bool) {
	if err == nil && c.validStrings(md.Application, p) {
		return out, nil, false
	}
	return dst, nil, true
}

// appendRepaired encodes the value at q, a copy the caller owns, after
// repairing its strings and the application name in place.
//
//go:noinline
func (c *codec) appendRepaired(dst []byte, schemaID uint32, md *Metadata, q unsafe.Pointer) ([]byte, error) {
	rmd := *md
	rmd.Application = repairString(md.Application)
	c.repair(q)
	out, _, err := c.encode(dst, schemaID, &rmd, q)
	return out, err
}

// ascii reports whether the application and every string field of the
// value at p are ASCII (and so valid UTF-8) and at most MaxStringLen bytes
// long.
func (c *codec) ascii(p unsafe.Pointer) bool {
	var acc uint64
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		s := *(*string)(fp)
		if len(s) > MaxStringLen {
			return false
		}
		acc |= orBytes(s)
	}
	return acc&highBits == 0
}

// validStrings reports whether the application and every string field of
// the value at p are valid UTF-8.
func (c *codec) validStrings(app string, p unsafe.Pointer) bool {
	if !utf8.ValidString(app) {
		return false
	}
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		if !utf8.ValidString(*(*string)(fp)) {
			return false
		}
	}
	return true
}

// repair replaces, in the value at q, each string field that is not valid
// UTF-8 with its repaired text: each run of invalid bytes becomes U+FFFD. A
// string over MaxStringLen bytes is left as it is, for encode to refuse
// without repairing it. q must be a copy: a nullable field gets a new
// pointer, the caller's string is never written. It allocates.
func (c *codec) repair(q unsafe.Pointer) {
	for _, i := range c.stringOps {
		op := &c.ops[i]
		fp := unsafe.Add(q, op.off)
		if op.nullable {
			sp := *(**string)(fp)
			if sp == nil || len(*sp) > MaxStringLen || utf8.ValidString(*sp) {
				continue
			}
			r := repairString(*sp)
			*(**string)(fp) = &r
			continue
		}
		if s := *(*string)(fp); len(s) <= MaxStringLen {
			*(*string)(fp) = repairString(s)
		}
	}
}

// encode is appendValue's pass over the ops: it writes the framed event
// with its strings as they are, and returns the OR of the application's
// bytes (see orBytes) for appendValue's ASCII check.
func (c *codec) encode(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer) (_ []byte, appBits uint64, _ error) {
	app := md.Application // read once: it is checked, then written
	if len(app) > MaxStringLen {
		return dst, 0, c.stringError(appField, len(app))
	}
	appBits = orBytes(app)
	b := dst[:cap(dst)]
	if len(b)-len(dst) < c.fixedLen+len(app) {
		b = grow(dst, len(dst), c.maxLen(app, p))
	}
	n := putHeader(b, len(dst), schemaID)
	n = putUUID(b, n, (*[16]byte)(&md.ID))
	n = putString(b, n, app)
	n = putLong(b, n, floorMillis(md.TimestampNS))
	n = putLong(b, n, md.TimestampNS)
	ops := c.ops
	for i := range ops {
		op := &ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			fp = *(*unsafe.Pointer)(fp)
			if fp == nil {
				b[n] = 0 // union branch 0: null
				n++
				continue
			}
			b[n] = 2 // union branch 1, zig-zag
			n++
		}
		switch op.kind {
		case opString:
			s := *(*string)(fp)
			if len(s) > MaxStringLen {
				return dst, appBits, c.stringError(i, len(s))
			}
			if len(s) > len(b)-n-maxVarintLen-op.rest {
				b = grow(b, n, len(s)+maxVarintLen+op.rest)
			}
			n = putString(b, n, s)
		case opBool:
			n = putBool(b, n, *(*bool)(fp))
		case opInt8:
			n = putLong(b, n, int64(*(*int8)(fp)))
		case opInt16:
			n = putLong(b, n, int64(*(*int16)(fp)))
		case opInt32:
			n = putLong(b, n, int64(*(*int32)(fp)))
		case opInt64:
			n = putLong(b, n, *(*int64)(fp))
		case opUint8:
			n = putLong(b, n, int64(*(*uint8)(fp)))
		case opUint16:
			n = putLong(b, n, int64(*(*uint16)(fp)))
		case opUint32:
			n = putLong(b, n, int64(*(*uint32)(fp)))
		case opFloat32:
			f := *(*float32)(fp)
			if !finite32(f) {
				return dst, appBits, c.floatError(i, float64(f))
			}
			n = putFloat(b, n, f)
		case opFloat64:
			f := *(*float64)(fp)
			if !finite64(f) {
				return dst, appBits, c.floatError(i, f)
			}
			n = putDouble(b, n, f)
		case opDuration:
			n = putDouble(b, n, durationSeconds(*(*int64)(fp)))
		case opUUID:
			n = putUUID(b, n, (*[16]byte)(fp))
		case opEnum:
			s := *(*string)(fp)
			idx := op.enum.lookup(s)
			if idx < 0 {
				return dst, appBits, c.enumError(i, s)
			}
			n = putLong(b, n, int64(idx))
		}
	}
	return b[:n], appBits, nil
}

// grow returns b[:n] with room for need more bytes, resliced to its capacity.
// It is the slow path of appendValue, kept out of line.
//
//go:noinline
func grow(b []byte, n, need int) []byte {
	b = slices.Grow(b[:n], need)
	return b[:cap(b)]
}

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

// floatError reports a NaN or infinite value f of op i.
func (c *codec) floatError(i int, f float64) error {
	return &ValueError{
		Event:  c.name,
		Field:  c.fieldName(i),
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
		Type:    op.enum.goType,
		Value:   value,
		Symbols: slices.Clone(op.enum.symbols),
	}
}
