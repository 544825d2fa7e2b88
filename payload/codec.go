package payload

import (
	"fmt"
	"reflect"
	"slices"

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
// It returns a *NameError for a bad event name or namespace
// part, and an *UnsupportedError listing every problem in T:
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

// Tags returns the Avro names of the payload fields tagged influx:"tag",
// which Telegraf should write as InfluxDB tags, in declaration order
// (embedded structs flattened in place). The metadata field application,
// always a tag, is not listed. It returns a new slice on each call, nil if
// no field is tagged. Tags do not change the schema or the bytes.
func (c *Codec[T]) Tags() []string { return slices.Clone(c.c.tags) }

// Fields returns the Avro names of the payload's fields (not the metadata
// fields), in schema order, tags included.
func (c *Codec[T]) Fields() []string { return c.c.avroNames() }

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
	p := c.value(v)
	if p == nil {
		return dst, fmt.Errorf("%w: event %q", errRecordType, c.c.name)
	}
	out, err, repair := c.c.appendValue(dst, schemaID, md, p)
	if !repair {
		return out, err
	}
	cp := *v
	return c.c.appendRepaired(dst, schemaID, md, c.value(&cp))
}

// Encode is Append into a new buffer, allocated once with an upper bound of
// the value's size (a few bytes per integer field more than needed; once
// more for a string with invalid UTF-8). It returns nil and the error on
// failure.
func (c *Codec[T]) Encode(schemaID uint32, md *Metadata, v *T) ([]byte, error) {
	if md == nil || v == nil {
		return nil, c.c.nilError(md == nil)
	}
	p := c.value(v)
	if p == nil {
		return nil, fmt.Errorf("%w: event %q", errRecordType, c.c.name)
	}
	buf, err := c.appendValue(make([]byte, 0, c.c.maxLen(md.Application, p)), schemaID, md, v)
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
	p := c.value(v)
	if p == nil {
		return fmt.Errorf("%w: event %q", errRecordType, c.c.name)
	}
	return c.c.validate(p)
}

// codec is the type-erased core of Codec: everything but T.
type codec struct {
	name, namespace string
	fullName        string
	goType          string
	schemaJSON      string
	schema          avro.Schema
	ops             []fieldOp
	goNames         []string       // Go field name of each op, for errors
	goTypes         []reflect.Type // Go type of each op's field, for FieldOf
	record          reflect.Type   // the payload type of a codec of Records (NewRecordCodec), else nil
	tags            []string       // avro names of the fields tagged influx:"tag"
	checkOps        []int          // indexes in ops of the fields Validate checks: strings, enums, floats
	stringOps       []int          // indexes in ops of the string fields
	fixedLen        int            // upper bound of the frame, string contents excepted
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
		return nil, &UnsupportedError{Event: name, Type: typeString(t), Fields: []FieldProblem{{
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
		goTypes:    d.goTypes,
		tags:       slices.Clip(d.tags),
		// header + id + application length + timestamp + timestamp_ns
		fixedLen: headerLen + 1 + uuidStringLen + maxStringLenLen + 2*maxVarintLen,
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
