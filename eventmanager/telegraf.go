package eventmanager

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// The settings of the Telegraf input that Phalanx's app-metrics chart
// (templates/telegraf-configmap.yaml and values.yaml at 650a0ef) renders for
// every application.
const (
	telegrafBrokers       = "sasquatch-kafka-brokers.sasquatch:9092"
	telegrafRegistryURL   = "http://sasquatch-schema-registry.sasquatch:8081"
	telegrafKafkaVersion  = "4.1.0"
	telegrafConsumerGroup = "telegraf-kafka-consumer-app-metrics"
	telegrafSASLMechanism = "SCRAM-SHA-512"
	telegrafSASLUsername  = "telegraf"
	telegrafSASLPassword  = "$TELEGRAF_PASSWORD"
)

// TelegrafConfig holds the settings of the Telegraf input that
// [Pipeline.Telegraf] renders in place of those of Sasquatch's app-metrics
// chart, for a Telegraf other than Sasquatch's (a local stack, a test). The
// zero value renders the chart's settings. A value may be an environment
// reference that Telegraf substitutes, such as "${TELEGRAF_KAFKA_BROKERS}".
type TelegrafConfig struct {
	// Brokers are the Kafka bootstrap addresses, host:port.
	// Default ["sasquatch-kafka-brokers.sasquatch:9092"].
	Brokers []string
	// RegistryURL is the schema registry's URL.
	// Default "http://sasquatch-schema-registry.sasquatch:8081".
	RegistryURL string
	// KafkaVersion is the protocol version Telegraf's Kafka client announces
	// (without it Telegraf cannot talk to Kafka 4). Default "4.1.0", the
	// chart's kafkaVersion.
	KafkaVersion string
	// ConsumerGroup is the Kafka consumer group of the input. Default
	// "telegraf-kafka-consumer-app-metrics", the group every application
	// input of Sasquatch's app-metrics Telegraf shares; set another one to
	// run the block beside a Telegraf that already consumes that group.
	ConsumerGroup string
	// SASL is the input's SASL login. Default (nil): the chart's,
	// SCRAM-SHA-512 as user telegraf with the password Telegraf reads from
	// $TELEGRAF_PASSWORD. A pointer to the zero TelegrafSASL renders no SASL
	// settings, for a listener without SASL.
	SASL *TelegrafSASL
}

// TelegrafSASL is the SASL login of a Telegraf input ([TelegrafConfig.SASL]).
// The zero value means no SASL.
type TelegrafSASL struct {
	// Mechanism is sasl_mechanism. Default "SCRAM-SHA-512" when Username is
	// set.
	Mechanism string
	// Username is sasl_username; empty: no SASL.
	Username string
	// Password is sasl_password, rendered as given: use an environment
	// reference that Telegraf substitutes ("$TELEGRAF_PASSWORD", as the
	// chart does), not the password itself. Required when Username is set.
	Password string
}

// isZero reports whether c is the zero TelegrafConfig, whose block is the
// chart's.
func (c TelegrafConfig) isZero() bool {
	return len(c.Brokers) == 0 && c.RegistryURL == "" && c.KafkaVersion == "" && c.ConsumerGroup == "" && c.SASL == nil
}

// resolve returns c with the chart's settings where c has none, and an error
// when c contradicts itself.
func (c TelegrafConfig) resolve() (TelegrafConfig, error) {
	if slices.Contains(c.Brokers, "") {
		return c, errors.New("eventmanager: TelegrafConfig.Brokers has an empty address")
	}
	if len(c.Brokers) == 0 {
		c.Brokers = []string{telegrafBrokers}
	}
	if c.RegistryURL == "" {
		c.RegistryURL = telegrafRegistryURL
	}
	if c.KafkaVersion == "" {
		c.KafkaVersion = telegrafKafkaVersion
	}
	if c.ConsumerGroup == "" {
		c.ConsumerGroup = telegrafConsumerGroup
	}
	switch s := c.SASL; {
	case s == nil:
		c.SASL = &TelegrafSASL{Mechanism: telegrafSASLMechanism, Username: telegrafSASLUsername, Password: telegrafSASLPassword}
	case s.Username == "" && (s.Mechanism != "" || s.Password != ""):
		return c, errors.New("eventmanager: TelegrafConfig.SASL has a mechanism or a password but no username: " +
			"set Username, or leave SASL zero for no SASL")
	case s.Username != "" && s.Password == "":
		return c, fmt.Errorf("eventmanager: TelegrafConfig.SASL has user %q but no password: "+
			"set Password to an environment reference Telegraf substitutes, such as %q", s.Username, telegrafSASLPassword)
	case s.Username != "" && s.Mechanism == "":
		c.SASL = &TelegrafSASL{Mechanism: telegrafSASLMechanism, Username: s.Username, Password: s.Password}
	}
	return c, nil
}

// Telegraf renders the [[inputs.kafka_consumer]] block that Sasquatch's
// app-metrics chart (templates/telegraf-configmap.yaml) renders into its
// Telegraf's telegraf.conf for the application once it is listed in
// app-metrics.apps: line for line the chart's, with the chart's settings
// (or those of c, see TelegrafConfig), Avro from the schema registry, the
// point time from timestamp_ns (unix_ns), nullable unions,
// avro_tags = [ "application", p.Tags... ] and p.Topic.
//
// The chart, not this block, configures Sasquatch's Telegraf: the block is
// there to compare with it, and for a Telegraf of your own (with c). It
// does not depend on the topic prefix the chart hard-codes: it reads
// p.Topic (see [Pipeline.Render] for the warning).
//
// The output is deterministic and ends with a newline. It returns an error,
// and nothing else, when p.App cannot be deployed on Sasquatch (errors.Is
// config.ErrNotDeployable) or c contradicts itself (a SASL password
// without a user, a user without a password, an empty broker address).
func (p Pipeline) Telegraf(c TelegrafConfig) (string, error) {
	if err := config.CheckSasquatchAppName(p.App); err != nil {
		return "", fmt.Errorf("eventmanager: render the Telegraf input: %w", err)
	}
	c, err := c.resolve()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("[[inputs.kafka_consumer]]\n")
	b.WriteString("  brokers = [\n")
	for i, broker := range c.Brokers {
		sep := ","
		if i == len(c.Brokers)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "    %s%s\n", quote(broker), sep)
	}
	b.WriteString("  ]\n")
	fmt.Fprintf(&b, "  kafka_version = %s\n", quote(c.KafkaVersion))
	fmt.Fprintf(&b, "  consumer_group = %s\n", quote(c.ConsumerGroup))
	if s := c.SASL; s.Username != "" {
		fmt.Fprintf(&b, "  sasl_mechanism = %s\n", quote(s.Mechanism))
		fmt.Fprintf(&b, "  sasl_password = %s\n", quote(s.Password))
		fmt.Fprintf(&b, "  sasl_username = %s\n", quote(s.Username))
	}
	b.WriteString("  data_format = \"avro\"\n")
	fmt.Fprintf(&b, "  avro_schema_registry = %s\n", quote(c.RegistryURL))
	b.WriteString("  avro_timestamp = \"timestamp_ns\"\n")
	b.WriteString("  avro_timestamp_format = \"unix_ns\"\n")
	b.WriteString("  avro_union_mode = \"nullable\"\n")
	fmt.Fprintf(&b, "  avro_tags = [ %s ]\n", quoteList(append([]string{applicationTag}, p.Tags...)))
	b.WriteString("  topics = [\n")
	fmt.Fprintf(&b, "    %s,\n", quote(p.Topic))
	b.WriteString("  ]\n")
	b.WriteString("  max_processing_time = \"5s\"\n")
	b.WriteString("  consumer_fetch_default = \"5MB\"\n")
	b.WriteString("  max_undelivered_messages = 10000\n")
	b.WriteString("  compression_codec = 3\n")
	return b.String(), nil
}
