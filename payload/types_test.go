package payload_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
	"github.com/lsst-sqre/sasquatch-go/payload/internal/othertypes"
)

const testNamespace = "lsst.square.metrics.events.testapp"

// one is a payload with a single field of type F, named "x" in Avro.
type one[F any] struct {
	X F `doc:"the field"`
}

// Color is a small enum (looked up by scanning).
type Color string

// Symbols implements payload.Enum.
func (Color) Symbols() []string { return []string{"red", "green", "blue"} }

// Level is a large enum (looked up through a map).
type Level string

// Symbols implements payload.Enum.
func (Level) Symbols() []string {
	return []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9", "l10"}
}

// Plain is a named string that is not an enum.
type Plain string

// Count is a named integer.
type Count int32

func ptr[T any](v T) *T { return &v }

type typeRow struct {
	name string
	run  func(t *testing.T)
}

// rowFor is one row of the SPEC section 4 type table: a field of type F must
// get the Avro type wantType (JSON) and value must decode, with both
// decoders, to want.
func rowFor[F any](name, wantType string, value F, want any) typeRow {
	return typeRow{name: name, run: func(t *testing.T) {
		t.Helper()
		c, err := payload.NewCodec[one[F]]("ev", testNamespace)
		if err != nil {
			t.Fatalf("NewCodec: %v", err)
		}
		fields := schemaFields(t, c.SchemaJSON())
		if len(fields) != 5 {
			t.Fatalf("got %d fields, want 5:\n%s", len(fields), c.SchemaJSON())
		}
		f := fields[4]
		if f["name"] != "x" || f["doc"] != "the field" {
			t.Errorf("field = %v, want name x and doc", f)
		}
		if got, want := f["type"], jsonValue(t, wantType); !reflect.DeepEqual(got, want) {
			gotJSON, _ := json.Marshal(got)
			t.Errorf("type = %s, want %s", gotJSON, wantType)
		}
		def, hasDefault := f["default"]
		nullable := strings.HasPrefix(wantType, `["null"`)
		if hasDefault != nullable || def != nil {
			t.Errorf("default = %v (present %v), want null only for a nullable field", def, hasDefault)
		}
		b, err := c.Encode(7, goldenMetadata(), &one[F]{X: value})
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		d := decodeBoth(t, c.SchemaJSON(), b)
		if d.schemaID != 7 {
			t.Errorf("schema id = %d, want 7", d.schemaID)
		}
		checkFields(t, d, map[string]any{"x": want})
	}}
}

func TestTypeTable(t *testing.T) {
	t.Parallel()
	u := uuid.MustParse("0f1e2d3c-4b5a-4697-8877-665544332211")
	const (
		long      = `"long"`
		duration  = `{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}`
		uuidType  = `{"type":"string","logicalType":"uuid"}`
		colorType = `{"type":"enum","name":"Color","symbols":["red","green","blue"]}`
	)
	rows := []typeRow{
		rowFor("string", `"string"`, "héllo", any("héllo")),
		rowFor("empty string", `"string"`, "", any("")),
		rowFor("named string", `"string"`, Plain("plain"), any("plain")),
		rowFor("bool", `"boolean"`, true, any(true)),
		rowFor("int", long, int(-1<<62), any(int64(-1<<62))),
		rowFor("int8", long, int8(-128), any(int64(-128))),
		rowFor("int16", long, int16(32767), any(int64(32767))),
		rowFor("int32", long, int32(-1<<31), any(int64(-1<<31))),
		rowFor("int64", long, int64(1<<63-1), any(int64(1<<63-1))),
		rowFor("named int", long, Count(12), any(int64(12))),
		rowFor("uint8", long, uint8(255), any(int64(255))),
		rowFor("uint16", long, uint16(65535), any(int64(65535))),
		rowFor("uint32", long, uint32(1<<32-1), any(int64(1<<32-1))),
		rowFor("float64", `"double"`, 3.25, any(3.25)),
		rowFor("float32", `"float"`, float32(-0.5), any(float32(-0.5))),
		rowFor("duration", duration, 1500*time.Millisecond, any(1.5)),
		rowFor("negative duration", duration, -2*time.Microsecond, any(-2e-6)),
		rowFor("enum", colorType, Color("blue"), any("blue")),
		rowFor("large enum", `{"type":"enum","name":"Level","symbols":["l0","l1","l2","l3","l4","l5","l6","l7","l8","l9","l10"]}`, Level("l10"), any("l10")),
		rowFor("uuid", uuidType, u, any(u.String())),
		rowFor("*string", `["null","string"]`, ptr("s"), any("s")),
		rowFor("*string nil", `["null","string"]`, (*string)(nil), nil),
		rowFor("*bool", `["null","boolean"]`, ptr(false), any(false)),
		rowFor("*int", `["null","long"]`, ptr(-3), any(int64(-3))),
		rowFor("*uint32", `["null","long"]`, ptr(uint32(9)), any(int64(9))),
		rowFor("*float64", `["null","double"]`, ptr(2.5), any(2.5)),
		rowFor("*float32 nil", `["null","float"]`, (*float32)(nil), nil),
		rowFor("*duration", `["null",`+duration+`]`, ptr(time.Second), any(1.0)),
		rowFor("*enum", `["null",`+colorType+`]`, ptr(Color("red")), any("red")),
		rowFor("*enum nil", `["null",`+colorType+`]`, (*Color)(nil), nil),
		rowFor("*uuid", `["null",`+uuidType+`]`, &u, any(u.String())),
		rowFor("*uuid nil", `["null",`+uuidType+`]`, (*uuid.UUID)(nil), nil),
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t)
		})
	}
}

// rejectRow: a field of type F must be rejected with a reason containing
// wantReason.
func rejectRow[F any](name, wantReason string) typeRow {
	return typeRow{name: name, run: func(t *testing.T) {
		t.Helper()
		_, err := payload.NewCodec[one[F]]("ev", testNamespace)
		ue := asUnsupported(t, err)
		if len(ue.Fields) != 1 {
			t.Fatalf("got %d problems, want 1: %v", len(ue.Fields), err)
		}
		fe := ue.Fields[0]
		wantGoType := reflect.TypeFor[F]().String()
		if !strings.HasSuffix(fe.Path, ".X") || fe.GoType != wantGoType || !strings.Contains(fe.Reason, wantReason) {
			t.Errorf("problem = %+v, want path *.X, type %s, reason containing %q", fe, wantGoType, wantReason)
		}
		if msg := err.Error(); !strings.Contains(msg, fe.Path) || !strings.Contains(msg, fe.Reason) || !strings.Contains(msg, `"ev"`) {
			t.Errorf("message %q lacks the event, path or reason", msg)
		}
	}}
}

func asUnsupported(t testing.TB, err error) *payload.UnsupportedError {
	t.Helper()
	if !errors.As(err, new(*payload.UnsupportedError)) {
		t.Fatalf("err = %v, want *payload.UnsupportedError", err)
	}
	var ue *payload.UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %T, want *payload.UnsupportedError", err)
	}
	return ue
}

type inner struct{ A int }

// IntEnum has Symbols but is not a string.
type IntEnum int

// Symbols implements payload.Enum.
func (IntEnum) Symbols() []string { return []string{"a"} }

// PtrEnum declares Symbols on the pointer.
type PtrEnum string

// Symbols implements payload.Enum on *PtrEnum only.
func (*PtrEnum) Symbols() []string { return []string{"a"} }

// EmptyEnum lists no symbols.
type EmptyEnum string

// Symbols implements payload.Enum.
func (EmptyEnum) Symbols() []string { return nil }

// BadSymbolEnum lists a symbol that is not an Avro name.
type BadSymbolEnum string

// Symbols implements payload.Enum.
func (BadSymbolEnum) Symbols() []string { return []string{"ok", "not-ok"} }

// DupSymbolEnum lists a symbol twice.
type DupSymbolEnum string

// Symbols implements payload.Enum.
func (DupSymbolEnum) Symbols() []string { return []string{"a", "b", "a"} }

// PanicEnum panics in Symbols.
type PanicEnum string

// Symbols implements payload.Enum.
func (PanicEnum) Symbols() []string { panic("boom") }

// long is an enum named like an Avro primitive.
type long string

// Symbols implements payload.Enum.
func (long) Symbols() []string { return []string{"a"} }

// GenericEnum's instantiated name is not an Avro name.
type GenericEnum[T any] string

// Symbols implements payload.Enum.
func (GenericEnum[T]) Symbols() []string { return []string{"a"} }

func TestRejectedTypes(t *testing.T) {
	t.Parallel()
	rows := []typeRow{
		rejectRow[inner]("struct", "nested struct"),
		rejectRow[*inner]("*struct", "nested struct"),
		rejectRow[map[string]int]("map", "map:"),
		rejectRow[[]int]("slice", "slice:"),
		rejectRow[[]string]("string slice", "slice:"),
		rejectRow[[3]int]("array", "array:"),
		rejectRow[[]byte]("[]byte", "[]byte:"),
		rejectRow[any]("interface", "interface:"),
		rejectRow[error]("error interface", "interface:"),
		rejectRow[payload.Enum]("Enum interface", "interface:"),
		rejectRow[chan int]("chan", "chan:"),
		rejectRow[func()]("func", "func:"),
		rejectRow[complex64]("complex64", "complex"),
		rejectRow[complex128]("complex128", "complex"),
		rejectRow[**int]("**T", "pointer to pointer"),
		rejectRow[**inner]("**struct", "pointer to pointer"),
		rejectRow[uint]("uint", "overflow"),
		rejectRow[uint64]("uint64", "overflow"),
		rejectRow[uintptr]("uintptr", "overflow"),
		rejectRow[*uint64]("*uint64", "overflow"),
		rejectRow[unsafe.Pointer]("unsafe.Pointer", "not supported"),
		rejectRow[time.Time]("time.Time", "Telegraf silently drops it; use an int64 field holding unix nanoseconds"),
		rejectRow[*time.Time]("*time.Time", "Telegraf silently drops it"),
		rejectRow[IntEnum]("non-string enum", "not string-kinded"),
		rejectRow[PtrEnum]("pointer-receiver enum", "pointer receiver"),
		rejectRow[EmptyEnum]("enum without symbols", "no symbols"),
		rejectRow[BadSymbolEnum]("enum with a bad symbol", `symbol "not-ok" is not an avro name`),
		rejectRow[DupSymbolEnum]("enum with a duplicate symbol", `symbol "a" is listed twice`),
		rejectRow[PanicEnum]("enum whose Symbols panics", "panicked"),
		rejectRow[long]("enum named like a primitive", "primitive"),
		rejectRow[GenericEnum[int]]("generic enum", "is not an avro name"),
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			r.run(t)
		})
	}
}

// Fields that are fine, for mixing with bad ones.
type badNames struct {
	OK        int
	Dash      int `avro:"my-field"`
	Digit     int `avro:"1st"`
	ID        string
	Stamp     int64 `avro:"timestamp_ns"`
	UserName  string
	Duplicate string `avro:"user_name"`
	Unicode   int    `avro:"naïve"`
}

// embedded shadows a field of its embedded struct: Go allows it, the
// flattened record cannot hold two fields named type.
type embedded struct {
	testkit.QueryEvent
	Type int
}

// baseA and baseB both declare Host: Go leaves v.Host ambiguous, the record
// would hold it twice.
type baseA struct{ Host string }

type baseB struct{ Host string }

type twoBases struct {
	baseA
	baseB
}

// baseWithID declares a metadata field's name.
type baseWithID struct{ ID string }

type embeddedMetadataClash struct {
	baseWithID
	Extra int
}

// deepBase carries a problem two levels down.
type deepBase struct {
	baseA
	Bad map[string]int
}

type embeddedDeep struct {
	deepBase
	Extra int
}

type embeddedTime struct {
	time.Time
	Extra int
}

type embeddedNamed struct {
	baseA `avro:"base"`
	Extra int
}

type embeddedInfluxTag struct {
	baseA `influx:"tag"`
	Extra int
}

type namedStructField struct {
	Base baseA
}

type embeddedPtr struct {
	*inner
	Extra int
}

//lint:ignore U1000 kept to show that a skipped embedded struct is not a field
type embeddedSkipped struct {
	inner `avro:"-"`
	Extra int
}

type manyProblems struct {
	A int
	B map[string]int
	C time.Time
	D []byte
	E uint64 `avro:"e"`
	F string `avro:"a"`
}

type twoEnumsSameName struct {
	A testkit.QueryType
	B othertypes.QueryType
}

// event named like its enum.
type enumEvent struct {
	Kind Color
}

func TestRejectedStructs(t *testing.T) {
	t.Parallel()
	type problem struct{ path, goType, reason string }
	tests := []struct {
		name  string
		event string
		new   func(event string) error
		want  []problem
	}{
		{
			name: "bad, reserved and duplicate names",
			new:  func(e string) error { _, err := payload.NewCodec[badNames](e, testNamespace); return err },
			want: []problem{
				{"badNames.Dash", "int", `field name "my-field" is not an avro name`},
				{"badNames.Digit", "int", `field name "1st" is not an avro name`},
				{"badNames.ID", "string", `field name "id" collides with the metadata field`},
				{"badNames.Stamp", "int64", `field name "timestamp_ns" collides with the metadata field`},
				{"badNames.Duplicate", "string", `field name "user_name" is already used by badNames.UserName`},
				{"badNames.Unicode", "int", `field name "naïve" is not an avro name`},
			},
		},
		{
			name: "embedded struct shadowed by the event's own field",
			new:  func(e string) error { _, err := payload.NewCodec[embedded](e, testNamespace); return err },
			want: []problem{{"embedded.Type", "int", `field name "type" is already used by embedded.QueryEvent.Type`}},
		},
		{
			name: "two embedded structs with one field name",
			new:  func(e string) error { _, err := payload.NewCodec[twoBases](e, testNamespace); return err },
			want: []problem{{"twoBases.baseB.Host", "string", `field name "host" is already used by twoBases.baseA.Host`}},
		},
		{
			name: "embedded field named like a metadata field",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedMetadataClash](e, testNamespace); return err },
			want: []problem{{"embeddedMetadataClash.baseWithID.ID", "string", `field name "id" collides with the metadata field`}},
		},
		{
			name: "problem inside an embedded struct inside an embedded struct",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedDeep](e, testNamespace); return err },
			want: []problem{{"embeddedDeep.deepBase.Bad", "map[string]int", "map:"}},
		},
		{
			name: "embedded pointer to unexported struct",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedPtr](e, testNamespace); return err },
			want: []problem{{"embeddedPtr.inner", "*payload_test.inner", "embedded pointer to a struct"}},
		},
		{
			name: "embedded time.Time",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedTime](e, testNamespace); return err },
			want: []problem{{"embeddedTime.Time", "time.Time", "Telegraf silently drops it"}},
		},
		{
			name: "embedded struct with an avro name",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedNamed](e, testNamespace); return err },
			want: []problem{{"embeddedNamed.baseA", "payload_test.baseA", "embedded struct with an avro name"}},
		},
		{
			name: "embedded struct with an influx tag",
			new:  func(e string) error { _, err := payload.NewCodec[embeddedInfluxTag](e, testNamespace); return err },
			want: []problem{{"embeddedInfluxTag.baseA", "payload_test.baseA", "influx tag on an embedded struct"}},
		},
		{
			name: "named struct field",
			new:  func(e string) error { _, err := payload.NewCodec[namedStructField](e, testNamespace); return err },
			want: []problem{{"namedStructField.Base", "payload_test.baseA", "nested struct: embed it"}},
		},
		{
			name: "every problem at once, in order",
			new:  func(e string) error { _, err := payload.NewCodec[manyProblems](e, testNamespace); return err },
			want: []problem{
				{"manyProblems.B", "map[string]int", "map:"},
				{"manyProblems.C", "time.Time", "Telegraf silently drops it"},
				{"manyProblems.D", "[]uint8", "[]byte:"},
				{"manyProblems.E", "uint64", "overflow"},
				{"manyProblems.F", "string", `field name "a" is already used by manyProblems.A`},
			},
		},
		{
			name: "two enum types with one name",
			new:  func(e string) error { _, err := payload.NewCodec[twoEnumsSameName](e, testNamespace); return err },
			want: []problem{{"twoEnumsSameName.B", "othertypes.QueryType", `enum type name "QueryType" is already used by testkit.QueryType`}},
		},
		{
			name:  "enum named like the event",
			event: "Color",
			new:   func(e string) error { _, err := payload.NewCodec[enumEvent](e, testNamespace); return err },
			want:  []problem{{"enumEvent.Kind", "payload_test.Color", `enum type name "Color" is also the event (record) name`}},
		},
		{
			name: "pointer payload",
			new:  func(e string) error { _, err := payload.NewCodec[*testkit.QueryEvent](e, testNamespace); return err },
			want: []problem{{"*testkit.QueryEvent", "*testkit.QueryEvent", "must be a struct type"}},
		},
		{
			name: "int payload",
			new:  func(e string) error { _, err := payload.NewCodec[int](e, testNamespace); return err },
			want: []problem{{"int", "int", "must be a struct type"}},
		},
		{
			name: "interface payload",
			new:  func(e string) error { _, err := payload.NewCodec[any](e, testNamespace); return err },
			want: []problem{{"interface {}", "interface {}", "must be a struct type"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			event := tt.event
			if event == "" {
				event = "ev"
			}
			err := tt.new(event)
			ue := asUnsupported(t, err)
			if ue.Event != event {
				t.Errorf("Event = %q, want %q", ue.Event, event)
			}
			if len(ue.Fields) != len(tt.want) {
				t.Fatalf("got %d problems, want %d: %v", len(ue.Fields), len(tt.want), err)
			}
			for i, w := range tt.want {
				got := ue.Fields[i]
				if got.Path != w.path || got.GoType != w.goType || !strings.Contains(got.Reason, w.reason) {
					t.Errorf("problem %d = %+v, want %+v", i, got, w)
				}
				if !strings.Contains(err.Error(), got.String()) {
					t.Errorf("message %q lacks %q", err, got.String())
				}
			}
		})
	}
}

func TestNameErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, namespace string
		wantName         string
		wantWhat         string
	}{
		{"bad-name", testNamespace, "bad-name", "event name"},
		{"", testNamespace, "", "event name"},
		{"9lives", testNamespace, "9lives", "event name"},
		{"query", "", "", "namespace part"},
		{"query", "a..b", "", "namespace part"},
		{"query", "a.b.", "", "namespace part"},
		{"query", "lsst.square.my-app", "my-app", "namespace part"},
		{"query", "lsst.1x", "1x", "namespace part"},
	}
	for _, tt := range tests {
		t.Run(tt.event+"@"+tt.namespace, func(t *testing.T) {
			t.Parallel()
			_, err := payload.NewCodec[testkit.QueryEvent](tt.event, tt.namespace)
			if !errors.As(err, new(*payload.NameError)) {
				t.Fatalf("err = %v, want *payload.NameError", err)
			}
			var ne *payload.NameError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %T, want *payload.NameError", err)
			}
			if ne.Name != tt.wantName || ne.What != tt.wantWhat {
				t.Errorf("NameError = %+v, want Name %q What %q", ne, tt.wantName, tt.wantWhat)
			}
			if !strings.Contains(err.Error(), tt.wantWhat) {
				t.Errorf("message %q does not say which name", err)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"_", true}, {"query", true}, {"Query_Type9", true}, {"_9", true},
		{"", false}, {"9a", false}, {"a-b", false}, {"a.b", false}, {"a b", false}, {"é", false}, {"a$", false},
	}
	for _, tt := range tests {
		err := payload.ValidateName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.As(err, new(*payload.NameError)) {
			t.Errorf("ValidateName(%q) = %v, not a *payload.NameError", tt.name, err)
		}
	}
}

// A payload exercising naming: tags, snake case, skipped fields.
type naming struct {
	UserName   string
	HTTPStatus int
	UserID     uuid.UUID
	P95Latency time.Duration
	Tagged     int            `avro:"custom"`
	EmptyTag   int            `avro:""`
	Skipped    map[string]int `avro:"-"`
	unexported map[string]int
	Plain      // embedded non-struct: a field like any other
	hidden     int
}

func TestFieldNames(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[naming]("ev", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	var got []string
	for _, f := range schemaFields(t, c.SchemaJSON()) {
		got = append(got, f["name"].(string))
	}
	want := []string{"id", "application", "timestamp", "timestamp_ns",
		"user_name", "http_status", "user_id", "p95_latency", "custom", "empty_tag", "plain"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("field names = %v, want %v", got, want)
	}
	_ = naming{unexported: nil, hidden: 0}
}

func TestEmptyStruct(t *testing.T) {
	t.Parallel()
	type empty struct{}
	c, err := payload.NewCodec[empty]("ev", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	if n := len(schemaFields(t, c.SchemaJSON())); n != 4 {
		t.Errorf("got %d fields, want the 4 metadata fields", n)
	}
	b, err := c.Encode(1, goldenMetadata(), &empty{})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	d := decodeBoth(t, c.SchemaJSON(), b)
	checkFields(t, d, map[string]any{
		"id":           "12345678-1234-4678-9234-567812345678",
		"application":  "myapp",
		"timestamp_ns": int64(1700000000123456789),
		"timestamp":    time.UnixMilli(1700000000123),
	})
}

// sharedEnum uses one enum type in several fields, optional first.
type sharedEnum struct {
	Maybe  *Color
	First  Color
	Second Color
	Other  testkit.QueryType
	Again  *testkit.QueryType
}

func TestSharedEnum(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[sharedEnum]("ev", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	if n := strings.Count(c.SchemaJSON(), `"name":"Color"`); n != 1 {
		t.Errorf("Color defined %d times, want 1:\n%s", n, c.SchemaJSON())
	}
	fields := schemaFields(t, c.SchemaJSON())
	if got := fields[5]["type"]; got != "Color" {
		t.Errorf("second use of Color = %v, want a reference by name", got)
	}
	if got, want := fields[8]["type"], jsonValue(t, `["null","QueryType"]`); !reflect.DeepEqual(got, want) {
		t.Errorf("optional second use of QueryType = %v, want %v", got, want)
	}
	v := sharedEnum{Maybe: ptr(Color("green")), First: "red", Second: "blue", Other: testkit.QueryAsync}
	b, err := c.Encode(1, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	checkFields(t, decodeBoth(t, c.SchemaJSON(), b), map[string]any{
		"maybe": "green", "first": "red", "second": "blue", "other": "async", "again": nil,
	})
}

func TestEnumValueError(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[sharedEnum]("ev", testNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	good := sharedEnum{First: "red", Second: "blue", Other: testkit.QuerySync}
	tests := []struct {
		name      string
		mutate    func(*sharedEnum)
		wantField string
		wantType  string
		wantValue string
	}{
		{"value outside", func(v *sharedEnum) { v.Second = "purple" }, "Second", "payload_test.Color", "purple"},
		{"empty value", func(v *sharedEnum) { v.First = "" }, "First", "payload_test.Color", ""},
		{"case differs", func(v *sharedEnum) { v.Other = "SYNC" }, "Other", "testkit.QueryType", "SYNC"},
		{"optional", func(v *sharedEnum) { v.Again = ptr(testkit.QueryType("nope")) }, "Again", "testkit.QueryType", "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := good
			tt.mutate(&v)
			check := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, payload.ErrInvalidValue) {
					t.Fatalf("%s: err = %v, want ErrInvalidValue", what, err)
				}
				var ee *payload.EnumValueError
				if !errors.As(err, &ee) {
					t.Fatalf("%s: err = %T", what, err)
				}
				if ee.Event != "ev" || ee.Field != tt.wantField || ee.Type != tt.wantType || ee.Value != tt.wantValue || len(ee.Symbols) == 0 {
					t.Errorf("%s: %+v", what, ee)
				}
				if !strings.Contains(err.Error(), tt.wantField) || !strings.Contains(err.Error(), `"`+tt.wantValue+`"`) {
					t.Errorf("%s: message %q lacks the field or value", what, err)
				}
			}
			check("Validate", c.Validate(&v))
			b, err := c.Encode(1, goldenMetadata(), &v)
			check("Encode", err)
			if b != nil {
				t.Errorf("Encode returned %x with the error", b)
			}
			dst := make([]byte, 3, 512)
			out, err := c.Append(dst, 1, goldenMetadata(), &v)
			check("Append", err)
			if len(out) != 3 || cap(out) != 512 || &out[0] != &dst[0] {
				t.Errorf("Append changed dst on error: len %d cap %d", len(out), cap(out))
			}
		})
	}
	if err := c.Validate(&good); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
}

func TestEnumSymbolsCopied(t *testing.T) {
	t.Parallel()
	c := newQueryCodec(t)
	err := c.Validate(&testkit.QueryEvent{Type: "bad"})
	var ee *payload.EnumValueError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v", err)
	}
	ee.Symbols[0] = "bad" // must not make "bad" valid
	if err := c.Validate(&testkit.QueryEvent{Type: "bad"}); err == nil {
		t.Error("mutating EnumValueError.Symbols changed the codec")
	}
}

func TestNilArguments(t *testing.T) {
	t.Parallel()
	c := newQueryCodec(t)
	v := testkit.QueryEvent{Type: testkit.QuerySync}
	if _, err := c.Encode(1, nil, &v); err == nil {
		t.Error("Encode with nil metadata: no error")
	}
	if _, err := c.Encode(1, goldenMetadata(), nil); err == nil {
		t.Error("Encode with nil value: no error")
	}
	dst := []byte{1, 2}
	if out, err := c.Append(dst, 1, nil, &v); err == nil || len(out) != 2 {
		t.Errorf("Append with nil metadata = %x, %v", out, err)
	}
	if err := c.Validate(nil); err == nil {
		t.Error("Validate(nil): no error")
	}
}

func TestTimestampMillisFloor(t *testing.T) {
	t.Parallel()
	c := newQueryCodec(t)
	tests := []struct {
		ns     int64
		wantMS int64
	}{
		{0, 0}, {999_999, 0}, {1_000_000, 1}, {-1, -1}, {-1_000_000, -1}, {-1_000_001, -2},
		{1700000000123456789, 1700000000123},
	}
	for _, tt := range tests {
		md := goldenMetadata()
		md.TimestampNS = tt.ns
		b, err := c.Encode(1, md, &testkit.QueryEvent{Type: testkit.QueryAsync})
		if err != nil {
			t.Fatal(err)
		}
		d := decodeBoth(t, c.SchemaJSON(), b)
		checkFields(t, d, map[string]any{"timestamp": time.UnixMilli(tt.wantMS), "timestamp_ns": tt.ns})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	c := newEvent10Codec(t)
	want, err := c.Encode(5, goldenMetadata(), sampleEvent10())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			buf := make([]byte, 0, 256)
			for range 200 {
				var err error
				buf, err = c.Append(buf[:0], 5, goldenMetadata(), sampleEvent10())
				if err != nil || !bytes.Equal(buf, want) {
					errs <- fmt.Errorf("Append = %x, %v; want %x", buf, err, want)
					return
				}
				if err := c.Validate(&Event10{Kind: "bad"}); !errors.As(err, new(*payload.EnumValueError)) {
					errs <- fmt.Errorf("Validate = %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
