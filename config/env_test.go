package config_test

import (
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// allVars lists every variable FromEnv reads.
func allVars() []string {
	return []string{
		"METRICS_APP_NAME", "METRICS_APPLICATION", "METRICS_ENABLED", "METRICS_DISABLE", "METRICS_MOCK",
		"METRICS_EVENTS_TOPIC_PREFIX", "METRICS_TOPIC_PREFIX", "METRICS_RAISE_ON_ERROR",
		"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL",
		"KAFKA_CLUSTER_CA_PATH", "KAFKA_CLIENT_CERT_PATH", "KAFKA_CLIENT_KEY_PATH",
		"KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
		"SCHEMA_MANAGER_REGISTRY_URL", "SCHEMA_MANAGER_USERNAME", "SCHEMA_MANAGER_PASSWORD",
		"SCHEMA_MANAGER_SUFFIX", "SCHEMA_MANAGER_COMPATIBILITY", "SCHEMA_MANAGER_CA_PATH", "SCHEMA_MANAGER_TIMEOUT",
		"METRICS_MAX_BUFFERED_EVENTS", "METRICS_MAX_BUFFERED_BYTES", "METRICS_BLOCK_TIMEOUT",
		"METRICS_DELIVERY_TIMEOUT", "METRICS_LOG_INTERVAL", "METRICS_BACKOFF_MAX",
	}
}

// setEnv makes env the whole configuration environment of the test: every
// other variable of allVars, and any other METRICS_*, KAFKA_* or
// SCHEMA_MANAGER_* variable of the process (which FromEnv would report as
// unknown), is emptied (which FromEnv treats as unset).
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range allVars() {
		t.Setenv(name, "")
	}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "METRICS_") || strings.HasPrefix(name, "KAFKA_") || strings.HasPrefix(name, "SCHEMA_MANAGER_") {
			t.Setenv(name, "")
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// kafkaEnv is a minimal valid Kafka-mode environment plus extra (an empty
// value in extra unsets a base variable).
func kafkaEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"METRICS_APP_NAME":            "myapp",
		"KAFKA_BOOTSTRAP_SERVERS":     "broker:9092",
		"SCHEMA_MANAGER_REGISTRY_URL": "http://registry:8081",
	}
	maps.Copy(env, extra)
	return env
}

// mockEnv is a minimal valid mock-mode environment plus extra.
func mockEnv(extra map[string]string) map[string]string {
	env := map[string]string{"METRICS_APP_NAME": "myapp", "METRICS_ENABLED": "false", "METRICS_MOCK": "true"}
	maps.Copy(env, extra)
	return env
}

func mustFromEnv(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	setEnv(t, env)
	c, err := config.FromEnv()
	if err != nil {
		t.Fatalf("FromEnv() error: %v", err)
	}
	return c
}

// fromEnvError runs FromEnv expecting an *config.Error.
func fromEnvError(t *testing.T, env map[string]string) *config.Error {
	t.Helper()
	setEnv(t, env)
	c, err := config.FromEnv()
	if err == nil {
		t.Fatalf("FromEnv() = %v, want an error", c)
	}
	if !errors.As(err, new(*config.Error)) {
		t.Errorf("errors.As(%v, *config.Error) = false", err)
	}
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("FromEnv() error %T %v is not a *config.Error", err, err)
	}
	return ce
}

// wantProblem is one expected VarError: its variable and a piece of its reason.
type wantProblem struct{ name, reason string }

// checkProblems asserts that err reports exactly want, in any order.
func checkProblems(t *testing.T, err *config.Error, want ...wantProblem) {
	t.Helper()
	matched := make([]bool, len(err.Vars))
	for _, w := range want {
		found := false
		for i, v := range err.Vars {
			if !matched[i] && v.Name == w.name && strings.Contains(v.Reason, w.reason) {
				matched[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no problem %s: ...%s... in\n%v", w.name, w.reason, err)
		}
		if !strings.Contains(err.Error(), w.name+": ") {
			t.Errorf("error message does not name %s:\n%v", w.name, err)
		}
	}
	for i, m := range matched {
		if !m {
			t.Errorf("unexpected problem %v", err.Vars[i].Error())
		}
	}
}

func TestFromEnvDefaults(t *testing.T) {
	c := mustFromEnv(t, kafkaEnv(nil))
	want := config.Config{
		AppName:     "myapp",
		TopicPrefix: "lsst.square.metrics.events",
		Kafka: config.Kafka{
			BootstrapServers: []string{"broker:9092"},
			SecurityProtocol: config.Plaintext,
			SASLMechanism:    config.MechanismSCRAMSHA512,
		},
		Registry: config.Registry{URL: "http://registry:8081", Compatibility: "NONE", Timeout: 10 * time.Second},
		Delivery: config.Delivery{
			MaxBufferedEvents: 100000,
			MaxBufferedBytes:  64 << 20,
			BlockTimeout:      0,
			DeliveryTimeout:   2 * time.Minute,
			LogInterval:       time.Minute,
			BackoffMax:        time.Minute,
		},
	}
	if !equalConfig(c, want) {
		t.Errorf("FromEnv() =\n%+v\nwant\n%+v", c, want)
	}
	if got := c.Topic(); got != "lsst.square.metrics.events.myapp" {
		t.Errorf("Topic() = %q", got)
	}
	if w := warnings(c); w != nil {
		t.Errorf("warnings %q: want nil", w)
	}
}

// warnings returns what eventmanager.New logs for c: the environment's
// warnings, then the settings'.
func warnings(c config.Config) []string {
	return c.Warnings() // a Config read from the environment carries EnvWarnings
}

// equalConfig compares two configs.
func equalConfig(a, b config.Config) bool {
	return a.AppName == b.AppName && a.Disabled == b.Disabled && a.Mock == b.Mock &&
		a.TopicPrefix == b.TopicPrefix && a.RaiseOnError == b.RaiseOnError &&
		slices.Equal(a.Kafka.BootstrapServers, b.Kafka.BootstrapServers) &&
		a.Kafka.SecurityProtocol == b.Kafka.SecurityProtocol && a.Kafka.ClusterCAPath == b.Kafka.ClusterCAPath &&
		a.Kafka.ClientCertPath == b.Kafka.ClientCertPath && a.Kafka.ClientKeyPath == b.Kafka.ClientKeyPath &&
		a.Kafka.SASLMechanism == b.Kafka.SASLMechanism && a.Kafka.SASLUsername == b.Kafka.SASLUsername &&
		a.Kafka.SASLPassword.Value() == b.Kafka.SASLPassword.Value() &&
		equalRegistry(a.Registry, b.Registry) && a.Delivery == b.Delivery
}

// equalRegistry compares two registry settings, their passwords by value.
func equalRegistry(a, b config.Registry) bool {
	return a.URL == b.URL && a.Username == b.Username && a.Password.Value() == b.Password.Value() &&
		a.Suffix == b.Suffix && a.Compatibility == b.Compatibility && a.CAPath == b.CAPath && a.Timeout == b.Timeout
}

// TestFromEnvVariables sets each variable to a valid value and checks the
// field it lands in.
func TestFromEnvVariables(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c config.Config) (got, want any)
	}{
		{"METRICS_APP_NAME", kafkaEnv(map[string]string{"METRICS_APP_NAME": "  my_App2 "}),
			func(c config.Config) (any, any) { return c.AppName, "my_App2" }},
		{"METRICS_APPLICATION", kafkaEnv(map[string]string{"METRICS_APP_NAME": "", "METRICS_APPLICATION": "safir_app"}),
			func(c config.Config) (any, any) { return c.AppName, "safir_app" }},
		{"METRICS_ENABLED=false", map[string]string{"METRICS_APP_NAME": "a", "METRICS_ENABLED": "false"},
			func(c config.Config) (any, any) { return c.Disabled, true }},
		{"METRICS_ENABLED=TRUE", kafkaEnv(map[string]string{"METRICS_ENABLED": "TRUE"}),
			func(c config.Config) (any, any) { return c.Disabled, false }},
		{"METRICS_DISABLE=yes", map[string]string{"METRICS_APP_NAME": "a", "METRICS_DISABLE": "yes"},
			func(c config.Config) (any, any) { return c.Disabled, true }},
		{"METRICS_DISABLE=0", kafkaEnv(map[string]string{"METRICS_DISABLE": "0"}),
			func(c config.Config) (any, any) { return c.Disabled, false }},
		{"METRICS_MOCK", map[string]string{"METRICS_APP_NAME": "a", "METRICS_ENABLED": "off", "METRICS_MOCK": "On"},
			func(c config.Config) (any, any) { return c.Mock, true }},
		{"METRICS_EVENTS_TOPIC_PREFIX", mockEnv(map[string]string{"METRICS_EVENTS_TOPIC_PREFIX": "lsst.dev._x1"}),
			func(c config.Config) (any, any) { return c.Topic(), "lsst.dev._x1.myapp" }},
		{"METRICS_TOPIC_PREFIX", mockEnv(map[string]string{"METRICS_TOPIC_PREFIX": "a.b"}),
			func(c config.Config) (any, any) { return c.TopicPrefix, "a.b" }},
		{"METRICS_RAISE_ON_ERROR", mockEnv(map[string]string{"METRICS_RAISE_ON_ERROR": "1"}),
			func(c config.Config) (any, any) { return c.RaiseOnError, true }},
		{"KAFKA_BOOTSTRAP_SERVERS", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": " a:9092 , b.example.org:9094,[::1]:9092,10.0.0.1,broker ,::1"}),
			func(c config.Config) (any, any) {
				return strings.Join(c.Kafka.BootstrapServers, "|"), "a:9092|b.example.org:9094|[::1]:9092|10.0.0.1|broker|::1"
			}},
		{"KAFKA_SECURITY_PROTOCOL", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}),
			func(c config.Config) (any, any) { return c.Kafka.SecurityProtocol, config.SASLPlaintext }},
		{"KAFKA_SASL_MECHANISM", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "scram-sha-256", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}),
			func(c config.Config) (any, any) { return c.Kafka.SASLMechanism, config.MechanismSCRAMSHA256 }},
		{"KAFKA_SASL_MECHANISM=PLAIN", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"}),
			func(c config.Config) (any, any) { return c.Kafka.SASLMechanism, config.MechanismPlain }},
		{"KAFKA_SASL_USERNAME", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": " alice ", "KAFKA_SASL_PASSWORD": "p"}),
			func(c config.Config) (any, any) { return c.Kafka.SASLUsername, "alice" }},
		{"KAFKA_SASL_PASSWORD kept untrimmed", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": " s3cret "}),
			func(c config.Config) (any, any) { return c.Kafka.SASLPassword.Value(), " s3cret " }},
		{"SCHEMA_MANAGER_REGISTRY_URL", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "HTTPS://Registry.example.org:8443/sr/"}),
			func(c config.Config) (any, any) { return c.Registry.URL, "https://Registry.example.org:8443/sr" }},
		{"SCHEMA_MANAGER_USERNAME/PASSWORD", kafkaEnv(map[string]string{"SCHEMA_MANAGER_USERNAME": "bob", "SCHEMA_MANAGER_PASSWORD": "pw"}),
			func(c config.Config) (any, any) {
				return c.Registry.Username + ":" + c.Registry.Password.Value(), "bob:pw"
			}},
		{"SCHEMA_MANAGER_REGISTRY_URL user-info", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://bob:p%40ss@registry:8081"}),
			func(c config.Config) (any, any) {
				return c.Registry.URL + " " + c.Registry.Username + ":" + c.Registry.Password.Value(), "http://registry:8081 bob:p@ss"
			}},
		{"SCHEMA_MANAGER_SUFFIX", kafkaEnv(map[string]string{"SCHEMA_MANAGER_SUFFIX": "_staging"}),
			func(c config.Config) (any, any) { return c.Registry.Suffix, "_staging" }},
		{"SCHEMA_MANAGER_COMPATIBILITY", kafkaEnv(map[string]string{"SCHEMA_MANAGER_COMPATIBILITY": "backward_transitive"}),
			func(c config.Config) (any, any) {
				return c.Registry.Compatibility, config.CompatibilityBackwardTransitive
			}},
		{"SCHEMA_MANAGER_TIMEOUT", kafkaEnv(map[string]string{"SCHEMA_MANAGER_TIMEOUT": "1m30s"}),
			func(c config.Config) (any, any) { return c.Registry.Timeout, 90 * time.Second }},
		{"SCHEMA_MANAGER_TIMEOUT seconds", kafkaEnv(map[string]string{"SCHEMA_MANAGER_TIMEOUT": "2.5"}),
			func(c config.Config) (any, any) { return c.Registry.Timeout, 2500 * time.Millisecond }},
		{"METRICS_MAX_BUFFERED_EVENTS", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_EVENTS": "500"}),
			func(c config.Config) (any, any) { return c.Delivery.MaxBufferedEvents, 500 }},
		{"METRICS_MAX_BUFFERED_BYTES", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "1048576"}),
			func(c config.Config) (any, any) { return c.Delivery.MaxBufferedBytes, int64(1 << 20) }},
		{"METRICS_MAX_BUFFERED_BYTES MiB", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "16MiB"}),
			func(c config.Config) (any, any) { return c.Delivery.MaxBufferedBytes, int64(16 << 20) }},
		{"METRICS_MAX_BUFFERED_BYTES kib", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "2 kib"}),
			func(c config.Config) (any, any) { return c.Delivery.MaxBufferedBytes, int64(2048) }},
		{"METRICS_MAX_BUFFERED_BYTES GiB", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "1GiB"}),
			func(c config.Config) (any, any) { return c.Delivery.MaxBufferedBytes, int64(1 << 30) }},
		{"METRICS_BLOCK_TIMEOUT", mockEnv(map[string]string{"METRICS_BLOCK_TIMEOUT": "250ms"}),
			func(c config.Config) (any, any) { return c.Delivery.BlockTimeout, 250 * time.Millisecond }},
		{"METRICS_DELIVERY_TIMEOUT", mockEnv(map[string]string{"METRICS_DELIVERY_TIMEOUT": "30s"}),
			func(c config.Config) (any, any) { return c.Delivery.DeliveryTimeout, 30 * time.Second }},
		{"METRICS_LOG_INTERVAL", mockEnv(map[string]string{"METRICS_LOG_INTERVAL": "10"}),
			func(c config.Config) (any, any) { return c.Delivery.LogInterval, 10 * time.Second }},
		{"METRICS_BACKOFF_MAX", mockEnv(map[string]string{"METRICS_BACKOFF_MAX": "5m"}),
			func(c config.Config) (any, any) { return c.Delivery.BackoffMax, 5 * time.Minute }},
		{"blank values are unset", kafkaEnv(map[string]string{"METRICS_ENABLED": "  ", "SCHEMA_MANAGER_TIMEOUT": " ", "KAFKA_SECURITY_PROTOCOL": "\t"}),
			func(c config.Config) (any, any) {
				return []any{c.Disabled, c.Registry.Timeout, c.Kafka.SecurityProtocol}, []any{false, 10 * time.Second, config.Plaintext}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFromEnv(t, tt.env)
			got, want := tt.check(c)
			if !equalAny(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func equalAny(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// TestFromEnvAliases covers every alias rule.
func TestFromEnvAliases(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantApp      string
		wantDisabled bool
		wantPrefix   string
		wantServers  string
		wantUser     string
		wantPass     string
		wantWarning  string        // a substring of the only warning, "" for none
		wantErr      []wantProblem // nil: success
	}{
		{name: "app name from METRICS_APP_NAME",
			env: mockEnv(nil), wantApp: "myapp"},
		{name: "app name from METRICS_APPLICATION",
			env: mockEnv(map[string]string{"METRICS_APP_NAME": "", "METRICS_APPLICATION": "other"}), wantApp: "other"},
		{name: "app name both set and equal",
			env: mockEnv(map[string]string{"METRICS_APPLICATION": "myapp"}), wantApp: "myapp"},
		{name: "app name both set and different",
			env:     mockEnv(map[string]string{"METRICS_APPLICATION": "other"}),
			wantErr: []wantProblem{{"METRICS_APPLICATION", `"other" differs from METRICS_APP_NAME "myapp"`}}},
		{name: "bad app name via METRICS_APPLICATION names it",
			env:     mockEnv(map[string]string{"METRICS_APP_NAME": "", "METRICS_APPLICATION": "my-app"}),
			wantErr: []wantProblem{{"METRICS_APPLICATION", `"my-app" must match [A-Za-z_][A-Za-z0-9_]*`}}},
		{name: "enabled true, disable false agree",
			env: kafkaEnv(map[string]string{"METRICS_ENABLED": "true", "METRICS_DISABLE": "false"}), wantApp: "myapp"},
		{name: "enabled false, disable true agree",
			env: map[string]string{"METRICS_APP_NAME": "myapp", "METRICS_ENABLED": "false", "METRICS_DISABLE": "true"}, wantApp: "myapp", wantDisabled: true},
		{name: "enabled true, disable true contradict",
			env:     kafkaEnv(map[string]string{"METRICS_ENABLED": "true", "METRICS_DISABLE": "true"}),
			wantErr: []wantProblem{{"METRICS_DISABLE", `"true" contradicts METRICS_ENABLED "true"`}}},
		{name: "enabled false, disable false contradict",
			env:     kafkaEnv(map[string]string{"METRICS_ENABLED": "f", "METRICS_DISABLE": "no"}),
			wantErr: []wantProblem{{"METRICS_DISABLE", `"no" contradicts METRICS_ENABLED "f"`}}},
		{name: "prefix from METRICS_TOPIC_PREFIX",
			env: mockEnv(map[string]string{"METRICS_TOPIC_PREFIX": "x.y"}), wantApp: "myapp", wantPrefix: "x.y"},
		{name: "prefix both set and equal",
			env: mockEnv(map[string]string{"METRICS_TOPIC_PREFIX": "x.y", "METRICS_EVENTS_TOPIC_PREFIX": "x.y"}), wantApp: "myapp", wantPrefix: "x.y"},
		{name: "prefix both set and different",
			env:     mockEnv(map[string]string{"METRICS_TOPIC_PREFIX": "x.y", "METRICS_EVENTS_TOPIC_PREFIX": "x.z"}),
			wantErr: []wantProblem{{"METRICS_TOPIC_PREFIX", `"x.y" differs from METRICS_EVENTS_TOPIC_PREFIX "x.z"`}}},
		{name: "bad prefix via METRICS_TOPIC_PREFIX names it",
			env:     mockEnv(map[string]string{"METRICS_TOPIC_PREFIX": "x..y"}),
			wantErr: []wantProblem{{"METRICS_TOPIC_PREFIX", `"x..y": each dot-separated part`}}},
		{name: "misspelt bootstrap variable alone",
			env:     kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "", "KAFKA_BOOSTRAP_SERVERS": "k1:9092,k2:9092"}),
			wantApp: "myapp", wantServers: "k1:9092,k2:9092",
			wantWarning: "KAFKA_BOOSTRAP_SERVERS is a misspelling of KAFKA_BOOTSTRAP_SERVERS"},
		{name: "misspelt bootstrap variable equal to the right one",
			env:     kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "k1:9092, k2:9092", "KAFKA_BOOSTRAP_SERVERS": "k1:9092,k2:9092 "}),
			wantApp: "myapp", wantServers: "k1:9092,k2:9092",
			wantWarning: "KAFKA_BOOSTRAP_SERVERS (a misspelling) repeats KAFKA_BOOTSTRAP_SERVERS"},
		{name: "misspelt bootstrap variable different",
			env:     kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "k1:9092", "KAFKA_BOOSTRAP_SERVERS": "k2:9092"}),
			wantErr: []wantProblem{{"KAFKA_BOOSTRAP_SERVERS", `"k2:9092" differs from KAFKA_BOOTSTRAP_SERVERS "k1:9092"`}}},
		{name: "bad entry via misspelt variable names it",
			env:     kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "", "KAFKA_BOOSTRAP_SERVERS": "k1:99999"}),
			wantErr: []wantProblem{{"KAFKA_BOOSTRAP_SERVERS", `port "99999"`}}},
		{name: "registry credentials from the URL",
			env:     kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://u1:p1@reg"}),
			wantApp: "myapp", wantUser: "u1", wantPass: "p1"},
		{name: "registry credentials in both, equal",
			env:     kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://u1:p1@reg", "SCHEMA_MANAGER_USERNAME": "u1", "SCHEMA_MANAGER_PASSWORD": "p1"}),
			wantApp: "myapp", wantUser: "u1", wantPass: "p1"},
		{name: "registry user name from the URL, password from the variable",
			env:     kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://u1@reg", "SCHEMA_MANAGER_PASSWORD": "p2"}),
			wantApp: "myapp", wantUser: "u1", wantPass: "p2"},
		{name: "registry credentials in both, different",
			env: kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://u1:p1@reg", "SCHEMA_MANAGER_USERNAME": "u2", "SCHEMA_MANAGER_PASSWORD": "p2"}),
			wantErr: []wantProblem{
				{"SCHEMA_MANAGER_USERNAME", `"u2" differs from the user name in SCHEMA_MANAGER_REGISTRY_URL`},
				{"SCHEMA_MANAGER_PASSWORD", `differs from the password in SCHEMA_MANAGER_REGISTRY_URL`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wantErr != nil {
				checkProblems(t, fromEnvError(t, tt.env), tt.wantErr...)
				return
			}
			c := mustFromEnv(t, tt.env)
			if tt.wantPrefix == "" {
				tt.wantPrefix = "lsst.square.metrics.events"
			}
			if disabled := c.Mode() == config.ModeDisabled; c.AppName != tt.wantApp || disabled != tt.wantDisabled || c.TopicPrefix != tt.wantPrefix {
				t.Errorf("app %q disabled %t prefix %q, want %q %t %q", c.AppName, disabled, c.TopicPrefix, tt.wantApp, tt.wantDisabled, tt.wantPrefix)
			}
			if tt.wantServers != "" && strings.Join(c.Kafka.BootstrapServers, ",") != tt.wantServers {
				t.Errorf("BootstrapServers = %q, want %q", c.Kafka.BootstrapServers, tt.wantServers)
			}
			if c.Registry.Username != tt.wantUser || c.Registry.Password.Value() != tt.wantPass {
				t.Errorf("registry credentials %q/%q, want %q/%q", c.Registry.Username, c.Registry.Password.Value(), tt.wantUser, tt.wantPass)
			}
			if tt.wantUser != "" && c.Registry.URL != "https://reg" {
				t.Errorf("Registry.URL = %q, want the URL without user-info", c.Registry.URL)
			}
			switch w := warnings(c); {
			case tt.wantWarning == "" && len(w) != 0:
				t.Errorf("warnings = %q, want none", w)
			case tt.wantWarning != "" && (len(w) != 1 || !strings.Contains(w[0], tt.wantWarning)):
				t.Errorf("warnings = %q, want one with %q", w, tt.wantWarning)
			}
		})
	}
}

// TestFromEnvBadValues sets one bad value at a time and checks the one
// problem reported.
func TestFromEnvBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []wantProblem
	}{
		{"app name required", kafkaEnv(map[string]string{"METRICS_APP_NAME": ""}),
			[]wantProblem{{"METRICS_APP_NAME", "required"}}},
		{"app name required in mock mode", mockEnv(map[string]string{"METRICS_APP_NAME": ""}),
			[]wantProblem{{"METRICS_APP_NAME", "required"}}},
		{"app name with a dash", mockEnv(map[string]string{"METRICS_APP_NAME": "my-app"}),
			[]wantProblem{{"METRICS_APP_NAME", `"my-app" must match`}}},
		{"app name starting with a digit", mockEnv(map[string]string{"METRICS_APP_NAME": "1app"}),
			[]wantProblem{{"METRICS_APP_NAME", `"1app" must match`}}},
		{"app name with a dot", mockEnv(map[string]string{"METRICS_APP_NAME": "a.b"}),
			[]wantProblem{{"METRICS_APP_NAME", `"a.b" must match`}}},
		{"bad METRICS_ENABLED", mockEnv(map[string]string{"METRICS_ENABLED": "maybe"}),
			[]wantProblem{{"METRICS_ENABLED", `"maybe" is not a boolean`}}},
		{"bad METRICS_DISABLE", mockEnv(map[string]string{"METRICS_DISABLE": "2"}),
			[]wantProblem{{"METRICS_DISABLE", `"2" is not a boolean`}}},
		{"bad METRICS_MOCK", map[string]string{"METRICS_APP_NAME": "a", "METRICS_MOCK": "yep"},
			[]wantProblem{{"METRICS_MOCK", `"yep" is not a boolean`}}},
		{"bad METRICS_RAISE_ON_ERROR", mockEnv(map[string]string{"METRICS_RAISE_ON_ERROR": "sure"}),
			[]wantProblem{{"METRICS_RAISE_ON_ERROR", `"sure" is not a boolean`}}},
		{"prefix with an empty part", mockEnv(map[string]string{"METRICS_EVENTS_TOPIC_PREFIX": "lsst..x"}),
			[]wantProblem{{"METRICS_EVENTS_TOPIC_PREFIX", `"lsst..x": each dot-separated part`}}},
		{"prefix with a dash", mockEnv(map[string]string{"METRICS_EVENTS_TOPIC_PREFIX": "lsst.square-metrics"}),
			[]wantProblem{{"METRICS_EVENTS_TOPIC_PREFIX", `"lsst.square-metrics"`}}},
		{"prefix part starting with a digit", mockEnv(map[string]string{"METRICS_EVENTS_TOPIC_PREFIX": "lsst.2x"}),
			[]wantProblem{{"METRICS_EVENTS_TOPIC_PREFIX", `"lsst.2x"`}}},
		{"bootstrap required", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": ""}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", "required in Kafka mode"}}},
		{"bootstrap stray comma", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "a:1,,b:2"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", "empty entry"}}},
		{"bootstrap bad port", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "a:x"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"a:x": port "x" is not a number`}}},
		{"bootstrap empty port", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "a:"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"a:": port ""`}}},
		{"bootstrap no host", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": ":9092"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `":9092" has no host`}}},
		{"bootstrap URL", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "kafka://a:9092"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"kafka://a:9092" is not a host[:port] address`}}},
		{"bootstrap space", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "a b:9092"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"a b:9092" is not a host[:port] address`}}},
		{"bootstrap bad ipv6", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "[zz]"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"[zz]" is not a host[:port] address`}}},
		{"bootstrap bad bare ipv6", kafkaEnv(map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "a:b:c"}),
			[]wantProblem{{"KAFKA_BOOTSTRAP_SERVERS", `"a:b:c" is not a host[:port] address`}}},
		{"bad protocol", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "FOO"}),
			[]wantProblem{{"KAFKA_SECURITY_PROTOCOL", `"FOO" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`}}},
		{"bad mechanism", kafkaEnv(map[string]string{"KAFKA_SASL_MECHANISM": "GSSAPI"}),
			[]wantProblem{{"KAFKA_SASL_MECHANISM", `"GSSAPI" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`}}},
		{"SASL needs username and password", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}),
			[]wantProblem{{"KAFKA_SASL_USERNAME", "required with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"}, {"KAFKA_SASL_PASSWORD", "required with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT"}}},
		{"SASL_SSL needs password", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u"}),
			[]wantProblem{{"KAFKA_SASL_PASSWORD", "required with KAFKA_SECURITY_PROTOCOL=SASL_SSL"}}},
		{"registry URL required", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": ""}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", "required in Kafka mode"}}},
		{"registry URL scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "ftp://reg"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"ftp://reg" must be an http or https URL such as http://host:8081`}}},
		{"registry URL without scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "registry:8081"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"registry:8081" has no scheme: it must be an http or https URL such as http://host:8081 (did you mean "http://registry:8081"?)`}}},
		{"registry IP address without scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "127.0.0.1:8081"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"127.0.0.1:8081" has no scheme: it must be an http or https URL such as http://host:8081 (did you mean "http://127.0.0.1:8081"?)`}}},
		{"registry IPv6 address without scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "[::1]:8081"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"[::1]:8081" has no scheme: it must be an http or https URL such as http://host:8081 (did you mean "http://[::1]:8081"?)`}}},
		{"registry host without scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "registry"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"registry" has no scheme: it must be an http or https URL such as http://host:8081 (did you mean "http://registry"?)`}}},
		{"registry URL without host", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http:///path"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"http:///path" has no host`}}},
		{"registry URL with a query", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://reg?x=1"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", "must not have a query or fragment"}}},
		{"registry URL bad port", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://reg:0"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `port "0"`}}},
		{"registry URL does not parse", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://reg:80x"}),
			[]wantProblem{{"SCHEMA_MANAGER_REGISTRY_URL", `"http://reg:80x" is not a valid URL: invalid port`}}},
		{"registry password needs a username", kafkaEnv(map[string]string{"SCHEMA_MANAGER_PASSWORD": "pw"}),
			[]wantProblem{{"SCHEMA_MANAGER_USERNAME", "required when SCHEMA_MANAGER_PASSWORD is set"}}},
		{"registry username needs a password", kafkaEnv(map[string]string{"SCHEMA_MANAGER_USERNAME": "u"}),
			[]wantProblem{{"SCHEMA_MANAGER_PASSWORD", "required when SCHEMA_MANAGER_USERNAME is set"}}},
		{"bad suffix", kafkaEnv(map[string]string{"SCHEMA_MANAGER_SUFFIX": "-dev"}),
			[]wantProblem{{"SCHEMA_MANAGER_SUFFIX", `"-dev"`}}},
		{"bad suffix part", kafkaEnv(map[string]string{"SCHEMA_MANAGER_SUFFIX": ".1dev"}),
			[]wantProblem{{"SCHEMA_MANAGER_SUFFIX", `".1dev"`}}},
		{"bad compatibility", kafkaEnv(map[string]string{"SCHEMA_MANAGER_COMPATIBILITY": "SOME"}),
			[]wantProblem{{"SCHEMA_MANAGER_COMPATIBILITY", `"SOME" is not one of NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE`}}},
		{"bad timeout", kafkaEnv(map[string]string{"SCHEMA_MANAGER_TIMEOUT": "soon"}),
			[]wantProblem{{"SCHEMA_MANAGER_TIMEOUT", `"soon" is not a duration`}}},
		{"negative timeout", kafkaEnv(map[string]string{"SCHEMA_MANAGER_TIMEOUT": "-1s"}),
			[]wantProblem{{"SCHEMA_MANAGER_TIMEOUT", "-1s is negative"}}},
		{"bad max events", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_EVENTS": "1e5"}),
			[]wantProblem{{"METRICS_MAX_BUFFERED_EVENTS", `"1e5" is not an integer`}}},
		{"negative max events", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_EVENTS": "-1"}),
			[]wantProblem{{"METRICS_MAX_BUFFERED_EVENTS", "-1 is negative"}}},
		{"bad max bytes", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "64MB"}),
			[]wantProblem{{"METRICS_MAX_BUFFERED_BYTES", `"64MB" is not a number of bytes`}}},
		{"overflowing max bytes", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "9999999999999GiB"}),
			[]wantProblem{{"METRICS_MAX_BUFFERED_BYTES", `"9999999999999GiB" is not a number of bytes`}}},
		{"negative max bytes", mockEnv(map[string]string{"METRICS_MAX_BUFFERED_BYTES": "-5"}),
			[]wantProblem{{"METRICS_MAX_BUFFERED_BYTES", "-5 is negative"}}},
		{"bad block timeout", mockEnv(map[string]string{"METRICS_BLOCK_TIMEOUT": "1 fortnight"}),
			[]wantProblem{{"METRICS_BLOCK_TIMEOUT", `"1 fortnight" is not a duration`}}},
		{"human duration out of Safir's order", mockEnv(map[string]string{"METRICS_BLOCK_TIMEOUT": "3s 2m"}),
			[]wantProblem{{"METRICS_BLOCK_TIMEOUT", `"3s 2m" is not a duration`}}},
		{"negative block timeout", mockEnv(map[string]string{"METRICS_BLOCK_TIMEOUT": "-1"}),
			[]wantProblem{{"METRICS_BLOCK_TIMEOUT", "-1s is negative"}}},
		{"bad delivery timeout", mockEnv(map[string]string{"METRICS_DELIVERY_TIMEOUT": "NaN"}),
			[]wantProblem{{"METRICS_DELIVERY_TIMEOUT", `"NaN" is not a duration`}}},
		{"huge delivery timeout", mockEnv(map[string]string{"METRICS_DELIVERY_TIMEOUT": "1e300"}),
			[]wantProblem{{"METRICS_DELIVERY_TIMEOUT", `"1e300" is not a duration`}}},
		{"bad log interval", mockEnv(map[string]string{"METRICS_LOG_INTERVAL": "1h1x"}),
			[]wantProblem{{"METRICS_LOG_INTERVAL", `"1h1x" is not a duration`}}},
		{"negative backoff", mockEnv(map[string]string{"METRICS_BACKOFF_MAX": "-2m"}),
			[]wantProblem{{"METRICS_BACKOFF_MAX", "-2m0s is negative"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, fromEnvError(t, tt.env), tt.want...)
		})
	}
}

// TestFromEnvModes checks what each mode requires.
func TestFromEnvModes(t *testing.T) {
	missing := "/nonexistent/sasquatch-go-test.pem"
	tests := []struct {
		name     string
		env      map[string]string
		disabled bool
		mock     bool
		want     []wantProblem // nil: success
	}{
		{name: "mock needs no Kafka or registry", env: mockEnv(nil), disabled: true, mock: true},
		{name: "mock reads no file and requires no pairing",
			env: mockEnv(map[string]string{
				"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLIENT_CERT_PATH": missing, "KAFKA_CLUSTER_CA_PATH": missing,
				"SCHEMA_MANAGER_CA_PATH": missing, "SCHEMA_MANAGER_USERNAME": "u",
			}),
			disabled: true, mock: true},
		{name: "mock still checks what is set",
			env: mockEnv(map[string]string{
				"KAFKA_SECURITY_PROTOCOL": "TLS", "SCHEMA_MANAGER_REGISTRY_URL": "ftp://x", "KAFKA_BOOTSTRAP_SERVERS": "a:b",
			}),
			want: []wantProblem{
				{"KAFKA_BOOTSTRAP_SERVERS", `"a:b": port "b"`},
				{"KAFKA_SECURITY_PROTOCOL", `"TLS" is not one of`},
				{"SCHEMA_MANAGER_REGISTRY_URL", "must be an http or https URL"},
			}},
		{name: "disabled needs no Kafka or registry", env: map[string]string{"METRICS_ENABLED": "false", "METRICS_APP_NAME": "a"}, disabled: true},
		{name: "disabled requires the app name", env: map[string]string{"METRICS_ENABLED": "false"},
			want: []wantProblem{{"METRICS_APP_NAME", "required in every mode (set METRICS_APP_NAME, or METRICS_APPLICATION as Phalanx sets it"}}},
		{name: "mock requires the app name", env: map[string]string{"METRICS_ENABLED": "false", "METRICS_MOCK": "true"},
			want: []wantProblem{{"METRICS_APP_NAME", "required in every mode"}}},
		{name: "METRICS_DISABLE=true with METRICS_MOCK=true is mock", env: map[string]string{"METRICS_APP_NAME": "a", "METRICS_DISABLE": "true", "METRICS_MOCK": "true"}, disabled: true, mock: true},
		{name: "disabled still checks the app name if set",
			env:  map[string]string{"METRICS_ENABLED": "false", "METRICS_APP_NAME": "a b"},
			want: []wantProblem{{"METRICS_APP_NAME", `"a b" must match`}}},
		{name: "Kafka mode requires bootstrap servers, registry URL and app name",
			env: map[string]string{},
			want: []wantProblem{
				{"METRICS_APP_NAME", "required"},
				{"KAFKA_BOOTSTRAP_SERVERS", "required in Kafka mode"},
				{"SCHEMA_MANAGER_REGISTRY_URL", "required in Kafka mode"},
			}},
		{name: "unknown mode requires nothing more",
			env:  map[string]string{"METRICS_APP_NAME": "a", "METRICS_MOCK": "perhaps"},
			want: []wantProblem{{"METRICS_MOCK", `"perhaps" is not a boolean`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil {
				checkProblems(t, fromEnvError(t, tt.env), tt.want...)
				return
			}
			c := mustFromEnv(t, tt.env)
			if c.Disabled != tt.disabled || c.Mock != tt.mock {
				t.Errorf("Disabled %t Mock %t, want %t %t", c.Disabled, c.Mock, tt.disabled, tt.mock)
			}
		})
	}
}

// TestFromEnvWarnings checks the notes about settings that are ignored.
func TestFromEnvWarnings(t *testing.T) {
	p := pki.New(t)
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"TLS paths with PLAINTEXT", kafkaEnv(map[string]string{"KAFKA_CLUSTER_CA_PATH": p.CA, "KAFKA_CLIENT_CERT_PATH": p.Missing, "KAFKA_CLIENT_KEY_PATH": p.Missing}),
			[]string{
				"KAFKA_CLUSTER_CA_PATH is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS; it is ignored",
				"KAFKA_CLIENT_CERT_PATH is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS; it is ignored",
				"KAFKA_CLIENT_KEY_PATH is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS; it is ignored",
			}},
		{"SASL credentials with SSL", kafkaEnv(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLIENT_CERT_PATH": p.ClientCert, "KAFKA_CLIENT_KEY_PATH": p.ClientKey,
			"KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}),
			[]string{
				"KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL; it is ignored",
				"KAFKA_SASL_PASSWORD is set but KAFKA_SECURITY_PROTOCOL=SSL does not use SASL; it is ignored",
			}},
		{"registry CA with http", kafkaEnv(map[string]string{"SCHEMA_MANAGER_CA_PATH": p.Missing}),
			[]string{"SCHEMA_MANAGER_CA_PATH is set but SCHEMA_MANAGER_REGISTRY_URL is not https; it is ignored"}},
		{"SASL PLAIN over SASL_PLAINTEXT", kafkaEnv(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "plain", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}),
			[]string{"KAFKA_SASL_MECHANISM=PLAIN with KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT sends the SASL password in clear text: anyone on the network path can read it; use SASL_SSL (TLS), or the SCRAM-SHA-512 mechanism"}},
		{"SASL SCRAM over SASL_PLAINTEXT sends no password", kafkaEnv(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}), nil},
		{"SASL PLAIN over SASL_SSL", kafkaEnv(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_MECHANISM": "PLAIN", "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p",
		}), nil},
		{"registry basic auth over http", kafkaEnv(map[string]string{"SCHEMA_MANAGER_USERNAME": "u", "SCHEMA_MANAGER_PASSWORD": "p"}),
			[]string{"SCHEMA_MANAGER_REGISTRY_URL is http: the registry credentials (SCHEMA_MANAGER_USERNAME, SCHEMA_MANAGER_PASSWORD) are sent in clear text with each request (HTTP basic auth); use an https URL"}},
		{"registry user-info over http", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "HTTP://u:p@registry:8081"}),
			[]string{"SCHEMA_MANAGER_REGISTRY_URL is http: the registry credentials (SCHEMA_MANAGER_USERNAME, SCHEMA_MANAGER_PASSWORD) are sent in clear text with each request (HTTP basic auth); use an https URL"}},
		{"registry basic auth over https", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://u:p@registry:8081"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFromEnv(t, tt.env)
			if w := warnings(c); !slices.Equal(w, tt.want) {
				t.Errorf("warnings =\n%q\nwant\n%q", w, tt.want)
			}
		})
	}
}

// TestWarningsBuiltInCode: a Config built in code gets the warnings of
// its settings, naming its fields (before and after Resolve, user-info
// still in the URL or moved out), and none about the process environment,
// which is not where it came from.
func TestWarningsBuiltInCode(t *testing.T) {
	setEnv(t, map[string]string{"METRICS_MOK": "true", "KAFKA_BOOSTRAP_SERVERS": "b:1", "METRICS_MOCK": "true"})
	if len(config.EnvWarnings()) != 3 {
		t.Fatalf("EnvWarnings() = %q, want the three notes under test", config.EnvWarnings())
	}
	c := config.Config{AppName: "app",
		Kafka:    config.Kafka{BootstrapServers: []string{"b:1"}, SecurityProtocol: config.SASLPlaintext, SASLMechanism: config.MechanismPlain, SASLUsername: "u", SASLPassword: config.NewSecret("p")},
		Registry: config.Registry{URL: "http://u:p@registry:8081"}}
	want := []string{
		"Config.Kafka.SASLMechanism=PLAIN with Config.Kafka.SecurityProtocol=SASL_PLAINTEXT sends the SASL password in clear text: anyone on the network path can read it; use SASL_SSL (TLS), or the SCRAM-SHA-512 mechanism",
		"Config.Registry.URL is http: the registry credentials (Config.Registry.Username, Config.Registry.Password) are sent in clear text with each request (HTTP basic auth); use an https URL",
	}
	if w := c.Warnings(); !slices.Equal(w, want) {
		t.Errorf("Warnings() =\n%q\nwant\n%q", w, want)
	}
	resolved, err := c.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if w := resolved.Warnings(); !slices.Equal(w, want) {
		t.Errorf("Warnings() after Resolve =\n%q\nwant\n%q", w, want)
	}
}

// TestFromEnvMultipleErrors sets many bad variables at once: one error names
// them all, in the documented order.
func TestFromEnvMultipleErrors(t *testing.T) {
	env := map[string]string{
		"METRICS_APP_NAME":             "bad-name",
		"METRICS_ENABLED":              "true",
		"METRICS_DISABLE":              "true",
		"METRICS_EVENTS_TOPIC_PREFIX":  "a..b",
		"METRICS_RAISE_ON_ERROR":       "maybe",
		"KAFKA_BOOTSTRAP_SERVERS":      "a:1",
		"KAFKA_BOOSTRAP_SERVERS":       "b:2",
		"KAFKA_SECURITY_PROTOCOL":      "FOO",
		"KAFKA_SASL_MECHANISM":         "MD5",
		"SCHEMA_MANAGER_REGISTRY_URL":  "gopher://x",
		"SCHEMA_MANAGER_SUFFIX":        "-x",
		"SCHEMA_MANAGER_COMPATIBILITY": "ALL",
		"SCHEMA_MANAGER_TIMEOUT":       "ten seconds",
		"METRICS_MAX_BUFFERED_EVENTS":  "many",
		"METRICS_MAX_BUFFERED_BYTES":   "lots",
		"METRICS_BLOCK_TIMEOUT":        "x",
		"METRICS_DELIVERY_TIMEOUT":     "y",
		"METRICS_LOG_INTERVAL":         "z",
		"METRICS_BACKOFF_MAX":          "w",
	}
	ce := fromEnvError(t, env)
	names := []string{
		"METRICS_APP_NAME", "METRICS_DISABLE", "METRICS_EVENTS_TOPIC_PREFIX", "METRICS_RAISE_ON_ERROR",
		"KAFKA_BOOSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM",
		"SCHEMA_MANAGER_REGISTRY_URL", "SCHEMA_MANAGER_SUFFIX", "SCHEMA_MANAGER_COMPATIBILITY", "SCHEMA_MANAGER_TIMEOUT",
		"METRICS_MAX_BUFFERED_EVENTS", "METRICS_MAX_BUFFERED_BYTES", "METRICS_BLOCK_TIMEOUT",
		"METRICS_DELIVERY_TIMEOUT", "METRICS_LOG_INTERVAL", "METRICS_BACKOFF_MAX",
	}
	var got []string
	for _, v := range ce.Vars {
		got = append(got, v.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("problems name\n%q\nwant\n%q\n(%v)", got, names, ce)
	}
	msg := ce.Error()
	if !strings.HasPrefix(msg, "config: invalid configuration: METRICS_APP_NAME: ") {
		t.Errorf("message %q does not start with the sentinel and the first variable", msg)
	}
	for _, name := range names {
		if !strings.Contains(msg, name+": ") {
			t.Errorf("message does not name %s: %s", name, msg)
		}
	}
	if n := strings.Count(msg, "; "); n != len(names)-1 {
		t.Errorf("message has %d separators, want %d: %s", n, len(names)-1, msg)
	}
}

// TestErrorMessage pins the exact message format.
func TestErrorMessage(t *testing.T) {
	ce := fromEnvError(t, map[string]string{"METRICS_ENABLED": "false", "METRICS_MOCK": "true", "KAFKA_SECURITY_PROTOCOL": "FOO"})
	want := `config: invalid configuration: METRICS_APP_NAME: required in every mode (set METRICS_APP_NAME, or METRICS_APPLICATION as Phalanx sets it; e.g. "myapp"); KAFKA_SECURITY_PROTOCOL: "FOO" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`
	if got := ce.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	var ve *config.VarError
	if !errors.As(error(ce), &ve) || ve.Name != "METRICS_APP_NAME" {
		t.Errorf("errors.As(*VarError) = %v, want the METRICS_APP_NAME problem", ve)
	}
}

// TestFromEnvUnknownVariable is issue 13's misspelt METRICS_MOK=true: it used
// to be ignored without a word.
func TestFromEnvUnknownVariable(t *testing.T) {
	c := mustFromEnv(t, mockEnv(map[string]string{"METRICS_MOK": "true"}))
	want := []string{"METRICS_MOK is not a variable of the metrics SDK and is ignored; did you mean METRICS_MOCK?"}
	if w := warnings(c); !slices.Equal(w, want) {
		t.Errorf("warnings = %q, want %q", w, want)
	}

	err := fromEnvError(t, map[string]string{"METRICS_APP_NAME": "myapp", "METRICS_MOK": "true"})
	checkProblems(t, err,
		wantProblem{"KAFKA_BOOTSTRAP_SERVERS", "required in Kafka mode"},
		wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", "required in Kafka mode"},
		wantProblem{"METRICS_MOK", "did you mean METRICS_MOCK?"},
	)
}
