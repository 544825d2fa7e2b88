package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// tail consumes the application's topic and prints every event as the
// InfluxDB line protocol line Sasquatch's Telegraf would write for it (see
// lineProtocol). It is a development aid: a service does not normally read
// its own topic.
type tail struct {
	client   *kgo.Client
	registry *schemaregistry.Client
	avro     avro.API
	tags     []string
	out      *console
	log      *slog.Logger
	schemas  map[uint32]*avro.RecordSchema // by schema id; only the run goroutine uses it

	mu      sync.Mutex
	seen    int           // records read, printed or not
	changed chan struct{} // closed and replaced whenever seen grows

	cancel context.CancelFunc
	done   chan struct{}
}

// newTail starts consuming cfg's topic from the first record produced at or
// after since, with the same brokers, TLS, SASL and registry settings as the
// event manager. Fields named in tags become InfluxDB tags (Telegraf's
// avro_tags). Close stops it.
func newTail(cfg config.Config, tags []string, out *console, log *slog.Logger, since time.Time) (*tail, error) {
	opts, err := eventmanager.KafkaOptions(cfg) // the SDK's brokers, TLS and SASL
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	opts = append(opts,
		kgo.ClientID("fastapi-like-http-tail"),
		kgo.ConsumeTopics(cfg.Topic()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AfterMilli(since.UnixMilli())),
	)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("tail: kafka client: %w", err)
	}
	registry, err := schemaregistry.New(cfg.Registry)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("tail: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &tail{
		client:   client,
		registry: registry,
		avro:     avro.Config{}.Freeze(),
		tags:     tags,
		out:      out,
		log:      log.With("component", "tail"),
		schemas:  make(map[uint32]*avro.RecordSchema),
		changed:  make(chan struct{}),
		cancel:   cancel,
		done:     make(chan struct{}),
	}
	go t.run(ctx)
	return t, nil
}

// run prints records until ctx ends.
func (t *tail) run(ctx context.Context) {
	defer close(t.done)
	for {
		fetches := t.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			t.log.Warn("fetch failed", "topic", topic, "partition", partition, "error", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			line, err := t.line(ctx, r.Value)
			if err != nil {
				t.log.Warn("record not decoded", "partition", r.Partition, "offset", r.Offset, "error", err)
			} else {
				t.out.Printf("%s\n", line)
			}
			t.mu.Lock()
			t.seen++
			close(t.changed)
			t.changed = make(chan struct{})
			t.mu.Unlock()
		})
	}
}

// line decodes one record value in the Confluent wire format (0x00, the
// schema id as 4 big-endian bytes, the Avro binary body) with the writer's
// schema fetched from the registry, and formats it.
func (t *tail) line(ctx context.Context, value []byte) (string, error) {
	if len(value) < 5 || value[0] != 0 {
		return "", errors.New("not in the Confluent wire format (magic byte 0, 4-byte schema id, Avro body)")
	}
	id := binary.BigEndian.Uint32(value[1:5])
	schema, err := t.schema(ctx, id)
	if err != nil {
		return "", err
	}
	var record map[string]any
	if err := t.avro.Unmarshal(schema, value[5:], &record); err != nil {
		return "", fmt.Errorf("decode with schema %d: %w", id, err)
	}
	return lineProtocol(schema, record, t.tags)
}

// schema returns the record schema with this registry id, fetched once.
func (t *tail) schema(ctx context.Context, id uint32) (*avro.RecordSchema, error) {
	if s, ok := t.schemas[id]; ok {
		return s, nil
	}
	text, err := t.registry.SchemaByID(ctx, int(id))
	if err != nil {
		return nil, err
	}
	// A cache per schema: two schemas may define the same enum differently.
	parsed, err := avro.ParseWithCache(text, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("schema %d: %w", id, err)
	}
	rs, ok := parsed.(*avro.RecordSchema)
	if !ok {
		return nil, fmt.Errorf("schema %d is a %s, not a record", id, parsed.Type())
	}
	t.schemas[id] = rs
	return rs, nil
}

// Seen returns how many records the tail has read so far.
func (t *tail) Seen() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen
}

// WaitFor waits until the tail has read at least n records or ctx ends.
func (t *tail) WaitFor(ctx context.Context, n int) error {
	for {
		t.mu.Lock()
		seen, changed := t.seen, t.changed
		t.mu.Unlock()
		if seen >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("tail read %d of %d events: %w", seen, n, ctx.Err())
		}
	}
}

// Close stops the tail and waits for it.
func (t *tail) Close() {
	t.cancel()
	<-t.done
	t.client.Close()
}

// sasquatchTags returns the fields Sasquatch's Telegraf stores as InfluxDB
// tags for this application (avro_tags): application, then the app's
// influxTags in Phalanx, the tags of its events (those of http_request and
// report;
// TestPipelineGolden checks them against the manager's pipeline).
func sasquatchTags() []string { return []string{"application", "method", "report", "route", "status"} }

// timestampField is Sasquatch's avro_timestamp: the point time, in unix
// nanoseconds (avro_timestamp_format = "unix_ns").
const timestampField = "timestamp_ns"

// lineProtocol formats a decoded event as Telegraf's Avro parser, configured
// as Sasquatch deploys it (avro_tags = tags, avro_timestamp = "timestamp_ns",
// avro_timestamp_format = "unix_ns", avro_union_mode = "nullable"), turns it
// into an InfluxDB point:
//
//   - measurement: the schema's full name, <namespace>.<name>, which the SDK
//     makes <topic>.<event name>;
//   - tags: the fields named in tags (application), as strings;
//   - fields: every other field, in schema order (Telegraf's order is
//     random): strings and enum symbols quoted, longs with the i suffix,
//     doubles and floats as decimals (1.5, and 2 for 2.0: still a float),
//     booleans; a null optional field is left out; timestamp_ns stays a
//     field; the timestamp-millis field "timestamp" decodes to a time value,
//     which a Telegraf metric cannot hold, so Telegraf drops it and so do we;
//   - time: timestamp_ns.
//
// Unlike Telegraf, control characters in strings are escaped so that each
// event stays on one line.
func lineProtocol(schema *avro.RecordSchema, record map[string]any, tags []string) (string, error) {
	var b strings.Builder
	b.WriteString(escapeName(schema.FullName(), measurementSpecials))
	for _, tag := range tags {
		v, ok := record[tag]
		if !ok || v == nil {
			continue
		}
		s := fmt.Sprint(v)
		if s == "" {
			continue // line protocol has no empty tag values; Telegraf drops them
		}
		b.WriteByte(',')
		b.WriteString(escapeName(tag, keySpecials))
		b.WriteByte('=')
		b.WriteString(escapeName(s, keySpecials))
	}
	sep := byte(' ')
	for _, f := range schema.Fields() {
		name := f.Name()
		if slices.Contains(tags, name) {
			continue
		}
		v, ok := fieldValue(record[name])
		if !ok {
			continue
		}
		b.WriteByte(sep)
		sep = ','
		b.WriteString(escapeName(name, keySpecials))
		b.WriteByte('=')
		b.WriteString(v)
	}
	if sep == ' ' {
		return "", fmt.Errorf("event %s has no field InfluxDB can store", schema.FullName())
	}
	switch ts := record[timestampField].(type) {
	case int64:
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(ts, 10))
	case int:
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(ts))
	}
	return b.String(), nil
}

// fieldValue formats one decoded Avro value as a line protocol field value;
// false means Telegraf would not store the field.
func fieldValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return quote(x), true
	case []byte:
		return quote(string(x)), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x) + "i", true
	case int32:
		return strconv.FormatInt(int64(x), 10) + "i", true
	case int64:
		return strconv.FormatInt(x, 10) + "i", true
	case float32:
		return formatFloat(float64(x))
	case float64:
		return formatFloat(x)
	default:
		// nil (a null optional field), time.Time (timestamp-millis), and
		// anything else the SDK never writes.
		return "", false
	}
}

// formatFloat writes a float as Telegraf's influx serializer does; NaN and
// infinities cannot be stored and are left out.
func formatFloat(f float64) (string, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// Line protocol escapes: a measurement name escapes commas and spaces; tag
// keys, tag values and field keys also escape equals signs.
const (
	measurementSpecials = ", "
	keySpecials         = ",= "
)

// escapeName escapes the specials of a name with a backslash, and a newline
// as \n so that a line stays one line.
func escapeName(s, specials string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case strings.ContainsRune(specials, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quote formats a string field value: quoted, with quotes and backslashes
// escaped (and, here, control characters, to keep one line per event).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
