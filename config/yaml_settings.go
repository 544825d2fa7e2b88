package config

// The table of the keys of Safir's metrics block, and of the variables of
// FromEnv that each stands for.

import "reflect"

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
