package config

// Environment variable names, in the order errors are reported.
const (
	envAppName           = "METRICS_APP_NAME"
	envApplication       = "METRICS_APPLICATION"
	envEnabled           = "METRICS_ENABLED"
	envDisable           = "METRICS_DISABLE"
	envMock              = "METRICS_MOCK"
	envEventsTopicPrefix = "METRICS_EVENTS_TOPIC_PREFIX"
	envTopicPrefix       = "METRICS_TOPIC_PREFIX"
	envRaiseOnError      = "METRICS_RAISE_ON_ERROR"
	envBootstrap         = "KAFKA_BOOTSTRAP_SERVERS"
	envBoostrap          = "KAFKA_BOOSTRAP_SERVERS" // misspelling from published docs
	envSecurityProtocol  = "KAFKA_SECURITY_PROTOCOL"
	envClusterCA         = "KAFKA_CLUSTER_CA_PATH"
	envClientCert        = "KAFKA_CLIENT_CERT_PATH"
	envClientKey         = "KAFKA_CLIENT_KEY_PATH"
	envSASLMechanism     = "KAFKA_SASL_MECHANISM"
	envSASLUsername      = "KAFKA_SASL_USERNAME"
	envSASLPassword      = "KAFKA_SASL_PASSWORD"
	envRegistryURL       = "SCHEMA_MANAGER_REGISTRY_URL"
	envRegistryUsername  = "SCHEMA_MANAGER_USERNAME"
	envRegistryPassword  = "SCHEMA_MANAGER_PASSWORD"
	envRegistrySuffix    = "SCHEMA_MANAGER_SUFFIX"
	envCompatibility     = "SCHEMA_MANAGER_COMPATIBILITY"
	envRegistryCA        = "SCHEMA_MANAGER_CA_PATH"
	envRegistryTimeout   = "SCHEMA_MANAGER_TIMEOUT"
	envMaxBufferedEvents = "METRICS_MAX_BUFFERED_EVENTS"
	envMaxBufferedBytes  = "METRICS_MAX_BUFFERED_BYTES"
	envBlockTimeout      = "METRICS_BLOCK_TIMEOUT"
	envDeliveryTimeout   = "METRICS_DELIVERY_TIMEOUT"
	envLogInterval       = "METRICS_LOG_INTERVAL"
	envBackoffMax        = "METRICS_BACKOFF_MAX"
)

// envOrder lists every variable FromEnv reads, in the documented order.
func envOrder() []string {
	return []string{
		envAppName, envApplication, envEnabled, envDisable, envMock,
		envEventsTopicPrefix, envTopicPrefix, envRaiseOnError,
		envBootstrap, envBoostrap, envSecurityProtocol, envClusterCA, envClientCert, envClientKey,
		envSASLMechanism, envSASLUsername, envSASLPassword,
		envRegistryURL, envRegistryUsername, envRegistryPassword, envRegistrySuffix,
		envCompatibility, envRegistryCA, envRegistryTimeout,
		envMaxBufferedEvents, envMaxBufferedBytes, envBlockTimeout, envDeliveryTimeout,
		envLogInterval, envBackoffMax,
	}
}

// The allowed values of the enumerated variables, in the order they are
// listed in error messages.
func securityProtocols() []SecurityProtocol {
	return []SecurityProtocol{Plaintext, SSL, SASLPlaintext, SASLSSL}
}

func saslMechanisms() []SASLMechanism {
	return []SASLMechanism{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512}
}

func compatibilities() []Compatibility {
	return []Compatibility{CompatibilityNone, CompatibilityBackward, CompatibilityBackwardTransitive,
		CompatibilityForward, CompatibilityForwardTransitive, CompatibilityFull, CompatibilityFullTransitive}
}

// varNames are the variables that errors name for the fields that have
// aliases: FromEnv names the variable that was actually set.
type varNames struct {
	appName, topicPrefix, bootstrap string
}

// canonicalNames are the names used for a Config built in code.
func canonicalNames() varNames {
	return varNames{appName: envAppName, topicPrefix: envEventsTopicPrefix, bootstrap: envBootstrap}
}

// fieldNames maps each variable to the field of Config that it sets: how
// errors and warnings name the settings of a Config built in code.
func fieldNames() map[string]yamlName {
	fields := map[string]string{
		envAppName: "AppName", envApplication: "AppName",
		envEnabled: "Disabled", envDisable: "Disabled", envMock: "Mock",
		envEventsTopicPrefix: "TopicPrefix", envTopicPrefix: "TopicPrefix",
		envRaiseOnError: "RaiseOnError",
		envBootstrap:    "Kafka.BootstrapServers", envBoostrap: "Kafka.BootstrapServers",
		envSecurityProtocol: "Kafka.SecurityProtocol",
		envClusterCA:        "Kafka.ClusterCAPath", envClientCert: "Kafka.ClientCertPath", envClientKey: "Kafka.ClientKeyPath",
		envSASLMechanism: "Kafka.SASLMechanism", envSASLUsername: "Kafka.SASLUsername", envSASLPassword: "Kafka.SASLPassword",
		envRegistryURL: "Registry.URL", envRegistryUsername: "Registry.Username", envRegistryPassword: "Registry.Password",
		envRegistrySuffix: "Registry.Suffix", envCompatibility: "Registry.Compatibility",
		envRegistryCA: "Registry.CAPath", envRegistryTimeout: "Registry.Timeout",
		envMaxBufferedEvents: "Delivery.MaxBufferedEvents", envMaxBufferedBytes: "Delivery.MaxBufferedBytes",
		envBlockTimeout: "Delivery.BlockTimeout", envDeliveryTimeout: "Delivery.DeliveryTimeout",
		envLogInterval: "Delivery.LogInterval", envBackoffMax: "Delivery.BackoffMax",
	}
	names := make(map[string]yamlName, len(fields))
	for v, f := range fields {
		names[v] = yamlName{path: "Config." + f}
	}
	return names
}

// settingNames returns how errors and warnings name the settings of c: nil
// (by their variables) when c was read from the environment, by the fields
// of Config (fieldNames) when it was built in code.
func (c Config) settingNames() map[string]yamlName {
	if c.env != nil {
		return nil
	}
	return fieldNames()
}
