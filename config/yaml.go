package config

import (
	"fmt"
	"os"
	"reflect"
	"slices"
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

// safirModel is the configuration class of Safir's that has a setting:
// Safir's MetricsConfiguration is one of three classes, chosen by the mode.
type safirModel int

const (
	everyModel safirModel = iota // in every mode's class
	mockModel                    // MockMetricsConfiguration's only
	kafkaModel                   // KafkaMetricsConfiguration's only
)

// settingKind is the YAML value a setting takes.
type settingKind int

const (
	kindString   settingKind = iota // a string; null is refused
	kindOptional                    // a string, or null for unset
	kindBool                        // a scalar that parseBool reads
	kindDuration                    // a scalar that parseDuration reads
	kindGroup                       // a mapping of the settings in sub
)

// safirSetting is one key of Safir's metrics block, and the variables of
// FromEnv that it stands for.
type safirSetting struct {
	// keys are the keys Safir accepts for the setting, its camelCase name
	// (the one Phalanx writes) first: it names the setting when the block
	// leaves it out.
	keys []string
	// vars are FromEnv's variables of the setting: the first takes the
	// block's value, and the block's value replaces all of them (the others
	// are aliases). None for a group.
	vars   []string
	kind   settingKind
	secret bool       // the value never shows in messages
	model  safirModel // the class that has it
	sub    []safirSetting
}

// safirSettings lists the settings of Safir's metrics block (Safir 15:
// safir.metrics BaseMetricsConfiguration and its three subclasses,
// EventsConfiguration, safir.kafka KafkaConnectionSettings and
// SchemaManagerSettings), in FromEnv's order of their variables.
func safirSettings() []safirSetting {
	return []safirSetting{
		{keys: []string{"application", "appName", "METRICS_APPLICATION"}, vars: []string{envApplication, envAppName}, kind: kindString},
		{keys: []string{"enabled", "METRICS_ENABLED"}, vars: []string{envEnabled, envDisable}, kind: kindBool},
		{keys: []string{"mock", "METRICS_MOCK"}, vars: []string{envMock}, kind: kindBool, model: mockModel},
		{keys: []string{"events"}, kind: kindGroup, sub: []safirSetting{
			{keys: []string{"topicPrefix", "topic_prefix", "METRICS_EVENTS_TOPIC_PREFIX"}, vars: []string{envEventsTopicPrefix, envTopicPrefix}, kind: kindString},
		}},
		{keys: []string{"raiseOnError", "raise_on_error"}, vars: []string{envRaiseOnError}, kind: kindBool, model: kafkaModel},
		{keys: []string{"kafka"}, kind: kindGroup, model: kafkaModel, sub: []safirSetting{
			{keys: []string{"bootstrapServers", "bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS"}, vars: []string{envBootstrap, envBoostrap}, kind: kindString},
			{keys: []string{"securityProtocol", "security_protocol", "KAFKA_SECURITY_PROTOCOL"}, vars: []string{envSecurityProtocol}, kind: kindString},
			{keys: []string{"clusterCaPath", "cluster_ca_path", "KAFKA_CLUSTER_CA_PATH"}, vars: []string{envClusterCA}, kind: kindOptional},
			{keys: []string{"clientCertPath", "client_cert_path", "KAFKA_CLIENT_CERT_PATH"}, vars: []string{envClientCert}, kind: kindOptional},
			{keys: []string{"clientKeyPath", "client_key_path", "KAFKA_CLIENT_KEY_PATH"}, vars: []string{envClientKey}, kind: kindOptional},
			{keys: []string{"saslMechanism", "sasl_mechanism", "KAFKA_SASL_MECHANISM"}, vars: []string{envSASLMechanism}, kind: kindOptional},
			{keys: []string{"saslUsername", "sasl_username", "KAFKA_SASL_USERNAME"}, vars: []string{envSASLUsername}, kind: kindOptional},
			{keys: []string{"saslPassword", "sasl_password", "KAFKA_SASL_PASSWORD"}, vars: []string{envSASLPassword}, kind: kindOptional, secret: true},
		}},
		{keys: []string{"schemaManager", "schema_manager"}, kind: kindGroup, model: kafkaModel, sub: []safirSetting{
			// The URL may hold user-info: never quoted.
			{keys: []string{"registryUrl", "registry_url", "SCHEMA_MANAGER_REGISTRY_URL"}, vars: []string{envRegistryURL}, kind: kindString, secret: true},
			{keys: []string{"suffix"}, vars: []string{envRegistrySuffix}, kind: kindString},
		}},
		{keys: []string{"backoffInterval", "backoff_interval"}, vars: []string{envBackoffMax}, kind: kindDuration, model: kafkaModel},
	}
}

// block is what overlay learnt of the block that the mode rules need.
type block struct {
	// modeBad is set when enabled or mock has a value of the wrong type.
	modeBad bool
	// mockPath is the path of the block's mock setting, "" without one.
	mockPath string
	// unknown are the keys that are no setting, in the order of the block.
	unknown []unknownKey
}

// unknownKey is a key of the block that is no setting of Safir's, and the
// path of the setting whose key is closest, "" when none is near.
type unknownKey struct{ path, suggestion string }

// hint is the suggestion of u as the end of a message.
func (u unknownKey) hint() string {
	if u.suggestion == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", u.suggestion)
}

// overlay writes the block's settings over the environment's in raw, and
// records in p the name of each setting (p.names) and the problems of the
// block's types and keys. It returns nil, with the problem in p, when the
// block is not a mapping.
func (m SafirMetrics) overlay(raw *rawEnv, p *problems) *block {
	n := deref(m.node)
	if n.Kind != yaml.MappingNode {
		p.addAs("", m.path, fmt.Sprintf("is %s, not a mapping of Safir's metrics settings (application, enabled, events, ...)", describe(n, false)), nil)
		return nil
	}
	if p.names == nil {
		p.names = map[string]yamlName{}
	}
	b := &block{}
	b.mapping(n, m.path, safirSettings(), false, raw, p)
	return b
}

// mapping overlays the settings of mapping n, at path, whose settings are
// settings. strict says that Safir refuses other keys there in every mode
// (events); elsewhere rules decides, by the mode.
func (b *block) mapping(n *yaml.Node, path string, settings []safirSetting, strict bool, raw *rawEnv, p *problems) {
	found := make([][]keyValue, len(settings))
	for _, kv := range pairs(n) {
		i := slices.IndexFunc(settings, func(s safirSetting) bool {
			return slices.ContainsFunc(s.keys, func(k string) bool { return strings.EqualFold(k, kv.key.Value) })
		})
		if i < 0 {
			u := unknownKey{path: joinPath(path, kv.key.Value), suggestion: closestKey(kv.key.Value, path, settings)}
			if strict {
				p.addAs("", u.path, fmt.Sprintf("not a setting of Safir's %s configuration, which refuses other keys in every mode%s", path[strings.LastIndex(path, ".")+1:], u.hint()), nil)
			} else {
				b.unknown = append(b.unknown, u)
			}
			continue
		}
		found[i] = append(found[i], kv)
	}
	for i, s := range settings {
		kvs := found[i]
		if len(kvs) == 0 {
			b.absent(s, joinPath(path, s.keys[0]), raw, p)
			continue
		}
		at := joinPath(path, kvs[0].key.Value)
		for _, again := range kvs[1:] {
			b.repeated(s, at, kvs[0].value, joinPath(path, again.key.Value), again.value, p)
		}
		b.set(s, at, kvs[0].value, raw, p)
	}
}

// absent names setting s (and its group's settings), which the block does
// not have, by path; the environment may give it.
func (b *block) absent(s safirSetting, path string, raw *rawEnv, p *problems) {
	for _, sub := range s.sub {
		b.absent(sub, joinPath(path, sub.keys[0]), raw, p)
	}
	if len(s.vars) == 0 {
		return
	}
	fromEnv := slices.ContainsFunc(s.vars, func(v string) bool { return trim(*raw.field(v)) != "" })
	if fromEnv {
		return // named by its variable
	}
	for _, v := range s.vars {
		p.names[v] = yamlName{path: path, env: s.vars[0]}
	}
}

// set overlays setting s, found at path with value n.
func (b *block) set(s safirSetting, path string, n *yaml.Node, raw *rawEnv, p *problems) {
	if s.model == mockModel {
		b.mockPath = path
	}
	for _, v := range s.vars {
		*raw.field(v) = ""
		p.names[v] = yamlName{path: path}
	}
	if s.kind == kindGroup {
		if n.Kind == yaml.MappingNode {
			b.mapping(n, path, s.sub, s.model == everyModel, raw, p)
			return
		}
		names := make([]string, len(s.sub))
		for i, sub := range s.sub {
			names[i] = sub.keys[0]
			b.broken(sub, joinPath(path, sub.keys[0]), raw, p)
		}
		p.addAs(s.sub[0].vars[0], path, fmt.Sprintf("is %s, not a mapping of Safir's %s settings (%s)", describe(n, false), s.keys[0], strings.Join(names, ", ")), nil)
		return
	}
	scalar := n.Kind == yaml.ScalarNode
	tag := n.ShortTag()
	null := scalar && tag == "!!null"
	var ok bool
	switch s.kind {
	case kindString:
		ok = scalar && tag == "!!str"
	case kindOptional:
		ok = scalar && (tag == "!!str" || null)
	case kindBool:
		ok = scalar && !null // parseBool checks the value
	case kindDuration:
		ok = scalar && !null && tag != "!!bool" // parseDuration checks the value
	}
	if ok {
		if !null {
			*raw.field(s.vars[0]) = n.Value
		}
		return
	}
	want := map[settingKind]string{kindString: "a string", kindOptional: "a string", kindBool: "a boolean", kindDuration: "a duration"}[s.kind]
	reason := fmt.Sprintf("is %s, not %s", describe(n, s.secret), want)
	if scalar && !null && want == "a string" {
		reason += " (quote it)"
	}
	p.add(s.vars[0], reason, nil)
	b.broken(s, path, raw, p)
}

// broken marks setting s, at path, as having a value of the wrong type: it
// is unset, the environment does not give it, and no other problem is
// reported for it.
func (b *block) broken(s safirSetting, path string, raw *rawEnv, p *problems) {
	if s.kind == kindBool {
		b.modeBad = b.modeBad || slices.Contains(s.vars, envEnabled) || slices.Contains(s.vars, envMock)
	}
	for _, v := range s.vars {
		*raw.field(v) = ""
		p.names[v] = yamlName{path: path, bad: true}
	}
}

// repeated reports setting s given twice: at first with value n, and again
// at path with value again. The same value twice is allowed, as for an
// alias and its variable in FromEnv.
func (b *block) repeated(s safirSetting, first string, n *yaml.Node, path string, again *yaml.Node, p *problems) {
	rank := ""
	if len(s.vars) > 0 {
		rank = s.vars[0]
	} else if len(s.sub) > 0 {
		rank = s.sub[0].vars[0]
	}
	switch {
	case s.kind == kindGroup:
		p.addAs(rank, path, fmt.Sprintf("repeats %s (set only one)", first), nil)
	case sameValue(s, n, again):
	case s.secret:
		p.addAs(rank, path, fmt.Sprintf("differs from %s (set only one)", first), nil)
	default:
		p.addAs(rank, path, fmt.Sprintf("%s differs from %s %s (set only one)", describeValue(again), first, describeValue(n)), nil)
	}
}

// sameValue reports whether scalars a and b are the same value of setting
// s: the same text and type, or for a boolean the same truth (no and false).
func sameValue(s safirSetting, a, b *yaml.Node) bool {
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode {
		return false
	}
	if s.kind == kindBool {
		var scratch problems
		av, aSet, aOK := parseBool("", a.Value, &scratch)
		bv, bSet, bOK := parseBool("", b.Value, &scratch)
		return aOK && bOK && aSet && bSet && av == bv
	}
	return a.ShortTag() == b.ShortTag() && a.Value == b.Value
}

// rules applies Safir's rules of extra keys for the mode of sw (which must
// be known): Kafka mode refuses the keys its configuration does not have,
// in p; mock and disabled modes ignore them, and rules returns the notes.
func (b *block) rules(sw switches, p *problems) []string {
	mode := Config{Disabled: sw.disabled, Mock: sw.mock}.Mode()
	var notes []string
	if mode == ModeKafka && b.mockPath != "" {
		if note := sw.mockNote(p, true); note != "" {
			p.add(envMock, note, nil)
		} else {
			p.add(envMock, fmt.Sprintf("not allowed in Kafka mode: Safir's Kafka mode configuration refuses keys it does not have, "+
				"and mock is a setting of mock mode (%s=false with %s=true); remove it", p.name(envEnabled), p.name(envMock)), nil)
		}
	}
	for _, u := range b.unknown {
		if mode == ModeKafka {
			p.addAs("", u.path, "not a setting of Safir's metrics configuration: its Kafka mode configuration refuses keys it does not have"+u.hint(), nil)
		} else {
			notes = append(notes, fmt.Sprintf("%s is not a setting of Safir's metrics configuration and is ignored in %s mode, as in Safir%s", u.path, mode, u.hint()))
		}
	}
	return notes
}

// closestKey returns the path of the setting of settings whose key is
// closest to key, as closestVar does for variables, or "".
func closestKey(key, path string, settings []safirSetting) string {
	best, bestDist := "", max(1, len(key)/3)+1
	for _, s := range settings {
		if d := editDistance(strings.ToLower(key), strings.ToLower(s.keys[0])); d < bestDist {
			best, bestDist = joinPath(path, s.keys[0]), d
		}
	}
	return best
}

// keyValue is one entry of a YAML mapping.
type keyValue struct{ key, value *yaml.Node }

// pairs returns the entries of mapping n, aliases resolved; the entries of
// the mappings merged in with "<<" come after n's own, and only for keys
// that n does not have.
func pairs(n *yaml.Node) []keyValue {
	var own, merged []keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			sources := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				sources = v.Content
			}
			for _, s := range sources {
				if s = deref(s); s.Kind == yaml.MappingNode {
					merged = append(merged, pairs(s)...)
				}
			}
			continue
		}
		own = append(own, keyValue{k, v})
	}
	for _, kv := range merged {
		if !slices.ContainsFunc(own, func(o keyValue) bool { return o.key.Value == kv.key.Value }) {
			own = append(own, kv)
		}
	}
	return own
}

// deref follows YAML aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe says what YAML value n is, for a message ("a number (9092)",
// "a mapping", "null"); secret leaves out a scalar's value.
func describe(n *yaml.Node, secret bool) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!null":
		return "null"
	}
	kind := map[string]string{"!!int": "a number", "!!float": "a number", "!!bool": "a boolean", "!!str": "a string", "!!timestamp": "a date"}[n.ShortTag()]
	if kind == "" {
		kind = "a " + strings.TrimPrefix(n.ShortTag(), "!!") + " value"
	}
	if secret {
		return kind
	}
	return fmt.Sprintf("%s (%s)", kind, n.Value)
}

// describeValue quotes scalar n, or says what it is.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return describe(n, false)
}

// joinPath appends key to the YAML path path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// field returns the field of raw that holds variable name. safirSettings
// names only rawEnv's variables (TestSafirSettingsVariables); any other
// name gets a field of its own, read by nothing.
func (raw *rawEnv) field(name string) *string {
	v := reflect.ValueOf(raw).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("envconfig") == name {
			return v.Field(i).Addr().Interface().(*string)
		}
	}
	return new(string)
}
