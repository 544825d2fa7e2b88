package eventmanager_test

import (
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// typedLevel is an enum (a string type listing its symbols).
type typedLevel string

func (typedLevel) Symbols() []string { return []string{"low", "high"} }

// typedBase is embedded: its fields are flattened into the event.
type typedBase struct {
	Route string `influx:"tag"`
	Count int32
}

// typedEvent has a field of every kind the payload package accepts.
type typedEvent struct {
	typedBase
	Name     string
	Level    typedLevel
	Request  uuid.UUID
	Rows     int64
	Small    uint8
	Ratio    float64
	Part     float32
	Took     time.Duration
	MaybeDur *time.Duration
	MaybeN   *int
	OK       bool
	MaybeOK  *bool
	Host     *string `influx:"tag"`
}

// TestPipelineFieldTypes: Pipeline lists the InfluxDB type of each plain
// field, read from the event's Avro schema: strings, enums and UUIDs are
// strings, Go integers integers, floats floats, a time.Duration (optional
// or not) a duration, bools booleans; tags are not listed.
func TestPipelineFieldTypes(t *testing.T) {
	t.Parallel()
	p := programPipeline(t, "myapp", "", create[typedEvent]("typed"))
	if len(p.Events) != 1 {
		t.Fatalf("Events = %+v, want one", p.Events)
	}
	want := map[string]eventmanager.FieldType{
		"count": eventmanager.FieldInteger, "name": eventmanager.FieldString, "level": eventmanager.FieldString,
		"request": eventmanager.FieldString, "rows": eventmanager.FieldInteger, "small": eventmanager.FieldInteger,
		"ratio": eventmanager.FieldFloat, "part": eventmanager.FieldFloat, "took": eventmanager.FieldDuration,
		"maybe_dur": eventmanager.FieldDuration, "maybe_n": eventmanager.FieldInteger, "ok": eventmanager.FieldBoolean,
		"maybe_ok": eventmanager.FieldBoolean,
	}
	if got := p.Events[0].FieldTypes; !maps.Equal(got, want) {
		t.Errorf("FieldTypes = %v, want %v", got, want)
	}
	for name, numeric := range map[eventmanager.FieldType]bool{
		eventmanager.FieldString: false, eventmanager.FieldInteger: true, eventmanager.FieldFloat: true,
		eventmanager.FieldDuration: true, eventmanager.FieldBoolean: false,
	} {
		if name.Numeric() != numeric {
			t.Errorf("%s.Numeric() = %v, want %v", name, name.Numeric(), numeric)
		}
	}
}
