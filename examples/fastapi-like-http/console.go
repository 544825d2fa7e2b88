package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// console serialises writes to standard output, which the HTTP side and the
// tail share, so that lines never interleave. Part of what it prints comes
// from requests (the events' strings), so it writes every character that is
// not printable as its Go escape (see printable): nothing printed can drive
// a terminal (ESC sequences, BEL) or break a line (CR, U+2028).
type console struct {
	mu sync.Mutex
	w  io.Writer
}

// Printf writes one formatted message; its newlines stay newlines, every
// other character that is not printable is escaped.
func (c *console) Printf(format string, args ...any) {
	lines := strings.Split(fmt.Sprintf(format, args...), "\n")
	for i, l := range lines {
		lines[i] = printable(l, false)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.w, strings.Join(lines, "\n"))
}

// printable returns s with every rune that strconv.IsPrint refuses (control
// characters such as ESC and BEL, U+2028, other non-ASCII spaces) and every
// invalid UTF-8 byte written as Go writes it in a quoted string: \x1b, \a,
// \u2028, \xff. With keepLineEscapes, newlines, carriage returns and tabs are
// kept for the line protocol encoder, which escapes them itself.
func printable(s string, keepLineEscapes bool) string {
	clean := true
	for _, r := range s {
		if !strconv.IsPrint(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case strconv.IsPrint(r), keepLineEscapes && (r == '\n' || r == '\r' || r == '\t'):
			b.WriteString(s[:size])
		default:
			q := strconv.QuoteRune(r) // '\x1b'
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[size:]
	}
	return b.String()
}
