package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
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
	text, err := t.registry.SchemaByID(ctx, id)
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
// into an InfluxDB point, and as Telegraf's influx serializer writes that
// point:
//
//   - measurement: the schema's full name, <namespace>.<name>, which the SDK
//     makes <topic>.<event name>;
//   - tags: the fields named in tags (application), as strings, sorted by
//     key; an empty value is left out, as line protocol has none;
//   - fields: every other field, in schema order (Telegraf's order is
//     random): strings and enum symbols quoted, longs with the i suffix,
//     doubles and floats as decimals (1.5, and 2 for 2.0: still a float;
//     the shortest form, so 1e-05 for 0.00001), booleans; a null optional
//     field is left out; timestamp_ns stays a field; the timestamp-millis
//     field "timestamp" decodes to a time value, which a Telegraf metric
//     cannot hold, so Telegraf drops it and so do we;
//   - time: timestamp_ns.
//
// The line is written by the line protocol encoder of InfluxDB's own
// library (github.com/influxdata/line-protocol/v2), which escapes what
// InfluxDB 1.x's line protocol specifies: commas and spaces in the
// measurement; commas, equals signs and spaces in tag keys, tag values and
// field keys; double quotes and backslashes in string field values (and
// newlines, carriage returns and tabs, as Telegraf does). What line protocol
// cannot carry is written as Telegraf writes it: a tag key or value loses its
// trailing backslashes (a backslash there would escape the separator after
// it, and the tag would swallow the field set), and a newline, carriage
// return, tab or form feed in a name or tag is the two characters \n, \r, \t
// or \f. Unlike Telegraf, every other character that is not printable (ESC,
// BEL, U+2028, invalid UTF-8...) is written as its Go escape (\x1b, \a,
// \u2028, \xff), so that each event stays on one line and nothing printed
// can drive a terminal.
func lineProtocol(schema *avro.RecordSchema, record map[string]any, tags []string) (string, error) {
	var enc lineprotocol.Encoder
	enc.StartLine(printable(schema.FullName(), false))
	var pairs [][2]string
	for _, key := range tags {
		v, ok := record[key]
		if !ok || v == nil {
			continue
		}
		k, val := tagText(key), tagText(fmt.Sprint(v))
		if k == "" || val == "" {
			continue // line protocol has no empty tag keys or values; Telegraf drops them
		}
		pairs = append(pairs, [2]string{k, val})
	}
	// The encoder takes tags in key order, as InfluxDB keeps them, each once.
	slices.SortFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	pairs = slices.CompactFunc(pairs, func(a, b [2]string) bool { return a[0] == b[0] })
	for _, p := range pairs {
		enc.AddTag(p[0], p[1])
	}
	fields := 0
	for _, f := range schema.Fields() {
		name := f.Name()
		if slices.Contains(tags, name) {
			continue
		}
		v, ok := fieldValue(record[name])
		if !ok {
			continue
		}
		enc.AddField(printable(name, false), v)
		fields++
	}
	if fields == 0 {
		return "", fmt.Errorf("event %s has no field InfluxDB can store", schema.FullName())
	}
	var ts time.Time // zero: no point time on the line
	switch x := record[timestampField].(type) {
	case int64:
		ts = time.Unix(0, x)
	case int:
		ts = time.Unix(0, int64(x))
	}
	enc.EndLine(ts)
	if err := enc.Err(); err != nil {
		return "", fmt.Errorf("event %s: %w", schema.FullName(), err)
	}
	return strings.TrimSuffix(string(enc.Bytes()), "\n"), nil
}

// tagText is a tag key or value as Telegraf writes it: without trailing
// backslashes, which line protocol cannot carry, and printable.
func tagText(s string) string {
	return strings.TrimRight(printable(s, false), `\`)
}

// fieldValue converts one decoded Avro value to a line protocol field value;
// false means Telegraf would not store the field.
func fieldValue(v any) (lineprotocol.Value, bool) {
	switch x := v.(type) {
	case string:
		return lineprotocol.StringValue(printable(x, true))
	case []byte:
		return lineprotocol.StringValue(printable(string(x), true))
	case bool:
		return lineprotocol.BoolValue(x), true
	case int:
		return lineprotocol.IntValue(int64(x)), true
	case int32:
		return lineprotocol.IntValue(int64(x)), true
	case int64:
		return lineprotocol.IntValue(x), true
	case float32:
		// NaN and infinities cannot be stored and are left out.
		return lineprotocol.FloatValue(float64(x))
	case float64:
		return lineprotocol.FloatValue(x)
	default:
		// nil (a null optional field), time.Time (timestamp-millis), and
		// anything else the SDK never writes.
		return lineprotocol.Value{}, false
	}
}
