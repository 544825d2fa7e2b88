package payload_test

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata")

// AllTypes has a field of every supported type, plain and optional.
type AllTypes struct {
	S    string `doc:"a string"`
	B    bool
	I    int
	I8   int8
	I16  int16
	I32  int32
	I64  int64
	U8   uint8
	U16  uint16
	U32  uint32
	F32  float32
	F64  float64
	D    time.Duration `doc:"a duration"`
	E    Color
	E2   Color
	L    Level
	U    uuid.UUID
	P    Plain
	C    Count
	PS   *string
	PB   *bool
	PI   *int64
	PU8  *uint8
	PF32 *float32
	PF64 *float64
	PD   *time.Duration
	PE   *Color
	PL   *Level
	PU   *uuid.UUID
	Tag  int `avro:"renamed"`
	Skip int `avro:"-"`
	//lint:ignore U1000 unexported fields are skipped: this one shows it
	skip int
}

// expected is what both decoders must produce for v: strings with invalid
// UTF-8 repaired.
func (v *AllTypes) expected() map[string]any {
	m := map[string]any{
		"s": repaired(v.S), "b": v.B, "i": int64(v.I), "i8": int64(v.I8), "i16": int64(v.I16), "i32": int64(v.I32),
		"i64": v.I64, "u8": int64(v.U8), "u16": int64(v.U16), "u32": int64(v.U32),
		"f32": v.F32, "f64": v.F64, "d": float64(v.D) / 1e9, "e": string(v.E), "e2": string(v.E2),
		"l": string(v.L), "u": v.U.String(), "p": repaired(string(v.P)), "c": int64(v.C), "renamed": int64(v.Tag),
	}
	m["ps"], m["pb"], m["pi"], m["pu8"], m["pf32"], m["pf64"], m["pd"], m["pe"], m["pl"], m["pu"] = nil, nil, nil, nil, nil, nil, nil, nil, nil, nil
	if v.PS != nil {
		m["ps"] = repaired(*v.PS)
	}
	if v.PB != nil {
		m["pb"] = *v.PB
	}
	if v.PI != nil {
		m["pi"] = *v.PI
	}
	if v.PU8 != nil {
		m["pu8"] = int64(*v.PU8)
	}
	if v.PF32 != nil {
		m["pf32"] = *v.PF32
	}
	if v.PF64 != nil {
		m["pf64"] = *v.PF64
	}
	if v.PD != nil {
		m["pd"] = float64(*v.PD) / 1e9
	}
	if v.PE != nil {
		m["pe"] = string(*v.PE)
	}
	if v.PL != nil {
		m["pl"] = string(*v.PL)
	}
	if v.PU != nil {
		m["pu"] = v.PU.String()
	}
	return m
}

// repaired is what the codec makes of a string with invalid UTF-8.
func repaired(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// nonFinite returns the Go name of the first float field of v, in wire
// order, that is NaN or infinite, or "".
func (v *AllTypes) nonFinite() string {
	bad := func(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }
	switch {
	case bad(float64(v.F32)):
		return "F32"
	case bad(v.F64):
		return "F64"
	case v.PF32 != nil && bad(float64(*v.PF32)):
		return "PF32"
	case v.PF64 != nil && bad(*v.PF64):
		return "PF64"
	}
	return ""
}

// makeFinite replaces the NaN and infinite floats of v by 0.
func (v *AllTypes) makeFinite() {
	fix := func(f float64) float64 {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0
		}
		return f
	}
	v.F32, v.F64 = float32(fix(float64(v.F32))), fix(v.F64)
	if v.PF32 != nil {
		v.PF32 = ptr(float32(fix(float64(*v.PF32))))
	}
	if v.PF64 != nil {
		v.PF64 = ptr(fix(*v.PF64))
	}
}

// randAllTypes draws a value, biased towards edge cases.
func randAllTypes(r *rand.Rand) AllTypes {
	i64 := func() int64 {
		switch r.IntN(6) {
		case 0:
			return 0
		case 1:
			return math.MaxInt64
		case 2:
			return math.MinInt64
		case 3:
			return int64(r.IntN(256)) - 128
		default:
			return int64(r.Uint64())
		}
	}
	// NaN and ±Inf are rare, so that most values encode.
	f64 := func() float64 {
		switch r.IntN(24) {
		case 0:
			return math.NaN()
		case 1:
			return math.Inf(1 - 2*r.IntN(2))
		case 2:
			return math.Copysign(0, -1)
		case 3:
			return math.SmallestNonzeroFloat64
		default:
			return math.Float64frombits(r.Uint64())
		}
	}
	f32 := func() float32 {
		switch r.IntN(24) {
		case 0:
			return float32(math.NaN())
		case 1:
			return float32(math.Inf(1 - 2*r.IntN(2)))
		case 2:
			return float32(math.Copysign(0, -1))
		case 3:
			return math.SmallestNonzeroFloat32
		default:
			return math.Float32frombits(r.Uint32())
		}
	}
	str := func() string {
		var b strings.Builder
		for range r.IntN(40) {
			switch r.IntN(5) {
			case 0:
				b.WriteRune(rune(r.IntN(0x2FFFF)))
			case 1:
				if r.IntN(4) == 0 { // invalid UTF-8: a stray continuation or lead byte
					b.WriteByte(byte(0x80 + r.IntN(128)))
				} else {
					b.WriteByte(byte(' ' + r.IntN(95)))
				}
			default:
				b.WriteByte(byte(' ' + r.IntN(95)))
			}
		}
		return b.String()
	}
	var u uuid.UUID
	for i := range u {
		u[i] = byte(r.Uint32())
	}
	colors := Color("").Symbols()
	levels := Level("").Symbols()
	v := AllTypes{
		S: str(), B: r.IntN(2) == 1, I: int(i64()), I8: int8(i64()), I16: int16(i64()), I32: int32(i64()),
		I64: i64(), U8: uint8(i64()), U16: uint16(i64()), U32: uint32(i64()),
		F32: f32(), F64: f64(), D: time.Duration(i64()),
		E: Color(colors[r.IntN(len(colors))]), E2: Color(colors[r.IntN(len(colors))]),
		L: Level(levels[r.IntN(len(levels))]), U: u, P: Plain(str()), C: Count(i64()), Tag: int(i64()),
	}
	if r.IntN(2) == 0 {
		v.PS, v.PB, v.PI, v.PU8 = ptr(str()), ptr(r.IntN(2) == 0), ptr(i64()), ptr(uint8(i64()))
		v.PF32, v.PF64, v.PD = ptr(f32()), ptr(f64()), ptr(time.Duration(i64()))
		v.PE, v.PL, v.PU = ptr(Color(colors[r.IntN(len(colors))])), ptr(Level(levels[r.IntN(len(levels))])), ptr(uuid.New())
	}
	return v
}

func TestPropertyRoundTrip(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[AllTypes]("all", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 0, 64)
	var rejected, repairedStrings int
	for i := range 500 {
		v := randAllTypes(r)
		md := &payload.Metadata{ID: uuid.New(), Application: "app", TimestampNS: int64(r.Uint64())}
		enc, err := c.Encode(uint32(i), md, &v)
		if field := v.nonFinite(); field != "" {
			var ve *payload.ValueError
			if !errors.As(err, &ve) || ve.Field != field || !errors.Is(err, payload.ErrInvalidValue) || enc != nil {
				t.Fatalf("Encode with a non-finite %s = %x, %v; want a *ValueError for it", field, enc, err)
			}
			if verr := c.Validate(&v); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate = %v, want %v", verr, err)
			}
			rejected++
			continue
		}
		if !utf8.ValidString(v.S) {
			repairedStrings++
		}
		if err != nil {
			t.Fatalf("Encode %+v: %v", v, err)
		}
		if len(enc) > cap(enc) || cap(enc)-len(enc) > 400 {
			t.Errorf("Encode buffer len %d cap %d: not close to exact", len(enc), cap(enc))
		}
		buf, err = c.Append(buf[:0], uint32(i), md, &v)
		if err != nil || !bytes.Equal(buf, enc) {
			t.Fatalf("Append = %x, %v; Encode = %x", buf, err, enc)
		}
		d := decodeBoth(t, c.SchemaJSON(), enc)
		if d.schemaID != uint32(i) {
			t.Errorf("schema id = %d, want %d", d.schemaID, i)
		}
		want := v.expected()
		want["id"], want["application"], want["timestamp_ns"] = md.ID.String(), "app", md.TimestampNS
		checkFields(t, d, want)
		if len(d.hamba) != len(want)+1 { // + timestamp
			t.Errorf("hamba decoded %d fields, want %d", len(d.hamba), len(want)+1)
		}
		if t.Failed() {
			t.Fatalf("value %d: %+v", i, v)
		}
	}
	// The draw must exercise every path.
	if rejected < 25 || repairedStrings < 25 || 500-rejected < 250 {
		t.Errorf("%d values rejected, %d with a repaired string: the generator no longer covers every path", rejected, repairedStrings)
	}
}

// TestAllTypesGolden pins the schema text and one encoded value of AllTypes.
// Run with -update to rewrite the files after an intended change.
func TestAllTypesGolden(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[AllTypes]("all", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	u := uuid.MustParse("00112233-4455-4677-8899-aabbccddeeff")
	v := AllTypes{
		S: "s", B: true, I: -1, I8: -8, I16: 16, I32: -32, I64: 1 << 40, U8: 8, U16: 16, U32: 1 << 31,
		F32: 0.25, F64: -1e100, D: 90 * time.Second, E: "green", E2: "red", L: "l9", U: u, P: "p", C: 3,
		PS: ptr(""), PI: ptr(int64(-1)), PD: ptr(time.Duration(1)), PE: ptr(Color("blue")), PU: &u, Tag: 42,
	}
	enc, err := c.Encode(1234, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	checkGolden(t, "payload_alltypes.avsc", []byte(c.SchemaJSON()+"\n"))
	checkGolden(t, "payload_alltypes.bin", enc)
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update if intended):\n got %q\nwant %q", name, got, want)
	}
}

// Append must give the same bytes whatever room dst has: every growth path.
func TestAppendAnyCapacity(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[AllTypes]("all", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		v := randAllTypes(r)
		v.makeFinite()
		md := &payload.Metadata{ID: uuid.New(), Application: strings.Repeat("a", r.IntN(300)), TimestampNS: int64(r.Uint64())}
		want, err := c.Encode(3, md, &v)
		if err != nil {
			t.Fatal(err)
		}
		for room := 0; room <= len(want)+2; room++ {
			dst := make([]byte, 2, 2+room)
			got, err := c.Append(dst, 3, md, &v)
			if err != nil || !bytes.Equal(got[2:], want) {
				t.Fatalf("room %d: Append = %x, %v; want %x", room, got, err, want)
			}
			if room >= cap(want) && &got[0] != &dst[0] {
				t.Errorf("room %d >= the bound %d, yet Append reallocated", room, cap(want))
			}
		}
	}
}
