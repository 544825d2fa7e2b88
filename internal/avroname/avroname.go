package avroname

import "strings"

// Pattern is the rule as a regular expression, for error messages.
const Pattern = "[A-Za-z_][A-Za-z0-9_]*"

// Valid reports whether s is an Avro name: it matches Pattern. It does not
// allocate and is safe for concurrent use.
func Valid(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ValidDotted reports whether every dot-separated part of s is Valid, as in
// an Avro full name or namespace. The empty string, and a name with an
// empty part ("a..b", ".a", "a."), are not. It does not allocate.
func ValidDotted(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if !Valid(part) {
			return false
		}
	}
	return true
}
