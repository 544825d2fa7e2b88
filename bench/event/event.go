package event

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Names shared by the broker, the runner and the confluent-kafka-go producer.
const (
	// App is the benchmark's application name (METRICS_APP_NAME).
	App = "bench"
	// Topic is the SDK's topic for App with the default prefix; every
	// producer writes to it.
	Topic = "lsst.square.metrics.events." + App
	// Name is the event name, the Avro record name.
	Name = "request"
	// Subject is the registry subject of the event's schema (no suffix).
	Subject = Topic + "." + Name
)

// QueryType is an enum of the event.
type QueryType string

// The QueryType symbols.
const (
	QueryAsync QueryType = "async"
	QuerySync  QueryType = "sync"
)

// Symbols implements payload.Enum.
func (QueryType) Symbols() []string { return []string{"async", "sync"} }

// Event10 is a typical 10-field event, the SDK's payload type. payload's
// BenchmarkEncode10Fields encodes a twin of it, and BenchmarkHandWritten10Fields
// encodes it with AppendFast.
type Event10 struct {
	Method  string
	Path    string
	Status  int
	Bytes   int64
	Latency time.Duration
	Cached  bool
	Ratio   float64
	Kind    QueryType
	Retries *int32
	User    uuid.UUID
}

// Sample returns the event every producer sends.
func Sample() Event10 {
	retries := int32(2)
	return Event10{
		Method: "GET", Path: "/api/v1/tap/sync", Status: 200, Bytes: 123456,
		Latency: 37 * time.Millisecond, Cached: true, Ratio: 0.75, Kind: QuerySync,
		Retries: &retries, User: uuid.UUID{0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x46, 0x97, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11},
	}
}

// Avro is the event as a hamba/avro user writes it without the SDK: the
// metadata fields spelled out, avro tags, the UUIDs as strings, the duration
// as float seconds and the enum as a string. It encodes with the schema the
// SDK derives for Event10.
type Avro struct {
	ID          string    `avro:"id"`
	Application string    `avro:"application"`
	Timestamp   time.Time `avro:"timestamp"`
	TimestampNS int64     `avro:"timestamp_ns"`
	Method      string    `avro:"method"`
	Path        string    `avro:"path"`
	Status      int       `avro:"status"`
	Bytes       int64     `avro:"bytes"`
	Latency     float64   `avro:"latency"`
	Cached      bool      `avro:"cached"`
	Ratio       float64   `avro:"ratio"`
	Kind        string    `avro:"kind"`
	Retries     *int64    `avro:"retries"`
	User        string    `avro:"user"`
}

// NewAvro fills an Avro from v, an event id, the application and the event
// time, the way a user fills it per event (the UUIDs become strings here).
func NewAvro(v *Event10, id uuid.UUID, app string, now time.Time) Avro {
	a := Avro{
		ID:          id.String(),
		Application: app,
		Timestamp:   now,
		TimestampNS: now.UnixNano(),
		Method:      v.Method,
		Path:        v.Path,
		Status:      v.Status,
		Bytes:       v.Bytes,
		Latency:     v.Latency.Seconds(),
		Cached:      v.Cached,
		Ratio:       v.Ratio,
		Kind:        string(v.Kind),
		User:        v.User.String(),
	}
	if v.Retries != nil {
		r := int64(*v.Retries)
		a.Retries = &r
	}
	return a
}

// AppendHand is the baseline of make bench's encode figure: what one
// writes by hand for Event10, with no plan and no checks beyond the enum. It
// appends the framed value (0x00, schemaID big-endian, Avro body) to dst.
func AppendHand(dst []byte, schemaID uint32, md *payload.Metadata, v *Event10) []byte {
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
	case QueryAsync:
		dst = append(dst, 0)
	case QuerySync:
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

// AppendFast writes what AppendHand writes, with the fastest UUID text
// known here (eight hex digits at a time, as payload writes them): the
// encoder of the workloads' floor run, which is to bound what a producer
// can do, and the baseline of payload's BenchmarkHandWritten10Fields.
// AppendHand stays as it was, the baseline of the encode figure.
func AppendFast(dst []byte, schemaID uint32, md *payload.Metadata, v *Event10) []byte {
	// hwMeta's body, written out: as a call it costs this 10-field
	// baseline about 2 ns (6%).
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, schemaID)
	dst = hwUUIDFast(dst, &md.ID)
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
	dst = hwDuration(dst, v.Latency)
	dst = hwBool(dst, v.Cached)
	dst = hwDouble(dst, v.Ratio)
	dst = hwKind(dst, v.Kind)
	dst = hwRetries(dst, v.Retries)
	return hwUUIDFast(dst, &v.User)
}

// hwMeta appends the framing and the SDK's metadata fields, for the fast
// encoders.
func hwMeta(dst []byte, schemaID uint32, md *payload.Metadata) []byte {
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, schemaID)
	dst = hwUUIDFast(dst, &md.ID)
	dst = hwString(dst, md.Application)
	ms := md.TimestampNS / 1e6
	if md.TimestampNS%1e6 < 0 {
		ms--
	}
	dst = hwLong(dst, ms)
	return hwLong(dst, md.TimestampNS)
}

func hwDuration(dst []byte, d time.Duration) []byte {
	return hwDouble(dst, float64(d)/1e9)
}

func hwDouble(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

func hwBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func hwKind(dst []byte, k QueryType) []byte {
	if k == QuerySync {
		return append(dst, 2)
	}
	return append(dst, 0)
}

func hwRetries(dst []byte, r *int32) []byte {
	if r == nil {
		return append(dst, 0)
	}
	return hwLong(append(dst, 2), int64(*r))
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

func hwUUID(dst []byte, u *uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	const pos = "\x01\x03\x05\x07\x0a\x0c\x0f\x11\x14\x16\x19\x1b\x1d\x1f\x21\x23"
	buf := [37]byte{0: 72, 9: '-', 14: '-', 19: '-', 24: '-'}
	for i, b := range u {
		buf[pos[i]], buf[pos[i]+1] = hex[b>>4], hex[b&0xf]
	}
	return append(dst, buf[:]...)
}

// hwUUIDFast is hwUUID with each group of eight hex digits made at once
// (hex8) and written in place over a template: the fastest UUID text known
// here (payload's BenchmarkHandWritten10Fields measures it too).
func hwUUIDFast(dst []byte, u *uuid.UUID) []byte {
	n := len(dst)
	dst = append(dst, 36<<1, 0, 0, 0, 0, 0, 0, 0, 0, '-', 0, 0, 0, 0, '-', 0, 0, 0, 0, '-', 0, 0, 0, 0, '-',
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

// hex8 returns the 8 lower-case hex digits of v as the bytes of a uint64,
// the most significant digit in the most significant byte (SWAR).
func hex8(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f
	letters := ((x + 0x0606060606060606) >> 4) & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
}
