package config_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// mobuFile is mobu's config.yaml as a Go application would declare it: its
// own settings, and Safir's metrics block.
type mobuFile struct {
	Autostart                []map[string]any    `yaml:"autostart"`
	GafaelfawrTimeout        *string             `yaml:"gafaelfawrTimeout"`
	GithubCiApp              map[string]any      `yaml:"githubCiApp"`
	GithubRefreshApp         map[string]any      `yaml:"githubRefreshApp"`
	LogLevel                 string              `yaml:"logLevel"`
	LogProfile               string              `yaml:"logProfile"`
	Metrics                  config.SafirMetrics `yaml:"metrics"`
	PathPrefix               string              `yaml:"pathPrefix"`
	SentryEnvironment        *string             `yaml:"sentryEnvironment"`
	SentryTracesSampleConfig any                 `yaml:"sentryTracesSampleConfig"`
	SlackAlerts              bool                `yaml:"slackAlerts"`
}

// readMobu decodes testdata/mobu/name into a mobuFile, refusing keys that
// mobuFile does not declare.
func readMobu(t *testing.T, name string) (mobuFile, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "mobu", name))
	if err != nil {
		t.Fatal(err)
	}
	var f mobuFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
	return f, data
}

// TestSafirMetricsMobu configures the SDK from mobu's config.yaml as
// Phalanx renders it (testdata/mobu): Safir's mock setting, the chart's
// default (metrics disabled), and idfdev's (metrics enabled, with KAFKA_*
// from the KafkaAccess secret and the mounted certificates, mutual TLS).
// Each gives the mode Safir gives it, without warnings, through the struct
// field and through FromYAML alike.
func TestSafirMetricsMobu(t *testing.T) {
	p := pki.New(t)
	kafkaEnv := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "sasquatch-kafka-bootstrap.sasquatch:9093",
		"KAFKA_SECURITY_PROTOCOL": "SSL",
		"KAFKA_CLIENT_CERT_PATH":  p.ClientCert,
		"KAFKA_CLIENT_KEY_PATH":   p.ClientKey,
		"KAFKA_CLUSTER_CA_PATH":   p.CA,
	}
	const registry = "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081"
	tests := []struct {
		file string
		env  map[string]string
		want config.Mode
	}{
		{"mock.yaml", nil, config.ModeMock},
		{"disabled.yaml", nil, config.ModeDisabled},
		{"kafka.yaml", kafkaEnv, config.ModeKafka},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			setEnv(t, tt.env)
			f, data := readMobu(t, tt.file)
			if f.PathPrefix != "/mobu" || f.LogLevel != "INFO" || !f.SlackAlerts {
				t.Errorf("mobu's own settings decoded as %+v", f)
			}
			c, err := f.Metrics.Config()
			if err != nil {
				t.Fatalf("Config(): %v", err)
			}
			fromYAML, err := config.FromYAML(data, "metrics")
			if err != nil {
				t.Fatalf("FromYAML: %v", err)
			}
			if !equalConfig(c, fromYAML) {
				t.Errorf("FromYAML =\n%+v\nthe struct field's Config() =\n%+v", fromYAML, c)
			}
			if c.Mode() != tt.want || c.AppName != "mobu" || c.Topic() != "lsst.square.metrics.events.mobu" {
				t.Errorf("mode %v, app %q, topic %q; want %v, mobu, lsst.square.metrics.events.mobu", c.Mode(), c.AppName, c.Topic(), tt.want)
			}
			if w := append(f.Metrics.Warnings(), warnings(c)...); len(w) != 0 {
				t.Errorf("warnings %q, want none", w)
			}
			if tt.want != config.ModeKafka {
				return
			}
			want := config.Config{
				AppName:     "mobu",
				TopicPrefix: "lsst.square.metrics.events",
				Kafka: config.Kafka{
					BootstrapServers: []string{"sasquatch-kafka-bootstrap.sasquatch:9093"},
					SecurityProtocol: config.SSL,
					ClusterCAPath:    p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey,
					SASLMechanism: config.MechanismSCRAMSHA512,
				},
				Registry: config.Registry{URL: registry, Compatibility: "NONE", Timeout: 10 * time.Second},
				Delivery: config.Delivery{
					MaxBufferedEvents: 100000, MaxBufferedBytes: 64 << 20, DeliveryTimeout: 2 * time.Minute,
					LogInterval: time.Minute, BackoffMax: time.Minute,
				},
			}
			if !equalConfig(c, want) {
				t.Errorf("Config() =\n%+v\nwant\n%+v", c, want)
			}
			tc, err := c.Kafka.TLSConfig()
			if err != nil || tc == nil || len(tc.Certificates) != 1 || tc.RootCAs == nil {
				t.Errorf("TLSConfig() = %v, %v; want the client certificate and the cluster CA", tc, err)
			}
		})
	}
}

// safirYAML configures the SDK from doc, a YAML file with a metrics block,
// in the environment env (setEnv), through a struct field and FromYAML,
// and checks that both agree. It returns the Config, the block's warnings
// and the error.
func safirYAML(t *testing.T, doc string, env map[string]string) (config.Config, []string, error) {
	t.Helper()
	setEnv(t, env)
	var f struct {
		Metrics config.SafirMetrics `yaml:"metrics"`
	}
	if err := yaml.Unmarshal([]byte(doc), &f); err != nil {
		t.Fatalf("yaml.Unmarshal: %v", err)
	}
	c, err := f.Metrics.Config()
	c2, err2 := config.FromYAML([]byte(doc), "metrics")
	if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || !equalConfig(c, c2) {
		t.Errorf("FromYAML = %v, %v\nthe struct field's Config() = %v, %v", c2, err2, c, err)
	}
	return c, f.Metrics.Warnings(), err
}

// safirError is safirYAML expecting an *config.Error.
func safirError(t *testing.T, doc string, env map[string]string) *config.Error {
	t.Helper()
	c, _, err := safirYAML(t, doc, env)
	if err == nil {
		t.Fatalf("Config() = %v, want an error", c)
	}
	var ce *config.Error
	if !errors.As(err, &ce) || !errors.As(err, new(*config.Error)) {
		t.Fatalf("error %T %v is not an *config.Error", err, err)
	}
	return ce
}

// problemNames lists the names of the problems of e, in order.
func problemNames(e *config.Error) []string {
	var names []string
	for _, v := range e.Vars {
		names = append(names, v.Name)
	}
	return names
}

// brokerEnv gives Kafka mode its bootstrap servers; the blocks of the
// tests below give the registry.
var brokerEnv = map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092"}

// kafkaBlock is a valid Kafka-mode block with brokerEnv.
const kafkaBlock = `metrics:
  application: myapp
  schemaManager:
    registryUrl: "http://registry:8081"
`

// TestSafirMetricsExtraKeys checks Safir's rules of keys it does not
// know: its mock and disabled configurations ignore them (extra="ignore";
// Warnings reports them), its Kafka configuration refuses them at the top
// and in kafka and schemaManager (extra="forbid"), mock included, and its
// events configuration refuses them in every mode. Safir's other names of
// the settings are no extra keys.
func TestSafirMetricsExtraKeys(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		env     map[string]string
		mode    config.Mode   // when no problem is wanted
		warning string        // a piece of the only warning, "" for none
		want    []wantProblem // the problems, nil for none
		check   func(config.Config) bool
	}{
		{name: "unknown key ignored in disabled mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  mokc: true\n",
			mode: config.ModeDisabled, warning: "metrics.mokc is not a setting of Safir's metrics configuration and is ignored in disabled mode, as in Safir; did you mean metrics.mock?"},
		{name: "unknown key ignored in mock mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  mock: true\n  colour: blue\n",
			mode: config.ModeMock, warning: "metrics.colour is not a setting of Safir's metrics configuration and is ignored in mock mode, as in Safir"},
		{name: "unknown kafka key ignored in disabled mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  kafka:\n    bootstrapServer: b:1\n",
			mode: config.ModeDisabled, warning: "metrics.kafka.bootstrapServer is not a setting of Safir's metrics configuration and is ignored in disabled mode, as in Safir; did you mean metrics.kafka.bootstrapServers?"},
		{name: "mock false in disabled mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  mock: false\n",
			mode: config.ModeDisabled},
		{name: "Kafka settings in disabled mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  raiseOnError: true\n  backoffInterval: 5m\n" +
			"  kafka: {bootstrapServers: \"b:1\", securityProtocol: SSL}\n  schemaManager: {registryUrl: \"http://r\", suffix: _dev}\n",
			mode: config.ModeDisabled},
		{name: "unknown key refused in Kafka mode", doc: kafkaBlock + "  mokc: true\n", env: brokerEnv,
			want: []wantProblem{{"metrics.mokc", "its Kafka mode configuration refuses keys it does not have; did you mean metrics.mock?"}}},
		{name: "unknown kafka key refused in Kafka mode", doc: kafkaBlock + "  kafka:\n    bootstrapServer: b:1\n", env: brokerEnv,
			want: []wantProblem{{"metrics.kafka.bootstrapServer", "refuses keys it does not have; did you mean metrics.kafka.bootstrapServers?"}}},
		{name: "the SDK's registry settings are no keys of Safir's", doc: kafkaBlock + "    username: u\n", env: brokerEnv,
			want: []wantProblem{{"metrics.schemaManager.username", "refuses keys it does not have"}}},
		{name: "mock false refused in Kafka mode", doc: kafkaBlock + "  mock: false\n", env: brokerEnv,
			want: []wantProblem{{"metrics.mock", "not allowed in Kafka mode: Safir's Kafka mode configuration refuses keys it does not have, and mock is a setting of mock mode (metrics.enabled=false with metrics.mock=true)"}}},
		{name: "mock true without enabled", doc: kafkaBlock + "  mock: true\n", env: brokerEnv,
			want: []wantProblem{{"metrics.mock", "metrics.mock=true is not allowed because metrics.enabled is not set: as in Safir, mock mode is metrics.enabled=false with metrics.mock=true"}}},
		{name: "mock true with enabled true", doc: kafkaBlock + "  enabled: yes\n  mock: true\n", env: brokerEnv,
			want: []wantProblem{{"metrics.mock", `metrics.mock=true is not allowed because metrics.enabled is "yes"`}}},
		{name: "mock true without enabled nor Kafka settings", doc: "metrics:\n  application: myapp\n  mock: true\n",
			want: []wantProblem{
				{"metrics.mock", "Safir's Kafka mode configuration refuses a mock setting (set metrics.enabled=false for mock mode, or remove metrics.mock)"},
				{"metrics.kafka.bootstrapServers", "required in Kafka mode"},
				{"metrics.schemaManager.registryUrl", "required in Kafka mode"},
			}},
		{name: "events refuses unknown keys in every mode", doc: "metrics:\n  application: myapp\n  enabled: false\n  events:\n    topicPrefix: a.b\n    prefix: c\n",
			want: []wantProblem{{"metrics.events.prefix", "not a setting of Safir's events configuration, which refuses other keys in every mode"}}},
		{name: "Safir's other names of the settings", env: brokerEnv,
			doc: "metrics:\n  APPLICATION: myapp\n  METRICS_ENABLED: true\n  raise_on_error: true\n  backoff_interval: 90\n" +
				"  events: {topic_prefix: lsst.dev}\n  schema_manager: {registry_url: \"http://registry:8081\"}\n",
			mode: config.ModeKafka,
			check: func(c config.Config) bool {
				return c.AppName == "myapp" && c.RaiseOnError && c.Delivery.BackoffMax == 90*time.Second &&
					c.TopicPrefix == "lsst.dev" && c.Registry.URL == "http://registry:8081"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil {
				checkProblems(t, safirError(t, tt.doc, tt.env), tt.want...)
				return
			}
			c, w, err := safirYAML(t, tt.doc, tt.env)
			if err != nil {
				t.Fatalf("Config(): %v", err)
			}
			if c.Mode() != tt.mode {
				t.Errorf("mode %v, want %v", c.Mode(), tt.mode)
			}
			switch {
			case tt.warning == "" && len(w) != 0:
				t.Errorf("warnings %q, want none", w)
			case tt.warning != "" && (len(w) != 1 || !strings.Contains(w[0], tt.warning)):
				t.Errorf("warnings %q, want one with %q", w, tt.warning)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("Config() = %+v", c)
			}
		})
	}
}

// TestSafirMetricsProblemsAtOnce checks that one *config.Error lists every
// problem of a block and of the environment it falls back on, in the
// documented order of their variables (the block's unknown keys last),
// each named by where it was set, without secrets.
func TestSafirMetricsProblemsAtOnce(t *testing.T) {
	const doc = `metrics:
  application: my-app
  enabled: true
  mock: true
  events:
    topicPrefix: "a..b"
  raiseOnError: maybe
  backoffInterval: soon
  kafka:
    bootstrapServers: "b:0"
    securityProtocol: TLS
    saslPassword: 987654
  schemaManager:
    registryUrl: "ftp://u:hunter2@registry"
    suffix: "-x"
  colour: blue
`
	ce := safirError(t, doc, map[string]string{"KAFKA_SASL_MECHANISM": "MD5", "SCHEMA_MANAGER_TIMEOUT": "never", "KAFKA_SASL_PASSWORD": "from-env"})
	want := []string{
		"metrics.application", "metrics.mock", "metrics.events.topicPrefix", "metrics.raiseOnError",
		"metrics.kafka.bootstrapServers", "metrics.kafka.securityProtocol", "KAFKA_SASL_MECHANISM", "metrics.kafka.saslPassword",
		"metrics.schemaManager.registryUrl", "metrics.schemaManager.suffix", "SCHEMA_MANAGER_TIMEOUT", "metrics.backoffInterval",
		"metrics.colour",
	}
	if got := problemNames(ce); !slices.Equal(got, want) {
		t.Errorf("problems\n%q\nwant\n%q\n(%v)", got, want, ce)
	}
	checkProblems(t, ce,
		wantProblem{"metrics.application", `"my-app" must match`},
		wantProblem{"metrics.mock", `metrics.mock=true is not allowed because metrics.enabled is "true"`},
		wantProblem{"metrics.events.topicPrefix", `"a..b"`},
		wantProblem{"metrics.raiseOnError", `"maybe" is not a boolean`},
		wantProblem{"metrics.kafka.bootstrapServers", `"b:0": port "0"`},
		wantProblem{"metrics.kafka.securityProtocol", `"TLS" is not one of`},
		wantProblem{"KAFKA_SASL_MECHANISM", `"MD5" is not one of`},
		wantProblem{"metrics.kafka.saslPassword", "is a number, not a string (quote it)"},
		wantProblem{"metrics.schemaManager.registryUrl", "must be an http or https URL"},
		wantProblem{"metrics.schemaManager.suffix", `"-x"`},
		wantProblem{"SCHEMA_MANAGER_TIMEOUT", `"never" is not a duration`},
		wantProblem{"metrics.backoffInterval", `"soon" is not a duration`},
		wantProblem{"metrics.colour", "refuses keys it does not have"},
	)
	for _, secret := range []string{"hunter2", "987654", "from-env"} {
		if strings.Contains(ce.Error(), secret) {
			t.Errorf("the error shows the secret %q: %v", secret, ce)
		}
	}
}

// TestSafirMetricsWrongTypes checks values of the wrong YAML type: one
// problem each, named by its path, and no other problem for that setting
// (a string that is not one is not also missing). A mode setting of the
// wrong type leaves the mode unknown: nothing mode-dependent is required.
func TestSafirMetricsWrongTypes(t *testing.T) {
	tests := []struct {
		name, doc string
		env       map[string]string
		want      []wantProblem
	}{
		{"enabled: maybe", "metrics:\n  application: myapp\n  enabled: maybe\n", nil,
			[]wantProblem{{"metrics.enabled", `"maybe" is not a boolean (true or false)`}}},
		{"enabled is a list", "metrics:\n  application: myapp\n  enabled: [false]\n", nil,
			[]wantProblem{{"metrics.enabled", "is a list, not a boolean"}}},
		{"enabled is null", "metrics:\n  application: myapp\n  enabled: null\n", nil,
			[]wantProblem{{"metrics.enabled", "is null, not a boolean"}}},
		{"mock is a mapping", "metrics:\n  application: myapp\n  enabled: false\n  mock: {}\n", nil,
			[]wantProblem{{"metrics.mock", "is a mapping, not a boolean"}}},
		{"events: 3", "metrics:\n  application: myapp\n  enabled: false\n  events: 3\n", nil,
			[]wantProblem{{"metrics.events", "is a number (3), not a mapping of Safir's events settings (topicPrefix)"}}},
		{"events is null", "metrics:\n  application: myapp\n  enabled: false\n  events:\n", nil,
			[]wantProblem{{"metrics.events", "is null, not a mapping"}}},
		{"topicPrefix is a number", "metrics:\n  application: myapp\n  enabled: false\n  events: {topicPrefix: 3}\n", nil,
			[]wantProblem{{"metrics.events.topicPrefix", "is a number (3), not a string (quote it)"}}},
		{"application is a number", "metrics:\n  application: 123\n  enabled: false\n", nil,
			[]wantProblem{{"metrics.application", "is a number (123), not a string (quote it)"}}},
		{"application is a boolean", "metrics:\n  appName: true\n  enabled: false\n", nil,
			[]wantProblem{{"metrics.appName", "is a boolean (true), not a string (quote it)"}}},
		{"bootstrapServers is a list", kafkaBlock + "  kafka:\n    bootstrapServers: [\"a:1\", \"b:2\"]\n", nil,
			[]wantProblem{{"metrics.kafka.bootstrapServers", "is a list, not a string"}}},
		{"bootstrapServers is a number", kafkaBlock + "  kafka:\n    bootstrapServers: 9092\n", nil,
			[]wantProblem{{"metrics.kafka.bootstrapServers", "is a number (9092), not a string (quote it)"}}},
		{"kafka is a list, even in disabled mode", "metrics:\n  application: myapp\n  enabled: false\n  kafka: [a]\n", nil,
			[]wantProblem{{"metrics.kafka", "is a list, not a mapping of Safir's kafka settings (bootstrapServers, securityProtocol,"}}},
		{"suffix is null", kafkaBlock + "    suffix: null\n", brokerEnv,
			[]wantProblem{{"metrics.schemaManager.suffix", "is null, not a string"}}},
		{"raiseOnError: 2", kafkaBlock + "  raiseOnError: 2\n", brokerEnv,
			[]wantProblem{{"metrics.raiseOnError", `"2" is not a boolean`}}},
		{"backoffInterval is a boolean", kafkaBlock + "  backoffInterval: true\n", brokerEnv,
			[]wantProblem{{"metrics.backoffInterval", "is a boolean (true), not a duration"}}},
		{"registryUrl is a mapping", "metrics:\n  application: myapp\n  schemaManager:\n    registryUrl: {u: 1}\n", brokerEnv,
			[]wantProblem{{"metrics.schemaManager.registryUrl", "is a mapping, not a string"}}},
		{"the block is a number", "metrics: 3\n", nil,
			[]wantProblem{{"metrics", "is a number (3), not a mapping of Safir's metrics settings"}}},
		{"the block is a list", "metrics: [enabled]\n", nil,
			[]wantProblem{{"metrics", "is a list, not a mapping"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, safirError(t, tt.doc, tt.env), tt.want...)
		})
	}
}

// TestSafirMetricsEnvironment checks where each setting comes from: the
// block first, the environment variable FromEnv reads for it when the block
// leaves it out (as Safir's settings classes read theirs: the mode and the
// app name too), and a null optional setting is unset whatever the
// environment says. A problem names the variable when the value came from
// the environment, the YAML path otherwise.
func TestSafirMetricsEnvironment(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		env   map[string]string
		check func(config.Config) bool
		want  []wantProblem
	}{
		{name: "the block's application over METRICS_APP_NAME",
			doc: "metrics:\n  application: mobu\n  enabled: false\n", env: map[string]string{"METRICS_APP_NAME": "other", "METRICS_APPLICATION": "another"},
			check: func(c config.Config) bool { return c.AppName == "mobu" }},
		{name: "the block's schemaManager over SCHEMA_MANAGER_*",
			doc: kafkaBlock + "    suffix: \"\"\n", env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092",
				"SCHEMA_MANAGER_REGISTRY_URL": "http://elsewhere:1", "SCHEMA_MANAGER_SUFFIX": "_env"},
			check: func(c config.Config) bool { return c.Registry.URL == "http://registry:8081" && c.Registry.Suffix == "" }},
		{name: "a partial kafka block, the rest from KAFKA_*",
			doc: kafkaBlock + "  kafka:\n    bootstrapServers: \"yaml:9092\"\n", env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "env:9092",
				"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "pw"},
			check: func(c config.Config) bool {
				return slices.Equal(c.Kafka.BootstrapServers, []string{"yaml:9092"}) && c.Kafka.SecurityProtocol == config.SASLPlaintext &&
					c.Kafka.SASLUsername == "u" && c.Kafka.SASLPassword.Value() == "pw"
			}},
		{name: "null unsets an optional setting whatever the environment says",
			doc: kafkaBlock + "  kafka:\n    saslUsername: null\n", env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092",
				"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "pw"},
			want: []wantProblem{{"metrics.kafka.saslUsername", "required with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"}}},
		{name: "the mode from METRICS_ENABLED and METRICS_MOCK, as in Safir",
			doc: "metrics:\n  application: mobu\n", env: map[string]string{"METRICS_ENABLED": "false", "METRICS_MOCK": "true"},
			check: func(c config.Config) bool { return c.Mode() == config.ModeMock }},
		{name: "the block's enabled with METRICS_MOCK, as in Safir",
			doc: "metrics:\n  application: mobu\n  enabled: false\n", env: map[string]string{"METRICS_MOCK": "true"},
			check: func(c config.Config) bool { return c.Mode() == config.ModeMock }},
		{name: "the block's enabled over METRICS_DISABLE",
			doc: kafkaBlock + "  enabled: true\n", env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092", "METRICS_DISABLE": "true"},
			check: func(c config.Config) bool { return c.Mode() == config.ModeKafka }},
		{name: "METRICS_MOCK ignored in Kafka mode, as in Safir, named in the error",
			doc: "metrics:\n  application: mobu\n  enabled: true\n", env: map[string]string{"METRICS_MOCK": "true"},
			want: []wantProblem{
				{"METRICS_MOCK", `METRICS_MOCK=true is ignored because metrics.enabled is "true"`},
				{"metrics.kafka.bootstrapServers", "required in Kafka mode"},
				{"metrics.schemaManager.registryUrl", "required in Kafka mode"},
			}},
		{name: "the app name from METRICS_APPLICATION",
			doc: "metrics:\n  enabled: false\n", env: map[string]string{"METRICS_APPLICATION": "mobu"},
			check: func(c config.Config) bool { return c.AppName == "mobu" }},
		{name: "the topic prefix from METRICS_EVENTS_TOPIC_PREFIX without events",
			doc: "metrics:\n  application: mobu\n  enabled: false\n", env: map[string]string{"METRICS_EVENTS_TOPIC_PREFIX": "lsst.dev"},
			check: func(c config.Config) bool { return c.Topic() == "lsst.dev.mobu" }},
		{name: "the SDK's own settings from the environment",
			doc: kafkaBlock, env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092", "SCHEMA_MANAGER_TIMEOUT": "3s",
				"METRICS_MAX_BUFFERED_EVENTS": "10", "METRICS_BACKOFF_MAX": "2m"},
			check: func(c config.Config) bool {
				return c.Registry.Timeout == 3*time.Second && c.Delivery.MaxBufferedEvents == 10 && c.Delivery.BackoffMax == 2*time.Minute
			}},
		{name: "backoffInterval over METRICS_BACKOFF_MAX, in Safir's form",
			doc: kafkaBlock + "  backoffInterval: 5m 30s\n", env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092", "METRICS_BACKOFF_MAX": "2m"},
			check: func(c config.Config) bool { return c.Delivery.BackoffMax == 330*time.Second }},
		{name: "a bad value from the environment is named by its variable",
			doc: kafkaBlock, env: map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "broker:9092", "KAFKA_SECURITY_PROTOCOL": "FOO"},
			want: []wantProblem{{"KAFKA_SECURITY_PROTOCOL", `"FOO" is not one of`}}},
		{name: "a missing setting is named by its path and its variable",
			doc: "metrics:\n  application: mobu\n  schemaManager: {registryUrl: \"http://r\"}\n",
			want: []wantProblem{{"metrics.kafka.bootstrapServers", "required in Kafka mode (a comma-separated host:port list; or run without Kafka: " +
				"metrics.enabled=false for disabled mode, with metrics.mock=true for mock mode); it may also come from KAFKA_BOOTSTRAP_SERVERS in the environment"}}},
		{name: "a missing application",
			doc:  "metrics:\n  enabled: false\n",
			want: []wantProblem{{"metrics.application", `required in every mode (set metrics.application, as Phalanx does; e.g. "myapp"); it may also come from METRICS_APPLICATION in the environment`}}},
		{name: "a near miss in the environment is named when the configuration is bad",
			doc: "metrics:\n  enabled: false\n  application: my-app\n", env: map[string]string{"METRICS_MOK": "true"},
			want: []wantProblem{{"metrics.application", `"my-app" must match`}, {"METRICS_MOK", "did you mean METRICS_MOCK?"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil {
				checkProblems(t, safirError(t, tt.doc, tt.env), tt.want...)
				return
			}
			c, _, err := safirYAML(t, tt.doc, tt.env)
			if err != nil {
				t.Fatalf("Config(): %v", err)
			}
			if !tt.check(c) {
				t.Errorf("Config() = %+v", c)
			}
		})
	}
}

// TestSafirMetricsAbsent checks that a file without the block (or with a
// null one) reads everything from the environment, as Safir's
// metrics_configuration_factory does, and FromYAML's keys.
func TestSafirMetricsAbsent(t *testing.T) {
	setEnv(t, mockEnv(nil))
	fromEnv, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"", "# nothing\n", "logLevel: INFO\n", "logLevel: INFO\nmetrics:\n", "metrics: ~\n"} {
		var f struct {
			Metrics config.SafirMetrics `yaml:"metrics"`
		}
		if err := yaml.Unmarshal([]byte(doc), &f); err != nil {
			t.Fatal(err)
		}
		c, err := f.Metrics.Config()
		if err != nil || !equalConfig(c, fromEnv) || f.Metrics.Warnings() != nil {
			t.Errorf("%q: Config() = %v, %v, warnings %q; want FromEnv's %v", doc, c, err, f.Metrics.Warnings(), fromEnv)
		}
		if c, err := config.FromYAML([]byte(doc), "metrics"); err != nil || !equalConfig(c, fromEnv) {
			t.Errorf("%q: FromYAML = %v, %v; want FromEnv's %v", doc, c, err, fromEnv)
		}
	}
	var zero config.SafirMetrics
	if c, err := zero.Config(); err != nil || !equalConfig(c, fromEnv) {
		t.Errorf("zero SafirMetrics: Config() = %v, %v; want FromEnv's", c, err)
	}

	block := "application: nested\nenabled: false\nmock: true\n"
	nested := "config:\n  metrics:\n" + indent(block, "    ")
	if c, err := config.FromYAML([]byte(nested), "config.metrics"); err != nil || c.AppName != "nested" || c.Mode() != config.ModeMock {
		t.Errorf("FromYAML(nested, config.metrics) = %v, %v", c, err)
	}
	if _, err := config.FromYAML([]byte(nested+"  extra: 1\n"), "config.metrics"); err != nil {
		t.Errorf("a key beside the block is the application's: %v", err)
	}
	if c, err := config.FromYAML([]byte(block), ""); err != nil || c.AppName != "nested" {
		t.Errorf("FromYAML(block, \"\") = %v, %v", c, err)
	}
	var ce *config.Error
	if _, err := config.FromYAML([]byte(nested+"    colour: blue\n    enabled: maybe\n"), "config.metrics"); !errors.As(err, &ce) ||
		!slices.Equal(problemNames(ce), []string{"config.metrics.enabled"}) {
		t.Errorf("FromYAML's paths: %v", err)
	}
	for doc, want := range map[string]string{
		"config: 3\n":         "config is not a mapping, so it has no key \"metrics\" (line 1)",
		"- a\n":               "the document is not a mapping, so it has no key \"config\"",
		"config: {metrics: [": "config: reading YAML: yaml:",
	} {
		_, err := config.FromYAML([]byte(doc), "config.metrics")
		if err == nil || !strings.Contains(err.Error(), want) || errors.As(err, new(*config.Error)) {
			t.Errorf("FromYAML(%q) error %v, want one with %q", doc, err, want)
		}
	}
}

// indent prefixes each line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// TestSafirMetricsYAMLFeatures checks anchors, aliases and merge keys, and
// a setting given twice: the same value is allowed, two values are an
// error, as for an alias and its variable in FromEnv.
func TestSafirMetricsYAMLFeatures(t *testing.T) {
	const base = "base: &base\n  application: mobu\n  enabled: false\n"
	for doc, want := range map[string]config.Mode{
		base + "metrics: *base\n":                      config.ModeDisabled,
		base + "metrics:\n  <<: *base\n  mock: true\n": config.ModeMock,
		base + "metrics:\n  <<: *base\n  enabled: true\n  schemaManager: {registryUrl: \"http://r\"}\n": config.ModeKafka,
		"metrics:\n  application: mobu\n  appName: mobu\n  enabled: false\n  Enabled: no\n":             config.ModeDisabled,
	} {
		c, _, err := safirYAML(t, doc, brokerEnv)
		if err != nil || c.Mode() != want || c.AppName != "mobu" {
			t.Errorf("%s=> %v, %v; want %v for mobu", doc, c, err, want)
		}
	}
	checkProblems(t, safirError(t, "metrics:\n  application: mobu\n  appName: other\n  enabled: false\n", nil),
		wantProblem{"metrics.appName", `"other" differs from metrics.application "mobu" (set only one)`})
	checkProblems(t, safirError(t, kafkaBlock+"  schema_manager: {registryUrl: \"http://r\"}\n", brokerEnv),
		wantProblem{"metrics.schema_manager", "repeats metrics.schemaManager (set only one)"})
	checkProblems(t, safirError(t, kafkaBlock+"  kafka: {saslPassword: a, sasl_password: b}\n", brokerEnv),
		wantProblem{"metrics.kafka.sasl_password", "differs from metrics.kafka.saslPassword (set only one)"})
}
