package main

import (
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hamba/avro/v2"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
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
		{"tags in key order, each once", nil, []string{"username", "application", "username"},
			`lsst.square.metrics.events.app.login,application=app,username=ann id="0b4e3c8e-5d0c-4a59-9a65-3d1f1b7a2c11",timestamp_ns=1700000000123456789i,scopes=2i,ok=true,ratio=2,small=0.5 1700000000123456789`},
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

// readLine parses one printed line with InfluxDB's own line protocol parser
// (github.com/influxdata/line-protocol/v2): what a write of it would store.
func readLine(t *testing.T, line string) storedPoint {
	t.Helper()
	if strings.ContainsAny(line, "\r\n") {
		t.Fatalf("line %q: more than one line", line)
	}
	dec := lineprotocol.NewDecoderWithBytes([]byte(line))
	if !dec.Next() {
		t.Fatalf("line %q: no point", line)
	}
	p := storedPoint{tags: map[string]string{}, fields: map[string]any{}}
	m, err := dec.Measurement()
	if err != nil {
		t.Fatalf("line %q: measurement: %v", line, err)
	}
	p.measurement = string(m)
	for {
		k, v, err := dec.NextTag()
		if err != nil {
			t.Fatalf("line %q: tag: %v", line, err)
		}
		if k == nil {
			break
		}
		p.tags[string(k)] = string(v)
	}
	for {
		k, v, err := dec.NextField()
		if err != nil {
			t.Fatalf("line %q: field: %v", line, err)
		}
		if k == nil {
			break
		}
		p.fields[string(k)] = v.Interface()
	}
	ts, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil {
		t.Fatalf("line %q: time: %v", line, err)
	}
	p.time = ts.UnixNano()
	if dec.Next() {
		t.Fatalf("line %q: more than one point", line)
	}
	return p
}

// storedPoint is a point as InfluxDB reads it from a line.
type storedPoint struct {
	measurement string
	tags        map[string]string
	fields      map[string]any
	time        int64
}

// Hostile strings, in tags and in string fields, come back from a real line
// protocol parser as they went in, with the field set intact; what line
// protocol cannot carry is handled as Telegraf's influx serializer does (a
// tag value loses its trailing backslashes, a newline in a tag is the text
// \n), and nothing printed can drive a terminal (control characters and
// U+2028 as Go escapes).
func TestLineProtocolHostileValues(t *testing.T) {
	const schemaText = `{"type":"record","name":"login","namespace":"lsst.square.metrics.events.app",
	"fields":[
	{"name":"timestamp_ns","type":"long"},
	{"name":"route","type":"string"},
	{"name":"username","type":"string"},
	{"name":"n","type":"long"}]}`
	schema := parseRecord(t, schemaText)
	tests := []struct {
		name, in  string
		tag       string // the tag value stored; "" for none
		field     string // the string field value stored
		wantField string // when it differs from in
	}{
		{name: "trailing backslash", in: `a\`, tag: "a"},
		{name: "trailing backslashes", in: `a\\\`, tag: "a"},
		{name: "only backslashes", in: `\\`, tag: ""},
		{name: "double backslash inside", in: `a\\b`, tag: `a\\b`},
		{name: "backslash before separator", in: `a\ b\,c\=d`, tag: `a\ b\,c\=d`},
		{name: "comma equals space", in: "a,b=c d", tag: "a,b=c d"},
		{name: "leading space and equals", in: " =x", tag: " =x"},
		{name: "quotes", in: `"a" 'b'`, tag: `"a" 'b'`},
		{name: "newline", in: "a\nb\r\tc", tag: `a\nb\r\tc`},
		{name: "unicode", in: "Ω ü 🚀 日本", tag: "Ω ü 🚀 日本"},
		{name: "terminal escapes", in: "a\x1b[31mred\a\u2028b\x7f", tag: `a\x1b[31mred\a\u2028b\x7f`, wantField: `a\x1b[31mred\a\u2028b\x7f`},
		{name: "invalid UTF-8", in: "a\xffb", tag: `a\xffb`, wantField: `a\xffb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			record := map[string]any{"timestamp_ns": int64(1700000000123456789), "route": tt.in, "username": tt.in, "n": int64(7)}
			line, err := lineProtocol(schema, record, []string{"route"})
			if err != nil {
				t.Fatal(err)
			}
			if !utf8.ValidString(line) {
				t.Fatalf("line %q: invalid UTF-8", line)
			}
			for _, r := range line {
				if !strconv.IsPrint(r) {
					t.Fatalf("line %q: rune %U is not printable", line, r)
				}
			}
			got := readLine(t, line)
			wantTags := map[string]string{}
			if tt.tag != "" {
				wantTags["route"] = tt.tag
			}
			field := tt.in
			if tt.wantField != "" {
				field = tt.wantField
			}
			want := storedPoint{
				measurement: "lsst.square.metrics.events.app.login",
				tags:        wantTags,
				fields:      map[string]any{"timestamp_ns": int64(1700000000123456789), "username": field, "n": int64(7)},
				time:        1700000000123456789,
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("line %s\n read %+v\n want %+v", line, got, want)
			}
		})
	}
}
