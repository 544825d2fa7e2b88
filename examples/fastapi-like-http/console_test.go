package main

import (
	"strings"
	"testing"
)

// What the console prints cannot drive a terminal: control characters
// (ESC, BEL), U+2028 and invalid UTF-8 from request input are written as Go
// escapes; newlines between lines stay newlines, and printable text, unicode
// included, is unchanged.
func TestConsoleEscapesControlCharacters(t *testing.T) {
	tests := []struct {
		name, format string
		args         []any
		want         string
	}{
		{"plain", "# %s\n", []any{"héllo 🚀 wörld"}, "# héllo 🚀 wörld\n"},
		{"terminal escapes", "# user %s\n", []any{"\x1b]0;pwned\a\x1b[2J"}, `# user \x1b]0;pwned\a\x1b[2J` + "\n"},
		{"line and paragraph separators", "%s\n", []any{"a\u2028b\u2029c\u0085d"}, `a\u2028b\u2029c\u0085d` + "\n"},
		{"carriage return and tab in a value", "%s\n", []any{"a\rb\tc"}, `a\rb\tc` + "\n"},
		{"newline in a value starts a line", "%s\n", []any{"a\nb"}, "a\nb\n"},
		{"invalid UTF-8 and DEL", "%s\n", []any{"a\xffb\x7f"}, `a\xffb\x7f` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			c := &console{w: &b}
			c.Printf(tt.format, tt.args...)
			if got := b.String(); got != tt.want {
				t.Errorf("printed %q, want %q", got, tt.want)
			}
		})
	}
}
