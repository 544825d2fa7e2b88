package eventmanager

import (
	"crypto/tls"
	"fmt"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/twmb/franz-go/plugin/kslog"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// KafkaOptions returns the franz-go options that connect a client to the
// brokers of cfg as the manager's own client connects: seed brokers, TLS and
// SASL, from the KAFKA_* settings. Use them for a client of your own (a
// consumer of the application's topic, say), so that its security settings
// are the SDK's, not a copy. cfg is loaded first (config.Config.Load): its
// error is returned, as is an unsupported SASL mechanism. In mock and
// disabled modes, where Load builds no TLS configuration, the TLS
// configuration of SSL and SASL_SSL is built from the PEM files all the
// same (config.Kafka.TLSConfig), since the options connect to Kafka.
func KafkaOptions(cfg config.Config) ([]kgo.Opt, error) {
	l, err := cfg.Load()
	if err != nil {
		return nil, fmt.Errorf("eventmanager: %w", err)
	}
	tc := l.KafkaTLS
	if l.Config.Mode() != config.ModeKafka {
		if tc, err = l.Config.Kafka.TLSConfig(); err != nil {
			return nil, fmt.Errorf("eventmanager: %w", err)
		}
	}
	return connectOptions(l.Config.Kafka, tc)
}

// connectOptions are KafkaOptions for the resolved Kafka settings k and
// the TLS configuration built from them (config.Loaded.KafkaTLS; nil for
// PLAINTEXT and SASL_PLAINTEXT).
func connectOptions(k config.Kafka, tc *tls.Config) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(k.BootstrapServers...)}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if k.SecurityProtocol.UsesSASL() {
		mech, err := saslMechanism(k)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// kafkaOptions derives the options of the manager's own client from the
// configuration: connectOptions, then the producer's. The producer is
// idempotent (franz-go's default), so retries never duplicate an event; each
// record's delivery is bounded by METRICS_DELIVERY_TIMEOUT. watch is
// installed as a hook, to tell why a connection fails at start-up
// (security.go).
func kafkaOptions(l config.Loaded, log *slog.Logger, watch *connWatch) ([]kgo.Opt, error) {
	cfg := l.Config
	opts, err := connectOptions(cfg.Kafka, l.KafkaTLS)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.ClientID("sasquatch-go."+cfg.AppName),
		kgo.WithLogger(kslog.New(log)),
		kgo.DefaultProduceTopic(cfg.Topic()),
		kgo.WithHooks(watch),
	)
	d := cfg.Delivery
	opts = append(opts, kgo.RecordDeliveryTimeout(d.DeliveryTimeout))
	// The manager bounds the buffer itself (buffer.go), exactly and before
	// handing a record over; kgo's own record limit must be one more than
	// ours (see clampBuffer), and its byte limit (counting headers and
	// overhead) stays off.
	opts = append(opts, kgo.MaxBufferedRecords(d.MaxBufferedEvents+1))
	// Initialize checked that the topic exists. If brokers later answer
	// UNKNOWN_TOPIC_OR_PARTITION (a broker restarting, a leader election),
	// franz-go's default fails the buffered records after 4 metadata
	// refreshes, which lose an outage's events within milliseconds; treat
	// it as an outage instead, bounded by METRICS_DELIVERY_TIMEOUT. A topic
	// recreated under a new id is still detected (resend.go).
	opts = append(opts, kgo.UnknownTopicRetries(-1))
	return opts, nil
}

func saslMechanism(k config.Kafka) (sasl.Mechanism, error) {
	user, pass := k.SASLUsername, k.SASLPassword.Value()
	switch k.SASLMechanism {
	case config.MechanismPlain:
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case config.MechanismSCRAMSHA256:
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case config.MechanismSCRAMSHA512, "":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	default:
		return nil, fmt.Errorf("eventmanager: unsupported KAFKA_SASL_MECHANISM %q: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
	}
}
