// Package payload turns a user's Go struct into the bytes of a Kafka record
// value, the way Safir's safir.metrics does, with no I/O.
//
// NewCodec validates an event type once and derives its Avro record schema
// (name = event name, namespace = topic) and an encoding plan. Each event is
// then written by Codec.Append or Codec.Encode in the Confluent wire format:
// the byte 0x00, the schema id as 4 big-endian bytes, the Avro binary body.
// The per-event path does no reflection and allocates at most the buffer it
// returns.
//
// # Event layout
//
// Every record starts with the metadata fields the SDK fills in (Metadata):
//
//	id            {"type":"string","logicalType":"uuid"}
//	application   "string"
//	timestamp     {"type":"long","logicalType":"timestamp-millis"}
//	timestamp_ns  "long"  (unix nanoseconds)
//
// then the exported fields of the payload struct, in declaration order. An
// embedded struct (an anonymous field of struct type, exported or not) is
// flattened in place: its fields take its place, in their declaration order,
// under the same rules, so that events can share a base struct. Its fields
// produce the same schema and bytes as the same fields written in the event.
//
// # Field types
//
//	Go field type                        Avro type
//	string                               "string"
//	bool                                 "boolean"
//	int, int8..int64, uint8..uint32      "long"
//	float64                              "double"
//	float32                              "float"
//	time.Duration                        {"type":"double","logicalType":"dataclasses-avroschema-timedelta"} (seconds)
//	string type implementing Enum        {"type":"enum","name":<Go type name>,"symbols":[...]}
//	uuid.UUID (github.com/google/uuid)   {"type":"string","logicalType":"uuid"}
//	*T, for any T above                  ["null", T] with "default": null (nil is null)
//
// Rejected when the codec is built, all problems reported at once in an
// *UnsupportedError: named struct fields, pointers to structs (also
// embedded ones: a nil one would drop its fields), maps,
// slices, arrays, []byte, interfaces, channels, funcs, complex numbers, **T,
// uint, uint64 and uintptr (they overflow a long) and time.Time (Telegraf
// silently drops it: use an int64 of unix nanoseconds).
//
// An enum type used by several fields is defined once and referred to by name
// after that. A value outside its symbols is an *EnumValueError when encoding.
//
// # Field names and docs
//
// A field's Avro name is its avro:"..." tag, else its Go name in snake_case
// (UserName -> user_name, HTTPStatus -> http_status). avro:"-" and unexported
// fields are skipped. A doc:"..." tag becomes the field's doc. Names must be
// Avro names ([A-Za-z_][A-Za-z0-9_]*), unique, and distinct from the metadata
// fields, also after embedded structs are flattened (a clash names both Go
// paths).
//
// # InfluxDB tags
//
// A field tagged influx:"tag" is written by Telegraf as an InfluxDB tag
// instead of a field. Only string, enum and bool fields, and pointers to
// them, can be tags; a tag on any other field is rejected by NewCodec.
// Codec.Tags lists the tagged fields' Avro names; the schema and the bytes
// do not depend on tags. The metadata field application is always a tag.
//
// # Hostile values
//
// What InfluxDB cannot store is never sent. Append, Encode and Validate apply
// the same checks, field by field in wire order, and report the first bad
// field; Append and Encode then write nothing, and the event manager counts
// the event as rejected and returns the error from Publish:
//
//   - NaN and ±Inf in a float32 or float64 field (plain or pointer) are
//     refused with a *ValueError: InfluxDB rejects such field values. A
//     time.Duration is always finite; it is
//     written as float64(d)/1e9 seconds, correctly rounded below 2^53 ns.
//   - A string longer than MaxStringLen (64 KiB, InfluxDB's limit for a
//     field value) is refused with a *ValueError, never truncated.
//   - An enum value outside its symbols is refused with an *EnumValueError.
//
// Both error types match ErrInvalidValue with errors.Is, and neither copies
// a huge value into its message.
//
// Strings holding invalid UTF-8 are not refused: each run of invalid bytes
// is replaced by U+FFFD when the event is encoded, exactly as
// strings.ToValidUTF8(s, "\uFFFD") would, so that the value on the wire is
// always valid UTF-8 (as Avro strings must be) and the event is still sent.
// The application name of Metadata is treated like a string field. Valid
// strings cost a word-at-a-time ASCII check (utf8.ValidString for non-ASCII
// text) and never allocate; only an event with invalid UTF-8 is encoded
// again from a repaired copy (on the stack), which allocates the repaired
// strings. A string is refused when it is longer than MaxStringLen bytes as
// given or once repaired.
package payload
