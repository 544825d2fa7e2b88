package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// renderings returns v as every output path the SDK or an application
// could use: fmt with every common verb, JSON, slog JSON and text at debug.
func renderings(t *testing.T, v any) map[string]string {
	t.Helper()
	out := map[string]string{}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s", "%t", "%08.3f"}
	if reflect.ValueOf(v).Kind() == reflect.Pointer {
		// %p of a non-pointer is a misuse (go vet reports it) that makes
		// fmt print fields without calling any method: not covered.
		verbs = append(verbs, "%p")
	}
	for _, verb := range verbs {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
	}
	for _, format := range []string{"extra:", "%[2]v"} { // %!(EXTRA ...) and %!v(BADINDEX)
		out["fmt "+format] = fmt.Sprintf(format, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	if b, err := json.Marshal(v); err != nil {
		t.Errorf("json.Marshal(%T): %v", v, err)
	} else {
		out["json"] = string(b)
	}
	if b, err := json.MarshalIndent(map[string]any{"v": v}, "", " "); err != nil {
		t.Errorf("json.MarshalIndent(%T): %v", v, err)
	} else {
		out["json nested"] = string(b)
	}
	var jb, tb bytes.Buffer
	slog.New(slog.NewJSONHandler(&jb, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("config", "value", v)
	slog.New(slog.NewTextHandler(&tb, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("config", slog.Any("value", v))
	out["slog json"], out["slog text"] = jb.String(), tb.String()
	return out
}

// assertHidden fails if any rendering shows one of secrets.
func assertHidden(t *testing.T, what string, r map[string]string, secrets []string) {
	t.Helper()
	for how, s := range r {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s via %s reveals %q:\n%s", what, how, secret, s)
			}
		}
	}
}

// TestSecretsNeverPrint loads distinctive secrets and key material and
// prints the Config (and its parts) every way there is.
func TestSecretsNeverPrint(t *testing.T) {
	p := pki.New(t)
	const (
		kafkaPW   = "kafkaPWzx81qT"
		urlPW     = "urlPWqy73kR"
		urlUser   = "urlUSERmm42"
		regPW     = "regPWwv55jS"
		encodedPW = "enc%2FPWab99" // percent-encoded in the URL
		decodedPW = "enc/PWab99"
	)
	base := func(extra map[string]string) map[string]string {
		return kafkaEnv(mergeMaps(map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "alice", "KAFKA_SASL_PASSWORD": kafkaPW,
			"KAFKA_CLUSTER_CA_PATH": p.CA, "KAFKA_CLIENT_CERT_PATH": p.RSACert, "KAFKA_CLIENT_KEY_PATH": p.RSAKey,
		}, extra))
	}
	secrets := append([]string{kafkaPW, urlPW, regPW, encodedPW, decodedPW}, p.KeyMaterial...)
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"URL user-info", base(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://" + urlUser + ":" + urlPW + "@registry.example.org/"})},
		{"percent-encoded URL password", base(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "https://" + urlUser + ":" + encodedPW + "@registry.example.org/"})},
		{"registry password variable", base(map[string]string{
			"SCHEMA_MANAGER_REGISTRY_URL": "https://registry.example.org", "SCHEMA_MANAGER_USERNAME": "bob", "SCHEMA_MANAGER_PASSWORD": regPW,
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustFromEnv(t, tt.env)
			if tc, err := c.Kafka.TLSConfig(); err != nil || len(tc.Certificates) != 1 || c.Kafka.SASLPassword.Value() != kafkaPW {
				t.Fatalf("the secrets under test were not loaded: %v", err)
			}
			assertHidden(t, "Config", renderings(t, c), secrets)
			assertHidden(t, "*Config", renderings(t, &c), secrets)
			assertHidden(t, "Kafka", renderings(t, c.Kafka), secrets)
			assertHidden(t, "Registry", renderings(t, c.Registry), secrets)
			assertHidden(t, "String", map[string]string{"String": c.String(), "GoString": c.GoString()}, secrets)
			if !strings.Contains(c.String(), "sasl_password=[redacted]") || !strings.Contains(c.String(), "registry.password=[redacted]") {
				t.Errorf("String() does not mark the passwords as redacted: %s", c)
			}
		})
	}
}

// TestSecretsNeverPrintLiteral prints a Config built in code and not
// resolved: its registry URL still holds user-info, which only the
// formatting methods (Config's and Registry's) redact.
func TestSecretsNeverPrintLiteral(t *testing.T) {
	const pw = "litPWrt62mZ"
	c := config.Config{AppName: "app", Registry: config.Registry{URL: "https://user:" + pw + "@reg", Password: config.NewSecret(pw)}, Kafka: config.Kafka{SASLPassword: config.NewSecret(pw)}}
	assertHidden(t, "Config", renderings(t, c), []string{pw})
	assertHidden(t, "*Config", renderings(t, &c), []string{pw})
	g := map[string]string{"json": mustJSON(t, c.Registry)}
	var jb bytes.Buffer
	slog.New(slog.NewJSONHandler(&jb, nil)).Info("registry", "value", c.Registry)
	g["slog json"] = jb.String()
	assertHidden(t, "Registry", g, []string{pw})
	if !strings.Contains(g["json"], `"URL":"https://[redacted]@reg"`) {
		t.Errorf("Registry JSON = %s, want the URL with its user-info redacted", g["json"])
	}
}

// TestSecretsNeverInErrors makes configurations fail while they hold
// secrets, including in the very variables that are wrong.
func TestSecretsNeverInErrors(t *testing.T) {
	const pw = "errPWkk19vB"
	tests := []struct {
		name string
		env  map[string]string
		want wantProblem
	}{
		{"URL with user-info and a bad scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "ftp://user:" + pw + "@reg"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"ftp://[redacted]@reg" must be an http or https URL`}},
		{"URL without scheme and user-info", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "user:" + pw + "@reg"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"[redacted]@reg" must be an http or https URL`}},
		{"host:port with user-info and no scheme", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "user:" + pw + "@reg:8081"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"[redacted]@reg:8081" must be an http or https URL`}},
		{"URL with an unescaped slash in the password", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://user:a/" + pw + "@reg"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"http://[redacted]@reg" is not a valid URL (percent-encode`}},
		{"URL with a bad escape in the password", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://user:%zz" + pw + "@reg"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"http://[redacted]@reg" is not a valid URL`}},
		{"URL with user-info and a bad port", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://user:" + pw + "@reg:80x"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"http://[redacted]@reg:80x" is not a valid URL: invalid port ":80x" after host`}},
		{"URL with user-info and a query", kafkaEnv(map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": "http://user:" + pw + "@reg/?a=b"}),
			wantProblem{"SCHEMA_MANAGER_REGISTRY_URL", `"http://[redacted]@reg/?a=b" must not have a query`}},
		{"URL password differs from the variable", kafkaEnv(map[string]string{
			"SCHEMA_MANAGER_REGISTRY_URL": "http://user:" + pw + "@reg", "SCHEMA_MANAGER_PASSWORD": pw + "2",
		}), wantProblem{"SCHEMA_MANAGER_PASSWORD", "differs from the password in SCHEMA_MANAGER_REGISTRY_URL"}},
		{"registry password without user", kafkaEnv(map[string]string{"SCHEMA_MANAGER_PASSWORD": pw}),
			wantProblem{"SCHEMA_MANAGER_USERNAME", "required when SCHEMA_MANAGER_PASSWORD is set"}},
		{"SASL password without user", kafkaEnv(map[string]string{"KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_PASSWORD": pw}),
			wantProblem{"KAFKA_SASL_USERNAME", "required with KAFKA_SECURITY_PROTOCOL=SASL_SSL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := fromEnvError(t, tt.env)
			checkProblems(t, ce, tt.want)
			r := renderings(t, error(ce))
			r["Error"] = ce.Error()
			for _, v := range ce.Vars {
				r["VarError "+v.Name] = v.Error()
				if v.Err != nil {
					r["cause "+v.Name] = v.Err.Error()
				}
			}
			assertHidden(t, "error", r, []string{pw, "%zz"})
		})
	}
}

// TestSecret covers the redaction of the Secret type on its own and inside
// structs.
func TestSecret(t *testing.T) {
	const value = "sEcReT42"
	s := config.NewSecret(value)
	if s.Value() != value {
		t.Fatalf("Value() = %q", s.Value())
	}
	type holder struct {
		Name     string
		Password config.Secret
		Ptr      *config.Secret
	}
	for what, v := range map[string]any{
		"Secret":  s,
		"*Secret": &s,
		"struct":  holder{Name: "n", Password: s, Ptr: &s},
		"*struct": &holder{Name: "n", Password: s, Ptr: &s},
		"slice":   []config.Secret{s, s},
		"map":     map[string]config.Secret{"k": s},
	} {
		r := renderings(t, v)
		assertHidden(t, what, r, []string{value, fmt.Sprintf("%x", value)})
	}
	tests := []struct {
		name, got, want string
	}{
		{"String", s.String(), "[redacted]"},
		{"%v", fmt.Sprintf("%v", s), "[redacted]"},
		{"%q", fmt.Sprintf("%q", s), `"[redacted]"`},
		{"%#v", fmt.Sprintf("%#v", s), `"[redacted]"`},
		{"GoString", s.GoString(), `"[redacted]"`},
		{"%+v struct", fmt.Sprintf("%+v", holder{Name: "n", Password: s}), "{Name:n Password:[redacted] Ptr:<nil>}"},
		{"json", mustJSON(t, holder{Name: "n", Password: s}), `{"Name":"n","Password":"[redacted]","Ptr":null}`},
		{"empty String", config.NewSecret("").String(), ""},
		{"empty json", mustJSON(t, config.NewSecret("")), `""`},
		{"empty %q", fmt.Sprintf("%q", config.NewSecret("")), `""`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	text, err := s.MarshalText()
	if err != nil || string(text) != "[redacted]" {
		t.Errorf("MarshalText() = %q, %v", text, err)
	}
	if v := s.LogValue(); v.String() != "[redacted]" {
		t.Errorf("LogValue() = %v", v)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mergeMaps(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TestErrorUnwrap checks errors.Is and errors.As through *Error.
func TestErrorUnwrap(t *testing.T) {
	cause := errors.New("cause")
	err := error(&config.Error{Vars: []config.VarError{{Name: "A", Reason: "bad"}, {Name: "B", Reason: "worse", Err: cause}}})
	if !errors.As(err, new(*config.Error)) || !errors.Is(err, cause) {
		t.Errorf("errors.As *config.Error %t, errors.Is cause %t", errors.As(err, new(*config.Error)), errors.Is(err, cause))
	}
	if got, want := err.Error(), "config: invalid configuration: A: bad; B: worse"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ve *config.VarError
	if !errors.As(err, &ve) || ve.Name != "A" {
		t.Errorf("errors.As = %v", ve)
	}
	wrapped := fmt.Errorf("eventmanager: %w", err)
	var ce *config.Error
	if !errors.As(wrapped, &ce) || len(ce.Vars) != 2 {
		t.Errorf("errors.As(*Error) through a wrap failed")
	}
}
