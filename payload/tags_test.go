package payload

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestInfluxTagKinds: influx:"tag" is accepted on string, enum and bool
// fields and pointers to them, and leaves the schema as it is; on any other
// field it is rejected, naming the field and its type.
func TestInfluxTagKinds(t *testing.T) {
	t.Parallel()
	const notTaggable = `influx:"tag" on a field that is not a string, an enum or a bool`
	tests := []struct {
		typ    reflect.Type
		tag    string // the struct tag; influx:"tag" unless set
		reason string // "" if accepted
	}{
		{typ: reflect.TypeFor[string]()},
		{typ: reflect.TypeFor[FuzzPlain]()},
		{typ: reflect.TypeFor[fuzzColor]()},
		{typ: reflect.TypeFor[bool]()},
		{typ: reflect.TypeFor[*string]()},
		{typ: reflect.TypeFor[*FuzzPlain]()},
		{typ: reflect.TypeFor[*fuzzColor]()},
		{typ: reflect.TypeFor[*bool]()},

		{typ: reflect.TypeFor[int](), reason: notTaggable},
		{typ: reflect.TypeFor[int8](), reason: notTaggable},
		{typ: reflect.TypeFor[int32](), reason: notTaggable},
		{typ: reflect.TypeFor[int64](), reason: notTaggable},
		{typ: reflect.TypeFor[uint8](), reason: notTaggable},
		{typ: reflect.TypeFor[uint32](), reason: notTaggable},
		{typ: reflect.TypeFor[float32](), reason: notTaggable},
		{typ: reflect.TypeFor[float64](), reason: notTaggable},
		{typ: reflect.TypeFor[time.Duration](), reason: notTaggable},
		{typ: reflect.TypeFor[uuid.UUID](), reason: notTaggable},
		{typ: reflect.TypeFor[*int](), reason: notTaggable},
		{typ: reflect.TypeFor[*float64](), reason: notTaggable},
		{typ: reflect.TypeFor[*time.Duration](), reason: notTaggable},
		{typ: reflect.TypeFor[*uuid.UUID](), reason: notTaggable},
		// A type rejected anyway is reported once, for its type.
		{typ: reflect.TypeFor[map[string]int](), reason: "map:"},
		{typ: reflect.TypeFor[time.Time](), reason: "Telegraf silently drops it"},
		{typ: reflect.TypeFor[*[]string](), reason: "slice:"},
		// Only influx:"tag" is an influx tag.
		{typ: reflect.TypeFor[string](), tag: `influx:"field"`, reason: `the only influx struct tag is influx:"tag"`},
		{typ: reflect.TypeFor[string](), tag: `influx:""`, reason: `the only influx struct tag is influx:"tag"`},
		{typ: reflect.TypeFor[bool](), tag: `influx:"Tag"`, reason: `the only influx struct tag is influx:"tag"`},
	}
	for _, tt := range tests {
		tag := tt.tag
		if tag == "" {
			tag = `influx:"tag"`
		}
		t.Run(tt.typ.String()+"/"+tag, func(t *testing.T) {
			t.Parallel()
			tagged := reflect.StructOf([]reflect.StructField{
				{Name: "Before", Type: reflect.TypeFor[int]()},
				{Name: "F", Type: tt.typ, Tag: reflect.StructTag(tag + ` doc:"d"`)},
			})
			c, err := newCodecOf(tagged, "ev", "ns")
			if tt.reason != "" {
				var ue *UnsupportedError
				if !errors.As(err, &ue) || !errors.As(err, new(*UnsupportedError)) {
					t.Fatalf("err = %v, want an *UnsupportedError", err)
				}
				want := FieldProblem{Path: "struct.F", GoType: tt.typ.String()}
				if len(ue.Fields) != 1 || ue.Fields[0].Path != want.Path || ue.Fields[0].GoType != want.GoType ||
					!strings.Contains(ue.Fields[0].Reason, tt.reason) {
					t.Fatalf("problems = %v, want one for %s (%s) saying %q", ue.Fields, want.Path, want.GoType, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("newCodecOf: %v", err)
			}
			if !slices.Equal(c.tags, []string{"f"}) {
				t.Errorf("tags = %q, want [f]", c.tags)
			}
			plain, err := newCodecOf(reflect.StructOf([]reflect.StructField{
				{Name: "Before", Type: reflect.TypeFor[int]()},
				{Name: "F", Type: tt.typ, Tag: `doc:"d"`},
			}), "ev", "ns")
			if err != nil {
				t.Fatalf("newCodecOf without the tag: %v", err)
			}
			if plain.schemaJSON != c.schemaJSON || !reflect.DeepEqual(plain.ops, c.ops) {
				t.Errorf("the tag changed the schema or the plan:\n got %s\nwant %s", c.schemaJSON, plain.schemaJSON)
			}
		})
	}
}

// TestFields: Fields lists the payload's fields, tags included, without the
// metadata fields, in schema order.
func TestFields(t *testing.T) {
	type ev struct {
		Region string `influx:"tag"`
		Count  int
		Note   *string
	}
	c, err := NewCodec[ev]("ev", "app")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Fields(), []string{"region", "count", "note"}; !slices.Equal(got, want) {
		t.Errorf("Fields() = %q, want %q", got, want)
	}
}
