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
// whatever prints the struct. NewSecret makes one; Value is the only way to
// read it. The zero value is the empty secret.
//
// A Secret holds its text behind a pointer, never as a string field: fmt
// prints a struct reached through an unexported field (or with %p) by
// reflection, without calling any method, and there it shows a pointer as an
// address, where a string would show in clear. Secrets are not comparable
// with ==, which would compare those pointers; compare their Value.
type Secret struct {
	_ [0]func() // not comparable: == would compare the pointers
	// text is the secret, nil when it is empty. Never a string field: see
	// the type's comment.
	text *string
}

// NewSecret returns the Secret holding s (the empty secret, the zero
// value, when s is "").
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{text: &s}
}

// Value returns the secret itself. Pass it only to the code that needs it
// (a SASL mechanism, an HTTP basic-auth header), never to a logger.
func (s Secret) Value() string {
	if s.text == nil {
		return ""
	}
	return *s.text
}

// empty reports whether s is the empty secret.
func (s Secret) empty() bool { return s.Value() == "" }

// masked returns what s prints as.
func (s Secret) masked() string {
	if s.empty() {
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

// UnmarshalText sets s to text, so that decoders (encoding/json,
// gopkg.in/yaml.v3) read a Secret from a string, as they read a string.
func (s *Secret) UnmarshalText(text []byte) error {
	*s = NewSecret(string(text))
	return nil
}
