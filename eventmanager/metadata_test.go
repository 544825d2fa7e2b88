package eventmanager_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// TestPublishMetadata checks, on kfake, that PublishWithMetadata returns the id
// and time the record carries (decoded independently of the SDK), and that
// disabled and mock modes stamp metadata too, from WithIDSource and WithClock.
func TestPublishMetadata(t *testing.T) {
	t.Run("kafka", func(t *testing.T) {
		env := newKafkaEnv(t, false)
		ctx := t.Context()
		m, q := startQueries(t, env.cfg)
		returned := make(map[string]int64) // id -> TimestampNS
		for range 3 {
			md, err := q.PublishWithMetadata(ctx, QueryEvent{Type: QuerySync, Duration: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if md.ID == uuid.Nil || md.Application != env.cfg.AppName || md.TimestampNS == 0 {
				t.Fatalf("PublishWithMetadata = %+v, want an id, the application and a time", md)
			}
			returned[md.ID.String()] = md.TimestampNS
		}
		if err := m.Close(ctx); err != nil {
			t.Fatal(err)
		}
		recs := consume(t, env.cfg.Kafka.BootstrapServers, env.cfg.Topic(), 3)
		seen := make(map[string]int64)
		for _, r := range recs {
			_, rec := testkit.Decode(t, env.cfg.Registry.URL, r.Value)
			id, _ := rec["id"].(string)
			ts, _ := rec["timestamp_ns"].(int64)
			seen[id] = ts
		}
		for id, ts := range returned {
			if got, ok := seen[id]; !ok || got != ts {
				t.Errorf("PublishWithMetadata returned id %s, time %d; the records hold %v (id -> timestamp_ns)", id, ts, seen)
			}
		}
	})
	for _, tt := range []struct {
		name string
		cfg  config.Config
	}{{"mock", mockConfig()}, {"disabled", disabledConfig()}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			id := uuid.MustParse("12345678-1234-4678-9234-567812345678")
			at := time.Unix(1700000000, 123456789)
			_, q := startQueries(t, tt.cfg,
				eventmanager.WithIDSource(func() uuid.UUID { return id }),
				eventmanager.WithClock(func() time.Time { return at }))
			md, err := q.PublishWithMetadata(ctx, QueryEvent{Type: QuerySync})
			if err != nil || md.ID != id || md.TimestampNS != at.UnixNano() || md.Application != tt.cfg.AppName {
				t.Fatalf("PublishWithMetadata = %+v, %v; want id %s, time %d, application %s", md, err, id, at.UnixNano(), tt.cfg.AppName)
			}
			if _, err := q.PublishWithMetadata(ctx, QueryEvent{Type: "weird"}); err == nil {
				t.Fatal("PublishWithMetadata of an enum value outside its symbols = nil, want an error")
			}
		})
	}
}
