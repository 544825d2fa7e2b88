package payload

import (
	"strings"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// ValidateName reports whether s is an Avro name: [A-Za-z_][A-Za-z0-9_]*.
// It returns nil or a *NameError (What "name") that is a *payload.NameError.
// It is cheap, allocation-free on success and safe for concurrent use.
func ValidateName(s string) error {
	return validateName(s, "name")
}

// validateName is ValidateName with a description of the name for the error.
func validateName(s, what string) error {
	if !avroname.Valid(s) {
		return &NameError{Name: s, What: what}
	}
	return nil
}

// validateNamespace checks that every dot-separated part of ns is an Avro
// name. An empty namespace is rejected: every event lives in its topic.
func validateNamespace(ns string) error {
	for part := range strings.SplitSeq(ns, ".") {
		if err := validateName(part, "namespace part"); err != nil {
			return err
		}
	}
	return nil
}

// snakeCase turns a Go identifier into a snake_case field name: UserName ->
// user_name, HTTPStatus -> http_status, UserID -> user_id, P95Latency ->
// p95_latency. An underscore goes before an upper-case letter that follows a
// lower-case letter or a digit, or that starts a new word after an acronym.
func snakeCase(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUpper(c) {
			if i > 0 {
				prev := s[i-1]
				nextLower := i+1 < len(s) && isLower(s[i+1])
				if isLower(prev) || isDigit(prev) || (isUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteByte(c + ('a' - 'A'))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
