//go:build safir

package safir_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// safirModes maps Safir's configuration classes to the SDK's modes.
var safirModes = map[string]config.Mode{
	"KafkaMetricsConfiguration":    config.ModeKafka,
	"DisabledMetricsConfiguration": config.ModeDisabled,
	"MockMetricsConfiguration":     config.ModeMock,
}

// TestSafirModes runs the real Safir's metrics_configuration_factory
// (modes.py) and config.FromEnv on the same environments: every
// combination of METRICS_ENABLED and METRICS_MOCK (unset, true, false),
// with and without Kafka settings, Safir's documented test setting, a
// disabled Phalanx deployment, herald's mutual-TLS Kafka environment, and
// no application name.
// Where Safir accepts an environment, FromEnv selects the same mode; where
// Safir refuses it, FromEnv refuses it too, and when METRICS_MOCK=true is
// part of the reason, the error names METRICS_MOCK and METRICS_ENABLED.
func TestSafirModes(t *testing.T) {
	p := pki.New(t)
	kafka := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS":     "broker:9092",
		"KAFKA_SECURITY_PROTOCOL":     "PLAINTEXT", // Safir has no default for it
		"SCHEMA_MANAGER_REGISTRY_URL": "http://registry:8081",
	}
	type env = map[string]string
	var envs []env
	for _, withKafka := range []bool{false, true} {
		for _, enabled := range []string{"", "true", "false"} {
			for _, mock := range []string{"", "true", "false"} {
				e := env{"METRICS_APPLICATION": "myapp", "METRICS_ENABLED": enabled, "METRICS_MOCK": mock}
				if withKafka {
					for k, v := range kafka {
						e[k] = v
					}
				}
				envs = append(envs, e)
			}
		}
	}
	envs = append(envs,
		env{"METRICS_ENABLED": "false"}, // no application: refused in every mode
		env{"METRICS_ENABLED": "false", "METRICS_MOCK": "true"},
		env{"METRICS_APPLICATION": "myapp", "METRICS_ENABLED": "false", "METRICS_MOCK": "true"},
		env{"METRICS_APPLICATION": "herald", "METRICS_ENABLED": "false"},
		env{
			"METRICS_APPLICATION":         "herald",
			"METRICS_ENABLED":             "true",
			"METRICS_EVENTS_TOPIC_PREFIX": "lsst.square.metrics.events",
			"SCHEMA_MANAGER_REGISTRY_URL": "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081",
			"KAFKA_BOOTSTRAP_SERVERS":     "sasquatch-kafka-bootstrap.sasquatch:9093",
			"KAFKA_SECURITY_PROTOCOL":     "SSL",
			"KAFKA_CLIENT_CERT_PATH":      p.ClientCert,
			"KAFKA_CLIENT_KEY_PATH":       p.ClientKey,
			"KAFKA_CLUSTER_CA_PATH":       p.CA,
		})

	for _, py := range safirPythons(t) {
		t.Run(py.label, func(t *testing.T) {
			for _, e := range envs {
				name := envName(e)
				safir := safirMode(t, py.python, e)
				if safir.Unsupported != "" {
					t.Skipf("Safir %s has no metrics_configuration_factory: %s", py.label, safir.Unsupported)
				}
				for _, k := range []string{"METRICS_APP_NAME", "METRICS_APPLICATION", "METRICS_ENABLED", "METRICS_DISABLE", "METRICS_MOCK",
					"METRICS_EVENTS_TOPIC_PREFIX", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CLIENT_CERT_PATH",
					"KAFKA_CLIENT_KEY_PATH", "KAFKA_CLUSTER_CA_PATH", "SCHEMA_MANAGER_REGISTRY_URL"} {
					t.Setenv(k, e[k])
				}
				cfg, err := config.FromEnv()
				mockIgnored := e["METRICS_MOCK"] == "true" && e["METRICS_ENABLED"] != "false"
				switch {
				case safir.Class != "" && err != nil:
					t.Errorf("%s: Safir chooses %s, FromEnv fails: %v", name, safir.Class, err)
				case safir.Class != "" && cfg.Mode() != safirModes[safir.Class]:
					t.Errorf("%s: Safir chooses %s, FromEnv mode %v", name, safir.Class, cfg.Mode())
				case safir.Class == "" && err == nil:
					t.Errorf("%s: Safir refuses it (%q), FromEnv accepts it (mode %v)", name, safir.Error, cfg.Mode())
				case safir.Class == "" && !errors.As(err, new(*config.Error)):
					t.Errorf("%s: error %v is not a configuration error", name, err)
				case safir.Class == "" && mockIgnored &&
					(!strings.Contains(err.Error(), "METRICS_MOCK: METRICS_MOCK=true is ignored because METRICS_ENABLED")):
					t.Errorf("%s: Safir refuses it, and FromEnv's error does not name METRICS_MOCK and METRICS_ENABLED: %v", name, err)
				default:
					t.Logf("%s: Safir %s%v, FromEnv mode %v err %v", name, safir.Class, safir.Error, cfg.Mode(), err)
				}
			}
		})
	}
}

// safirChoice is what modes.py prints.
type safirChoice struct {
	Class       string   `json:"class"`
	Error       []string `json:"error"`
	Unsupported string   `json:"unsupported"`
}

// safirMode runs modes.py with python in an environment holding only e's
// non-empty variables (and PATH).
func safirMode(t *testing.T, python string, e map[string]string) safirChoice {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), python, "modes.py")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range e {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("modes.py: %v (%s)", err, out)
	}
	var c safirChoice
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("modes.py printed %q: %v", out, err)
	}
	return c
}

// envName lists e's non-empty variables, for messages.
func envName(e map[string]string) string {
	var parts []string
	for _, k := range []string{"METRICS_ENABLED", "METRICS_MOCK", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "METRICS_APPLICATION"} {
		if e[k] != "" {
			parts = append(parts, k+"="+e[k])
		}
	}
	return strings.Join(parts, " ")
}
