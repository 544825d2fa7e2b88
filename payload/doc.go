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
// then the exported fields of the payload struct, in declaration order.
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
// *UnsupportedError: structs (nested, embedded or behind a pointer), maps,
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
// fields.
//
// # Floating point
//
// NaN and ±Inf float32 and float64 values are written as their IEEE 754 bits,
// as Avro allows; whether to reject them (InfluxDB cannot store them) is left
// to a later decision. A time.Duration is written as float64(d)/1e9 seconds,
// correctly rounded below 2^53 ns.
package payload
