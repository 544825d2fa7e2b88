package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// TestSafirModes runs every combination of METRICS_ENABLED and
// METRICS_MOCK (unset, true, false) through FromEnv with Kafka settings
// present, and checks the mode Safir's metrics_configuration_factory
// chooses for the same environment: mock needs enabled false and mock true,
// disabled needs enabled false, anything else is Kafka (METRICS_MOCK=true
// is then ignored, with a warning that names both variables).
func TestSafirModes(t *testing.T) {
	const ignored = "METRICS_MOCK=true is ignored because METRICS_ENABLED"
	tests := []struct {
		enabled, mock string // "" is unset
		want          config.Mode
		warning       string // a substring of the only warning, "" for none
	}{
		{"", "", config.ModeKafka, ""},
		{"", "false", config.ModeKafka, ""},
		{"", "true", config.ModeKafka, ignored + " is not set"},
		{"true", "", config.ModeKafka, ""},
		{"true", "false", config.ModeKafka, ""},
		{"true", "true", config.ModeKafka, ignored + ` is "true"`},
		{"false", "", config.ModeDisabled, ""},
		{"false", "false", config.ModeDisabled, ""},
		{"false", "true", config.ModeMock, ""},
	}
	for _, tt := range tests {
		t.Run("enabled="+tt.enabled+",mock="+tt.mock, func(t *testing.T) {
			c := mustFromEnv(t, kafkaEnv(map[string]string{"METRICS_ENABLED": tt.enabled, "METRICS_MOCK": tt.mock}))
			if c.Mode() != tt.want {
				t.Errorf("Mode() = %v, want %v (Safir's)", c.Mode(), tt.want)
			}
			w := warnings(c)
			switch {
			case tt.warning == "" && len(w) != 0:
				t.Errorf("warnings %q, want none", w)
			case tt.warning != "" && (len(w) != 1 || !strings.Contains(w[0], tt.warning) || !strings.Contains(w[0], "METRICS_ENABLED=false with METRICS_MOCK=true")):
				t.Errorf("warnings %q, want one containing %q and how to get mock mode", w, tt.warning)
			}
		})
	}
}

// TestSafirModesWithoutKafka: without Kafka settings, Safir refuses
// METRICS_MOCK=true unless METRICS_ENABLED=false (it falls through to its
// Kafka configuration, which then lacks the bootstrap servers); so does
// FromEnv, and its error names both variables, never a silent mock.
func TestSafirModesWithoutKafka(t *testing.T) {
	for _, enabled := range []string{"", "true", "yes"} {
		t.Run("enabled="+enabled, func(t *testing.T) {
			ce := fromEnvError(t, map[string]string{"METRICS_APP_NAME": "myapp", "METRICS_ENABLED": enabled, "METRICS_MOCK": "true"})
			var names []string
			for _, v := range ce.Vars {
				names = append(names, v.Name)
			}
			want := []string{"METRICS_MOCK", "KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_MANAGER_REGISTRY_URL"}
			if !slices.Equal(names, want) {
				t.Fatalf("problems %q, want %q: %v", names, want, ce)
			}
			if r := ce.Vars[0].Reason; !strings.Contains(r, "METRICS_ENABLED") || !strings.Contains(r, "Kafka mode") {
				t.Errorf("METRICS_MOCK problem %q does not name METRICS_ENABLED and the mode", r)
			}
		})
	}
}

// TestSafirDocumentedEnvironments: the environments Safir documents select
// the mode they select in Safir: its test setting (user guide and its own
// tests), a disabled deployment as Phalanx renders it, and herald's Kafka
// environment (a ConfigMap with METRICS_APPLICATION, METRICS_ENABLED,
// METRICS_EVENTS_TOPIC_PREFIX, SCHEMA_MANAGER_REGISTRY_URL; KAFKA_* from the
// KafkaAccess secret, mutual TLS with the mounted certificates).
func TestSafirDocumentedEnvironments(t *testing.T) {
	p := pki.New(t)
	tests := []struct {
		name string
		env  map[string]string
		want config.Mode
	}{
		{"Safir's test setting", map[string]string{"METRICS_APPLICATION": "myapp", "METRICS_ENABLED": "false", "METRICS_MOCK": "true"}, config.ModeMock},
		{"Phalanx, metrics disabled", map[string]string{"METRICS_APPLICATION": "herald", "METRICS_ENABLED": "false"}, config.ModeDisabled},
		{"herald, metrics enabled", map[string]string{
			"METRICS_APPLICATION":         "herald",
			"METRICS_ENABLED":             "true",
			"METRICS_EVENTS_TOPIC_PREFIX": "lsst.square.metrics.events",
			"SCHEMA_MANAGER_REGISTRY_URL": "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081",
			"KAFKA_BOOTSTRAP_SERVERS":     "sasquatch-kafka-bootstrap.sasquatch:9093",
			"KAFKA_SECURITY_PROTOCOL":     "SSL",
			"KAFKA_CLIENT_CERT_PATH":      p.ClientCert,
			"KAFKA_CLIENT_KEY_PATH":       p.ClientKey,
			"KAFKA_CLUSTER_CA_PATH":       p.CA,
		}, config.ModeKafka},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFromEnv(t, tt.env)
			if c.Mode() != tt.want {
				t.Errorf("Mode() = %v, want %v", c.Mode(), tt.want)
			}
			if w := warnings(c); len(w) != 0 {
				t.Errorf("warnings %q, want none", w)
			}
		})
	}
}

// TestSasquatchAppNames checks the rule of names Sasquatch can deploy, and
// that Warnings says so in Kafka mode.
func TestSasquatchAppNames(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		app, suggestion string
		ok              bool
	}{
		{"herald", "herald", true},
		{"qservkafka", "qservkafka", true},
		{"app2", "app2", true},
		{"fastapi_example", "fastapiexample", false},
		{"MyApp", "myapp", false},
		{"_x", "x", false},
		{"2x", "x", false},
		{"__", "app", false},
		{"", "app", false},
	} {
		err := config.CheckSasquatchAppName(tt.app)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSasquatchAppName(%q) = %v, want ok %t", tt.app, err, tt.ok)
		}
		if got := config.SuggestSasquatchAppName(tt.app); got != tt.suggestion {
			t.Errorf("SuggestSasquatchAppName(%q) = %q, want %q", tt.app, got, tt.suggestion)
		}
		if got := config.SuggestSasquatchAppName(tt.app); config.CheckSasquatchAppName(got) != nil {
			t.Errorf("the suggestion %q for %q is not deployable", got, tt.app)
		}
		if err != nil {
			for _, part := range []string{"[a-z][a-z0-9]*", "KafkaUser app-metrics-<app>", "KafkaTopic", "METRICS_APPLICATION", `"` + tt.suggestion + `" would work`} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error for %q does not say %q: %v", tt.app, part, err)
				}
			}
		}
	}
	c := config.Config{AppName: "fastapi_example", Kafka: config.Kafka{BootstrapServers: []string{"b:9092"}}, Registry: config.Registry{URL: "http://r"}}
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"fastapiexample" would work`) {
		t.Errorf("Warnings() = %q, want the deployability warning", w)
	}
	c.AppName = "fastapiexample"
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
}
