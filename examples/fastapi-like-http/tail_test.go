package main

import (
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
)

// goldenValue is SPEC §5's golden vector: event query of app myapp, schema
// id 42, type sync, duration 1.5 s.
const goldenValue = "000000002a4831323334353637382d313233342d343637382d393233342d3536373831323334353637380a6d79617070f6a1abfef962aab4aed8c7bfce972f02000000000000f83f"

// parseRecord parses a record schema with its own cache.
func parseRecord(t *testing.T, text string) *avro.RecordSchema {
	t.Helper()
	s, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	rs, ok := s.(*avro.RecordSchema)
	if !ok {
		t.Fatalf("schema is a %s, want a record", s.Type())
	}
	return rs
}

// The golden vector decodes to the line Telegraf writes for it: the
// timestamp-millis field is dropped, the enum is a string, the duration a
// float, timestamp_ns an integer field and the point time.
func TestLineProtocolGolden(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "testdata", "query.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	schema := parseRecord(t, string(text))
	value, err := hex.DecodeString(goldenValue)
	if err != nil {
		t.Fatal(err)
	}
	if value[0] != 0 || value[4] != 42 {
		t.Fatalf("golden value framing: % x", value[:5])
	}
	var record map[string]any
	api := avro.Config{}.Freeze()
	if err := api.Unmarshal(schema, value[5:], &record); err != nil {
		t.Fatalf("decode golden value: %v", err)
	}
	got, err := lineProtocol(schema, record, []string{"application"})
	if err != nil {
		t.Fatal(err)
	}
	want := `lsst.square.metrics.events.myapp.query,application=myapp id="12345678-1234-4678-9234-567812345678",timestamp_ns=1700000000123456789i,type="sync",duration=1.5 1700000000123456789`
	if got != want {
		t.Errorf("line protocol\n got  %s\n want %s", got, want)
	}
}

func TestLineProtocol(t *testing.T) {
	const schemaText = `{"type":"record","name":"login","namespace":"lsst.square.metrics.events.app",
	"fields":[
	{"name":"id","type":{"type":"string","logicalType":"uuid"}},
	{"name":"application","type":"string"},
	{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"timestamp_ns","type":"long"},
	{"name":"username","type":"string"},
	{"name":"scopes","type":"long"},
	{"name":"service","type":["null","string"],"default":null},
	{"name":"ok","type":"boolean"},
	{"name":"ratio","type":"double"},
	{"name":"small","type":"float"}]}`
	schema := parseRecord(t, schemaText)
	base := func() map[string]any {
		return map[string]any{
			"id": "0b4e3c8e-5d0c-4a59-9a65-3d1f1b7a2c11", "application": "app",
			"timestamp": time.UnixMilli(1700000000123).UTC(), "timestamp_ns": int64(1700000000123456789),
			"username": "ann", "scopes": int64(2), "service": nil, "ok": true, "ratio": 2.0, "small": float32(0.5),
		}
	}
	const head = `lsst.square.metrics.events.app.login,application=app id="0b4e3c8e-5d0c-4a59-9a65-3d1f1b7a2c11",timestamp_ns=1700000000123456789i,`
	tests := []struct {
		name   string
		change func(map[string]any)
		tags   []string
		want   string
	}{
		{"null optional field left out; integral double stays a float", nil, []string{"application"},
			head + `username="ann",scopes=2i,ok=true,ratio=2,small=0.5 1700000000123456789`},
		{"optional field set", func(r map[string]any) { r["service"] = "portal" }, []string{"application"},
			head + `username="ann",scopes=2i,service="portal",ok=true,ratio=2,small=0.5 1700000000123456789`},
		{"string escapes keep one line", func(r map[string]any) { r["username"] = "a \"b\"\\c\nd" }, []string{"application"},
			head + `username="a \"b\"\\c\nd",scopes=2i,ok=true,ratio=2,small=0.5 1700000000123456789`},
		{"NaN and infinity cannot be stored", func(r map[string]any) {
			r["ratio"], r["small"], r["ok"] = math.NaN(), float32(math.Inf(1)), false
		}, []string{"application"},
			head + `username="ann",scopes=2i,ok=false 1700000000123456789`},
		{"extra tag, escaped", func(r map[string]any) { r["username"] = "a b,c=d" }, []string{"application", "username"},
			`lsst.square.metrics.events.app.login,application=app,username=a\ b\,c\=d id="0b4e3c8e-5d0c-4a59-9a65-3d1f1b7a2c11",timestamp_ns=1700000000123456789i,scopes=2i,ok=true,ratio=2,small=0.5 1700000000123456789`},
		{"empty tag value dropped", func(r map[string]any) { r["application"] = "" }, []string{"application"},
			`lsst.square.metrics.events.app.login id="0b4e3c8e-5d0c-4a59-9a65-3d1f1b7a2c11",timestamp_ns=1700000000123456789i,username="ann",scopes=2i,ok=true,ratio=2,small=0.5 1700000000123456789`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			if tt.change != nil {
				tt.change(r)
			}
			got, err := lineProtocol(schema, r, tt.tags)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("line protocol\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

// An event whose every field is a tag or unstorable is no point at all.
func TestLineProtocolNoField(t *testing.T) {
	schema := parseRecord(t, `{"type":"record","name":"e","namespace":"n","fields":[{"name":"application","type":"string"},{"name":"x","type":["null","long"],"default":null}]}`)
	_, err := lineProtocol(schema, map[string]any{"application": "app", "x": nil}, []string{"application"})
	if err == nil {
		t.Fatal("lineProtocol of an event without fields: no error")
	}
}
