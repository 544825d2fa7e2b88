//go:build safir

package safir_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// yamlCase is one case of testdata/safir/yaml_cases.json (see
// yaml_cases.py): a metrics block, the whole environment, and what Safir
// 15 made of them.
type yamlCase struct {
	Name             string            `json:"name"`
	Metrics          any               `json:"metrics"`
	Env              map[string]string `json:"env"`
	Verdict          string            `json:"verdict"` // mock, disabled, kafka or error
	Application      string            `json:"application"`
	TopicPrefix      string            `json:"topic_prefix"`
	BootstrapServers string            `json:"bootstrap_servers"`
	SecurityProtocol string            `json:"security_protocol"`
	SASLUsername     string            `json:"sasl_username"`
	RegistryURL      string            `json:"registry_url"`
	Suffix           string            `json:"suffix"`
	RaiseOnError     bool              `json:"raise_on_error"`
	BackoffSeconds   float64           `json:"backoff_seconds"`
}

// goYAMLDeviations lists the cases where config.FromYAML deliberately
// reaches another verdict than Safir, with its verdict and why (see
// docs/configuration.md, "Apps configured from a YAML file"). Every other
// case must agree.
var goYAMLDeviations = map[string]struct{ verdict, why string }{
	"kafka_number_disabled": {"error", "the Kafka settings that disabled mode ignores must be well-formed, " +
		"as FromEnv requires of KAFKA_*; Safir does not look at them"},
	"mock_maybe_disabled": {"error", "a mock setting that disabled mode ignores must be a boolean, as FromEnv's METRICS_MOCK"},
	"app_name_keys_differ": {"error", "two keys for one setting that disagree are an error, " +
		"as an alias and its variable in FromEnv; Safir takes the first"},
	"app_name_not_avro": {"error", "the application name must be an Avro name in every mode; " +
		"Safir accepts it and its registration fails in Kafka mode"},
	"security_protocol_from_default": {"kafka", "the security protocol defaults to PLAINTEXT, as FromEnv's; Safir requires it"},
	"security_protocol_lower_case":   {"kafka", "enumerations match in any case, as in FromEnv; Safir's are case-sensitive"},
}

// TestYAMLCases feeds every metrics block Safir 15 judged (with its
// environment) to config.FromYAML, and checks the same verdict: the mode
// and the settings both have, or an error.
func TestYAMLCases(t *testing.T) {
	safir9(t)
	var cases []yamlCase
	readJSON(t, repoPath("testdata", "safir", "yaml_cases.json"), &cases)
	if len(cases) == 0 {
		t.Fatal("no YAML cases")
	}
	names := map[string]bool{}
	for _, c := range cases {
		names[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			want, why := c.Verdict, ""
			if d, ok := goYAMLDeviations[c.Name]; ok {
				want, why = d.verdict, d.why
				if want == c.Verdict {
					t.Fatalf("listed as a deviation (%s), but Safir's verdict is the SDK's too: %s", why, want)
				}
			}
			onlyEnv(t, c.Env)
			doc, err := yaml.Marshal(map[string]any{"metrics": c.Metrics})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.FromYAML(doc, "metrics")
			got := "error"
			if err == nil {
				got = cfg.Mode().String()
			}
			if got != want {
				t.Fatalf("FromYAML verdict %s (%v), want %s (Safir: %s%s)\n%s", got, err, want, c.Verdict, whyNote(why), doc)
			}
			if why != "" {
				t.Logf("deliberately not Safir's verdict (%s): %s; error: %v", c.Verdict, why, err)
			}
			if err != nil || c.Verdict == "error" {
				return
			}
			check := func(what string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, Safir's %v\n%s", what, got, want, doc)
				}
			}
			check("application", cfg.AppName, c.Application)
			check("topic prefix", cfg.TopicPrefix, c.TopicPrefix)
			if c.Verdict != "kafka" {
				return
			}
			check("bootstrap servers", strings.Join(cfg.Kafka.BootstrapServers, ","), c.BootstrapServers)
			check("security protocol", string(cfg.Kafka.SecurityProtocol), c.SecurityProtocol)
			check("SASL username", cfg.Kafka.SASLUsername, c.SASLUsername)
			check("registry URL", cfg.Registry.URL, strings.TrimSuffix(c.RegistryURL, "/")) // pydantic's AnyUrl adds the slash
			check("suffix", cfg.Registry.Suffix, c.Suffix)
			check("raise on error", cfg.RaiseOnError, c.RaiseOnError)
			if strings.Contains(string(doc), "backoff") { // the SDK's default differs (1m, Safir's 5m)
				check("backoff", cfg.Delivery.BackoffMax, time.Duration(c.BackoffSeconds*float64(time.Second)))
			}
		})
	}
	for name := range goYAMLDeviations {
		if !names[name] {
			t.Errorf("deviation %q has no case", name)
		}
	}
}

// onlyEnv makes env the whole configuration environment of t, as
// yaml_cases.py runs each case.
func onlyEnv(t *testing.T, env map[string]string) {
	t.Helper()
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

func whyNote(why string) string {
	if why == "" {
		return ""
	}
	return "; deliberate difference: " + why
}
