//go:build safir

package safir_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// goldenVector is one testdata/safir/<vector>.json file written by golden.py
// from Safir's own publish path with the id, clock and schema id pinned.
type goldenVector struct {
	Event              string           `json:"event"`
	Subject            string           `json:"subject"`
	Topic              string           `json:"topic"`
	SchemaID           uint32           `json:"schema_id"`
	Schema             string           `json:"schema"`
	SchemaCanonical    string           `json:"schema_canonical"`
	ID                 string           `json:"id"`
	TimestampNS        int64            `json:"timestamp_ns"`
	ValueHex           string           `json:"value_hex"`
	Payload            map[string]any   `json:"payload"`
	PayloadDurationsNS map[string]int64 `json:"payload_durations_ns"`
}

func ptr[T any](v T) *T { return &v }

// TestGolden checks the Go SDK against the values Safir produced for the same
// events (no broker): subject and topic, the schema in Parsing Canonical Form,
// the value byte for byte, and decoding each side's value with the other
// side's schema (hamba/avro and goavro).
func TestGolden(t *testing.T) {
	safir9(t)
	t.Parallel()
	tests := []struct {
		vector string
		check  func(t *testing.T, vec *goldenVector)
	}{
		{"query", func(t *testing.T, vec *goldenVector) {
			checkGolden(t, vec, QueryEvent{Type: QuerySync, Duration: 1500 * time.Millisecond})
		}},
		{"rich", func(t *testing.T, vec *goldenVector) {
			checkGolden(t, vec, RichEvent{
				Count: -1234567890123, Ok: true, Ratio: 0.1, Note: ptr("h\u00e9llo"),
				Elapsed: 3897788 * time.Microsecond, // Duration.Seconds() would be 1 ulp off
			})
		}},
		{"rich_null", func(t *testing.T, vec *goldenVector) {
			checkGolden(t, vec, RichEvent{Count: 0, Ok: false, Ratio: -2.5})
		}},
		{"empty", func(t *testing.T, vec *goldenVector) {
			checkGolden(t, vec, EmptyEvent{})
		}},
		// Safir payloads that subclass a base model, against Go structs that
		// embed the base struct and against the same fields written flat.
		{"api_call", func(t *testing.T, vec *goldenVector) {
			checkBaseGolden(t, vec,
				APICall{
					RequestBase: RequestBase{Method: "GET", Route: "/items/{id}"},
					Status:      200, Duration: 3897788 * time.Microsecond, Size: ptr[int64](1234567),
				},
				APICallFlat{
					Method: "GET", Route: "/items/{id}",
					Status: 200, Duration: 3897788 * time.Microsecond, Size: ptr[int64](1234567),
				})
		}},
		{"api_call_null", func(t *testing.T, vec *goldenVector) {
			checkBaseGolden(t, vec,
				APICall{RequestBase: RequestBase{Method: "POST", Route: "/caf\u00e9"}, Status: 503},
				APICallFlat{Method: "POST", Route: "/caf\u00e9", Status: 503})
		}},
		{"api_error", func(t *testing.T, vec *goldenVector) {
			checkBaseGolden(t, vec,
				APIError{RequestBase: RequestBase{Method: "DELETE", Route: "/items/{id}"}, Code: "E42", Retried: true},
				APIErrorFlat{Method: "DELETE", Route: "/items/{id}", Code: "E42", Retried: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			t.Parallel()
			var vec goldenVector
			readJSON(t, repoPath("testdata", "safir", tt.vector+".json"), &vec)
			tt.check(t, &vec)
		})
	}
}

func checkGolden[T any](t *testing.T, vec *goldenVector, v T) {
	t.Helper()
	py := safir9(t)
	canonicalFastavro := func(t testing.TB, schema string) string {
		t.Helper()
		return fastavroPCF(t, py, schema)
	}
	cfg := config.Config{AppName: app, TopicPrefix: prefix}
	codec, err := payload.NewCodec[T](vec.Event, cfg.Topic())
	if err != nil {
		t.Fatalf("NewCodec[%T](%q): %v", v, vec.Event, err)
	}

	// Names.
	if got := codec.FullName(); got != vec.Subject {
		t.Errorf("subject: Go %q, Safir %q", got, vec.Subject)
	}
	if got := cfg.Topic(); got != vec.Topic {
		t.Errorf("topic: Go %q, Safir %q", got, vec.Topic)
	}
	if got := codec.Namespace(); got != vec.Topic {
		t.Errorf("record namespace: Go %q, Safir topic %q", got, vec.Topic)
	}

	// Schemas: parse both texts with fresh caches, compare their Parsing
	// Canonical Form (hamba's String) and fingerprints, and fastavro's PCF.
	goSchema := parseSchema(t, "Go", codec.SchemaJSON())
	safirSchema := parseSchema(t, "Safir", vec.Schema)
	if goSchema.String() != safirSchema.String() {
		t.Errorf("schema PCF differs:\nGo    %s\nSafir %s", goSchema.String(), safirSchema.String())
	}
	if goSchema.Fingerprint() != safirSchema.Fingerprint() {
		t.Errorf("schema fingerprints differ: Go %x, Safir %x", goSchema.Fingerprint(), safirSchema.Fingerprint())
	}
	// hamba's String keeps known logicalTypes, which the specification's
	// Parsing Canonical Form strips: fastavro (Safir's Avro library) computes
	// the strict form of the Go schema, compared with that of Safir's.
	if got := canonicalFastavro(t, codec.SchemaJSON()); got != vec.SchemaCanonical {
		t.Errorf("strict PCF (fastavro) differs:\nGo    %s\nSafir %s", got, vec.SchemaCanonical)
	}
	if got := codec.Schema().String(); got != goSchema.String() {
		t.Errorf("Codec.Schema() PCF %s differs from SchemaJSON's %s", got, goSchema.String())
	}

	// Value, with id, time and schema id pinned.
	id, err := uuid.Parse(vec.ID)
	if err != nil {
		t.Fatalf("vector id %q: %v", vec.ID, err)
	}
	md := payload.Metadata{ID: id, Application: app, TimestampNS: vec.TimestampNS}
	goValue, err := codec.Encode(vec.SchemaID, &md, &v)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	safirValue, err := hex.DecodeString(vec.ValueHex)
	if err != nil {
		t.Fatalf("vector value_hex: %v", err)
	}
	if !bytes.Equal(goValue, safirValue) {
		t.Errorf("value differs:\nGo    %x\nSafir %x", goValue, safirValue)
	}

	// Each side's value decodes with the other side's schema, to what Safir
	// published.
	want := expectedRecord(t, vec)
	for _, c := range []struct {
		name, schema string
		parsed       avro.Schema
		value        []byte
	}{
		{"Go value, Safir schema", vec.Schema, safirSchema, goValue},
		{"Safir value, Go schema", codec.SchemaJSON(), goSchema, safirValue},
	} {
		body := framedBody(t, c.value, vec.SchemaID)
		got := decodeHamba(t, c.parsed, body)
		if diff := diffRecord(want, got); diff != "" {
			t.Errorf("%s (hamba/avro): %s", c.name, diff)
		}
		got = decodeGoavro(t, c.schema, body)
		if diff := diffRecord(want, got); diff != "" {
			t.Errorf("%s (goavro): %s", c.name, diff)
		}
	}
}

// checkBaseGolden checks an event whose Safir payload subclasses a base model
// (safir_events.RequestBase) twice against Safir's vector, once as embedded,
// a Go struct that embeds the base struct, and once as flat, the same fields
// written out in the same order, and checks that the two Go types give the
// same schema text, tags and bytes: embedding is flattening, nothing else.
func checkBaseGolden[E, F any](t *testing.T, vec *goldenVector, embedded E, flat F) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) { checkGolden(t, vec, embedded) })
	t.Run("flat", func(t *testing.T) { checkGolden(t, vec, flat) })

	ns := config.Config{AppName: app, TopicPrefix: prefix}.Topic()
	ce, err := payload.NewCodec[E](vec.Event, ns)
	if err != nil {
		t.Fatalf("NewCodec[%T]: %v", embedded, err)
	}
	cf, err := payload.NewCodec[F](vec.Event, ns)
	if err != nil {
		t.Fatalf("NewCodec[%T]: %v", flat, err)
	}
	if ce.SchemaJSON() != cf.SchemaJSON() {
		t.Errorf("schema text differs:\nembedded %s\nflat     %s", ce.SchemaJSON(), cf.SchemaJSON())
	}
	// The payload fields in Safir's order: the base model's first.
	var safirFields []string
	for _, f := range parseSchema(t, "Safir", vec.Schema).(*avro.RecordSchema).Fields() {
		switch f.Name() {
		case "id", "application", "timestamp", "timestamp_ns":
		default:
			safirFields = append(safirFields, f.Name())
		}
	}
	if got := ce.Fields(); !slices.Equal(got, safirFields) || !slices.Equal(cf.Fields(), safirFields) {
		t.Errorf("payload fields: embedded %v, flat %v, Safir %v", got, cf.Fields(), safirFields)
	}
	// Tags are the Go side's only (Safir has no way to declare them).
	if want := []string{"method", "route"}; !slices.Equal(ce.Tags(), want) || !slices.Equal(cf.Tags(), want) {
		t.Errorf("tags: embedded %v, flat %v, want %v", ce.Tags(), cf.Tags(), want)
	}
	id, err := uuid.Parse(vec.ID)
	if err != nil {
		t.Fatalf("vector id %q: %v", vec.ID, err)
	}
	md := payload.Metadata{ID: id, Application: app, TimestampNS: vec.TimestampNS}
	be, err := ce.Encode(vec.SchemaID, &md, &embedded)
	if err != nil {
		t.Fatalf("Encode embedded: %v", err)
	}
	bf, err := cf.Encode(vec.SchemaID, &md, &flat)
	if err != nil {
		t.Fatalf("Encode flat: %v", err)
	}
	if !bytes.Equal(be, bf) {
		t.Errorf("value differs:\nembedded %x\nflat     %x", be, bf)
	}
}

// parseSchema parses text with a cache of its own, so that the Go and Safir
// schemas (same full names) do not meet in hamba's global cache.
func parseSchema(t testing.TB, side, text string) avro.Schema {
	t.Helper()
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse the %s schema: %v\n%s", side, err, text)
	}
	return s
}

// framedBody checks the Confluent framing of value and returns the Avro body.
func framedBody(t testing.TB, value []byte, schemaID uint32) []byte {
	t.Helper()
	if len(value) < 5 || value[0] != 0 {
		t.Fatalf("value %x: not Confluent-framed (magic byte 0, 4-byte id)", value)
	}
	if got := uint32(value[1])<<24 | uint32(value[2])<<16 | uint32(value[3])<<8 | uint32(value[4]); got != schemaID {
		t.Fatalf("value %x: schema id %d, want %d", value, got, schemaID)
	}
	return value[5:]
}

// expectedRecord is the record golden.py published, in the normal form of
// normalize: metadata and payload fields, durations as float seconds.
func expectedRecord(t testing.TB, vec *goldenVector) map[string]any {
	t.Helper()
	rec := map[string]any{
		"id":           vec.ID,
		"application":  app,
		"timestamp":    vec.TimestampNS / 1e6, // SPEC: floor(ns / 1e6)
		"timestamp_ns": vec.TimestampNS,
	}
	for k, v := range vec.Payload {
		if ns, ok := vec.PayloadDurationsNS[k]; ok {
			rec[k] = float64(ns) / 1e9
			continue
		}
		rec[k] = normalize(v)
	}
	return rec
}

// decodeHamba decodes body with schema into a generic map, checks that it
// consumed every byte (by re-encoding), and normalizes it.
func decodeHamba(t testing.TB, schema avro.Schema, body []byte) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := avro.Unmarshal(schema, body, &rec); err != nil {
		t.Fatalf("hamba decode %x: %v", body, err)
	}
	again, err := avro.Marshal(schema, rec)
	if err != nil {
		t.Fatalf("hamba re-encode %v: %v", rec, err)
	}
	if !bytes.Equal(again, body) {
		t.Errorf("hamba round trip: decoded %v re-encodes to %x, want %x (trailing bytes?)", rec, again, body)
	}
	return normalizeRecord(rec)
}

// decodeGoavro decodes body with goavro and the schema text.
func decodeGoavro(t testing.TB, schema string, body []byte) map[string]any {
	t.Helper()
	codec, err := goavro.NewCodec(schema)
	if err != nil {
		t.Fatalf("goavro: %v\n%s", err, schema)
	}
	native, rest, err := codec.NativeFromBinary(body)
	if err != nil {
		t.Fatalf("goavro decode %x: %v", body, err)
	}
	if len(rest) != 0 {
		t.Errorf("goavro: %d trailing bytes after the record", len(rest))
	}
	rec, ok := native.(map[string]any)
	if !ok {
		t.Fatalf("goavro decoded %T, want a map", native)
	}
	return normalizeRecord(rec)
}

// normalizeRecord maps the Go types both decoders produce to one form: JSON
// numbers as int64 or float64, timestamps as unix milliseconds, unions
// unwrapped, UUIDs as strings.
func normalizeRecord(rec map[string]any) map[string]any {
	out := make(map[string]any, len(rec))
	for k, v := range rec {
		out[k] = normalize(v)
	}
	return out
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any: // a union branch, as goavro (and hamba) give it
		if len(x) == 1 {
			for _, inner := range x {
				return normalize(inner)
			}
		}
		return normalizeRecord(x)
	case time.Time:
		return x.UnixMilli()
	case [16]byte:
		return uuid.UUID(x).String()
	case uuid.UUID:
		return x.String()
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	default:
		return v
	}
}

// diffRecord returns "" when got equals want, else a description. Numbers
// compare by value whatever their Go type.
func diffRecord(want, got map[string]any) string {
	if len(want) != len(got) {
		return fmt.Sprintf("fields %v, want %v", keys(got), keys(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("field %q missing (got %v)", k, got)
		}
		if !sameValue(w, g) {
			return fmt.Sprintf("field %q = %#v, want %#v", k, g, w)
		}
	}
	return ""
}

func sameValue(a, b any) bool {
	ia, aInt := a.(int64)
	ib, bInt := b.(int64)
	if aInt && bInt {
		return ia == ib
	}
	fa, aNum := number(a)
	fb, bNum := number(b)
	if aNum && bNum {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
