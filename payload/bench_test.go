package payload_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Event10 is a typical 10-field event.
type Event10 struct {
	Method  string
	Path    string
	Status  int
	Bytes   int64
	Latency time.Duration
	Cached  bool
	Ratio   float64
	Kind    testkit.QueryType
	Retries *int32
	User    uuid.UUID
}

func sampleEvent10() *Event10 {
	return &Event10{
		Method: "GET", Path: "/api/v1/tap/sync", Status: 200, Bytes: 123456,
		Latency: 37 * time.Millisecond, Cached: true, Ratio: 0.75, Kind: testkit.QuerySync,
		Retries: ptr(int32(2)), User: uuid.MustParse("0f1e2d3c-4b5a-4697-8877-665544332211"),
	}
}

func newEvent10Codec(tb testing.TB) *payload.Codec[Event10] {
	tb.Helper()
	c, err := payload.NewCodec[Event10]("request", testNamespace)
	if err != nil {
		tb.Fatalf("NewCodec: %v", err)
	}
	return c
}

// The baseline (bench/event's fastest hand-written encoder) must write the
// same bytes as the codec, or the comparison means nothing.
func TestHandWrittenMatches(t *testing.T) {
	t.Parallel()
	c, err := payload.NewCodec[event.Event10]("request", testNamespace)
	if err != nil {
		t.Fatal(err)
	}
	v := event.Sample()
	got, err := c.Encode(9, goldenMetadata(), &v)
	if err != nil {
		t.Fatal(err)
	}
	if want := event.AppendFast(nil, 9, goldenMetadata(), &v); !bytes.Equal(got, want) {
		t.Errorf("codec %x\nhand  %x", got, want)
	}
}

func TestAppendAllocs(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process.
	q := newQueryCodec(t)
	c := newEvent10Codec(t)
	md := goldenMetadata()
	qv := &testkit.QueryEvent{Type: testkit.QuerySync, Duration: time.Second}
	v := sampleEvent10()
	buf := make([]byte, 0, 1024)
	tests := []struct {
		name string
		f    func()
		want float64
	}{
		{"Append QueryEvent", func() { buf, _ = q.Append(buf[:0], 1, md, qv) }, 0},
		{"Append Event10", func() { buf, _ = c.Append(buf[:0], 1, md, v) }, 0},
		{"Validate Event10", func() { _ = c.Validate(v) }, 0},
		{"Encode Event10", func() { buf, _ = c.Encode(1, md, v) }, 1},
		{"Append Event10 into nil", func() { buf, _ = c.Append(nil, 1, md, v) }, 1},
		// The caller's make, then one growth.
		{"Append Event10 into a small buffer", func() { buf, _ = c.Append(make([]byte, 0, 8), 1, md, v) }, 2},
	}
	for _, tt := range tests {
		if raceEnabled && tt.want > 0 {
			continue // the race detector's runtime allocates when slices grow
		}
		if got := testing.AllocsPerRun(100, tt.f); got != tt.want {
			t.Errorf("%s: %v allocs per run, want %v", tt.name, got, tt.want)
		}
	}
}

func BenchmarkEncodeQuery(b *testing.B) {
	c := newQueryCodec(b)
	md := goldenMetadata()
	v := &testkit.QueryEvent{Type: testkit.QuerySync, Duration: 1500 * time.Millisecond}
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf, _ = c.Append(buf[:0], 42, md, v)
		}
	})
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.Encode(42, md, v)
		}
	})
}

func BenchmarkEncode10Fields(b *testing.B) {
	c := newEvent10Codec(b)
	md := goldenMetadata()
	v := sampleEvent10()
	b.Run("Append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf, _ = c.Append(buf[:0], 42, md, v)
		}
	})
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.Encode(42, md, v)
		}
	})
}

// BenchmarkHandWritten10Fields is the baseline of BenchmarkEncode10Fields:
// the same event (bench/event's Event10, the fields and values of Event10
// here) encoded by bench/event's fastest hand-written encoder, AppendFast.
func BenchmarkHandWritten10Fields(b *testing.B) {
	md := goldenMetadata()
	v := event.Sample()
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = event.AppendFast(buf[:0], 42, md, &v)
	}
}

func BenchmarkEncodeWide(b *testing.B) {
	c, err := payload.NewCodec[event.Event50]("wide", "lsst.square.metrics.events.bench")
	if err != nil {
		b.Fatal(err)
	}
	md := goldenMetadata()
	v := event.Sample50()
	b.ReportAllocs()
	buf := make([]byte, 0, 2048)
	for b.Loop() {
		buf, _ = c.Append(buf[:0], 42, md, &v)
	}
	b.ReportMetric(float64(len(buf)), "bytes")
}
