package payload

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
)

func TestPutUUID(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	cases := []uuid.UUID{{}, uuid.Max, uuid.MustParse("12345678-1234-4678-9234-567812345678")}
	for range 1000 {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(r.Uint32())
		}
		cases = append(cases, u)
	}
	for _, u := range cases {
		b := make([]byte, 40)
		b[0] = 9
		got := b[:putUUID(b, 1, (*[16]byte)(&u))]
		want := append([]byte{9, 72}, u.String()...)
		if !bytes.Equal(got, want) {
			t.Fatalf("putUUID(%s) = %q", u, got)
		}
	}
}

func TestSnakeCase(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"UserName", "user_name"}, {"ID", "id"}, {"UserID", "user_id"}, {"HTTPStatus", "http_status"},
		{"P95Latency", "p95_latency"}, {"Count2", "count2"}, {"A", "a"}, {"ABC", "abc"}, {"AbcDef", "abc_def"},
		{"Already_Snake", "already_snake"}, {"X1Y", "x1_y"}, {"URLPath", "url_path"}, {"Ünits", "Ünits"},
	}
	for _, tt := range tests {
		if got := snakeCase(tt.in); got != tt.want {
			t.Errorf("snakeCase(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPutLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}}, {-1, []byte{1}}, {1, []byte{2}}, {-64, []byte{0x7f}}, {64, []byte{0x80, 0x01}},
		{1 << 62, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{-1 << 63, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		b := make([]byte, maxVarintLen+1)
		if got := b[1:putLong(b, 1, tt.v)]; !bytes.Equal(got, tt.want) {
			t.Errorf("putLong(%d) = %x, want %x", tt.v, got, tt.want)
		}
	}
}

// TestRepairMatchesToValidUTF8 compares repairedLen with
// strings.ToValidUTF8 and orBytes with an ASCII check on random byte
// strings biased towards UTF-8 edge cases, and the float checks with
// math.IsNaN and math.IsInf.
func TestRepairMatchesToValidUTF8(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "é", "€", "😀", "\uFFFD", "\x80", "\xff", "\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\x00"}
	for range 20000 {
		var b []byte
		for range r.IntN(12) {
			if r.IntN(3) == 0 {
				b = append(b, byte(r.Uint32()))
			} else {
				b = append(b, pieces[r.IntN(len(pieces))]...)
			}
		}
		s := string(b)
		want := strings.ToValidUTF8(s, "\uFFFD")
		if got := repairedLen(s); got != len(want) {
			t.Fatalf("repairedLen(%q) = %d, want %d", s, got, len(want))
		}
		if ascii := orBytes(s)&highBits == 0; ascii != (strings.IndexFunc(s, func(r rune) bool { return r >= 0x80 }) < 0 && utf8.ValidString(s)) {
			t.Fatalf("orBytes(%q) says ASCII %t", s, ascii)
		}
	}
	// orLong on long strings: ASCII but for one byte anywhere (the head,
	// each of the four words of a 32-byte block, the tail).
	for n := 0; n <= 300; n++ {
		ascii := strings.Repeat("a", n)
		if orLong(ascii)&highBits != 0 || orLong(ascii) != orBytes(ascii) {
			t.Fatalf("orLong(%d ASCII bytes) = %#x, orBytes %#x", n, orLong(ascii), orBytes(ascii))
		}
		for i := range n {
			s := ascii[:i] + "\x80" + ascii[i+1:]
			if orLong(s)&highBits == 0 {
				t.Fatalf("orLong misses the non-ASCII byte %d of %d", i, n)
			}
		}
	}
	for range 20000 {
		f := math.Float64frombits(r.Uint64())
		if finite64(f) != (!math.IsNaN(f) && !math.IsInf(f, 0)) {
			t.Fatalf("finite64(%v) = %t", f, finite64(f))
		}
		g := math.Float32frombits(r.Uint32())
		if finite32(g) != (!math.IsNaN(float64(g)) && !math.IsInf(float64(g), 0)) {
			t.Fatalf("finite32(%v) = %t", g, finite32(g))
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if finite64(f) || finite32(float32(f)) {
			t.Errorf("%v reported finite", f)
		}
	}
}

// BenchmarkOrBytes is the ASCII check of a string field, per length and
// function (orBytes, orLong): it runs on every string of every event after
// encoding.
func BenchmarkOrBytes(b *testing.B) {
	for _, n := range []int{16, 64, 200, 1 << 10, 32 << 10} {
		s := strings.Repeat("x", n)
		for name, or := range map[string]func(string) uint64{"orBytes": orBytes, "orLong": orLong} {
			b.Run(name+"/"+strconv.Itoa(n), func(b *testing.B) {
				b.SetBytes(int64(n))
				var acc uint64
				for b.Loop() {
					acc |= or(s)
				}
				if acc&highBits != 0 {
					b.Fatal("not ASCII")
				}
			})
		}
	}
}
