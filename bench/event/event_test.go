package event_test

import (
	"bytes"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// The three encoders must write the same bytes, or the benchmark compares
// different work.
func TestEncodersAgree(t *testing.T) {
	t.Parallel()
	codec, err := payload.NewCodec[event.Event10](event.Name, event.Topic)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := avro.ParseWithCache(codec.SchemaJSON(), "", &avro.SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.MustParse("12345678-1234-4678-9234-567812345678")
	now := time.Unix(0, 1700000000123456789)
	const schemaID = 42
	md := &payload.Metadata{ID: id, Application: event.App, TimestampNS: now.UnixNano()}

	tests := []struct {
		name   string
		mutate func(*event.Event10)
	}{
		{"sample", func(*event.Event10) {}},
		{"nil retries", func(v *event.Event10) { v.Retries = nil }},
		{"async, not cached", func(v *event.Event10) { v.Kind = event.QueryAsync; v.Cached = false }},
		{"negative status", func(v *event.Event10) { v.Status = -1; v.Bytes = 1 << 40 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := event.Sample()
			tt.mutate(&v)
			sdk, err := codec.Encode(schemaID, md, &v)
			if err != nil {
				t.Fatal(err)
			}
			if hand := event.AppendHand(nil, schemaID, md, &v); !bytes.Equal(hand, sdk) {
				t.Errorf("AppendHand %x\nSDK        %x", hand, sdk)
			}
			if fast := event.AppendFast(nil, schemaID, md, &v); !bytes.Equal(fast, sdk) {
				t.Errorf("AppendFast %x\nSDK        %x", fast, sdk)
			}
			var serde sr.Serde
			serde.Register(schemaID, event.Avro{}, sr.EncodeFn(func(v any) ([]byte, error) { return avro.Marshal(schema, v) }))
			hamba, err := serde.Encode(event.NewAvro(&v, id, event.App, now))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(hamba, sdk) {
				t.Errorf("hamba %x\nSDK   %x", hamba, sdk)
			}
		})
	}
}

// The workloads' events are what they claim: a 50-field event with each of
// Event10's fields five times, and long strings of exactly the length asked.
func TestWorkloadEvents(t *testing.T) {
	t.Parallel()
	wide, err := payload.NewCodec[event.Event50]("wide", event.Topic)
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := payload.NewCodec[event.Event10](event.Name, event.Topic)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range narrow.Fields() {
		for i := 1; i <= 5; i++ {
			want = append(want, f+strconv.Itoa(i))
		}
	}
	if got := wide.Fields(); !slices.Equal(got, want) {
		t.Errorf("Event50 fields %q, want %q", got, want)
	}
	md := &payload.Metadata{ID: uuid.MustParse("12345678-1234-4678-9234-567812345678"),
		Application: event.App, TimestampNS: 1700000000123456789}
	other := event.Sample50()
	other.Kind1, other.Kind2, other.Retries1, other.Cached1, other.Status3 = event.QueryAsync, event.QuerySync, nil, false, -7
	for _, v := range []event.Event50{event.Sample50(), other} {
		sdk, err := wide.Encode(42, md, &v)
		if err != nil {
			t.Fatal(err)
		}
		// The hand-written wide encoder (the workloads' floor run) writes
		// the SDK's bytes.
		if hand := event.AppendFast50(nil, 42, md, &v); !bytes.Equal(hand, sdk) {
			t.Errorf("AppendFast50 %x\nSDK          %x", hand, sdk)
		}
	}
	for _, n := range []int{200, 1024, 7} {
		s := event.SampleLong(n)
		if len(s.Path) != n || s.Path != event.Text(n) {
			t.Errorf("SampleLong(%d).Path has %d bytes", n, len(s.Path))
		}
	}
}
