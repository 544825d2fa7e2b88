package payload

import (
	"fmt"
	"reflect"
	"slices"
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
// allocate. On error (an enum value outside its symbols: an
// *EnumValueError; a nil md or v) it returns dst unchanged and the error.
func (c *Codec[T]) Append(dst []byte, schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	if md == nil || v == nil {
		return dst, c.c.nilError(md == nil)
	}
	return c.c.appendValue(dst, schemaID, md, unsafe.Pointer(v))
}

// Encode is Append into a new buffer, allocated once with an upper bound of
// the value's size (a few bytes per integer field more than needed). It
// returns nil and the error on failure.
func (c *Codec[T]) Encode(schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	if md == nil || v == nil {
		return nil, c.c.nilError(md == nil)
	}
	p := unsafe.Pointer(v)
	buf, err := c.c.appendValue(make([]byte, 0, c.c.maxLen(md.Application, p)), schemaID, md, p)
	if err != nil {
		return nil, err
	}
	return buf, nil
}

// Validate runs the checks Encode does (enum values within their symbols)
// without producing bytes. It returns nil, an *EnumValueError, or an error
// for a nil v.
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
	enumOps         []int    // indexes in ops of the enum fields
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
		case opEnum:
			c.enumOps = append(c.enumOps, i)
		case opString:
			c.stringOps = append(c.stringOps, i)
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
func (c *codec) appendValue(dst []byte, schemaID uint32, md *Metadata, p unsafe.Pointer) ([]byte, error) {
	app := md.Application // read once: it is checked, then written
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
			n = putFloat(b, n, *(*float32)(fp))
		case opFloat64:
			n = putDouble(b, n, *(*float64)(fp))
		case opDuration:
			n = putDouble(b, n, durationSeconds(*(*int64)(fp)))
		case opUUID:
			n = putUUID(b, n, (*[16]byte)(fp))
		case opEnum:
			s := *(*string)(fp)
			idx := op.enum.lookup(s)
			if idx < 0 {
				return dst, c.enumError(i, s)
			}
			n = putLong(b, n, int64(idx))
		}
	}
	return b[:n], nil
}

// grow returns b[:n] with room for need more bytes, resliced to its capacity.
// It is the slow path of appendValue, kept out of line.
//
//go:noinline
func grow(b []byte, n, need int) []byte {
	b = slices.Grow(b[:n], need)
	return b[:cap(b)]
}

// validate checks every enum field of the value at p.
func (c *codec) validate(p unsafe.Pointer) error {
	for _, i := range c.enumOps {
		op := &c.ops[i]
		fp := unsafe.Add(p, op.off)
		if op.nullable {
			if fp = *(*unsafe.Pointer)(fp); fp == nil {
				continue
			}
		}
		if s := *(*string)(fp); op.enum.lookup(s) < 0 {
			return c.enumError(i, s)
		}
	}
	return nil
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
