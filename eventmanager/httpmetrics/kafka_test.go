package httpmetrics_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

const (
	testApp   = "httpapp"
	eventName = "http_request"
)

// kafka is a kfake broker with the application's topic (one partition, so
// that records keep the order of the requests) and a schema registry, both
// on loopback, and a Kafka-mode manager pointed at them.
type kafka struct {
	cfg config.Config
	m   *eventmanager.Manager
	reg *registrytest.Server
}

func startKafka(t testing.TB, tweak ...func(*config.Config)) *kafka {
	t.Helper()
	cfg := config.Config{AppName: testApp}
	for _, f := range tweak {
		f(&cfg)
	}
	cluster, reg := fakes.Start(t, cfg.Topic(), 1)
	cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
	cfg.Registry.URL = reg.URL()
	cfg, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	return &kafka{cfg: cfg, m: m, reg: reg}
}

// publisher creates the Event publisher.
func (k *kafka) publisher(t testing.TB) *eventmanager.Publisher[httpmetrics.Event] {
	t.Helper()
	p, err := eventmanager.CreatePublisher[httpmetrics.Event](t.Context(), k.m, eventName)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// record is a decoded record: the Avro fields, decoded by goavro with the
// schema the registry has for the record's schema id.
type record map[string]any

// event returns the Event fields of a decoded record.
func (r record) event() httpmetrics.Event {
	return httpmetrics.Event{
		Method:        r["method"].(string),
		Route:         r["route"].(string),
		Status:        r["status"].(string),
		Duration:      time.Duration(r["duration"].(float64) * 1e9),
		ResponseBytes: r["response_bytes"].(int64),
		Panicked:      r["panicked"].(bool),
	}
}

// String shows the tags, size and panic flag (the duration varies).
func (r record) String() string {
	e := r.event()
	return fmt.Sprintf("%s %q %s %dB panicked=%v", e.Method, e.Route, e.Status, e.ResponseBytes, e.Panicked)
}

// consume closes the manager (delivering every accepted event), checks that
// exactly n events were delivered, and reads and decodes them.
func (k *kafka) consume(t *testing.T, n int) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := k.m.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	if s := k.m.Stats().Total; s.Published != uint64(n) || s.Delivered != uint64(n) {
		t.Fatalf("stats %+v, want %d events published and delivered", s, n)
	}
	if n == 0 {
		return nil
	}
	reg, err := schemaregistry.New(k.cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	codecs := map[uint32]*goavro.Codec{}
	var out []record
	for _, r := range testkit.Consume(t, k.cfg.Topic(), n, kgo.SeedBrokers(k.cfg.Kafka.BootstrapServers...)) {
		if len(r.Value) < 5 || r.Value[0] != 0 {
			t.Fatalf("value %x lacks the Confluent frame", r.Value)
		}
		id := binary.BigEndian.Uint32(r.Value[1:5])
		codec := codecs[id]
		if codec == nil {
			schema, err := reg.SchemaByID(ctx, id)
			if err != nil {
				t.Fatalf("schema %d: %v", id, err)
			}
			if codec, err = goavro.NewCodec(schema); err != nil {
				t.Fatalf("schema %d: %v", id, err)
			}
			codecs[id] = codec
		}
		native, rest, err := codec.NativeFromBinary(r.Value[5:])
		if err != nil || len(rest) != 0 {
			t.Fatalf("decode: %v (%d bytes left)", err, len(rest))
		}
		rec := record(native.(map[string]any))
		if rec["application"] != testApp {
			t.Errorf("application %v, want %s", rec["application"], testApp)
		}
		out = append(out, rec)
	}
	return out
}

// lines shows records one per line.
func lines(recs []record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.String()
	}
	return out
}
