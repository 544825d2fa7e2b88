//go:build stack

package tests_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestPipelineSurvivesKafkaRestart checks the stack's broker restart, without the SDK: events
// produced before, during and after a broker outage (a kgo client buffers and retries) all
// reach InfluxDB, so Telegraf's consumer reconnects to the restarted broker on the same port
// and loses nothing.
func TestPipelineSurvivesKafkaRestart(t *testing.T) {
	s := loadStack(t)
	ctx := t.Context()
	const (
		app      = "stacktest"
		perPhase = 10
	)
	namespace := s.Topic(app)
	name := uniqueName("restart")
	schemaText := eventSchema(namespace, name, `{"name":"seq","type":"long"}`)
	schema, err := avro.Parse(schemaText)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct{ ID int }
	if err := s.registryCall(ctx, http.MethodPost, "/subjects/"+url.PathEscape(namespace+"."+name)+"/versions",
		map[string]string{"schema": schemaText}, &reg); err != nil {
		t.Fatalf("register: %v", err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers), kgo.RecordDeliveryTimeout(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	var (
		mu      sync.Mutex
		failed  []error
		seq     int64
		base    = time.Now()
		produce = func() {
			for range perPhase {
				e := struct {
					ID          string    `avro:"id"`
					Application string    `avro:"application"`
					Timestamp   time.Time `avro:"timestamp"`
					TimestampNs int64     `avro:"timestamp_ns"`
					Seq         int64     `avro:"seq"`
				}{
					ID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", seq),
					Application: app,
					Timestamp:   base,
					TimestampNs: base.UnixNano() + seq,
					Seq:         seq,
				}
				seq++
				body, err := avro.Marshal(schema, e)
				if err != nil {
					t.Fatal(err)
				}
				value := append(binary.BigEndian.AppendUint32([]byte{0}, uint32(reg.ID)), body...)
				// The test's ctx is not handed to Produce: records must survive the outage.
				cl.Produce(context.WithoutCancel(ctx), &kgo.Record{Topic: namespace, Value: value}, func(_ *kgo.Record, err error) {
					if err != nil {
						mu.Lock()
						failed = append(failed, err)
						mu.Unlock()
					}
				})
			}
		}
	)

	produce()
	s.KafkaStop(t)
	produce() // buffered by the client while the broker is down
	s.KafkaStart(t)
	produce()
	flushCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := cl.Flush(flushCtx); err != nil {
		t.Fatalf("flush after restart: %v", err)
	}
	mu.Lock()
	if len(failed) > 0 {
		t.Fatalf("%d record(s) failed: first %v", len(failed), failed[0])
	}
	mu.Unlock()

	total := int(seq)
	s.WaitForMeasurement(t, namespace+"."+name, pipelineTimeout, func(m Measurement) error {
		seen := make(map[int64]bool)
		for _, p := range m.Points {
			seen[p.Time-base.UnixNano()] = true
		}
		var missing []int64
		for i := range int64(total) {
			if !seen[i] {
				missing = append(missing, i)
			}
		}
		if len(missing) > 0 || len(m.Points) != total {
			return fmt.Errorf("%d point(s), want %d; missing seq %v", len(m.Points), total, missing)
		}
		return nil
	})
}
