package payload_test

import (
	"bytes"
	"encoding/binary"
	"math"
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

// handWritten10 is the baseline: what one would write by hand for Event10,
// with no plan and no checks beyond the enum.
func handWritten10(dst []byte, schemaID uint32, md *payload.Metadata, v *Event10) []byte {
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, schemaID)
	dst = hwUUID(dst, &md.ID)
	dst = hwString(dst, md.Application)
	ms := md.TimestampNS / 1e6
	if md.TimestampNS%1e6 < 0 {
		ms--
	}
	dst = hwLong(dst, ms)
	dst = hwLong(dst, md.TimestampNS)
	dst = hwString(dst, v.Method)
	dst = hwString(dst, v.Path)
	dst = hwLong(dst, int64(v.Status))
	dst = hwLong(dst, v.Bytes)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(v.Latency)/1e9))
	if v.Cached {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Ratio))
	switch v.Kind {
	case testkit.QueryAsync:
		dst = append(dst, 0)
	case testkit.QuerySync:
		dst = append(dst, 2)
	}
	if v.Retries == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 2)
		dst = hwLong(dst, int64(*v.Retries))
	}
	return hwUUID(dst, &v.User)
}

func hwLong(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

func hwString(dst []byte, s string) []byte {
	return append(hwLong(dst, int64(len(s))), s...)
}

// hwUUID writes the UUID's text the same way as the package (SWAR digits
// written in place), so the comparison measures the plan, not the formatting.
func hwUUID(dst []byte, u *uuid.UUID) []byte {
	hex8 := func(v uint32) uint64 {
		x := uint64(v)
		x = (x | x<<16) & 0x0000ffff0000ffff
		x = (x | x<<8) & 0x00ff00ff00ff00ff
		x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
		return x + 0x3030303030303030 + ((x+0x0606060606060606)>>4)&0x0101010101010101*39
	}
	n := len(dst)
	dst = append(dst, 72, 0, 0, 0, 0, 0, 0, 0, 0, '-', 0, 0, 0, 0, '-', 0, 0, 0, 0, '-', 0, 0, 0, 0, '-',
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	b := dst[n+1 : n+37]
	a, m := hex8(binary.BigEndian.Uint32(u[0:4])), hex8(binary.BigEndian.Uint32(u[4:8]))
	c, d := hex8(binary.BigEndian.Uint32(u[8:12])), hex8(binary.BigEndian.Uint32(u[12:16]))
	binary.BigEndian.PutUint64(b[0:8], a)
	binary.BigEndian.PutUint32(b[9:13], uint32(m>>32))
	binary.BigEndian.PutUint32(b[14:18], uint32(m))
	binary.BigEndian.PutUint32(b[19:23], uint32(c>>32))
	binary.BigEndian.PutUint32(b[24:28], uint32(c))
	binary.BigEndian.PutUint64(b[28:36], d)
	return dst
}

func newEvent10Codec(tb testing.TB) *payload.Codec[Event10] {
	tb.Helper()
	c, err := payload.NewCodec[Event10]("request", testNamespace)
	if err != nil {
		tb.Fatalf("NewCodec: %v", err)
	}
	return c
}

// The baseline must write the same bytes, or the comparison means nothing.
func TestHandWrittenMatches(t *testing.T) {
	t.Parallel()
	c := newEvent10Codec(t)
	v := sampleEvent10()
	got, err := c.Encode(9, goldenMetadata(), v)
	if err != nil {
		t.Fatal(err)
	}
	if want := handWritten10(nil, 9, goldenMetadata(), v); !bytes.Equal(got, want) {
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

func BenchmarkHandWritten10Fields(b *testing.B) {
	md := goldenMetadata()
	v := sampleEvent10()
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = handWritten10(buf[:0], 42, md, v)
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
