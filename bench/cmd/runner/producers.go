package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// env is what every producer shares: the broker, the registry, the
// registered schema and the client settings.
type env struct {
	broker      string // host:port of the kfake broker
	registryURL string
	schemaID    int
	schema      avro.Schema // parsed once, as a hamba user does at start-up
	values      [][]byte    // the event pre-encoded with distinct ids and times, for raw
	value       []byte      // values[0]
	linger      time.Duration
	maxBuffered int                // kgo.MaxBufferedRecords: above any run's n, so the SDK never drops
	wl          map[string]*wlData // per workload, made by prepare
}

// newEnv registers the event's schema and pre-encodes raw's values.
func newEnv(ctx context.Context, brokerAddr, registryURL string, linger time.Duration) (*env, error) {
	_, schemaJSON, err := preEncode(0, 1)
	if err != nil {
		return nil, err
	}
	schemaID, err := registerSchema(ctx, registryURL, event.Subject, schemaJSON)
	if err != nil {
		return nil, err
	}
	values, _, err := preEncode(schemaID, rawValues)
	if err != nil {
		return nil, err
	}
	schema, err := avro.ParseWithCache(schemaJSON, "", &avro.SchemaCache{})
	if err != nil {
		return nil, err
	}
	return &env{
		broker: brokerAddr, registryURL: registryURL, schemaID: schemaID, schema: schema,
		values: values, value: values[0], linger: linger, maxBuffered: 10000,
	}, nil
}

// compression is a producer's batch compression.
type compression string

const (
	snappy compression = "snappy"
	none   compression = "none"
)

func (c compression) codec() kgo.CompressionCodec {
	if c == snappy {
		return kgo.SnappyCompression()
	}
	return kgo.NoCompression()
}

// clientOptions are the franz-go options of raw, hand and sdk alike; the
// confluent-kafka-go producer is configured to match (see bench/ck).
// Idempotence and acks=all are franz-go's defaults; they are spelled out.
func (e *env) clientOptions(c compression) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(e.broker),
		kgo.DefaultProduceTopic(event.Topic),
		kgo.ProducerBatchCompression(c.codec()),
		kgo.ProducerLinger(e.linger),
		kgo.ProducerBatchMaxBytes(1_000_000),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.MaxBufferedRecords(e.maxBuffered),
		kgo.RecordDeliveryTimeout(time.Minute),
	}
}

// newClient builds a client and sends one record synchronously, so that the
// connection, the metadata and the producer id are in place before the clock
// starts.
func (e *env) newClient(ctx context.Context, c compression) (*kgo.Client, error) {
	cl, err := kgo.NewClient(e.clientOptions(c)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: e.value}).FirstErr(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("warm-up record: %w", err)
	}
	return cl, nil
}

// sdkConfig is the SDK's configuration for the benchmark: Kafka mode
// against the broker and the registry, with room for as many unsent events
// as the clients have (the SDK's own bound, METRICS_MAX_BUFFERED_EVENTS,
// would otherwise drop what a tight loop publishes faster than the broker
// takes it, where raw's Produce waits).
func (e *env) sdkConfig() (config.Config, error) {
	return config.Config{
		AppName: event.App,
		Kafka:   config.Kafka{BootstrapServers: []string{e.broker}},
		Registry: config.Registry{
			URL:           e.registryURL,
			Compatibility: "NONE",
		},
		Delivery: config.Delivery{
			MaxBufferedEvents: e.maxBuffered,
			MaxBufferedBytes:  1 << 40,
		},
	}.Resolve()
}

// deliveries counts failed deliveries and keeps the first error.
type deliveries struct {
	failed atomic.Int64
	once   sync.Once
	first  error
}

func (d *deliveries) promise(_ *kgo.Record, err error) {
	if err != nil {
		d.failed.Add(1)
		d.once.Do(func() { d.first = err })
	}
}

func (d *deliveries) err() error {
	if n := d.failed.Load(); n > 0 {
		return fmt.Errorf("%d deliveries failed, first: %w", n, d.first)
	}
	return nil
}

// runRaw is the limit: franz-go sending pre-encoded values, one new record
// per event. The values cycle through rawValues encodings of the event with
// distinct ids and times, so that batches compress like the SDK's and hand's
// (one value repeated would compress far better than real events).

func runRaw(ctx context.Context, e *env, c compression, n int) (result, error) {
	cl, err := e.newClient(ctx, c)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	var d deliveries
	values := e.values
	res, err := measure(n, func() error {
		for i := range n {
			cl.Produce(ctx, &kgo.Record{Value: values[i%len(values)]}, d.promise)
		}
		return cl.Flush(ctx)
	})
	return res, errors.Join(err, d.err())
}

// runHand is franz-go + hamba/avro + google/uuid + time as a user writes it
// without the SDK: fill the tagged struct, encode it with franz-go's sr.Serde
// (the Confluent header) and hamba, produce.
func runHand(ctx context.Context, e *env, c compression, n int) (result, error) {
	cl, err := e.newClient(ctx, c)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	schema := e.schema
	serde := sr.NewSerde()
	serde.Register(e.schemaID, event.Avro{}, sr.EncodeFn(func(v any) ([]byte, error) {
		return avro.Marshal(schema, v)
	}))
	v := event.Sample()
	var d deliveries
	res, err := measure(n, func() error {
		for range n {
			value, err := serde.Encode(event.NewAvro(&v, uuid.New(), event.App, time.Now()))
			if err != nil {
				return fmt.Errorf("encode: %w", err)
			}
			cl.Produce(ctx, &kgo.Record{Value: value}, d.promise)
		}
		return cl.Flush(ctx)
	})
	return res, errors.Join(err, d.err())
}

// newManager builds an initialized manager on a client built like raw's;
// the manager does not own the client.
func newManager(ctx context.Context, e *env, cl *kgo.Client) (*eventmanager.Manager, error) {
	cfg, err := e.sdkConfig()
	if err != nil {
		return nil, err
	}
	m, err := eventmanager.New(cfg,
		eventmanager.WithKafkaClient(cl),
		eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	if err := m.Initialize(ctx); err != nil {
		closeQuietly(m)
		return nil, err
	}
	return m, nil
}

// closeQuietly closes m without waiting long for deliveries, for the paths
// where a run failed (or the broker is down on purpose) and the error that
// matters is another.
func closeQuietly(m *eventmanager.Manager) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = m.Close(ctx)
}

// newSDK builds a manager on a client built like raw's and creates the
// event's publisher; the manager does not own the client.
func newSDK(ctx context.Context, e *env, cl *kgo.Client) (*eventmanager.Manager, *eventmanager.Publisher[event.Event10], error) {
	m, err := newManager(ctx, e, cl)
	if err != nil {
		return nil, nil, err
	}
	p, err := eventmanager.CreatePublisher[event.Event10](ctx, m, event.Name)
	if err != nil {
		closeQuietly(m)
		return nil, nil, err
	}
	if int(p.SchemaID()) != e.schemaID {
		closeQuietly(m)
		return nil, nil, fmt.Errorf("sdk registered schema id %d, raw and hand use %d", p.SchemaID(), e.schemaID)
	}
	return m, p, nil
}

// runSDK is this SDK's Publish; Manager.Close waits for every delivery.
func runSDK(ctx context.Context, e *env, c compression, n int) (result, error) {
	cl, err := e.newClient(ctx, c)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	m, p, err := newSDK(ctx, e, cl)
	if err != nil {
		return result{}, err
	}
	v := event.Sample()
	res, err := measure(n, func() error {
		for range n {
			if err := p.Publish(ctx, v); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
		}
		return m.Close(ctx)
	})
	if err != nil {
		return res, err
	}
	if s := m.Stats().Total; s.Delivered != uint64(n) {
		return res, fmt.Errorf("sdk delivered %d of %d events (dropped %d, failed %d)", s.Delivered, n, s.Dropped, s.Failed)
	}
	return res, nil
}

// rawValues is how many distinct pre-encoded values raw cycles through:
// more than fit in one 64 KiB snappy block.
const rawValues = 4096

// preEncode returns count encodings of the event as the SDK writes it, each
// with its own id and time, and the schema.
func preEncode(schemaID, count int) ([][]byte, string, error) {
	codec, err := payload.NewCodec[event.Event10](event.Name, event.Topic)
	if err != nil {
		return nil, "", err
	}
	v := event.Sample()
	now := time.Now().UnixNano()
	values := make([][]byte, count)
	for i := range values {
		md := payload.Metadata{ID: uuid.New(), Application: event.App, TimestampNS: now + int64(i)*1000}
		if values[i], err = codec.Encode(uint32(schemaID), &md, &v); err != nil {
			return nil, "", err
		}
	}
	return values, codec.SchemaJSON(), nil
}

// registerSchema registers an event's schema under subject the way a
// franz-go user does, and returns its id; the SDK then finds the identical
// schema and reuses it.
func registerSchema(ctx context.Context, registryURL, subject, schemaJSON string) (int, error) {
	cl, err := sr.NewClient(sr.URLs(registryURL))
	if err != nil {
		return 0, err
	}
	ss, err := cl.CreateSchema(ctx, subject, sr.Schema{Schema: schemaJSON, Type: sr.TypeAvro})
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", subject, err)
	}
	return ss.ID, nil
}
