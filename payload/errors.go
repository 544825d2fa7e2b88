package payload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// ErrInvalidValue is the sentinel matched (with errors.Is) by every value a
// codec refuses to encode: a *ValueError (a NaN or infinite float, a string
// longer than MaxStringLen) and an *EnumValueError.
var ErrInvalidValue = errors.New("payload: invalid field value")

// MaxStringLen is the longest string field value, in bytes after invalid
// UTF-8 is replaced, that a codec encodes: 64 KiB, InfluxDB's limit for a
// field value. A longer value is rejected with a *ValueError, not
// truncated.
const MaxStringLen = 64 << 10

// NameError reports a name that does not match [A-Za-z_][A-Za-z0-9_]*.
// Match it with errors.As.
type NameError struct {
	// Name is the offending name, as given.
	Name string
	// What says which name it is: "event name", "namespace part" or "field name".
	What string
}

// Error implements error.
func (e *NameError) Error() string {
	return fmt.Sprintf("payload: invalid %s %q: an avro name must match %s", e.What, e.Name, avroname.Pattern)
}

// FieldProblem is one problem found in a payload type.
type FieldProblem struct {
	// Path is the Go path of the field, e.g. "QueryEvent.Inner".
	Path string
	// GoType is the Go type of the field, e.g. "map[string]int".
	GoType string
	// Reason says what is wrong and how to fix it.
	Reason string
}

// String formats the problem as "Path (GoType): Reason".
func (f FieldProblem) String() string {
	return f.Path + " (" + f.GoType + "): " + f.Reason
}

// UnsupportedError reports every problem found in a payload type at once:
// unsupported field types, bad or duplicate field names, names that collide
// with the metadata fields and malformed enums. Match it with errors.As.
type UnsupportedError struct {
	// Event is the event name the type was registered under.
	Event string
	// Type is the Go type of the payload.
	Type string
	// Fields lists each problem, in declaration order.
	Fields []FieldProblem
}

// Error implements error. The message lists every problem with its fix.
func (e *UnsupportedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "payload: event %q: type %s cannot be encoded (%d problem", e.Event, e.Type, len(e.Fields))
	if len(e.Fields) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("): ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.String())
	}
	return b.String()
}

// EnumValueError reports an enum field whose value is not one of its
// symbols. It matches ErrInvalidValue with errors.Is. Its
// message quotes at most the first 64 bytes of the value.
type EnumValueError struct {
	// Event is the event name.
	Event string
	// Field is the Go name of the field (its path through embedded
	// structs, "Base.Kind").
	Field string
	// Avro is the Avro name of the field, the one InfluxDB stores.
	Avro string
	// Type is the Go type of the enum.
	Type string
	// Value is the offending value.
	Value string
	// Symbols are the allowed values (a copy).
	Symbols []string
}

// Error implements error.
func (e *EnumValueError) Error() string {
	return fmt.Sprintf("payload: event %q: field %s: value %s is not a symbol of enum %s (allowed: %s)",
		e.Event, fieldNames(e.Field, e.Avro), quoteShort(e.Value), e.Type, strings.Join(e.Symbols, ", "))
}

// Is reports whether target is ErrInvalidValue.
func (e *EnumValueError) Is(target error) bool { return target == ErrInvalidValue }

// ValueError reports a field value that a codec refuses to encode because
// InfluxDB cannot store it: a NaN or infinite float32 or float64, or a
// string longer than MaxStringLen. It matches ErrInvalidValue with
// errors.Is. The event is not encoded.
type ValueError struct {
	// Event is the event name.
	Event string
	// Field is the Go name of the field (its path through embedded
	// structs, "Base.Elapsed"), or "application" for the metadata field.
	Field string
	// Avro is the Avro name of the field, the one InfluxDB stores
	// ("application" for the metadata field).
	Avro string
	// Value describes the offending value, short enough for a log line:
	// "NaN", "+Inf" or "-Inf" for a float, "a string of N bytes" for a
	// string (never its contents).
	Value string
	// Reason says why the value is refused and how to fix it.
	Reason string
}

// Error implements error.
func (e *ValueError) Error() string {
	return fmt.Sprintf("payload: event %q: field %s: %s %s", e.Event, fieldNames(e.Field, e.Avro), e.Value, e.Reason)
}

// fieldNames names a field in messages by its Go name and, when it differs
// or when it is the only name, its Avro name: Elapsed ("elapsed_ms").
func fieldNames(goName, avroName string) string {
	switch {
	case avroName == "" || avroName == goName:
		return goName
	case goName == "":
		return strconv.Quote(avroName)
	}
	return goName + " (" + strconv.Quote(avroName) + ")"
}

// Is reports whether target is ErrInvalidValue.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

// maxQuoted is how many bytes of a value an error message quotes.
const maxQuoted = 64

// quoteShort quotes s for an error message, cut to maxQuoted bytes (with
// its length) when longer: a hostile value must not blow up log lines.
func quoteShort(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:maxQuoted]) + "... (" + strconv.Itoa(len(s)) + " bytes)"
}
