package eventmanager_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// TestRecordPublisher publishes an event whose type is built at run time,
// decodes it from the topic, and checks that the field-type guard applies
// to it as to a compile-time type.
func TestRecordPublisher(t *testing.T) {
	env := newKafkaEnv(t, false)
	ctx := t.Context()
	typ := reflect.StructOf([]reflect.StructField{
		{Name: "F0", Type: reflect.TypeFor[string](), Tag: `avro:"job"`},
		{Name: "F1", Type: reflect.TypeFor[time.Duration](), Tag: `avro:"duration"`},
		{Name: "F2", Type: reflect.TypeFor[int64](), Tag: `avro:"rows"`},
	})
	m, err := eventmanager.New(env.cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := eventmanager.CreateRecordPublisher(ctx, m, "job", typ)
	if err != nil {
		t.Fatal(err)
	}
	rec := payload.NewRecord(typ)
	rec.Value().Field(0).SetString("nightly")
	rec.Value().Field(1).SetInt(int64(1500 * time.Millisecond))
	rec.Value().Field(2).SetInt(42)
	if err := p.Publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	other := payload.NewRecord(reflect.TypeFor[struct{ A string }]())
	if err := p.Publish(ctx, other); err == nil {
		t.Error("Publish of a record of another type = nil, want an error")
	}
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	recs := consume(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic(), 1)
	_, got := testkit.Decode(t, env.cfg.Registry.URL, recs[0].Value)
	if got["job"] != "nightly" || got["duration"] != 1.5 || got["rows"] != int64(42) {
		t.Errorf("decoded %v", got)
	}

	// The same subject with rows as a string: refused by the guard.
	changed := reflect.StructOf([]reflect.StructField{{Name: "F0", Type: reflect.TypeFor[string](), Tag: `avro:"rows"`}})
	m2, err := eventmanager.New(env.cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close(ctx)
	if err := m2.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := eventmanager.CreateRecordPublisher(ctx, m2, "job", changed); !errors.As(err, new(*eventmanager.FieldTypeChangedError)) {
		t.Errorf("CreateRecordPublisher with a changed field type = %v, want *eventmanager.FieldTypeChangedError", err)
	}
}

// TestMockRecordsValues: mock mode records the value published, even when
// the caller reuses its event (a payload.Record filled again, an optional
// field's variable changed): issue 24, item 11 (it recorded [3 3 3]).
func TestMockRecordsValues(t *testing.T) {
	m := startManager(t, mockConfig())
	typ := reflect.StructOf([]reflect.StructField{{Name: "N", Type: reflect.TypeFor[int64](), Tag: `avro:"n"`}})
	recs, err := eventmanager.CreateRecordPublisher(t.Context(), m, "counted", typ)
	if err != nil {
		t.Fatal(err)
	}
	rec := payload.NewRecord(typ)
	for n := int64(1); n <= 3; n++ {
		rec.Value().Field(0).SetInt(n)
		if err := recs.Publish(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
	var got []int64
	for _, r := range eventmanagertest.Published(recs) {
		got = append(got, r.Value().Field(0).Int())
	}
	if !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("recorded %v, want [1 2 3]", got)
	}

	type optional struct{ Service *string }
	opts, err := eventmanager.CreatePublisher[optional](t.Context(), m, "optional")
	if err != nil {
		t.Fatal(err)
	}
	service := "a"
	if err := opts.Publish(t.Context(), optional{Service: &service}); err != nil {
		t.Fatal(err)
	}
	service = "b"
	if got := eventmanagertest.Published(opts); len(got) != 1 || *got[0].Service != "a" {
		t.Errorf("recorded service %q, want the published \"a\"", *got[0].Service)
	}
}
