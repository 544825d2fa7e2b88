package payload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"go/token"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"

	"github.com/lsst-sqre/sasquatch-go/internal/avroname"
)

// fuzzColor is an enum for the fuzz targets.
type fuzzColor string

// Symbols implements Enum.
func (fuzzColor) Symbols() []string { return []string{"red", "green", "blue"} }

// fuzzBig is an enum large enough to be looked up through a map.
type fuzzBig string

// Symbols implements Enum.
func (fuzzBig) Symbols() []string {
	return []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}
}

// fuzzIntEnum is a malformed enum: not a string.
type fuzzIntEnum int

// Symbols implements Enum.
func (fuzzIntEnum) Symbols() []string { return []string{"a"} }

// fuzzEmptyEnum is a malformed enum: no symbols.
type fuzzEmptyEnum string

// Symbols implements Enum.
func (fuzzEmptyEnum) Symbols() []string { return nil }

// FuzzPlain is a named string, embeddable by reflect.StructOf.
type FuzzPlain string

// FuzzInner is a struct, embeddable by reflect.StructOf.
type FuzzInner struct{ A int }

// fuzzEvent has one field of most supported types.
type fuzzEvent struct {
	S   string
	B   bool
	I   int
	I8  int8
	I16 int16
	U32 uint32
	F32 float32
	F64 float64
	D   time.Duration
	E   fuzzColor
	G   fuzzBig
	U   uuid.UUID
	PS  *string
	PI  *int64
	PE  *fuzzColor
	PD  *time.Duration
}

// FuzzEncode encodes a value with a field of most supported types from
// hostile input: strings with invalid UTF-8, huge strings on both sides of
// MaxStringLen (bit 4 of mask repeats s up to hugeLen bytes), NaN and ±Inf
// floats, enum values outside their symbols. The codec must reject exactly
// the first bad field in wire order, with the same error from Append and
// Validate and dst untouched; anything else must decode with hamba to the
// value, strings repaired to valid UTF-8.
func FuzzEncode(f *testing.F) {
	f.Add("hello", true, int64(1), int8(-1), int16(300), uint32(7), float32(1.5), 2.25, int64(1500*time.Millisecond),
		"green", "a9", []byte("0123456789abcdef"), uint8(0xff), "myapp", int64(1700000000123456789), uint32(0))
	f.Add("", false, int64(math.MinInt64), int8(math.MinInt8), int16(math.MaxInt16), uint32(math.MaxUint32),
		float32(math.Inf(-1)), math.NaN(), int64(math.MaxInt64), "purple", "a0", []byte{}, uint8(0), "", int64(-1), uint32(0))
	f.Add("é\x00\xff", true, int64(0), int8(0), int16(0), uint32(0), float32(0), 0.0, int64(0),
		"red", "zz", []byte{1}, uint8(0x0a), "x", int64(0), uint32(0))
	f.Add("ok", false, int64(0), int8(0), int16(0), uint32(0), float32(1), math.Inf(1), int64(0),
		"red", "a1", []byte{2}, uint8(0x0f), "app", int64(0), uint32(0))
	f.Add("a\xffb\xc3(\xe2\x82\xf0\x9f\x98", false, int64(0), int8(0), int16(0), uint32(0), float32(0), 0.0, int64(0),
		"blue", "a2", []byte{3}, uint8(0x01), "\x80app", int64(0), uint32(0))
	f.Add("x", false, int64(0), int8(0), int16(0), uint32(0), float32(0), 0.0, int64(0),
		"blue", "a2", []byte{4}, uint8(0x11), "app", int64(0), uint32(MaxStringLen))
	f.Add("x", false, int64(0), int8(0), int16(0), uint32(0), float32(0), 0.0, int64(0),
		"blue", "a2", []byte{5}, uint8(0x11), "app", int64(0), uint32(MaxStringLen+1))
	f.Add("\xffa", false, int64(0), int8(0), int16(0), uint32(0), float32(0), 0.0, int64(0),
		"blue", "a2", []byte{6}, uint8(0x10), "app", int64(0), uint32(40000))
	f.Add("ok", false, int64(0), int8(0), int16(0), uint32(0), float32(math.NaN()), 0.0, int64(0),
		"Red", "a1", []byte{7}, uint8(0x04), "app", int64(0), uint32(0))

	c, err := newCodecOf(reflect.TypeFor[fuzzEvent](), "fuzz", "lsst.fuzz")
	if err != nil {
		f.Fatalf("newCodecOf: %v", err)
	}
	schema, err := avro.ParseWithCache(c.schemaJSON, "", &avro.SchemaCache{})
	if err != nil {
		f.Fatalf("parse: %v", err)
	}
	colors, bigs := fuzzColor("").Symbols(), fuzzBig("").Symbols()

	f.Fuzz(func(t *testing.T, s string, b bool, i int64, i8 int8, i16 int16, u32 uint32, f32 float32, f64 float64,
		d int64, color, big string, id []byte, mask uint8, app string, ts int64, hugeLen uint32) {
		if mask&16 != 0 {
			s = fuzzHuge(s, int(hugeLen%(2*MaxStringLen+2)))
		}
		var u uuid.UUID
		copy(u[:], id)
		v := fuzzEvent{
			S: s, B: b, I: int(i), I8: i8, I16: i16, U32: u32, F32: f32, F64: f64,
			D: time.Duration(d), E: fuzzColor(color), G: fuzzBig(big), U: u,
		}
		if mask&1 != 0 {
			v.PS = &s
		}
		if mask&2 != 0 {
			v.PI = &i
		}
		if mask&4 != 0 {
			pe := fuzzColor(strings.ToLower(color))
			v.PE = &pe
		}
		if mask&8 != 0 {
			v.PD = &v.D
		}
		md := &Metadata{ID: u, Application: app, TimestampNS: ts}

		// The first bad field in wire order, as the codec must report it.
		tooLong := func(s string) bool {
			return len(s) > MaxStringLen || len(strings.ToValidUTF8(s, "\uFFFD")) > MaxStringLen
		}
		finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
		var bad []string
		for _, c := range []struct {
			field string
			bad   bool
		}{
			{"S", tooLong(s)}, {"F32", !finite(float64(f32))}, {"F64", !finite(f64)},
			{"E", !slices.Contains(colors, color)}, {"G", !slices.Contains(bigs, big)},
			{"PS", v.PS != nil && tooLong(s)}, {"PE", v.PE != nil && !slices.Contains(colors, string(*v.PE))},
		} {
			if c.bad {
				bad = append(bad, c.field)
			}
		}
		wantField := ""
		switch {
		case tooLong(app):
			wantField = "application"
		case len(bad) > 0:
			wantField = bad[0]
		}

		prefix := []byte{0xAA, 0xBB}
		out, err := appendReflect(c, prefix, uint32(i), md, reflect.ValueOf(&v).Elem())
		verr := c.validate(unsafe.Pointer(&v))
		if len(bad) > 0 {
			if verr == nil || !errors.Is(verr, ErrInvalidValue) || fieldOf(verr) != bad[0] {
				t.Fatalf("Validate = %v, want an error for field %s", verr, bad[0])
			}
		} else if verr != nil {
			t.Fatalf("Validate = %v, want nil", verr)
		}
		if wantField != "" {
			if err == nil || !errors.Is(err, ErrInvalidValue) || fieldOf(err) != wantField {
				t.Fatalf("append err %v, want an error for field %s", err, wantField)
			}
			if wantField != "application" && err.Error() != verr.Error() {
				t.Fatalf("append err %v, validate err %v: not the same", err, verr)
			}
			if isEnum := errors.As(err, new(*EnumValueError)); isEnum != (wantField == "E" || wantField == "G" || wantField == "PE") {
				t.Fatalf("append err %v: errors.As(err, *EnumValueError) = %t", err, isEnum)
			}
			if len(err.Error()) > 512 {
				t.Fatalf("error message of %d bytes: hostile values must not blow up log lines", len(err.Error()))
			}
			if len(out) != 2 || &out[0] != &prefix[0] {
				t.Fatalf("append changed dst on error: %x", out)
			}
			return
		}
		if err != nil {
			t.Fatalf("append err %v", err)
		}
		if !bytes.Equal(out[:2], []byte{0xAA, 0xBB}) || out[2] != 0 || binary.BigEndian.Uint32(out[3:7]) != uint32(i) {
			t.Fatalf("bad frame %x", out[:7])
		}
		body := out[7:]
		if utf8.ValidString(s) && utf8.ValidString(app) {
			if bound := c.maxLen(md.Application, unsafe.Pointer(&v)); len(out)-2 > bound {
				t.Fatalf("value is %d bytes, over the bound %d", len(out)-2, bound)
			}
		}

		var got map[string]any
		if err := avro.Unmarshal(schema, body, &got); err != nil {
			t.Fatalf("hamba decode: %v", err)
		}
		reenc, err := avro.Marshal(schema, got)
		if err != nil || !bytes.Equal(reenc, body) {
			t.Fatalf("hamba re-encode = %x, %v; want %x", reenc, err, body)
		}
		rs, rapp := strings.ToValidUTF8(s, "\uFFFD"), strings.ToValidUTF8(app, "\uFFFD")
		want := map[string]any{
			"id": u.String(), "application": rapp, "timestamp_ns": ts,
			"s": rs, "b": b, "i": i, "i8": int64(i8), "i16": int64(i16), "u32": int64(u32),
			"f32": f32, "f64": f64, "d": float64(d) / 1e9, "e": color, "g": big, "u": u.String(),
			"ps": nil, "pi": nil, "pe": nil, "pd": nil,
		}
		if v.PS != nil {
			want["ps"] = rs
		}
		if v.PI != nil {
			want["pi"] = i
		}
		if v.PE != nil {
			want["pe"] = map[string]any{"lsst.fuzz.fuzzColor": string(*v.PE)}
		}
		if v.PD != nil {
			want["pd"] = float64(d) / 1e9
		}
		for k, w := range want {
			if !fuzzSame(got[k], w) {
				t.Errorf("field %s = %#v, want %#v", k, shorten(got[k]), shorten(w))
			}
		}
		for _, k := range []string{"s", "application"} {
			if !utf8.ValidString(got[k].(string)) {
				t.Errorf("field %s is not valid UTF-8 on the wire", k)
			}
		}
		if ms := got["timestamp"].(time.Time).UnixMilli(); ms != floorMillis(ts) {
			t.Errorf("timestamp = %d ms, want %d", ms, floorMillis(ts))
		}
	})
}

// fuzzHuge repeats s (or "x" when empty) to exactly n bytes, or fewer when
// n is not a whole number of repetitions away.
func fuzzHuge(s string, n int) string {
	if s == "" {
		s = "x"
	}
	r := strings.Repeat(s, n/len(s)+1)
	return r[:n]
}

// fieldOf returns the field a *ValueError or *EnumValueError names.
func fieldOf(err error) string {
	var ve *ValueError
	var ee *EnumValueError
	switch {
	case errors.As(err, &ve):
		return ve.Field
	case errors.As(err, &ee):
		return ee.Field
	}
	return ""
}

// shorten keeps failure messages readable for huge strings.
func shorten(v any) any {
	if s, ok := v.(string); ok && len(s) > 100 {
		return s[:100] + "..."
	}
	return v
}

// fuzzSame compares decoded values, floats by bits or both NaN. Strings are
// compared after the replacement hamba does not do: Avro strings carry bytes.
func fuzzSame(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && (math.Float64bits(g) == math.Float64bits(w) || (g != g && w != w))
	case float32:
		g, ok := got.(float32)
		return ok && (math.Float32bits(g) == math.Float32bits(w) || (g != g && w != w))
	}
	return reflect.DeepEqual(got, want)
}

// fuzzFieldTypes is the palette FuzzDerive draws field types from: every
// supported type, every rejected kind, and malformed enums.
func fuzzFieldTypes() []reflect.Type {
	base := []reflect.Type{
		reflect.TypeFor[string](), reflect.TypeFor[bool](), reflect.TypeFor[int](), reflect.TypeFor[int8](),
		reflect.TypeFor[int16](), reflect.TypeFor[int32](), reflect.TypeFor[int64](), reflect.TypeFor[uint8](),
		reflect.TypeFor[uint16](), reflect.TypeFor[uint32](), reflect.TypeFor[float32](), reflect.TypeFor[float64](),
		reflect.TypeFor[time.Duration](), reflect.TypeFor[uuid.UUID](), reflect.TypeFor[fuzzColor](),
		reflect.TypeFor[fuzzBig](), reflect.TypeFor[FuzzPlain](),
		// rejected
		reflect.TypeFor[uint](), reflect.TypeFor[uint64](), reflect.TypeFor[uintptr](), reflect.TypeFor[complex128](),
		reflect.TypeFor[time.Time](), reflect.TypeFor[FuzzInner](), reflect.TypeFor[map[string]int](),
		reflect.TypeFor[[]int](), reflect.TypeFor[[]byte](), reflect.TypeFor[[4]int](), reflect.TypeFor[any](),
		reflect.TypeFor[chan int](), reflect.TypeFor[func()](), reflect.TypeFor[unsafe.Pointer](),
		reflect.TypeFor[fuzzIntEnum](), reflect.TypeFor[fuzzEmptyEnum](), reflect.TypeFor[Enum](),
	}
	all := base
	for _, t := range base {
		all = append(all, reflect.PointerTo(t))
	}
	return append(all, reflect.TypeFor[**int](), reflect.TypeFor[*[]string]())
}

// fuzzNames is the palette of Go field names: exported and not, acronyms, and
// names whose snake case collides with each other or with metadata fields.
var fuzzNames = []string{
	"A", "B", "Type", "Duration", "UserName", "User_Name", "HTTPStatus", "ID", "Id", "Application",
	"Timestamp", "TimestampNS", "Timestamp_ns", "X1", "X_1", "Ünits", "hidden", "FuzzInner", "FuzzPlain",
	"FuzzColor", "Query", "Q",
}

// fuzzTags is the palette of struct tags; "%" is replaced by fuzz text.
var fuzzTags = []string{
	``, `avro:"-"`, `avro:""`, `avro:"%"`, `doc:"%"`, `avro:"%" doc:"%"`, `avro:"id"`, `avro:"dup"`, `%`,
	`influx:"tag"`, `influx:"%"`,
}

func FuzzDerive(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 1, 0, 2, 2, 0}, "query", "lsst.square.metrics.events.myapp", "text")
	f.Add([]byte{14, 2, 0, 14, 3, 0, 17, 4, 3}, "ev", "a.b", "bad-name")
	f.Add([]byte{22, 17, 8, 23, 18, 8}, "fuzzColor", "ns", "x")
	f.Add([]byte{}, "e", "n", "")
	f.Add([]byte{36, 0, 0, 50, 1, 0, 69, 2, 1}, "e", "n", `"quoted" \ doc`)
	// Tags on a string, an enum and a pointer to bool; on an int (rejected);
	// influx:"%" (rejected).
	f.Add([]byte{0, 0, 9, 14, 1, 9, 35, 3, 9}, "e", "n", "tag")
	f.Add([]byte{0, 0, 9, 2, 4, 9}, "e", "n", "tag")
	f.Add([]byte{0, 0, 10}, "e", "n", "field")
	// An embedded FuzzInner (132 = 0x80|0 mod 11: no tag) beside a tagged
	// FuzzPlain, and one clashing with a field named A.
	f.Add([]byte{22, 0, 132, 16, 1, 9}, "e", "n", "")
	f.Add([]byte{22, 0, 132, 2, 0, 0}, "e", "n", "")

	types := fuzzFieldTypes()
	f.Fuzz(func(t *testing.T, shape []byte, event, namespace, text string) {
		if len(shape) > 3*24 {
			shape = shape[:3*24]
		}
		var fields []reflect.StructField
		for i := 0; i+2 < len(shape); i += 3 {
			typ := types[int(shape[i])%len(types)]
			name := fuzzNames[int(shape[i+1])%len(fuzzNames)]
			tag := strings.ReplaceAll(fuzzTags[int(shape[i+2])%len(fuzzTags)], "%", text)
			sf := reflect.StructField{Name: name, Type: typ, Tag: reflect.StructTag(tag)}
			if shape[i+2]&0x80 != 0 && (typ == reflect.TypeFor[FuzzInner]() || typ == reflect.TypeFor[FuzzPlain]()) {
				sf.Name, sf.Anonymous = typ.Name(), true
			}
			if !token.IsExported(sf.Name) {
				sf.PkgPath = "github.com/lsst-sqre/sasquatch-go/payload"
			}
			fields = append(fields, sf)
		}
		rt, ok := structOf(fields)
		if !ok {
			return // not a Go struct (duplicate Go names, ...): nothing to test
		}

		c, err := newCodecOf(rt, event, namespace)
		if err != nil {
			checkDeriveError(t, err, rt)
			return
		}
		again, err := newCodecOf(rt, event, namespace)
		if err != nil || again.schemaJSON != c.schemaJSON {
			t.Fatalf("derivation is not deterministic: %v", err)
		}
		schema, err := avro.ParseWithCache(c.schemaJSON, "", &avro.SchemaCache{})
		if err != nil {
			t.Fatalf("schema does not parse: %v\n%s", err, c.schemaJSON)
		}
		rec := schema.(*avro.RecordSchema)
		if got, want := len(rec.Fields()), 4+len(c.ops); got != want {
			t.Fatalf("schema has %d fields, plan %d", got, want)
		}
		checkTags(t, c, rec)

		// Encode a value with valid enums and decode it back.
		v := reflect.New(rt)
		for i := range rt.NumField() {
			fv := v.Elem().Field(i)
			if !fv.CanInterface() || fv.Kind() != reflect.String {
				continue
			}
			// Skipped fields may hold malformed enums.
			if e, ok := fv.Interface().(Enum); ok && len(e.Symbols()) > 0 {
				fv.SetString(e.Symbols()[0])
			}
		}
		md := &Metadata{Application: text, TimestampNS: 1}
		out, err := appendReflect(c, nil, 1, md, v.Elem())
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		var got map[string]any
		if err := avro.Unmarshal(schema, out[5:], &got); err != nil {
			t.Fatalf("decode: %v\n%s", err, c.schemaJSON)
		}
		if reenc, err := avro.Marshal(schema, got); err != nil || !bytes.Equal(reenc, out[5:]) {
			t.Fatalf("re-encode = %x, %v; want %x", reenc, err, out[5:])
		}
	})
}

// checkTags: each tag is a payload field of a type InfluxDB takes as a tag,
// once, in schema order.
func checkTags(t *testing.T, c *codec, rec *avro.RecordSchema) {
	t.Helper()
	next := 4 // after the metadata fields
	for _, tag := range c.tags {
		for next < len(rec.Fields()) && rec.Fields()[next].Name() != tag {
			next++
		}
		if next == len(rec.Fields()) {
			t.Fatalf("tag %q is not a payload field after the previous tag: tags %q, schema %s", tag, c.tags, c.schemaJSON)
		}
		typ := rec.Fields()[next].Type()
		if u, ok := typ.(*avro.UnionSchema); ok {
			typ = u.Types()[1]
		}
		if p, ok := typ.(*avro.PrimitiveSchema); ok && p.Logical() != nil || typ.Type() != avro.String && typ.Type() != avro.Enum && typ.Type() != avro.Boolean {
			t.Fatalf("tag %q has type %s", tag, typ)
		}
		next++
	}
}

// structOf is reflect.StructOf without its panics (invalid Go structs).
func structOf(fields []reflect.StructField) (t reflect.Type, ok bool) {
	defer func() {
		if recover() != nil {
			t, ok = nil, false
		}
	}()
	return reflect.StructOf(fields), true
}

// checkDeriveError: every derivation error is typed and complete.
func checkDeriveError(t *testing.T, err error, rt reflect.Type) {
	t.Helper()
	var ne *NameError
	var ue *UnsupportedError
	switch {
	case errors.As(err, &ne):
		if !errors.As(err, new(*NameError)) || ne.What == "" || avroname.Valid(ne.Name) {
			t.Fatalf("bad NameError %+v", ne)
		}
	case errors.As(err, &ue):
		if !errors.As(err, new(*UnsupportedError)) || len(ue.Fields) == 0 {
			t.Fatalf("bad UnsupportedError %+v", ue)
		}
		for _, fe := range ue.Fields {
			if fe.Path == "" || fe.GoType == "" || fe.Reason == "" || !strings.Contains(err.Error(), fe.Reason) {
				t.Fatalf("incomplete FieldProblem %+v in %v", fe, err)
			}
		}
	default:
		t.Fatalf("untyped error for %v: %v", rt, err)
	}
}

// appendReflect is Codec.Append for the type-erased codec of a value held
// in v (addressable): the copy a repair needs is made with reflection, as the
// typed Codec does with a plain assignment.
func appendReflect(c *codec, dst []byte, schemaID uint32, md *Metadata, v reflect.Value) ([]byte, error) {
	out, err, repair := c.appendValue(dst, schemaID, md, v.Addr().UnsafePointer())
	if !repair {
		return out, err
	}
	cp := reflect.New(v.Type())
	cp.Elem().Set(v)
	return c.appendRepaired(dst, schemaID, md, cp.UnsafePointer())
}
