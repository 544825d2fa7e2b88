package payload_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// innerBase is embedded in eventBase: flattening goes all the way down, and
// an unexported embedded struct's exported fields are fields.
type innerBase struct {
	Retries int32
	OK      *bool `influx:"tag" avro:"ok"`
	hidden  int
}

// eventBase is a base struct shared by events, as Python apps subclass a
// base payload.
type eventBase struct {
	Host   string `influx:"tag" doc:"The host that served it"`
	Region *Color `influx:"tag"`
	innerBase
	Skipped map[string]int `avro:"-"`
}

// flattenedEvent declares fields before and after its base.
type flattenedEvent struct {
	Name string `influx:"tag"`
	eventBase
	Duration time.Duration
	Note     *string `doc:"A note"`
}

// flatEvent is flattenedEvent written by hand, without a base struct.
type flatEvent struct {
	Name     string        `influx:"tag"`
	Host     string        `influx:"tag" doc:"The host that served it"`
	Region   *Color        `influx:"tag"`
	Retries  int32         `avro:"retries"`
	OK       *bool         `influx:"tag" avro:"ok"`
	Duration time.Duration `avro:"duration"`
	Note     *string       `doc:"A note"`
}

// flatNoTags is flatEvent without its influx tags.
type flatNoTags struct {
	Name     string
	Host     string `doc:"The host that served it"`
	Region   *Color
	Retries  int32
	OK       *bool `avro:"ok"`
	Duration time.Duration
	Note     *string `doc:"A note"`
}

func mustCodec[T any](t testing.TB) *payload.Codec[T] {
	t.Helper()
	c, err := payload.NewCodec[T]("flat", goldenNamespace)
	if err != nil {
		t.Fatalf("NewCodec[%s]: %v", reflect.TypeFor[T](), err)
	}
	return c
}

// TestEmbeddedMatchesFlat: an event built from a base struct has the schema
// (text and canonical form) and the bytes of the same fields written flat,
// and the tags do not change either.
func TestEmbeddedMatchesFlat(t *testing.T) {
	t.Parallel()
	emb, flat, plain := mustCodec[flattenedEvent](t), mustCodec[flatEvent](t), mustCodec[flatNoTags](t)
	for _, other := range []struct {
		name       string
		schemaJSON string
		canonical  string
	}{
		{"flat", flat.SchemaJSON(), flat.Schema().String()},
		{"flat without tags", plain.SchemaJSON(), plain.Schema().String()},
	} {
		if emb.SchemaJSON() != other.schemaJSON {
			t.Errorf("schema differs from %s:\n got %s\nwant %s", other.name, emb.SchemaJSON(), other.schemaJSON)
		}
		if emb.Schema().String() != other.canonical {
			t.Errorf("canonical form differs from %s:\n got %s\nwant %s", other.name, emb.Schema().String(), other.canonical)
		}
	}
	wantTags := []string{"name", "host", "region", "ok"}
	if got := emb.Tags(); !reflect.DeepEqual(got, wantTags) {
		t.Errorf("embedded Tags() = %q, want %q", got, wantTags)
	}
	if got := flat.Tags(); !reflect.DeepEqual(got, wantTags) {
		t.Errorf("flat Tags() = %q, want %q", got, wantTags)
	}
	if got := plain.Tags(); got != nil {
		t.Errorf("Tags() without tags = %q, want nil", got)
	}

	region, ok, note := Color("green"), true, "n\xffote"
	tests := []struct {
		name string
		emb  flattenedEvent
		flat flatEvent
	}{
		{name: "zero"},
		{
			name: "every field set",
			emb: flattenedEvent{
				Name: "query",
				eventBase: eventBase{
					Host: "api-1", Region: &region,
					innerBase: innerBase{Retries: -3, OK: &ok, hidden: 9},
					Skipped:   map[string]int{"a": 1},
				},
				Duration: 1500 * time.Millisecond, Note: &note,
			},
			flat: flatEvent{Name: "query", Host: "api-1", Region: &region, Retries: -3, OK: &ok,
				Duration: 1500 * time.Millisecond, Note: &note},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := emb.Encode(42, goldenMetadata(), &tt.emb)
			if err != nil {
				t.Fatalf("Encode embedded: %v", err)
			}
			want, err := flat.Encode(42, goldenMetadata(), &tt.flat)
			if err != nil {
				t.Fatalf("Encode flat: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("bytes differ:\n got %x\nwant %x", got, want)
			}
			noTags := flatNoTags(tt.flat)
			if plainBytes, err := plain.Encode(42, goldenMetadata(), &noTags); err != nil || !bytes.Equal(plainBytes, want) {
				t.Errorf("bytes without tags = %x, %v; want %x", plainBytes, err, want)
			}
		})
	}
}

// TestEmbeddedValueErrors: a bad value in an embedded field is reported with
// the selector that reaches it.
func TestEmbeddedValueErrors(t *testing.T) {
	t.Parallel()
	c := mustCodec[flattenedEvent](t)
	bad := Color("purple")
	v := flattenedEvent{eventBase: eventBase{Region: &bad}}
	_, err := c.Encode(1, goldenMetadata(), &v)
	var ee *payload.EnumValueError
	if !errors.As(err, &ee) || ee.Field != "eventBase.Region" {
		t.Fatalf("err = %v, want an *EnumValueError for field eventBase.Region", err)
	}
	if verr := c.Validate(&v); verr == nil || verr.Error() != err.Error() {
		t.Errorf("Validate = %v, want %v", verr, err)
	}
}

// TestTagsIsACopy: the caller cannot change a codec's tags.
func TestTagsIsACopy(t *testing.T) {
	t.Parallel()
	c := mustCodec[flatEvent](t)
	c.Tags()[0] = "changed"
	if got := c.Tags()[0]; got != "name" {
		t.Errorf("Tags()[0] = %q after changing a returned slice, want name", got)
	}
}
