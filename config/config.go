package config

import "time"

// SecurityProtocol is how the Kafka client talks to the brokers
// (KAFKA_SECURITY_PROTOCOL).
type SecurityProtocol string

// The security protocols of KAFKA_SECURITY_PROTOCOL.
const (
	Plaintext     SecurityProtocol = "PLAINTEXT"      // no TLS, no authentication
	SSL           SecurityProtocol = "SSL"            // TLS with a client certificate (mutual TLS)
	SASLPlaintext SecurityProtocol = "SASL_PLAINTEXT" // SASL authentication without TLS
	SASLSSL       SecurityProtocol = "SASL_SSL"       // SASL authentication over TLS
)

// UsesTLS reports whether p connects with TLS (SSL and SASL_SSL).
func (p SecurityProtocol) UsesTLS() bool { return p == SSL || p == SASLSSL }

// UsesSASL reports whether p authenticates with SASL (SASL_PLAINTEXT and
// SASL_SSL).
func (p SecurityProtocol) UsesSASL() bool { return p == SASLPlaintext || p == SASLSSL }

// SASLMechanism is the SASL mechanism of the SASL protocols
// (KAFKA_SASL_MECHANISM).
type SASLMechanism string

// The SASL mechanisms of KAFKA_SASL_MECHANISM. They are named Mechanism...
// so as not to be taken for the security protocols (Plaintext is no SASL).
const (
	MechanismPlain       SASLMechanism = "PLAIN"
	MechanismSCRAMSHA256 SASLMechanism = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 SASLMechanism = "SCRAM-SHA-512"
)

// Compatibility is a schema registry compatibility level
// (SCHEMA_MANAGER_COMPATIBILITY), set on each subject before registering.
type Compatibility string

// The compatibility levels of SCHEMA_MANAGER_COMPATIBILITY, Confluent's.
const (
	CompatibilityNone               Compatibility = "NONE"
	CompatibilityBackward           Compatibility = "BACKWARD"
	CompatibilityBackwardTransitive Compatibility = "BACKWARD_TRANSITIVE"
	CompatibilityForward            Compatibility = "FORWARD"
	CompatibilityForwardTransitive  Compatibility = "FORWARD_TRANSITIVE"
	CompatibilityFull               Compatibility = "FULL"
	CompatibilityFullTransitive     Compatibility = "FULL_TRANSITIVE"
)

// DefaultCompatibility is SCHEMA_MANAGER_COMPATIBILITY's default, the level
// set on each subject before registering, as Safir does.
const DefaultCompatibility = CompatibilityNone

// DefaultRegistryTimeout is SCHEMA_MANAGER_TIMEOUT's default, the bound of
// each schema registry request.
const DefaultRegistryTimeout = 10 * time.Second

// DefaultDeliveryTimeout is METRICS_DELIVERY_TIMEOUT's default, the bound of
// each event's delivery attempts.
const DefaultDeliveryTimeout = 2 * time.Minute

// Defaults of the variables that have one. Resolve puts them in the
// zero-valued fields of a Config.
const (
	defaultTopicPrefix       = "lsst.square.metrics.events"
	defaultSecurityProtocol  = Plaintext
	defaultSASLMechanism     = MechanismSCRAMSHA512
	defaultMaxBufferedEvents = 100_000
	defaultMaxBufferedBytes  = 64 << 20 // 64 MiB
	defaultDeliveryTimeout   = DefaultDeliveryTimeout
	defaultLogInterval       = time.Minute
	defaultBackoffMax        = time.Minute
)

// Bounds of the Delivery knobs, checked by Resolve. The buffer limits are
// what the event manager's account of unsent events holds: a larger value
// acts as the limit. A duration below its minimum is an error.
const (
	maxBufferedEvents  = 32 << 20  // 32 Mi events
	maxBufferedBytes   = 128 << 30 // 128 GiB
	minDeliveryTimeout = time.Second
	minLogInterval     = time.Second
	minBackoffMax      = 10 * time.Millisecond
)

// Config is the whole configuration of the metrics SDK. FromEnv builds it
// from the environment; code may also build one as a literal and
// pass it through Resolve. A Config is plain settings:
// copying it is cheap, and it holds no built object.
// Load resolves it once into what the SDK runs on, a Loaded: the settings,
// the TLS objects built from the PEM paths and the warnings.
// Kafka.TLSConfig and Registry.CertPool build each TLS object alone;
// Warnings gives the notes about ignored or unsafe settings (and,
// for a Config read from the environment, EnvWarnings' notes about it).
//
// A Config remembers, in an unexported field, whether it was read from the
// environment (FromEnv, FromYAML, SafirMetrics.Config) or built in code:
// the first's errors and warnings name variables and its Warnings carry the
// notes about that environment, the second's name its fields. So compare
// Configs field by field: reflect.DeepEqual tells a Config read from the
// environment from an equal literal.
//
// The zero value of every field is its default, so a literal sets only what
// differs: Config{AppName: "x", Mock: true} is mock mode. Config.Mode says
// which mode a Config selects; only Kafka mode requires Kafka and registry
// settings and reads PEM files.
//
// Printing a Config with fmt (any verb, wherever the Config sits: in an
// unexported field of another struct too), encoding it as JSON or logging
// it with slog never shows a secret (passwords, URL user-info, private
// keys); see the package documentation for the one gap (user-info written
// into Registry.URL in code, before Resolve).
type Config struct {
	// AppName is METRICS_APP_NAME, or METRICS_APPLICATION as Phalanx sets
	// it (Safir's name). It is required in every mode and must match
	// [A-Za-z_][A-Za-z0-9_]*; to deploy on Sasquatch it must match
	// SasquatchAppPattern, [a-z][a-z0-9]* (see CheckSasquatchAppName).
	AppName string
	// Disabled is set by METRICS_ENABLED=false or METRICS_DISABLE=true
	// (default false: enabled). Disabled mode validates events and drops
	// them; with Mock set too it is mock mode, as in Safir.
	Disabled bool
	// Mock is set by METRICS_MOCK=true together with METRICS_ENABLED=false,
	// Safir's mock setting (default false): publishers record events in
	// memory instead of sending them. In code, Mock alone selects mock mode.
	Mock bool
	// TopicPrefix is METRICS_EVENTS_TOPIC_PREFIX (or METRICS_TOPIC_PREFIX),
	// default "lsst.square.metrics.events"; each dot-separated part must
	// match [A-Za-z_][A-Za-z0-9_]*.
	TopicPrefix string
	// RaiseOnError is METRICS_RAISE_ON_ERROR (default false): return
	// infrastructure errors instead of logging them.
	RaiseOnError bool
	// Kafka is the broker connection.
	Kafka Kafka
	// Registry is the schema registry connection.
	Registry Registry
	// Delivery holds the buffering and retry knobs.
	Delivery Delivery

	// env is set in a Config read from the environment (FromEnv, FromYAML,
	// SafirMetrics.Config) and nil in one built in code: errors and
	// warnings name the variables of the first and the fields of the
	// second, and only the first carries notes about the environment.
	// Compare Configs field by field, not with reflect.DeepEqual.
	env *envOrigin
}

// envOrigin is what a Config read from the environment keeps of it.
type envOrigin struct {
	// notes are EnvWarnings as they were when the Config was read.
	notes []string
}

// Kafka is the Kafka part of a Config.
type Kafka struct {
	// BootstrapServers is KAFKA_BOOTSTRAP_SERVERS, comma-separated
	// host[:port] entries, trimmed. The misspelling KAFKA_BOOSTRAP_SERVERS
	// (found in published docs) is accepted with a warning; both set and
	// different is an error. Required in Kafka mode.
	BootstrapServers []string
	// SecurityProtocol is KAFKA_SECURITY_PROTOCOL, default PLAINTEXT.
	SecurityProtocol SecurityProtocol
	// ClusterCAPath is KAFKA_CLUSTER_CA_PATH: PEM certificates that sign
	// the brokers' certificates. Optional; without it the system pool is used.
	ClusterCAPath string
	// ClientCertPath is KAFKA_CLIENT_CERT_PATH: the PEM client certificate
	// (and chain). Required with SSL; optional with SASL_SSL.
	ClientCertPath string
	// ClientKeyPath is KAFKA_CLIENT_KEY_PATH: the PEM private key of the
	// client certificate. Required whenever ClientCertPath is set.
	// Kafka.TLSConfig builds the TLS configuration from the three paths.
	ClientKeyPath string
	// SASLMechanism is KAFKA_SASL_MECHANISM, default SCRAM-SHA-512.
	SASLMechanism SASLMechanism
	// SASLUsername is KAFKA_SASL_USERNAME, required with the SASL protocols.
	SASLUsername string
	// SASLPassword is KAFKA_SASL_PASSWORD, required with the SASL protocols.
	SASLPassword Secret
}

// Registry is the schema registry part of a Config.
type Registry struct {
	// URL is SCHEMA_MANAGER_REGISTRY_URL, http or https with a host, without
	// user-info (Resolve moves credentials found in the URL to Username and
	// Password) and without a trailing slash. Required in Kafka mode. In
	// code, give credentials in Username and Password: until Resolve moves
	// it out, user-info in URL is a plain string, which Registry's and
	// Config's methods redact but which fmt prints as it is where it cannot
	// call them (a Registry in an unexported field of another struct).
	URL string
	// Username is SCHEMA_MANAGER_USERNAME or the URL's user name; both set
	// and different is an error.
	Username string
	// Password is SCHEMA_MANAGER_PASSWORD or the URL's password; both set
	// and different is an error. A password needs a username.
	Password Secret
	// Suffix is SCHEMA_MANAGER_SUFFIX, appended to subjects only.
	Suffix string
	// Compatibility is SCHEMA_MANAGER_COMPATIBILITY, default NONE; one of
	// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE,
	// FULL, FULL_TRANSITIVE (any case in, upper case out).
	Compatibility Compatibility
	// CAPath is SCHEMA_MANAGER_CA_PATH: PEM certificates of a private CA
	// for an https registry (Registry.CertPool reads them); without it the
	// system pool is used.
	CAPath string
	// Timeout is SCHEMA_MANAGER_TIMEOUT, default 10s: the bound of each
	// registry request.
	Timeout time.Duration
}

// Subject returns the schema registry subject of an Avro record's full name
// (namespace.name): fullName followed by Suffix. This is the one place the
// subject is built.
func (g Registry) Subject(fullName string) string { return fullName + g.Suffix }

// WithDefaults returns g with the defaults of its zero-valued fields that
// have one: Compatibility DefaultCompatibility (NONE) and Timeout
// DefaultRegistryTimeout (10s). It is the one place they are filled in:
// Resolve calls it, and schemaregistry.New, so that a Registry written in
// code and never resolved gets the same defaults. It checks nothing (Resolve
// does) and reads nothing; on a resolved Registry it changes nothing.
func (g Registry) WithDefaults() Registry {
	if g.Compatibility == "" {
		g.Compatibility = DefaultCompatibility
	}
	if g.Timeout == 0 {
		g.Timeout = DefaultRegistryTimeout
	}
	return g
}

// Delivery holds the knobs of the SDK's buffering and retries. Durations
// are Go durations ("1m30s"), plain numbers of seconds ("90") or Safir's
// human durations ("1m 30s", "2 hours").
type Delivery struct {
	// MaxBufferedEvents is METRICS_MAX_BUFFERED_EVENTS, default 100000:
	// events accepted but not yet delivered, at most. The event manager's
	// account holds 32 Mi events: Resolve makes a larger value that.
	MaxBufferedEvents int
	// MaxBufferedBytes is METRICS_MAX_BUFFERED_BYTES, default 64 MiB: memory
	// of the events accepted but not yet delivered, at most; each event
	// counts its encoded buffer's capacity plus 320 B for the Kafka record
	// and the client's bookkeeping. A plain integer of bytes, or with a KiB,
	// MiB or GiB suffix. The event manager's account holds 128 GiB: Resolve
	// makes a larger value that.
	MaxBufferedBytes int64
	// BlockTimeout is METRICS_BLOCK_TIMEOUT, default 0: how long Publish may
	// wait for buffer space; 0 never blocks and drops the event when full.
	BlockTimeout time.Duration
	// DeliveryTimeout is METRICS_DELIVERY_TIMEOUT, default 2m, at least 1s:
	// the bound of each event's delivery attempts.
	DeliveryTimeout time.Duration
	// LogInterval is METRICS_LOG_INTERVAL, default 1m, at least 1s: at most
	// one failure log of each kind per interval.
	LogInterval time.Duration
	// BackoffMax is METRICS_BACKOFF_MAX, default 1m, at least 10ms:
	// the cap of the background retry backoff when Kafka or the registry is
	// down.
	BackoffMax time.Duration
}

// Topic returns the topic of the application's events, TopicPrefix + "." +
// AppName (the default prefix when TopicPrefix is empty).
func (c Config) Topic() string {
	prefix := c.TopicPrefix
	if prefix == "" {
		prefix = defaultTopicPrefix
	}
	return prefix + "." + c.AppName
}

// Resolve checks c as FromEnv checks the environment, and returns a copy
// that is ready to use:
//   - zero-valued fields that have a default get it (TopicPrefix,
//     Kafka.SecurityProtocol, Kafka.SASLMechanism, Registry.Compatibility,
//     Registry.Timeout and the Delivery knobs except BlockTimeout, whose
//     default is 0);
//   - enumerations are upper-cased, user-info is moved out of
//     Registry.URL into Username/Password;
//   - in Kafka mode, the PEM files are read and checked as Kafka.TLSConfig
//     (for SSL and SASL_SSL) and Registry.CertPool read them, so that a
//     missing, unparsable, mismatched or expired file is reported now.
//
// Resolve is Load without what Load builds: it returns the settings only.
// Code that goes on to use the TLS objects calls Load instead, which keeps
// them, so that the files are read once.
//
// In mock and disabled modes nothing is required and no file is read, but
// what is set must still be well-formed. Resolve is idempotent (a resolved
// Config resolves to an equal Config; the files are read again) and does
// not read the environment. The error is an *Error naming every bad
// setting: by its Go path (Config.Kafka.BootstrapServers) in a Config
// built in code, by its variable (KAFKA_BOOTSTRAP_SERVERS) in one that
// FromEnv, FromYAML or SafirMetrics.Config read from the environment.
func (c Config) Resolve() (Config, error) {
	l, err := c.Load()
	return l.Config, err
}

// ResolveWithKafkaClient is Resolve for a Config whose Kafka connection is
// made by a client built elsewhere (eventmanager.WithKafkaClient, which
// calls it): the Kafka settings are the client's business, so
// Kafka.BootstrapServers, the SASL user name and password are not required
// and the Kafka PEM files are not read, even in Kafka mode. What is set
// must still be well-formed, and everything else (the schema registry
// above all) is required and checked as Resolve does. It is
// LoadWithKafkaClient without what that builds.
func (c Config) ResolveWithKafkaClient() (Config, error) {
	l, err := c.LoadWithKafkaClient()
	return l.Config, err
}
