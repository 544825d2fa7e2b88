package avroname_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"_", true},
		{"query", true},
		{"Query_2", true},
		{"_private", true},
		{"ABC_def_123", true},
		{"", false},
		{"2fast", false},
		{"a-b", false},
		{"a.b", false},
		{"a b", false},
		{"é", false},
		{"a\x00", false},
		{"ñame", false},
	} {
		if got := avroname.Valid(tt.name); got != tt.ok {
			t.Errorf("Valid(%q) = %t, want %t", tt.name, got, tt.ok)
		}
	}
}

func TestValidDotted(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"lsst", true},
		{"lsst.square.metrics.events", true},
		{"a._b.C9", true},
		{"", false},
		{".", false},
		{".a", false},
		{"a.", false},
		{"a..b", false},
		{"a.9b", false},
		{"a.b-c", false},
	} {
		if got := avroname.ValidDotted(tt.name); got != tt.ok {
			t.Errorf("ValidDotted(%q) = %t, want %t", tt.name, got, tt.ok)
		}
	}
}

// TestPattern: Valid and ValidDotted agree with Pattern as a regular
// expression, on every string of up to two bytes from an alphabet that
// covers each class and its edges.
func TestPattern(t *testing.T) {
	t.Parallel()
	name := regexp.MustCompile(`^` + avroname.Pattern + `$`)
	dotted := regexp.MustCompile(`^` + avroname.Pattern + `(\.` + avroname.Pattern + `)*$`)
	alphabet := []string{"", "a", "z", "A", "Z", "_", "0", "9", ".", "-", "@", "[", "`", "{", "/", ":", "\xff"}
	for _, x := range alphabet {
		for _, y := range alphabet {
			for _, z := range alphabet {
				s := x + y + z
				if got, want := avroname.Valid(s), name.MatchString(s); got != want {
					t.Errorf("Valid(%q) = %t, the pattern says %t", s, got, want)
				}
				if got, want := avroname.ValidDotted(s), dotted.MatchString(s); got != want {
					t.Errorf("ValidDotted(%q) = %t, the pattern says %t", s, got, want)
				}
			}
		}
	}
}

// sink keeps the results of TestAllocs alive.
var sink bool

func TestAllocs(t *testing.T) {
	s := strings.Repeat("a_b.", 10) + "c"
	if n := testing.AllocsPerRun(100, func() {
		sink = avroname.Valid("abc") && avroname.ValidDotted(s)
	}); n != 0 {
		t.Errorf("Valid and ValidDotted allocate %v times, want 0", n)
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "a", "a.b", "9", "a..b", "_x9"} {
		f.Add(s)
	}
	name := regexp.MustCompile(`^` + avroname.Pattern + `$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := avroname.Valid(s), name.MatchString(s); got != want {
			t.Errorf("Valid(%q) = %t, the pattern says %t", s, got, want)
		}
		want := true
		for _, p := range strings.Split(s, ".") {
			want = want && avroname.Valid(p)
		}
		if got := avroname.ValidDotted(s); got != want {
			t.Errorf("ValidDotted(%q) = %t, want %t", s, got, want)
		}
	})
}
