//go:build stack

package tests_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// A reading of an app's release 1, and of a release 2 that changed the type of Value.
type (
	readingV1 struct{ Value int64 }  // InfluxDB integer field
	readingV2 struct{ Value string } // InfluxDB string field: refused on the same measurement
)

// TestFieldTypeChangeHarm shows, on the real pipeline, the harm the field-type guard prevents
// and that it prevents it. Release 1 of an app publishes readings with an integer Value
// through the SDK, into InfluxDB through the Telegraf block the SDK generates.
//
//  1. With the guard: release 2's CreatePublisher (Value now a string) fails at start-up with
//     *eventmanager.FieldTypeChangedError naming the field, its old and
//     new type and the fix, although the subject's compatibility is NONE (as Safir sets it),
//     and nothing is registered.
//  2. Without it: a producer that skips the guard (raw franz-go, as Safir or an old SDK
//     would) registers release 2's schema and writes a reading; InfluxDB refuses that point
//     ("field type conflict", in Telegraf's log) and it is lost, while release 1's readings
//     before and after it are stored.
func TestFieldTypeChangeHarm(t *testing.T) {
	s := loadStack(t)
	ctx := t.Context()
	app := uniqueApp("retype")
	topic := s.createAppTopic(t, app)
	const event = "reading"
	subject := topic + "." + event

	stamps := newStamps()
	v1 := newManager(t, s, app, nil, stamps.options()...)
	readings, err := eventmanager.CreatePublisher[readingV1](ctx, v1, event)
	if err != nil {
		t.Fatal(err)
	}
	// Release 1's first reading is stored before anything else is written:
	// InfluxDB refuses a whole batch that brings a new field with two types,
	// where a field it knows already loses only the conflicting point.
	tg := s.startTelegraf(t, generatedTelegraf(t, v1))
	measurement := subject
	if err := readings.Publish(ctx, readingV1{Value: 1}); err != nil {
		t.Fatal(err)
	}
	waitValues := func(want ...string) {
		t.Helper()
		s.WaitForMeasurement(t, measurement, pipelineTimeout, func(m Measurement) error {
			var values []string
			for _, p := range m.Points {
				values = append(values, fmt.Sprint(p.Fields["value"]))
			}
			if !slices.Equal(values, want) || m.FieldTypes["value"] != "integer" {
				return fmt.Errorf("values %q, field types %v; want release 1's readings %q, value an integer", values, m.FieldTypes, want)
			}
			return nil
		})
	}
	waitValues("1")

	// 1. Release 2 through the SDK: refused at start-up.
	_, err = eventmanager.CreatePublisher[readingV2](ctx, newManager(t, s, app, nil), event)
	var fe *eventmanager.FieldTypeChangedError
	if !errors.As(err, &fe) || !errors.As(err, new(*eventmanager.FieldTypeChangedError)) {
		t.Fatalf("release 2's CreatePublisher: err = %v, want a *eventmanager.FieldTypeChangedError", err)
	}
	if fe.Subject != subject || len(fe.Fields) != 1 || fe.Fields[0] != (eventmanager.FieldTypeChange{Field: "value", Old: "integer", New: "string"}) {
		t.Errorf("FieldTypeChangedError = %+v, want subject %s and the one field value", fe, subject)
	}
	for _, want := range []string{event, "value", "integer", "string", "new field name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Logf("the guard's error: %v", err)
	var versions []int
	if err := s.registryCall(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil, &versions); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{1}) {
		t.Fatalf("versions of %s after the refusal = %v, want [1]", subject, versions)
	}

	// 2. Release 2 without the guard: registered (compatibility NONE) and written.
	if err := s.registryCall(ctx, http.MethodPut, "/config/"+url.PathEscape(subject), map[string]string{"compatibility": "NONE"}, nil); err != nil {
		t.Fatal(err)
	}
	schemaText := eventSchema(topic, event, `{"name":"value","type":"string"}`)
	var reg struct{ ID int }
	if err := s.registryCall(ctx, http.MethodPost, "/subjects/"+url.PathEscape(subject)+"/versions",
		map[string]string{"schema": schemaText}, &reg); err != nil {
		t.Fatalf("register release 2 without the guard: %v", err)
	}
	schema := avro.MustParse(schemaText)
	ts := time.Now()
	lostID := uuid.NewString()
	body, err := avro.Marshal(schema, map[string]any{
		"id": lostID, "application": app, "timestamp": ts, "timestamp_ns": ts.UnixNano(), "value": "two",
	})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	value := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(reg.ID)), body...)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: value}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	const refusal = "field type conflict"
	waitFor(t, pipelineTimeout, "Telegraf to log InfluxDB's refusal", func(context.Context) (bool, error) {
		if !strings.Contains(tg.Stderr(), refusal) {
			return false, fmt.Errorf("no %q in Telegraf's log yet", refusal)
		}
		return true, nil
	})
	for _, line := range strings.Split(tg.Stderr(), "\n") {
		if strings.Contains(line, refusal) {
			t.Logf("InfluxDB's refusal, in Telegraf's log: %s", line)
			break
		}
	}
	// Release 1 goes on: its next reading, after the refused one, is stored.
	if err := readings.Publish(ctx, readingV1{Value: 3}); err != nil {
		t.Fatal(err)
	}
	if err := v1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitValues("1", "3")
	pts, err := s.Points(ctx, measurement)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.Fields["id"] == lostID {
			t.Fatalf("the retyped reading was stored: %+v", p)
		}
	}
}
