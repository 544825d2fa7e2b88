package config

import (
	"fmt"
	"log/slog"
	"strconv"
)

// redacted replaces a non-empty secret wherever it would be printed.
const redacted = "[redacted]"

// Secret is a string that never prints. String, GoString, Format (every fmt
// verb), LogValue, MarshalJSON and MarshalText all yield "[redacted]", or ""
// when the secret is empty, so that a Secret inside a struct stays hidden
// whatever prints the struct. Value is the only way to read it. The zero
// value is the empty secret.
type Secret string

// Value returns the secret itself. Pass it only to the code that needs it
// (a SASL mechanism, an HTTP basic-auth header), never to a logger.
func (s Secret) Value() string { return string(s) }

// masked returns what s prints as.
func (s Secret) masked() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns "[redacted]", or "" when s is empty.
func (s Secret) String() string { return s.masked() }

// GoString returns the masked value quoted, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.masked()) }

// Format implements fmt.Formatter so that every verb (%v %s %q %x %d ...)
// prints the masked value and never the secret.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q' || (verb == 'v' && f.Flag('#')):
		_, _ = f.Write([]byte(strconv.Quote(s.masked())))
	default:
		_, _ = f.Write([]byte(s.masked()))
	}
}

// LogValue implements slog.LogValuer with the masked value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalJSON encodes the masked value as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.masked())), nil }

// MarshalText returns the masked value (used by encoding/json map keys,
// encoding/xml and text-based encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }
