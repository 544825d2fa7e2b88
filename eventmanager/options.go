package eventmanager

import (
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Option configures a Manager at New. Options are applied in order; nothing
// is mutable after New returns.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	clock       func() time.Time
	customClock bool // WithClock was given
	idSource    func() uuid.UUID
	client      *kgo.Client
	kafkaOpts   []kgo.Opt
	createTopic bool
	partitions  int32
}

// WithLogger sets the logger. Default: slog.Default(). The manager narrows it
// once with the attributes component=sasquatch-go and app=<app name>.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithClock sets the clock that stamps each event's timestamp and
// timestamp_ns fields. Default: time.Now. Meant for deterministic tests.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.clock = now
			o.customClock = true
		}
	}
}

// WithIDSource sets the source of event ids. It must be safe for concurrent
// use. Default: random version 4 UUIDs (github.com/google/uuid's type) drawn
// from the Go runtime's ChaCha8 generator (math/rand/v2), lock-free and
// allocation-free. Meant for deterministic tests.
func WithIDSource(next func() uuid.UUID) Option {
	return func(o *options) {
		if next != nil {
			o.idSource = next
		}
	}
}

// WithKafkaClient makes the manager publish with an existing franz-go client
// instead of building one from the configuration. The manager never closes a
// client it did not create; Manager.Close still flushes it. Default: the
// manager builds and owns its client.
func WithKafkaClient(cl *kgo.Client) Option {
	return func(o *options) { o.client = cl }
}

// WithKafkaOptions appends franz-go options to those the manager derives from
// the configuration when it builds its own client, e.g. kgo.WithHooks with a
// github.com/twmb/franz-go/plugin/kprom metrics hook, or
// kgo.DialTLSConfig(tc) with a *tls.Config from elsewhere (a secrets store),
// which replaces the one config.Kafka.TLSConfig builds from the KAFKA_*
// paths (the manager's security messages then describe tc's certificates).
// Later options win. Ignored with WithKafkaClient. Default: none.
func WithKafkaOptions(opts ...kgo.Opt) Option {
	return func(o *options) { o.kafkaOpts = append(o.kafkaOpts, opts...) }
}

// WithTopicCreation makes Initialize create the application's topic, with the
// given number of partitions and the broker's default replication, when it does
// not exist. This is an explicit opt-in for local development and tests;
// production topics are managed outside the app. Default: off (a missing topic
// is an error).
func WithTopicCreation(partitions int32) Option {
	return func(o *options) {
		o.createTopic = true
		if partitions < 1 {
			partitions = 1
		}
		o.partitions = partitions
	}
}

func buildOptions(opts []Option) options {
	o := options{
		logger:   slog.Default(),
		clock:    time.Now,
		idSource: newRandomID,
	}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
