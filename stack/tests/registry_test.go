//go:build stack

package tests_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// eventSchema is an SDK-shaped event record (metadata fields, then the payload's) for subject
// <namespace>.<name>; payloadFields is the JSON of the payload's fields, comma-separated.
func eventSchema(namespace, name, payloadFields string) string {
	fields := `{"name":"id","type":{"type":"string","logicalType":"uuid"}},` +
		`{"name":"application","type":"string"},` +
		`{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},` +
		`{"name":"timestamp_ns","type":"long"}`
	if payloadFields != "" {
		fields += "," + payloadFields
	}
	return fmt.Sprintf(`{"type":"record","name":%q,"namespace":%q,"fields":[%s]}`, name, namespace, fields)
}

// TestRegistryBackwardCompatibility checks that the stack's registry enforces BACKWARD
// compatibility the way Confluent's does for the changes an event type goes through: an
// incompatible change is refused with HTTP 409 / error_code 409 and a message naming the
// problem, a compatible one becomes the next version, and re-registering a known schema
// returns its id without a new version.
func TestRegistryBackwardCompatibility(t *testing.T) {
	s := loadStack(t)
	const (
		v1Fields = `{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["async","sync"]}},` +
			`{"name":"duration","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}}`
	)
	tests := []struct {
		name       string
		v2Fields   string
		compatible bool
		// wantInMessage is a word the refusal must contain (lower-cased), so the error says why.
		wantInMessage string
	}{
		{
			name:       "add nullable field with default",
			v2Fields:   v1Fields + `,{"name":"rows","type":["null","long"],"default":null}`,
			compatible: true,
		},
		{
			name:       "remove field",
			v2Fields:   `{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["async","sync"]}}`,
			compatible: true,
		},
		{
			name: "add enum symbol",
			v2Fields: `{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["async","sync","batch"]}},` +
				`{"name":"duration","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}}`,
			compatible: true,
		},
		{
			name:          "add required field without default",
			v2Fields:      v1Fields + `,{"name":"rows","type":"long"}`,
			compatible:    false,
			wantInMessage: "rows",
		},
		{
			name: "change field type",
			v2Fields: `{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["async","sync"]}},` +
				`{"name":"duration","type":"string"}`,
			compatible:    false,
			wantInMessage: "duration",
		},
		{
			name: "remove enum symbol",
			v2Fields: `{"name":"type","type":{"type":"enum","name":"QueryType","symbols":["sync"]}},` +
				`{"name":"duration","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}}`,
			compatible:    false,
			wantInMessage: "async",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			namespace := s.Topic("stacktest")
			name := uniqueName("query")
			subject := url.PathEscape(namespace + "." + name)

			if err := s.registryCall(ctx, http.MethodPut, "/config/"+subject,
				map[string]string{"compatibility": "BACKWARD"}, nil); err != nil {
				t.Fatalf("set compatibility: %v", err)
			}
			var cfg struct {
				CompatibilityLevel string `json:"compatibilityLevel"`
			}
			if err := s.registryCall(ctx, http.MethodGet, "/config/"+subject, nil, &cfg); err != nil {
				t.Fatalf("get compatibility: %v", err)
			}
			if cfg.CompatibilityLevel != "BACKWARD" {
				t.Fatalf("compatibility level = %q, want BACKWARD", cfg.CompatibilityLevel)
			}

			var v1 struct{ ID int }
			v1Schema := eventSchema(namespace, name, v1Fields)
			if err := s.registryCall(ctx, http.MethodPost, "/subjects/"+subject+"/versions",
				map[string]string{"schema": v1Schema}, &v1); err != nil {
				t.Fatalf("register v1: %v", err)
			}
			var again struct{ ID int }
			if err := s.registryCall(ctx, http.MethodPost, "/subjects/"+subject+"/versions",
				map[string]string{"schema": v1Schema}, &again); err != nil {
				t.Fatalf("register v1 again: %v", err)
			}
			if again.ID != v1.ID {
				t.Errorf("re-registering v1 gave id %d, want the same id %d", again.ID, v1.ID)
			}

			v2Schema := eventSchema(namespace, name, tt.v2Fields)
			var check struct {
				IsCompatible bool     `json:"is_compatible"`
				Messages     []string `json:"messages"`
			}
			if err := s.registryCall(ctx, http.MethodPost,
				"/compatibility/subjects/"+subject+"/versions/latest?verbose=true",
				map[string]string{"schema": v2Schema}, &check); err != nil {
				t.Fatalf("compatibility check: %v", err)
			}
			if check.IsCompatible != tt.compatible {
				t.Errorf("compatibility check: is_compatible = %v, want %v (messages %q)",
					check.IsCompatible, tt.compatible, check.Messages)
			}

			var v2 struct{ ID int }
			err := s.registryCall(ctx, http.MethodPost, "/subjects/"+subject+"/versions",
				map[string]string{"schema": v2Schema}, &v2)
			var versions []int
			if verr := s.registryCall(ctx, http.MethodGet, "/subjects/"+subject+"/versions", nil, &versions); verr != nil {
				t.Fatalf("list versions: %v", verr)
			}
			if tt.compatible {
				if err != nil {
					t.Fatalf("register compatible v2: %v", err)
				}
				if v2.ID == v1.ID {
					t.Errorf("v2 got v1's id %d, want a new schema id", v1.ID)
				}
				if !slices.Equal(versions, []int{1, 2}) {
					t.Errorf("versions = %v, want [1 2]", versions)
				}
				return
			}
			re, ok := asRegistryError(err)
			if !ok {
				t.Fatalf("register incompatible v2: err = %v, want an HTTP 409 refusal", err)
			}
			if re.Status != http.StatusConflict || re.Body.ErrorCode != 409 {
				t.Errorf("refusal: HTTP %d error_code %d, want 409/409 (%s)", re.Status, re.Body.ErrorCode, re.Raw)
			}
			msg := strings.ToLower(re.Body.Message)
			if !strings.Contains(msg, "incompatible") || !strings.Contains(msg, tt.wantInMessage) {
				t.Errorf("refusal message %q should say incompatible and name %q", re.Body.Message, tt.wantInMessage)
			}
			if !slices.Equal(versions, []int{1}) {
				t.Errorf("versions after refusal = %v, want [1]", versions)
			}
		})
	}
}
