package config_test

import (
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// hidden holds a value in an unexported field: fmt prints it by reflection,
// without calling any of its methods.
type hidden[T any] struct {
	name string
	v    T
}

// shown holds a value in an exported field.
type shown[T any] struct{ V T }

// Unexported names of the configuration types, to embed them as unexported
// fields (their methods are still promoted).
type (
	configAlias   = config.Config
	kafkaAlias    = config.Kafka
	registryAlias = config.Registry
)

// nestings returns c and its parts in every place another struct or
// container may hold them: unexported fields (values and pointers),
// exported fields, embedded (exported and unexported names), maps and
// slices.
func nestings(c config.Config) map[string]any {
	k, g := c.Kafka, c.Registry
	return map[string]any{
		"Config in an unexported field":    hidden[config.Config]{"n", c},
		"*Config in an unexported field":   hidden[*config.Config]{"n", &c},
		"Kafka in an unexported field":     hidden[config.Kafka]{"n", k},
		"Registry in an unexported field":  hidden[config.Registry]{"n", g},
		"Secret in an unexported field":    hidden[config.Secret]{"n", k.SASLPassword},
		"Config in an exported field":      shown[config.Config]{c},
		"Registry in an exported field":    shown[config.Registry]{g},
		"Config embedded":                  struct{ config.Config }{c},
		"Kafka embedded":                   struct{ config.Kafka }{k},
		"Registry embedded":                struct{ config.Registry }{g},
		"Config embedded, unexported":      struct{ configAlias }{c},
		"Kafka embedded, unexported":       struct{ kafkaAlias }{k},
		"Registry embedded, unexported":    struct{ registryAlias }{g},
		"*Config embedded":                 struct{ *config.Config }{&c},
		"Config in a map":                  map[string]config.Config{"k": c},
		"Registry in a map":                map[string]config.Registry{"k": g},
		"Config in a slice":                []config.Config{c, c},
		"Kafka in a slice":                 []config.Kafka{k},
		"Registry in a slice":              []config.Registry{g},
		"Config in a slice in a field":     hidden[[]config.Config]{"n", []config.Config{c}},
		"Config in a map in a field":       hidden[map[string]config.Config]{"n", map[string]config.Config{"k": c}},
		"Registry in an array in a field":  hidden[[1]config.Registry]{"n", [1]config.Registry{g}},
		"Config in an any field":           hidden[any]{"n", c},
		"Registry in an unexported struct": hidden[hidden[config.Registry]]{"n", hidden[config.Registry]{"m", g}},
	}
}

// TestSecretsNeverPrintNested prints configurations held inside other
// values every way there is (every fmt verb, %p of values included, JSON,
// slog's text and JSON handlers). fmt cannot call the methods of a value
// reached through an unexported field: the secrets must not be in the
// value in a printable form.
func TestSecretsNeverPrintNested(t *testing.T) {
	p := pki.New(t)
	const (
		kafkaPW = "nestKafkaPWq81"
		urlPW   = "nestUrlPWz44"
		regPW   = "nestRegPWm27"
	)
	fromEnv := mustFromEnv(t, kafkaEnv(map[string]string{
		"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": kafkaPW,
		"KAFKA_CLUSTER_CA_PATH": p.CA, "KAFKA_CLIENT_CERT_PATH": p.RSACert, "KAFKA_CLIENT_KEY_PATH": p.RSAKey,
		"SCHEMA_MANAGER_REGISTRY_URL": "https://urlUser:" + urlPW + "@registry.example.org/",
	}))
	literal := config.Config{AppName: "app",
		Kafka:    config.Kafka{SASLUsername: "alice", SASLPassword: secretOf(kafkaPW)},
		Registry: config.Registry{URL: "https://registry.example.org", Username: "bob", Password: secretOf(regPW)}}
	secrets := append([]string{kafkaPW, urlPW, regPW}, p.KeyMaterial...)
	for _, c := range []struct {
		name string
		c    config.Config
	}{{"from the environment", fromEnv}, {"built in code", literal}} {
		if c.c.Kafka.SASLPassword.Value() != kafkaPW {
			t.Fatalf("%s: the password under test was not loaded", c.name)
		}
		for what, v := range nestings(c.c) {
			r := renderings(t, v)
			r["fmt %p"] = fmtP(v)
			assertHidden(t, c.name+": "+what, r, secrets)
		}
	}
}

// TestRegistryURLUserinfoNeverPrints prints a Registry built in code whose
// URL still holds user-info (Resolve has not moved it out yet), on its own
// and wherever its methods are reachable: every fmt verb, JSON and slog
// must redact the password.
func TestRegistryURLUserinfoNeverPrints(t *testing.T) {
	const pw = "uiPWfj38Lp"
	c := config.Config{AppName: "app", Registry: config.Registry{URL: "https://user:" + pw + "@reg:8081"}}
	values := map[string]any{
		"Registry": c.Registry, "*Registry": &c.Registry, "Config": c, "*Config": &c,
		"Registry in an exported field": shown[config.Registry]{c.Registry},
		"Registry embedded":             struct{ config.Registry }{c.Registry},
		"Registry in a map":             map[string]config.Registry{"k": c.Registry},
		"Registry in a slice":           []config.Registry{c.Registry},
		"Config in a slice":             []config.Config{c},
	}
	for what, v := range values {
		r := renderings(t, v)
		assertHidden(t, what, r, []string{pw})
		if s := r["fmt %v"]; !strings.Contains(s, "[redacted]@reg:8081") {
			t.Errorf("%s printed with %%v = %s, want the URL with its user-info redacted", what, s)
		}
	}
}
