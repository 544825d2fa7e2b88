//go:build stack

package tests_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// rawEvent is an event encoded by hand (no SDK), with the SDK's layout.
type rawEvent struct {
	ID          string    `avro:"id"`
	Application string    `avro:"application"`
	Timestamp   time.Time `avro:"timestamp"`
	TimestampNs int64     `avro:"timestamp_ns"`
	Type        string    `avro:"type"`
	Duration    float64   `avro:"duration"`
	Ratio       float64   `avro:"ratio"`
	Rows        *int64    `avro:"rows"`
	OK          bool      `avro:"ok"`
	User        *string   `avro:"user"`
}

// TestPipelineRawAvro checks the stack itself, without the SDK: a Confluent-framed Avro value
// produced to Kafka becomes an InfluxDB point through Telegraf as Sasquatch configures it.
// It pins the Telegraf behaviour the SDK's contract relies on: measurement
// <namespace>.<name>, tag application, point time = timestamp_ns, a null optional field is
// absent (avro_union_mode = "nullable" keeps the field name), doubles stay floats even when
// integral, and the timestamp-millis field "timestamp" is dropped.
func TestPipelineRawAvro(t *testing.T) {
	s := loadStack(t)
	ctx := t.Context()
	const app = "stacktest"
	namespace := s.Topic(app)
	name := uniqueName("rawquery")
	schemaText := eventSchema(namespace, name,
		`{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["async","sync"]}},`+
			`{"name":"duration","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}},`+
			`{"name":"ratio","type":"double"},`+
			`{"name":"rows","type":["null","long"],"default":null},`+
			`{"name":"ok","type":"boolean"},`+
			`{"name":"user","type":["null","string"],"default":null}`)
	schema, err := avro.Parse(schemaText)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct{ ID int }
	if err := s.registryCall(ctx, http.MethodPost, "/subjects/"+url.PathEscape(namespace+"."+name)+"/versions",
		map[string]string{"schema": schemaText}, &reg); err != nil {
		t.Fatalf("register: %v", err)
	}

	base := time.Now().Truncate(time.Millisecond).Add(123456 * time.Nanosecond)
	rows, user := int64(42), "ann"
	events := []rawEvent{
		{ID: "12345678-1234-4678-9234-567812345678", Type: "sync", Duration: 1.5, Ratio: 2, Rows: &rows, OK: true, User: &user},
		{ID: "12345678-1234-4678-9234-567812345679", Type: "async", Duration: 0.25, Ratio: 0.5},
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	for i := range events {
		e := &events[i]
		e.Application = app
		e.Timestamp = base.Add(time.Duration(i) * time.Microsecond)
		e.TimestampNs = e.Timestamp.UnixNano()
		body, err := avro.Marshal(schema, e)
		if err != nil {
			t.Fatal(err)
		}
		value := binary.BigEndian.AppendUint32([]byte{0}, uint32(reg.ID))
		value = append(value, body...)
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: namespace, Value: value}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}

	want := []Point{
		{
			Time: events[0].TimestampNs,
			Tags: map[string]string{"application": app},
			Fields: map[string]any{
				"id": events[0].ID, "timestamp_ns": json.Number(strconv.FormatInt(events[0].TimestampNs, 10)),
				"type": "sync", "duration": json.Number("1.5"), "ratio": json.Number("2"),
				"rows": json.Number("42"), "ok": true, "user": "ann",
			},
		},
		{
			Time: events[1].TimestampNs,
			Tags: map[string]string{"application": app},
			Fields: map[string]any{
				"id": events[1].ID, "timestamp_ns": json.Number(strconv.FormatInt(events[1].TimestampNs, 10)),
				"type": "async", "duration": json.Number("0.25"), "ratio": json.Number("0.5"),
				"ok": false,
			},
		},
	}
	wantTypes := map[string]string{
		"id": "string", "timestamp_ns": "integer", "type": "string", "duration": "float",
		"ratio": "float", "rows": "integer", "ok": "boolean", "user": "string",
	}
	s.WaitForMeasurement(t, namespace+"."+name, pipelineTimeout, func(m Measurement) error {
		return diffMeasurement(m, want, wantTypes)
	})
}

// diffMeasurement describes how m differs from the wanted points (in order) and field types,
// or returns nil.
func diffMeasurement(m Measurement, want []Point, wantTypes map[string]string) error {
	var errs []error
	if len(m.Points) != len(want) {
		errs = append(errs, fmt.Errorf("%d point(s), want %d", len(m.Points), len(want)))
	}
	for i := range min(len(m.Points), len(want)) {
		got, w := m.Points[i], want[i]
		if got.Time != w.Time {
			errs = append(errs, fmt.Errorf("point %d: time %d, want timestamp_ns %d", i, got.Time, w.Time))
		}
		if !maps.Equal(got.Tags, w.Tags) {
			errs = append(errs, fmt.Errorf("point %d: tags %v, want %v", i, got.Tags, w.Tags))
		}
		if !maps.Equal(got.Fields, w.Fields) {
			errs = append(errs, fmt.Errorf("point %d: fields\n got  %v\n want %v", i, got.Fields, w.Fields))
		}
	}
	if !maps.Equal(m.FieldTypes, wantTypes) {
		errs = append(errs, fmt.Errorf("field types\n got  %v\n want %v", m.FieldTypes, wantTypes))
	}
	return errors.Join(errs...)
}
