package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"gopkg.in/yaml.v3"
)

// SafirMetrics is Safir's metrics block of an application's YAML
// configuration file, the block that Phalanx charts render for Safir
// applications (mobu, gafaelfawr, nublado) and that safir.metrics reads
// into its MetricsConfiguration:
//
//	metrics:
//	  enabled: true
//	  application: "mobu"
//	  events:
//	    topicPrefix: "lsst.square.metrics.events"
//	  schemaManager:
//	    registryUrl: "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081"
//	    suffix: ""
//
// An application's own configuration struct holds it, and Config turns it
// into the SDK's Config:
//
//	var file struct {
//		Metrics config.SafirMetrics `yaml:"metrics"`
//		// ... the application's own settings
//	}
//	if err := yaml.Unmarshal(data, &file); err != nil { ... }
//	cfg, err := file.Metrics.Config()
//
// The zero value is an absent block: Config then reads everything from the
// environment (FromEnv), as Safir's metrics_configuration_factory does for
// an application without one. UnmarshalYAML keeps the block as written
// (yaml.v3 does not call it for a null block, which is absent too); Config
// checks it. A SafirMetrics is not modified after decoding and is safe for
// concurrent use.
type SafirMetrics struct {
	node *yaml.Node // the block, nil when absent
	path string     // the block's YAML path, the prefix of the paths that errors name
}

// UnmarshalYAML implements yaml.Unmarshaler (gopkg.in/yaml.v3): it keeps
// the block, which it never refuses; Config checks it and reports every
// problem at once. Errors name its settings by their path under "metrics",
// the key of every Safir application (FromYAML names them under its key).
func (m *SafirMetrics) UnmarshalYAML(value *yaml.Node) error {
	m.node, m.path = value, "metrics"
	return nil
}

// Config returns the SDK's configuration from the block, resolved as
// Config.Resolve does: defaults filled, every value checked, and in Kafka
// mode the PEM files read and checked. It follows Safir's rules:
//
//   - Keys are Safir's: application (or appName), enabled, mock,
//     events.topicPrefix, raiseOnError, backoffInterval, kafka
//     (bootstrapServers, securityProtocol, clusterCaPath, clientCertPath,
//     clientKeyPath, saslMechanism, saslUsername, saslPassword) and
//     schemaManager (registryUrl, suffix). Safir's other names for them
//     are accepted too (snake_case, such as raise_on_error, and the
//     environment variables' names, such as METRICS_ENABLED), and keys
//     match in any case, as in Safir.
//   - Each setting the block leaves out comes from the environment
//     variable FromEnv reads for it (KAFKA_BOOTSTRAP_SERVERS for
//     kafka.bootstrapServers, METRICS_ENABLED for enabled), as Safir's
//     settings classes read theirs; so do the SDK's own settings, which
//     the block has no key for (SCHEMA_MANAGER_TIMEOUT, METRICS_DELIVERY_TIMEOUT).
//     A key set to null leaves an optional setting (a kafka path or SASL
//     setting) unset, without the environment. backoffInterval, the wait
//     of Safir's event manager after an error, sets
//     Delivery.BackoffMax, the cap of the SDK's retry backoff;
//     unset, it comes from METRICS_BACKOFF_MAX.
//   - The mode is Safir's (Config.Mode): enabled false with mock true is
//     mock mode, enabled false is disabled mode, anything else Kafka mode.
//   - Kafka mode refuses keys that Safir's Kafka configuration does not
//     have, at the top and in kafka and schemaManager, mock included (mock
//     true without enabled false is an error naming both). Mock and
//     disabled modes ignore unknown keys, as Safir does, and Warnings
//     reports them; their Kafka settings (kafka, schemaManager,
//     raiseOnError, backoffInterval, which Phalanx charts render in every
//     mode) are not used, but must be well-formed, as FromEnv requires of
//     the variables. events refuses unknown keys in every mode.
//   - String settings need YAML strings (quote 9092 or true), booleans take
//     true/false, yes/no, on/off, 1/0 (FromEnv's booleans), durations are
//     FromEnv's (seconds, "1m30s", Safir's "5m 30s"). Two keys for one
//     setting (application and appName) must agree.
//
// The error is an *Error listing every problem: a
// setting read from the block is named by its YAML path
// (metrics.schemaManager.registryUrl), one read from the environment by its
// variable, and a missing one by its YAML path, its reason naming the
// variable that may give it too. Secret values never appear in it.
//
// Config reads the environment (and the PEM files in Kafka mode) at each
// call. eventmanager.New logs Config.Warnings (which begin with the notes
// of EnvWarnings about that environment), naming settings by their
// variables; SafirMetrics.Warnings gives the notes about the block.
func (m SafirMetrics) Config() (Config, error) {
	if m.node == nil {
		return FromEnv()
	}
	var raw rawEnv
	if err := envconfig.Process("", &raw); err != nil {
		return Config{}, fmt.Errorf("config: reading the environment: %w", err)
	}
	return m.load(raw, os.Environ(), time.Now())
}

// Warnings returns notes about the block, or nil: the keys that are not
// Safir's settings, which mock and disabled modes ignore (as Safir does),
// each with the closest key when one is near (metrics.mok: did you mean
// metrics.mock?). Kafka mode refuses them: Config reports them then. It
// reads the environment (the mode may come from it) but no file.
func (m SafirMetrics) Warnings() []string {
	if m.node == nil {
		return nil
	}
	var raw rawEnv
	if err := envconfig.Process("", &raw); err != nil {
		return nil // Config reports it
	}
	var p problems
	b := m.overlay(&raw, &p)
	if b == nil {
		return nil
	}
	sw := readSwitches(raw, &p)
	if sw.unknown || b.modeBad {
		return nil
	}
	return b.rules(sw, &p)
}

// FromYAML reads Safir's metrics block found at key in the YAML document
// data, as SafirMetrics.Config does; key is a dot-separated path of mapping
// keys ("metrics", or "config.metrics" for a block nested deeper), or ""
// when the whole document is the block. Errors name the block's settings
// by their path under key. A key that is absent (or null) reads everything
// from the environment (FromEnv), as Safir does for an application without
// the block. A document that does not parse, or that has something else
// than a mapping on the way to key, is an error; any other key of the
// document is the application's, and not looked at. Decode the block into
// a SafirMetrics to get its Warnings too.
func FromYAML(data []byte, key string) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, fmt.Errorf("config: reading YAML: %w", err)
	}
	m := SafirMetrics{path: key}
	if len(doc.Content) > 0 {
		m.node = deref(doc.Content[0])
	}
	var parts []string
	if key != "" {
		parts = strings.Split(key, ".")
	}
	for i, part := range parts {
		if m.node == nil || m.node.ShortTag() == "!!null" {
			break
		}
		if m.node.Kind != yaml.MappingNode {
			where := "the document"
			if i > 0 {
				where = strings.Join(parts[:i], ".")
			}
			return Config{}, fmt.Errorf("config: reading YAML: %s is not a mapping, so it has no key %q (line %d)", where, part, m.node.Line)
		}
		var next *yaml.Node
		for _, kv := range pairs(m.node) {
			if kv.key.Value == part {
				next = kv.value
			}
		}
		m.node = next
	}
	if m.node != nil && m.node.ShortTag() == "!!null" {
		m.node = nil
	}
	return m.Config()
}

// load is Config for the environment raw and environ, as of now.
func (m SafirMetrics) load(raw rawEnv, environ []string, now time.Time) (Config, error) {
	origin := &envOrigin{notes: envWarnings(raw, environ)} // before the block overlays raw
	p := problems{names: map[string]yamlName{}}
	b := m.overlay(&raw, &p)
	if b == nil {
		return Config{}, p.err()
	}
	c, sw := parse(raw, &p, now, b.modeBad)
	if !sw.unknown {
		b.rules(sw, &p)
	}
	note := sw.mockNote(&p, false)
	if b.mockPath != "" {
		note = "" // the block's mock setting: rules reports it
	}
	if err := finish(&p, note, environ); err != nil {
		return Config{}, err
	}
	c.env = origin
	return c, nil
}
