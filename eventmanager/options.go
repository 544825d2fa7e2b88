package eventmanager

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
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
// client it did not create; [Manager.Close] still flushes it. Default: the
// manager builds and owns its client.
//
// The Kafka connection is then the client's business: New does not require
// or read the configuration's Kafka settings (bootstrap servers, security
// protocol, TLS and SASL, see config.Config.ResolveWithKafkaClient), and the
// client's own kgo.RecordDeliveryTimeout bounds delivery. New refuses, with
// an [*OptionConflictError], [WithKafkaOptions] given
// together with it (they configure a client the manager builds) and a
// config.Delivery.DeliveryTimeout (METRICS_DELIVERY_TIMEOUT) other than
// its default, config.DefaultDeliveryTimeout.
func WithKafkaClient(cl *kgo.Client) Option {
	return func(o *options) { o.client = cl }
}

// WithKafkaOptions appends franz-go options to those the manager derives from
// the configuration when it builds its own client, e.g. kgo.WithHooks with a
// github.com/twmb/franz-go/plugin/kprom metrics hook, or
// kgo.DialTLSConfig(tc) with a *tls.Config from elsewhere (a secrets store),
// which replaces the one config.Kafka.TLSConfig builds from the KAFKA_*
// paths (the manager's security messages then describe tc's certificates).
// Later options win. Default: none. New refuses it together with
// [WithKafkaClient] (an [*OptionConflictError]): set the options on that client.
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

// conflicts returns the [*OptionConflictError] of the options o together with
// cfg, the configuration as given to New (before Resolve fills defaults), or
// nil.
func (o *options) conflicts(cfg config.Config) error {
	if o.client == nil {
		return nil
	}
	if len(o.kafkaOpts) > 0 {
		return &OptionConflictError{Option: "WithKafkaClient", Other: "WithKafkaOptions",
			Reason: "the options configure a client the manager builds, and it builds none; set them on the client given to WithKafkaClient"}
	}
	if d := cfg.Delivery.DeliveryTimeout; d != 0 && d != config.DefaultDeliveryTimeout {
		return &OptionConflictError{Option: "WithKafkaClient", Other: "METRICS_DELIVERY_TIMEOUT (config.Delivery.DeliveryTimeout)",
			Reason: fmt.Sprintf("%s bounds the delivery of a client the manager builds; the given client's own kgo.RecordDeliveryTimeout applies: unset it, or set kgo.RecordDeliveryTimeout(%s) on that client", d, d)}
	}
	return nil
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
