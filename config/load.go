package config

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"time"
)

// Loaded is what the SDK runs on: a Config resolved once by Config.Load (or
// Config.LoadWithKafkaClient), with the objects that the resolution built
// from the PEM files and the notes about the settings. Its parts are handed
// down (Config.Registry and RegistryCAs to schemaregistry.New with
// schemaregistry.WithRootCAs, KafkaTLS to the Kafka client with
// kgo.DialTLSConfig), so that no layer reads a file or parses a setting
// that Load already did.
//
// The zero Loaded is not usable: get one from Load. Its parts are read-only
// once it is handed on, like the *tls.Config a client uses. Logging a
// Loaded with slog never shows a secret (see LogValue); fmt prints its
// KafkaTLS and RegistryCAs as addresses.
type Loaded struct {
	// Config is the resolved configuration, as Resolve returns it: plain
	// settings, defaults filled in, enumerations in their canonical
	// spelling.
	Config Config
	// KafkaTLS is the TLS configuration of the Kafka connection, built as
	// Kafka.TLSConfig builds it (RootCAs from KAFKA_CLUSTER_CA_PATH or nil
	// for the system pool, the client certificate when its paths are set,
	// TLS 1.2 at least), for SSL and SASL_SSL in Kafka mode. It is nil for
	// PLAINTEXT and SASL_PLAINTEXT, in mock and disabled modes, and from
	// LoadWithKafkaClient (the Kafka connection is the client's). Each Load
	// builds a new one, once: it is the caller's, shared with nothing else
	// in the SDK; give it to one Kafka client (kgo.DialTLSConfig) and do
	// not modify it afterwards.
	KafkaTLS *tls.Config
	// RegistryCAs is the pool of the schema registry's private CA, built
	// as Registry.CertPool builds it from SCHEMA_MANAGER_CA_PATH, in Kafka
	// mode with an https registry URL. nil means the system pool: no CA
	// path, an http URL (the path is then ignored, and Warnings says so),
	// mock and disabled modes. Give it to schemaregistry.New with
	// schemaregistry.WithRootCAs.
	RegistryCAs *x509.CertPool
	// Warnings are the notes about settings that are set but ignored or
	// unsafe: Config.Warnings of the resolved Config, computed once by Load
	// (for a Config read from the environment they begin with its
	// EnvWarnings notes); nil when there is none. They are the notes
	// eventmanager.New logs.
	Warnings []string
}

// Load resolves c once into what the SDK runs on. It checks c and fills in
// its defaults exactly as Resolve does (Resolve is Load's Config), and keeps
// what the checks build instead of discarding it: in Kafka mode, the Kafka
// TLS configuration of SSL and SASL_SSL (KafkaTLS) and the registry's CA
// pool (RegistryCAs), the file of each PEM setting read once (two settings
// naming one file read it once each); and the warnings (Warnings). In mock
// and disabled modes no file is read.
//
// Load does not read the environment; its only I/O is reading those PEM
// files: call it once, at start-up, and hand its result down. It is safe
// for concurrent use (c is a copy). The error is Resolve's, an *Error
// naming every bad setting; the Loaded is then zero.
func (c Config) Load() (Loaded, error) { return c.load(false, nil) }

// LoadWithKafkaClient is Load for a Config whose Kafka connection is made
// by a client built elsewhere (eventmanager.WithKafkaClient): it checks c as
// ResolveWithKafkaClient does, so the Kafka connection settings are not
// required and the Kafka PEM files are not read; KafkaTLS is nil. The
// registry's CA file is read and RegistryCAs built as by Load.
func (c Config) LoadWithKafkaClient() (Loaded, error) { return c.load(true, nil) }

// load is Load; kafkaClient is LoadWithKafkaClient's flag, and readFile
// the resolver's (nil: the file system; tests count the reads with it).
func (c Config) load(kafkaClient bool, readFile func(string, int64) ([]byte, error)) (Loaded, error) {
	p := problems{names: c.settingNames()}
	r := resolver{names: canonicalNames(), now: time.Now(), code: c.env == nil, kafkaClient: kafkaClient, readFile: readFile}
	l := r.load(c, &p)
	if err := p.err(); err != nil {
		return Loaded{}, err
	}
	l.Warnings = l.Config.Warnings()
	return l, nil
}

// LogValue implements slog.LogValuer: the settings as Config.LogValue
// gives them (secrets redacted), whether KafkaTLS carries a client
// certificate and custom roots, whether RegistryCAs is set, and the number
// of warnings. No key material is logged.
func (l Loaded) LogValue() slog.Value {
	kafkaTLS := []slog.Attr{slog.Bool("enabled", l.KafkaTLS != nil)}
	if l.KafkaTLS != nil {
		kafkaTLS = append(kafkaTLS,
			slog.Bool("custom_roots", l.KafkaTLS.RootCAs != nil),
			slog.Int("client_certificates", len(l.KafkaTLS.Certificates)))
	}
	return slog.GroupValue(
		slog.Any("config", l.Config),
		slog.Any("kafka_tls", slog.GroupValue(kafkaTLS...)),
		slog.Bool("registry_custom_roots", l.RegistryCAs != nil),
		slog.Int("warnings", len(l.Warnings)),
	)
}
