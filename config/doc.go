// Package config reads the configuration of the metrics SDK from the
// environment and checks it. It is the only reader of the
// environment in the SDK.
//
// FromEnv reads every variable with envconfig, parses and checks each one
// itself, and returns one *Error naming every bad variable and why (envconfig
// alone stops at the first). In Kafka mode it also reads and checks the PEM
// files, so that a missing, unparsable, mismatched or expired certificate
// fails at start-up, naming the variable and the file. A Config may also be
// built in code; Config.Resolve applies the same checks and defaults to it.
//
// A Config is plain settings. Config.Load resolves it once into what the
// SDK runs on, a Loaded: the resolved Config, the objects built from its
// PEM files (the *tls.Config of SSL and SASL_SSL, the registry's private CA
// pool), each file read once, and the warnings. Its parts are handed down
// (the registry's pool to schemaregistry.New with
// schemaregistry.WithRootCAs, the *tls.Config to the Kafka client), so that
// no layer reads a file or parses a setting again. Kafka.TLSConfig and
// Registry.CertPool build each object alone, by the same code, with the
// errors Resolve reports. An application that gets its *tls.Config
// from elsewhere (a secrets store, say) passes it to the event manager as a
// franz-go option, applied after the SDK's own and so replacing the one
// built from the paths:
//
//	m, err := eventmanager.New(cfg, eventmanager.WithKafkaOptions(kgo.DialTLSConfig(tc)))
//
// With SASL_SSL the KAFKA_* paths may then stay empty; SSL still requires
// the client certificate and key paths (Resolve checks them).
//
// The variables, their defaults and their aliases:
//
//	METRICS_APP_NAME (alias METRICS_APPLICATION, the name Phalanx sets)  required in every mode; [A-Za-z_][A-Za-z0-9_]*,
//	                                               and [a-z][a-z0-9]* to deploy on Sasquatch (CheckSasquatchAppName)
//	METRICS_ENABLED (or METRICS_DISABLE, negated)  true
//	METRICS_MOCK                                   false
//	METRICS_EVENTS_TOPIC_PREFIX (alias METRICS_TOPIC_PREFIX)  lsst.square.metrics.events
//	METRICS_RAISE_ON_ERROR                         false
//	KAFKA_BOOTSTRAP_SERVERS (misspelt KAFKA_BOOSTRAP_SERVERS accepted with a warning)  required in Kafka mode
//	KAFKA_SECURITY_PROTOCOL                        PLAINTEXT (SSL, SASL_PLAINTEXT, SASL_SSL)
//	KAFKA_CLUSTER_CA_PATH, KAFKA_CLIENT_CERT_PATH, KAFKA_CLIENT_KEY_PATH  PEM files; SSL needs cert and key
//	KAFKA_SASL_MECHANISM                           SCRAM-SHA-512 (PLAIN, SCRAM-SHA-256)
//	KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD       required with the SASL protocols
//	SCHEMA_MANAGER_REGISTRY_URL                    required in Kafka mode; http(s), may hold user-info
//	SCHEMA_MANAGER_USERNAME, SCHEMA_MANAGER_PASSWORD  basic auth (or the URL's user-info)
//	SCHEMA_MANAGER_SUFFIX                          empty
//	SCHEMA_MANAGER_COMPATIBILITY                   NONE
//	SCHEMA_MANAGER_CA_PATH                         PEM CA of an https registry; system pool otherwise
//	SCHEMA_MANAGER_TIMEOUT                         10s
//	METRICS_MAX_BUFFERED_EVENTS                    100000 (a larger value than 32Mi acts as 32Mi)
//	METRICS_MAX_BUFFERED_BYTES                     64MiB (a larger value than 128GiB acts as 128GiB)
//	METRICS_BLOCK_TIMEOUT                          0 (never block: drop when full)
//	METRICS_DELIVERY_TIMEOUT                       2m, at least 1s
//	METRICS_LOG_INTERVAL                           1m, at least 1s
//	METRICS_BACKOFF_MAX                            1m, at least 10ms (a shorter cap retries in a hot loop)
//
// Any other non-empty variable named METRICS_*, KAFKA_* or SCHEMA_MANAGER_*
// is ignored; EnvWarnings reports it, with the closest of the names above
// when one is near (METRICS_MOK=true: did you mean METRICS_MOCK?); it also
// reports Confluent's SCHEMA_REGISTRY_URL (did you mean
// SCHEMA_MANAGER_REGISTRY_URL?), the misspelt KAFKA_BOOSTRAP_SERVERS, and
// METRICS_MOCK=true ignored in Kafka mode. Config.Warnings reports settings that are set but ignored
// (SCHEMA_MANAGER_CA_PATH with an http registry, say), credentials sent in
// clear text (SASL PLAIN over SASL_PLAINTEXT, basic auth to an http
// registry) and, in Kafka mode, an application name that Sasquatch cannot
// deploy. A Config read from the environment (FromEnv, FromYAML,
// SafirMetrics.Config) keeps the notes of EnvWarnings about it, and
// Config.Warnings begins with them; eventmanager.New logs Config.Warnings.
// A Config built in code gets no note about the process environment, and
// the errors of Resolve and the warnings name its fields
// (Config.Kafka.BootstrapServers) rather than the variables.
//
// The modes are Safir's (its metrics_configuration_factory): METRICS_ENABLED=false
// with METRICS_MOCK=true is mock mode (Safir's documented setting for an
// app's tests), METRICS_ENABLED=false alone is disabled mode, anything else
// is Kafka mode. METRICS_MOCK=true without METRICS_ENABLED=false is Kafka
// mode in Safir, and here: EnvWarnings says it is ignored, and when Kafka
// settings are missing FromEnv's error says so too, naming both variables
// (never a silent mock). METRICS_DISABLE=true counts as METRICS_ENABLED=false.
// In a Config built in code the zero value means the default: enabled, not
// mock, and Mock selects mock mode whatever Disabled says, so
// Config{AppName: "x", Mock: true} is mock mode (Config.Mode decides). In
// mock and disabled modes no Kafka or registry setting is required and no
// file is read, but every value that is set must be well-formed, and the
// application name is required in every mode.
//
// Applications configured from a YAML file, as Safir applications are
// (mobu, gafaelfawr: Phalanx renders Safir's metrics: block into their
// config.yaml, and gives the pod only KAFKA_* in the environment), hold the
// block in their own configuration struct as a SafirMetrics, a yaml.v3
// Unmarshaler, and get the Config from SafirMetrics.Config (or from the
// file's bytes with FromYAML). The block is read with Safir's keys
// (application, enabled, mock, events.topicPrefix, raiseOnError,
// backoffInterval, kafka.*, schemaManager.*) and Safir's rules: each
// setting it leaves out comes from the variable above, the mode is
// Safir's, Kafka mode refuses the keys Safir's Kafka configuration does
// not have (mock and disabled modes ignore them; SafirMetrics.Warnings
// reports them), and the values get FromEnv's checks and Resolve. The one
// *Error names each bad setting by its YAML path
// (metrics.schemaManager.registryUrl), or by its variable when it came
// from the environment.
//
// Secrets (the SASL and registry passwords, user-info in the registry URL)
// are held in Secret values (private keys stay in their files), and never
// appear in errors, in fmt output of a Config, a Kafka or a Registry (any
// verb, wherever it sits: an unexported field of another struct, a map, a
// slice), in their JSON or in their slog value. A Secret holds its text
// behind a pointer, so that even where fmt prints by reflection without
// calling any method (a value reached through an unexported field, or %p
// of a value that is not a pointer) it shows an address. The one gap is
// user-info written into Registry.URL by code, a plain string until Resolve
// moves it to Username and Password: the methods of Registry and Config
// redact it, reflection cannot; so code gives credentials in Username and
// Password.
package config
