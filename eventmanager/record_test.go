package eventmanager_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
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
	if _, err := eventmanager.CreateRecordPublisher(ctx, m2, "job", changed); !errors.Is(err, eventmanager.ErrFieldTypeChanged) {
		t.Errorf("CreateRecordPublisher with a changed field type = %v, want ErrFieldTypeChanged", err)
	}
}
