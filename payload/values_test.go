package payload_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Hostile is a payload with every field kind that a value check applies to.
type Hostile struct {
	Name  string
	Label Plain
	Note  *string
	Ratio float64
	Score float32
	Opt   *float64
	Opt32 *float32
	Kind  Color
	Took  time.Duration
}

func newHostileCodec(t testing.TB) *payload.Codec[Hostile] {
	t.Helper()
	c, err := payload.NewCodec[Hostile]("hostile", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func goodHostile() Hostile {
	return Hostile{Name: "n", Label: "l", Ratio: 0.5, Score: 1, Kind: "red", Took: time.Second}
}

// checkRefused asserts that Validate, Encode and Append all refuse v with
// the same *ValueError, and that Append leaves dst alone.
func checkRefused(t *testing.T, c *payload.Codec[Hostile], v Hostile, want payload.ValueError, inMessage ...string) {
	t.Helper()
	verr := c.Validate(&v)
	b, err := c.Encode(1, goldenMetadata(), &v)
	dst := make([]byte, 3, 256)
	out, aerr := c.Append(dst, 1, goldenMetadata(), &v)
	for _, e := range []struct {
		what string
		err  error
	}{{"Validate", verr}, {"Encode", err}, {"Append", aerr}} {
		var ve *payload.ValueError
		if !errors.As(e.err, &ve) || !errors.Is(e.err, payload.ErrInvalidValue) {
			t.Fatalf("%s = %v, want a *payload.ValueError", e.what, e.err)
		}
		if ve.Event != want.Event || ve.Field != want.Field || ve.Value != want.Value || ve.Reason == "" {
			t.Errorf("%s = %+v, want %+v", e.what, *ve, want)
		}
		for _, s := range inMessage {
			if !strings.Contains(e.err.Error(), s) {
				t.Errorf("%s: message %q lacks %q", e.what, e.err, s)
			}
		}
	}
	if b != nil {
		t.Errorf("Encode returned %d bytes with the error", len(b))
	}
	if len(out) != 3 || cap(out) != 256 || &out[0] != &dst[0] {
		t.Errorf("Append changed dst on error: len %d cap %d", len(out), cap(out))
	}
}

// TestNonFiniteFloatsRefused: NaN and ±Inf never reach the wire (InfluxDB
// rejects them), in plain and optional float32 and float64 fields.
func TestNonFiniteFloatsRefused(t *testing.T) {
	t.Parallel()
	c := newHostileCodec(t)
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		mutate func(*Hostile)
		field  string
		value  string
	}{
		{"float64 NaN", func(v *Hostile) { v.Ratio = nan }, "Ratio", "NaN"},
		{"float64 +Inf", func(v *Hostile) { v.Ratio = inf }, "Ratio", "+Inf"},
		{"float64 -Inf", func(v *Hostile) { v.Ratio = -inf }, "Ratio", "-Inf"},
		{"float64 NaN with payload bits", func(v *Hostile) { v.Ratio = math.Float64frombits(0x7ff8dead0000beef) }, "Ratio", "NaN"},
		{"float32 NaN", func(v *Hostile) { v.Score = float32(nan) }, "Score", "NaN"},
		{"float32 -Inf", func(v *Hostile) { v.Score = float32(-inf) }, "Score", "-Inf"},
		{"float32 overflow", func(v *Hostile) { big := math.MaxFloat64; v.Score = float32(big) }, "Score", "+Inf"},
		{"*float64 NaN", func(v *Hostile) { v.Opt = ptr(nan) }, "Opt", "NaN"},
		{"*float32 +Inf", func(v *Hostile) { v.Opt32 = ptr(float32(inf)) }, "Opt32", "+Inf"},
		{"first bad field wins", func(v *Hostile) { v.Opt, v.Ratio, v.Kind = ptr(nan), -inf, "bad" }, "Ratio", "-Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := goodHostile()
			tt.mutate(&v)
			checkRefused(t, c, v, payload.ValueError{Event: "hostile", Field: tt.field, Value: tt.value},
				`event "hostile"`, "field "+tt.field, tt.value+" is not a finite number", "InfluxDB")
		})
	}
	// The extremes of the finite range are fine.
	v := goodHostile()
	v.Ratio, v.Score, v.Opt, v.Opt32 = -math.MaxFloat64, math.SmallestNonzeroFloat32, ptr(math.Copysign(0, -1)), ptr(float32(math.MaxFloat32))
	if err := c.Validate(&v); err != nil {
		t.Fatalf("Validate(finite extremes) = %v", err)
	}
	b, err := c.Encode(1, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Encode(finite extremes) = %v", err)
	}
	checkFields(t, decodeBoth(t, c.SchemaJSON(), b), map[string]any{
		"ratio": -math.MaxFloat64, "score": float32(math.SmallestNonzeroFloat32), "opt": math.Copysign(0, -1),
		"opt32": float32(math.MaxFloat32),
	})
}

// TestInvalidUTF8Replaced: each run of invalid bytes becomes U+FFFD, as
// strings.ToValidUTF8 does, in every string field and in the application;
// the event is still encoded and both decoders read valid UTF-8.
func TestInvalidUTF8Replaced(t *testing.T) {
	t.Parallel()
	c := newHostileCodec(t)
	tests := []struct{ name, in, want string }{
		{"valid ASCII", "plain", "plain"},
		{"valid multibyte and U+FFFD itself", "é€😀\uFFFD", "é€😀\uFFFD"},
		{"lone continuation byte", "a\x80b", "a\uFFFDb"},
		{"run of invalid bytes is one replacement", "a\xff\xfe\xfdb", "a\uFFFDb"},
		{"truncated sequences at the end", "ok\xe2\x82", "ok\uFFFD"},
		{"truncated then valid", "\xf0\x9f\x98é", "\uFFFDé"},
		{"overlong encoding", "\xc0\xaf", "\uFFFD"},
		{"surrogate half", "\xed\xa0\x80", "\uFFFD"},
		{"beyond U+10FFFF", "\xf4\x90\x80\x80", "\uFFFD"},
		{"only invalid", "\xff", "\uFFFD"},
		{"NUL is valid", "a\x00b", "a\x00b"},
		{"invalid between valid", "\xffa\xffa\xff", "\uFFFDa\uFFFDa\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := strings.ToValidUTF8(tt.in, "\uFFFD"); got != tt.want {
				t.Fatalf("the table is wrong: ToValidUTF8(%q) = %q", tt.in, got)
			}
			v := goodHostile()
			v.Name, v.Label, v.Note = tt.in, Plain(tt.in), ptr(tt.in)
			md := goldenMetadata()
			md.Application = "app" + tt.in
			if err := c.Validate(&v); err != nil {
				t.Fatalf("Validate = %v", err)
			}
			b, err := c.Encode(7, md, &v)
			if err != nil {
				t.Fatalf("Encode = %v", err)
			}
			for _, room := range []int{0, 16, 4096} {
				got, err := c.Append(make([]byte, 0, room), 7, md, &v)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("Append into room %d = %x, %v; Encode = %x", room, got, err, b)
				}
			}
			d := decodeBoth(t, c.SchemaJSON(), b)
			checkFields(t, d, map[string]any{
				"name": tt.want, "label": tt.want, "note": tt.want, "application": "app" + tt.want,
			})
			for _, f := range []string{"name", "label", "note", "application"} {
				if s, _ := d.goavro[f].(string); !utf8.ValidString(s) {
					t.Errorf("%s = %q on the wire: not valid UTF-8", f, s)
				}
			}
		})
	}
}

// TestMaxStringLen: a string up to MaxStringLen bytes (after repair) is
// sent whole; a longer one is refused, not truncated.
func TestMaxStringLen(t *testing.T) {
	t.Parallel()
	c := newHostileCodec(t)
	const limit = payload.MaxStringLen
	if limit != 64<<10 {
		t.Fatalf("MaxStringLen = %d, documented as 64 KiB", limit)
	}
	atLimit := strings.Repeat("x", limit)
	v := goodHostile()
	v.Name, v.Note = atLimit, ptr(strings.Repeat("é", limit/2))
	b, err := c.Encode(1, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Encode at the limit = %v", err)
	}
	checkFields(t, decodeBoth(t, c.SchemaJSON(), b), map[string]any{"name": atLimit, "note": *v.Note})

	tests := []struct {
		name   string
		mutate func(*Hostile)
		field  string
		value  string
	}{
		{"one byte over", func(v *Hostile) { v.Name = atLimit + "x" }, "Name", "a string of 65537 bytes"},
		{"named string", func(v *Hostile) { v.Label = Plain(atLimit + "xy") }, "Label", "a string of 65538 bytes"},
		{"optional", func(v *Hostile) { v.Note = ptr(strings.Repeat("y", 1<<20)) }, "Note", "a string of 1048576 bytes"},
		// 30000 lone invalid bytes between letters: 60000 bytes in, 120000 out.
		{"over once repaired", func(v *Hostile) { v.Name = strings.Repeat("\xffa", 30000) }, "Name", "a string of 120000 bytes"},
		// Repairing never makes a string over the limit acceptable.
		{"over before repair", func(v *Hostile) { v.Name = strings.Repeat("\xff", limit+1) }, "Name", "a string of 65537 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := goodHostile()
			tt.mutate(&v)
			checkRefused(t, c, v, payload.ValueError{Event: "hostile", Field: tt.field, Value: tt.value},
				"field "+tt.field, tt.value, "MaxStringLen (65536 bytes")
		})
	}

	t.Run("application", func(t *testing.T) {
		t.Parallel()
		v := goodHostile()
		md := goldenMetadata()
		md.Application = atLimit + "!"
		_, err := c.Encode(1, md, &v)
		var ve *payload.ValueError
		if !errors.As(err, &ve) || ve.Field != "application" {
			t.Fatalf("Encode with a huge application = %v, want a *ValueError for application", err)
		}
	})
}

// TestEnumValueErrorIsInvalidValue: an enum value outside its symbols also
// matches ErrInvalidValue, and a huge hostile value is not copied whole
// into the message.
func TestEnumValueErrorIsInvalidValue(t *testing.T) {
	t.Parallel()
	c := newHostileCodec(t)
	v := goodHostile()
	v.Kind = Color(strings.Repeat("\xffpurple", 10000))
	err := c.Validate(&v)
	var ee *payload.EnumValueError
	if !errors.As(err, &ee) || !errors.Is(err, payload.ErrInvalidValue) {
		t.Fatalf("Validate = %v, want an *EnumValueError matching ErrInvalidValue", err)
	}
	if ee.Value != string(v.Kind) {
		t.Error("EnumValueError.Value is not the value")
	}
	if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, "(70000 bytes)") {
		t.Errorf("message of %d bytes, want the value cut with its length: %.300q", len(msg), msg)
	}
}

// TestHostileAllocs: Append stays free of allocations into a large enough
// buffer for valid strings, ASCII or not, and Validate allocates nothing for
// valid and invalid UTF-8 alike. Only a string with invalid UTF-8 makes
// Append repair a copy of the event, allocating just the repaired strings.
func TestHostileAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process.
	c := newHostileCodec(t)
	md := goldenMetadata()
	invalid := goodHostile()
	invalid.Name, invalid.Note = "a\xffb\xc3", ptr("\xe2\x82z")
	valid := goodHostile()
	valid.Name, valid.Note = "a string that is valid UTF-8, é and all", ptr("ASCII only, and long enough for words")
	buf := make([]byte, 0, 1024)
	for _, tt := range []struct {
		name string
		f    func()
		want float64
	}{
		{"Append valid", func() { buf, _ = c.Append(buf[:0], 1, md, &valid) }, 0},
		{"Validate valid", func() { _ = c.Validate(&valid) }, 0},
		{"Validate invalid UTF-8", func() { _ = c.Validate(&invalid) }, 0},
		// The repaired Name, the repaired Note and its pointer; the copy of
		// the event they go into stays on the stack.
		{"Append repairing invalid UTF-8", func() { buf, _ = c.Append(buf[:0], 1, md, &invalid) }, 3},
	} {
		if raceEnabled && tt.want > 0 {
			continue // the race detector's runtime allocates more
		}
		if got := testing.AllocsPerRun(100, tt.f); got != tt.want {
			t.Errorf("%s: %v allocs per run, want %v", tt.name, got, tt.want)
		}
	}
}
