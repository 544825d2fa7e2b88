package payload_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
)

// decoded is what one framed value decodes to, from both decoders, in a
// common form: union branches unwrapped, timestamp-millis as time.Time.
type decoded struct {
	schemaID uint32
	hamba    map[string]any
	goavro   map[string]any
}

// decodeBoth checks the Confluent frame and decodes the body with hamba/avro
// (against the schema hamba parsed from SchemaJSON, fresh cache) and with
// goavro (from the schema text). Both must consume every byte.
func decodeBoth(t testing.TB, schemaJSON string, b []byte) decoded {
	t.Helper()
	if len(b) < 5 || b[0] != 0 {
		t.Fatalf("value %x lacks the Confluent frame", b)
	}
	d := decoded{schemaID: binary.BigEndian.Uint32(b[1:5])}
	body := b[5:]

	schema, err := avro.ParseWithCache(schemaJSON, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("hamba parse: %v\n%s", err, schemaJSON)
	}
	dec := avro.NewDecoderForSchema(schema, bytes.NewReader(body))
	if err := dec.Decode(&d.hamba); err != nil {
		t.Fatalf("hamba decode %x: %v", body, err)
	}
	// hamba reads through a buffer: re-encode to check the length consumed.
	reenc, err := avro.Marshal(schema, d.hamba)
	if err != nil {
		t.Fatalf("hamba re-encode: %v", err)
	}
	if !bytes.Equal(reenc, body) {
		t.Errorf("hamba round trip differs:\n got %x\nwant %x", reenc, body)
	}
	d.hamba = unwrapUnions(d.hamba)

	g, err := goavro.NewCodec(schemaJSON)
	if err != nil {
		t.Fatalf("goavro parse: %v\n%s", err, schemaJSON)
	}
	native, rest, err := g.NativeFromBinary(body)
	if err != nil {
		t.Fatalf("goavro decode %x: %v", body, err)
	}
	if len(rest) != 0 {
		t.Errorf("goavro left %d bytes unread", len(rest))
	}
	m, ok := native.(map[string]any)
	if !ok {
		t.Fatalf("goavro decoded a %T", native)
	}
	d.goavro = unwrapUnions(m)
	return d
}

// unwrapUnions replaces each {"branch": value} union by its value. Payload
// fields are never maps, so any map is a union.
func unwrapUnions(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if u, ok := v.(map[string]any); ok && len(u) == 1 {
			for _, inner := range u {
				v = inner
			}
		}
		out[k] = v
	}
	return out
}

// sameValue compares decoded values, treating NaNs as equal and comparing
// floats by bits (so -0 and +0 differ).
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && (math.Float64bits(g) == math.Float64bits(w) || (math.IsNaN(g) && math.IsNaN(w)))
	case float32:
		g, ok := got.(float32)
		return ok && (math.Float32bits(g) == math.Float32bits(w) || (g != g && w != w))
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	}
	return reflect.DeepEqual(got, want)
}

// checkFields asserts that both decoders saw want (a subset of the fields).
func checkFields(t testing.TB, d decoded, want map[string]any) {
	t.Helper()
	for name, w := range want {
		for _, side := range []struct {
			who string
			m   map[string]any
		}{{"hamba", d.hamba}, {"goavro", d.goavro}} {
			got, ok := side.m[name]
			if !ok {
				t.Errorf("%s: field %q missing", side.who, name)
				continue
			}
			if !sameValue(got, w) {
				t.Errorf("%s: field %q = %#v (%T), want %#v (%T)", side.who, name, got, got, w, w)
			}
		}
	}
}

// schemaFields returns the "fields" array of a schema's JSON.
func schemaFields(t testing.TB, schemaJSON string) []map[string]any {
	t.Helper()
	var rec struct {
		Fields []map[string]any `json:"fields"`
	}
	if err := json.Unmarshal([]byte(schemaJSON), &rec); err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, schemaJSON)
	}
	return rec.Fields
}

// jsonValue parses a JSON text, for comparing schema fragments.
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}
