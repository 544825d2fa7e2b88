package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawFromEnviron is what envconfig reads from a fake environment.
func rawFromEnviron(environ []string) rawEnv {
	var raw rawEnv
	rv := reflect.ValueOf(&raw).Elem()
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		for i := range rv.NumField() {
			if rv.Type().Field(i).Tag.Get("envconfig") == name {
				rv.Field(i).SetString(value)
			}
		}
	}
	return raw
}

// TestUnknownVariables runs fromRaw on fake environments holding variables
// the SDK does not read.
func TestUnknownVariables(t *testing.T) {
	t.Parallel()
	mock := func(extra ...string) []string {
		return append([]string{"METRICS_APP_NAME=app", "METRICS_ENABLED=false", "METRICS_MOCK=true", "PATH=/bin", "HOME=/root"}, extra...)
	}
	tests := []struct {
		name    string
		environ []string
		want    []string   // the warnings, in order
		wantErr []VarError // nil: success
	}{
		{name: "only known and foreign variables", environ: mock("METRICS_APPLICATION=app", "KAFKA_SASL_USERNAME=", "GOFLAGS=-x")},
		{name: "misspelt, set to empty: unset, not reported", environ: mock("METRICS_MOK=")},
		{name: "a letter missing", environ: mock("METRICS_MOK=true"),
			want: []string{"METRICS_MOK is not a variable of the metrics SDK and is ignored; did you mean METRICS_MOCK?"}},
		{name: "each prefix, sorted, once each",
			environ: mock("SCHEMA_MANAGER_REGISTRY_ULR=http://r", "METRICS_DISABLED=false", "KAFKA_BOOTSTRAP_SERVER=b:9092", "METRICS_DISABLED=false"),
			want: []string{
				"KAFKA_BOOTSTRAP_SERVER is not a variable of the metrics SDK and is ignored; did you mean KAFKA_BOOTSTRAP_SERVERS?",
				"METRICS_DISABLED is not a variable of the metrics SDK and is ignored; did you mean METRICS_DISABLE?",
				"SCHEMA_MANAGER_REGISTRY_ULR is not a variable of the metrics SDK and is ignored; did you mean SCHEMA_MANAGER_REGISTRY_URL?",
			}},
		{name: "the published misspelling is never suggested", environ: mock("KAFKA_BOOSTRAP_SERVER=b:9092"),
			want: []string{"KAFKA_BOOSTRAP_SERVER is not a variable of the metrics SDK and is ignored; did you mean KAFKA_BOOTSTRAP_SERVERS?"}},
		{name: "nothing close: no suggestion", environ: mock("KAFKA_HEAP_OPTS=-Xmx1g", "METRICS_FOO=1"),
			want: []string{
				"KAFKA_HEAP_OPTS is not a variable of the metrics SDK and is ignored (package config lists them)",
				"METRICS_FOO is not a variable of the metrics SDK and is ignored (package config lists them)",
			}},
		{name: "Confluent's name for the registry URL", environ: mock("SCHEMA_REGISTRY_URL=http://r:8081", "SCHEMA_REGISTRY_OTHER=1"),
			want: []string{"SCHEMA_REGISTRY_URL is not a variable of the metrics SDK and is ignored; did you mean SCHEMA_MANAGER_REGISTRY_URL?"}},
		{name: "Confluent's name when the registry URL is missing",
			environ: []string{"METRICS_APP_NAME=app", "KAFKA_BOOTSTRAP_SERVERS=b:9092", "SCHEMA_REGISTRY_URL=http://r:8081"},
			wantErr: []VarError{
				{Name: envRegistryURL, Reason: "required in Kafka mode (http or https URL of the schema registry)"},
				{Name: "SCHEMA_REGISTRY_URL", Reason: "not a variable of the metrics SDK, ignored: did you mean SCHEMA_MANAGER_REGISTRY_URL?"},
			}},
		{name: "a bad configuration names its near misses, not the others",
			environ: []string{"METRICS_APP_NAME=app", "METRICS_MOK=true", "KAFKA_HEAP_OPTS=-Xmx1g"},
			wantErr: []VarError{
				{Name: envBootstrap, Reason: "required in Kafka mode (a comma-separated host:port list; or run without Kafka: METRICS_ENABLED=false for disabled mode, with METRICS_MOCK=true for mock mode)"},
				{Name: envRegistryURL, Reason: "required in Kafka mode (http or https URL of the schema registry)"},
				{Name: "METRICS_MOK", Reason: "not a variable of the metrics SDK, ignored: did you mean METRICS_MOCK?"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := fromRaw(rawFromEnviron(tt.environ), tt.environ, time.Unix(1700000000, 0))
			if tt.wantErr != nil {
				var ce *Error
				if !errors.As(err, &ce) || !slices.Equal(ce.Vars, tt.wantErr) {
					t.Fatalf("fromRaw() error\n%v\nwant the problems\n%q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("fromRaw() error: %v", err)
			}
			got := c.Warnings() // begins with the notes about the environment it was read from
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"METRICS_MOCK", "METRICS_MOCK", 0},
		{"METRICS_MOK", "METRICS_MOCK", 1},   // insertion
		{"METRICS_MOCKK", "METRICS_MOCK", 1}, // deletion
		{"METRICS_MOCX", "METRICS_MOCK", 1},  // substitution
		{"METRICS_MCOK", "METRICS_MOCK", 1},  // transposition
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment: no edit of a transposed pair
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}
