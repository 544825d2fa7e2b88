package eventmanager

import (
	"fmt"
	"strings"
)

// Pipeline describes what the publishers of one application need from
// Sasquatch's side of the pipeline (Telegraf and InfluxDB). Manager.Pipeline
// returns it; Phalanx and Telegraf render it as deployment configuration, so
// that an application's tests can compare code and deployed configuration
// (see eventmanagertest.AssertPipeline).
type Pipeline struct {
	// App is the application name, METRICS_APP_NAME.
	App string `json:"app"`
	// Topic is the Kafka topic of every event of the application.
	Topic string `json:"topic"`
	// Measurements are the InfluxDB measurements of the application's
	// events, <topic>.<event name>, sorted.
	Measurements []string `json:"measurements"`
	// Tags are the fields declared influx:"tag" in any event of the
	// application, sorted, without "application": Telegraf's avro_tags
	// always lists it first.
	Tags []string `json:"tags"`
	// Events describe each event of the application, sorted by name: what
	// MergePipelines needs to check the programs of one application
	// together.
	Events []PipelineEvent `json:"events"`
}

// Pipeline returns the description of what the publishers created so far
// need: the application, its topic, each event's measurement, tags and
// fields, and the application's tag list, in a stable order. It is the same
// in every mode, does no I/O and is safe for concurrent use; each call
// returns new slices. An application whose programs (a service, its
// CronJobs, its scripts) each create only some of its events combines their
// pipelines with MergePipelines.
func (m *Manager) Pipeline() Pipeline {
	return m.events.pipeline(m.cfg.AppName, m.topic)
}

// applicationTag is the metadata field every event carries, which
// Sasquatch's Telegraf always stores as a tag.
const applicationTag = "application"

// Phalanx renders p as the fragment of Sasquatch's Phalanx values (the
// app-metrics chart) that declares the application's tags:
//
//	globalAppConfig:
//	  <app>:
//	    influxTags: ["<tag>", ...]
//
// with the tags of p.Tags, in that order (application is not listed: the
// chart adds it). The output is deterministic and ends with a newline.
func (p Pipeline) Phalanx() string {
	var b strings.Builder
	b.WriteString("globalAppConfig:\n")
	fmt.Fprintf(&b, "  %s:\n", p.App)
	fmt.Fprintf(&b, "    influxTags: [%s]\n", quoteList(p.Tags))
	return b.String()
}

// TelegrafConfig holds the deployment-specific settings of the Telegraf
// block Pipeline.Telegraf renders. The zero value renders the environment
// references Sasquatch's Telegraf substitutes (${TELEGRAF_KAFKA_BROKERS},
// ${TELEGRAF_SCHEMA_REGISTRY_URL}, ${TELEGRAF_KAFKA_VERSION}), as
// stack/telegraf/kafka_consumer.conf.in does.
type TelegrafConfig struct {
	// Brokers are the Kafka bootstrap addresses, host:port.
	// Default ["${TELEGRAF_KAFKA_BROKERS}"].
	Brokers []string
	// RegistryURL is the schema registry's URL.
	// Default "${TELEGRAF_SCHEMA_REGISTRY_URL}".
	RegistryURL string
	// KafkaVersion is the protocol version Telegraf's Kafka client announces
	// (Sasquatch: "4.1.0"; without it Telegraf cannot talk to Kafka 4).
	// Default "${TELEGRAF_KAFKA_VERSION}".
	KafkaVersion string
	// ConsumerGroup is the Kafka consumer group of the input. Default
	// "telegraf-kafka-consumer-app-metrics", the group every application
	// input of Sasquatch's app-metrics Telegraf shares; set another one to
	// run the block beside a Telegraf that already consumes that group.
	ConsumerGroup string
}

// telegrafConsumerGroup is the consumer group of Sasquatch's app-metrics
// Telegraf.
const telegrafConsumerGroup = "telegraf-kafka-consumer-app-metrics"

// Telegraf renders p as one [[inputs.kafka_consumer]] block with
// Sasquatch's settings for application metrics events: Avro from the schema
// registry, the point time from timestamp_ns (unix_ns), nullable unions,
// avro_tags = ["application", p.Tags...] and the application's topic. A
// comment line lists p.Measurements. The output is deterministic and ends
// with a newline.
func (p Pipeline) Telegraf(c TelegrafConfig) string {
	brokers := c.Brokers
	if len(brokers) == 0 {
		brokers = []string{"${TELEGRAF_KAFKA_BROKERS}"}
	}
	registry := c.RegistryURL
	if registry == "" {
		registry = "${TELEGRAF_SCHEMA_REGISTRY_URL}"
	}
	version := c.KafkaVersion
	if version == "" {
		version = "${TELEGRAF_KAFKA_VERSION}"
	}
	group := c.ConsumerGroup
	if group == "" {
		group = telegrafConsumerGroup
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: measurements %s\n", p.App, strings.Join(p.Measurements, ", "))
	b.WriteString("[[inputs.kafka_consumer]]\n")
	fmt.Fprintf(&b, "  brokers = [%s]\n", quoteList(brokers))
	fmt.Fprintf(&b, "  kafka_version = %q\n", version)
	fmt.Fprintf(&b, "  consumer_group = %q\n", group)
	b.WriteString("  data_format = \"avro\"\n")
	fmt.Fprintf(&b, "  avro_schema_registry = %q\n", registry)
	b.WriteString("  avro_timestamp = \"timestamp_ns\"\n")
	b.WriteString("  avro_timestamp_format = \"unix_ns\"\n")
	b.WriteString("  avro_union_mode = \"nullable\"\n")
	fmt.Fprintf(&b, "  avro_tags = [%s]\n", quoteList(append([]string{applicationTag}, p.Tags...)))
	fmt.Fprintf(&b, "  topics = [%q]\n", p.Topic)
	b.WriteString("  max_processing_time = \"5s\"\n")
	b.WriteString("  consumer_fetch_default = \"5MB\"\n")
	b.WriteString("  max_undelivered_messages = 10000\n")
	b.WriteString("  compression_codec = 3\n")
	return b.String()
}

// quoteList renders names as the items of a TOML or YAML flow list:
// double-quoted, comma-separated.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
