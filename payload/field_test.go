package payload_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

type timedBase struct {
	Label   string
	Elapsed time.Duration `avro:"duration"`
}

type timedEvent struct {
	timedBase
	OK      bool `avro:"success"`
	Retries *int64
}

// TestFieldOf sets fields found by Avro name, in an embedded struct
// and through a pointer type, and encodes the result.
func TestFieldOf(t *testing.T) {
	c, err := payload.NewCodec[timedEvent]("timed", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	setDuration, err := payload.FieldOf[timedEvent, time.Duration](c, "duration")
	if err != nil {
		t.Fatal(err)
	}
	setOK, err := payload.FieldOf[timedEvent, bool](c, "success")
	if err != nil {
		t.Fatal(err)
	}
	setRetries, err := payload.FieldOf[timedEvent, *int64](c, "retries")
	if err != nil {
		t.Fatal(err)
	}
	var ev timedEvent
	ev.Label = "x"
	payload.Field[timedEvent, string]{}.Set(&ev, "zero Field: no effect")
	three := int64(3)
	setDuration.Set(&ev, 1500*time.Millisecond)
	setOK.Set(&ev, true)
	setRetries.Set(&ev, &three)
	if ev.Elapsed != 1500*time.Millisecond || !ev.OK || ev.Retries != &three || ev.Label != "x" {
		t.Fatalf("after the setters: %+v", ev)
	}
	b, err := c.Encode(7, &payload.Metadata{Application: "app"}, &ev)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, decodeBoth(t, c.SchemaJSON(), b), map[string]any{"duration": 1.5, "success": true, "retries": int64(3), "label": "x"})
	if raceEnabled {
		return // the race detector's runtime allocates on its own
	}
	allocs := testing.AllocsPerRun(100, func() { setDuration.Set(&ev, time.Second) })
	if allocs != 0 {
		t.Errorf("setter allocates %.1f times per call, want 0", allocs)
	}
}

// TestFieldOfErrors refuses a missing field and a field of another
// type, naming the event and the field.
func TestFieldOfErrors(t *testing.T) {
	c, err := payload.NewCodec[timedEvent]("timed", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		call      func() error
		want      []string
		wrongType bool // the field exists, with another type: a *FieldTypeError, not "no such field"
	}{
		{"missing", func() error { _, err := payload.FieldOf[timedEvent, time.Duration](c, "elapsed"); return err }, []string{`"timed"`, `"elapsed"`, "time.Duration", "no such field"}, false},
		{"wrong type", func() error { _, err := payload.FieldOf[timedEvent, float64](c, "duration"); return err },
			[]string{`event "timed": field duration (Go field timedBase.Elapsed) is a time.Duration, not float64`}, true},
		{"pointer vs value", func() error { _, err := payload.FieldOf[timedEvent, int64](c, "retries"); return err },
			[]string{`field retries (Go field Retries) is a *int64, not int64`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, payload.ErrNoField) {
				t.Fatalf("err = %v, want ErrNoField", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			var te *payload.FieldTypeError
			if got := errors.As(err, &te); got != tc.wrongType {
				t.Errorf("errors.As(%q, *FieldTypeError) = %v, want %v", err, got, tc.wrongType)
			}
			if tc.wrongType && strings.Contains(err.Error(), "no such field") {
				t.Errorf("error %q says there is no such field; the field exists, with another type", err)
			}
		})
	}
}

// TestFieldOfRecord: a Field of a codec of Records writes into the value the
// Record refers to, never into the Record header (issue 24, item 1: it
// wrote at the field's offset from &rec, corrupting memory), and does
// nothing for a Record of another type or the zero Record.
func TestFieldOfRecord(t *testing.T) {
	typ := reflect.TypeFor[timedEvent]()
	c, err := payload.NewRecordCodec(typ, "timed", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	setDuration, err := payload.FieldOf[payload.Record, time.Duration](c, "duration")
	if err != nil {
		t.Fatal(err)
	}
	setOK, err := payload.FieldOf[payload.Record, bool](c, "success")
	if err != nil {
		t.Fatal(err)
	}
	rec := payload.NewRecord(typ)
	rec.Value().Field(0).Field(0).SetString("label")
	header := rec
	setDuration.Set(&rec, 3*time.Second)
	setOK.Set(&rec, true)
	if rec != header {
		t.Fatalf("Set changed the Record header itself")
	}
	got := rec.Value().Interface().(timedEvent)
	if got.Elapsed != 3*time.Second || !got.OK || got.Label != "label" {
		t.Errorf("record value = %+v, want duration 3s, success true, label kept", got)
	}
	if _, err := c.Append(nil, 1, &payload.Metadata{}, &rec); err != nil {
		t.Errorf("Append after Set: %v", err)
	}

	other := payload.NewRecord(reflect.TypeFor[struct{ A, B, C, D string }]())
	before := other.Value().Interface()
	setDuration.Set(&other, time.Hour)
	if after := other.Value().Interface(); after != before {
		t.Errorf("Set wrote into a Record of another type: %+v", after)
	}
	var zero payload.Record
	setDuration.Set(&zero, time.Hour) // must not crash
	setDuration.Set(nil, time.Hour)
}

// crossedEvent has a name that is the Avro name of one field and the Go
// name of another.
type crossedEvent struct {
	A int64 `avro:"B"`
	B int64 `avro:"a"`
}

// TestFieldNameRule: FieldOf and Codec.FieldPath take a field's Avro name
// or its Go name (promoted, or its path through embedded structs), and
// refuse a name that names two fields, listing both names.
func TestFieldNameRule(t *testing.T) {
	c, err := payload.NewCodec[timedEvent]("timed", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"duration": "timedBase.Elapsed", "Elapsed": "timedBase.Elapsed", "timedBase.Elapsed": "timedBase.Elapsed",
		"success": "OK", "OK": "OK", "retries": "Retries", "Retries": "Retries",
	} {
		if got, err := c.FieldPath(name); err != nil || got != want {
			t.Errorf("FieldPath(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	set, err := payload.FieldOf[timedEvent, time.Duration](c, "Elapsed")
	if err != nil {
		t.Fatal(err)
	}
	var ev timedEvent
	set.Set(&ev, time.Second)
	if ev.Elapsed != time.Second {
		t.Errorf("FieldOf by Go name set %+v", ev)
	}
	if _, err := c.FieldPath("Nope"); !errors.Is(err, payload.ErrNoField) || !strings.Contains(err.Error(), "duration = timedBase.Elapsed") {
		t.Errorf("FieldPath(Nope) = %v, want ErrNoField listing the fields by both names", err)
	}

	x, err := payload.NewCodec[crossedEvent]("crossed", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.FieldPath("B"); !errors.Is(err, payload.ErrNoField) || !strings.Contains(err.Error(), "Avro name of Go field A and the Go name of field B") {
		t.Errorf("FieldPath(B) = %v, want an ambiguous-name error", err)
	}
	if got, err := x.FieldPath("a"); err != nil || got != "B" {
		t.Errorf("FieldPath(a) = %q, %v; want B", got, err)
	}
}

// TestValueErrorNames: a refused value's error names the field by its Go
// name and its Avro name.
func TestValueErrorNames(t *testing.T) {
	type scored struct {
		Score float64 `avro:"score_pct"`
	}
	c, err := payload.NewCodec[scored]("scored", "lsst.square.metrics.events.app")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate(&scored{Score: math.NaN()})
	var ve *payload.ValueError
	if !errors.As(err, &ve) || ve.Field != "Score" || ve.Avro != "score_pct" || !strings.Contains(err.Error(), `field Score ("score_pct")`) {
		t.Errorf("Validate(NaN) = %v (%+v), want a *ValueError naming Score (\"score_pct\")", err, ve)
	}
}
