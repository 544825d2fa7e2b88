//go:build stack

package tests_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// Versions of one event type, as a service's Go type changes between releases; version 1 is
// testkit.QueryEvent (its docs do not count for compatibility).
type (
	evolveAddOptional struct {
		Type     testkit.QueryType
		Duration time.Duration
		Rows     *int64
	}
	evolveAddRequired struct {
		Type     testkit.QueryType
		Duration time.Duration
		Rows     int64
	}
	evolveRetyped struct {
		Type     testkit.QueryType
		Duration string
	}
	evolveDropField struct {
		Type testkit.QueryType
	}
)

// register creates a publisher of T for event name on m and returns its schema id.
func register[T any](ctx context.Context, m *eventmanager.Manager, name string) (uint32, error) {
	p, err := eventmanager.CreatePublisher[T](ctx, m, name)
	if err != nil {
		return 0, err
	}
	return p.SchemaID(), nil
}

// TestSDKSchemaEvolution registers v1 of an event type through one manager and v2 through a
// second one (a new release of the service), with SCHEMA_MANAGER_COMPATIBILITY=BACKWARD, against
// the stack's registry: a compatible change becomes version 2 with a new schema id, the same
// type again reuses version 1's id, and an incompatible change is refused by CreatePublisher
// with a *schemaregistry.IncompatibleError and a message naming the subject and the level, leaving
// version 1 alone.
func TestSDKSchemaEvolution(t *testing.T) {
	s := loadStack(t)
	const app = "stacktest"
	type registerFunc func(context.Context, *eventmanager.Manager, string) (uint32, error)
	tests := []struct {
		name         string
		v2           registerFunc
		wantVersions []int
		incompatible bool // refused by the registry's BACKWARD check
		retyped      bool // refused by the SDK's field-type guard, before the registry
	}{
		{name: "same type again", v2: register[testkit.QueryEvent], wantVersions: []int{1}},
		{name: "add optional field", v2: register[evolveAddOptional], wantVersions: []int{1, 2}},
		{name: "drop field", v2: register[evolveDropField], wantVersions: []int{1, 2}},
		{name: "add required field", v2: register[evolveAddRequired], wantVersions: []int{1}, incompatible: true},
		{name: "change field type", v2: register[evolveRetyped], wantVersions: []int{1}, retyped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			env := map[string]string{"SCHEMA_MANAGER_COMPATIBILITY": "BACKWARD"}
			event := uniqueName("evolve")
			subject := s.Topic(app) + "." + event

			id1, err := register[testkit.QueryEvent](ctx, newManager(t, s, app, env), event)
			if err != nil {
				t.Fatalf("register v1: %v", err)
			}
			var cfg struct {
				CompatibilityLevel string `json:"compatibilityLevel"`
			}
			if err := s.registryCall(ctx, http.MethodGet, "/config/"+url.PathEscape(subject), nil, &cfg); err != nil {
				t.Fatalf("subject compatibility: %v", err)
			}
			if cfg.CompatibilityLevel != "BACKWARD" {
				t.Fatalf("the SDK set compatibility %q on %s, want BACKWARD", cfg.CompatibilityLevel, subject)
			}

			id2, err := tt.v2(ctx, newManager(t, s, app, env), event)
			var versions []int
			if verr := s.registryCall(ctx, http.MethodGet, "/subjects/"+url.PathEscape(subject)+"/versions", nil, &versions); verr != nil {
				t.Fatalf("list versions: %v", verr)
			}
			if !slices.Equal(versions, tt.wantVersions) {
				t.Errorf("versions of %s = %v, want %v", subject, versions, tt.wantVersions)
			}
			if tt.retyped {
				var fe *eventmanager.FieldTypeChangedError
				if !errors.As(err, &fe) || !errors.As(err, new(*eventmanager.FieldTypeChangedError)) || fe.Subject != subject || len(fe.Fields) == 0 {
					t.Fatalf("retyped field: err = %v, want a *eventmanager.FieldTypeChangedError for subject %s", err, subject)
				}
				return
			}
			if !tt.incompatible {
				switch {
				case err != nil:
					t.Fatalf("compatible change refused: %v", err)
				case len(tt.wantVersions) == 1 && id2 != id1:
					t.Errorf("the same schema got id %d, want version 1's id %d", id2, id1)
				case len(tt.wantVersions) == 2 && id2 == id1:
					t.Errorf("the new version got version 1's id %d, want a new id", id1)
				}
				return
			}
			if !errors.As(err, new(*schemaregistry.IncompatibleError)) {
				t.Fatalf("incompatible change: err = %v, want *schemaregistry.IncompatibleError", err)
			}
			var ie *schemaregistry.IncompatibleError
			if !errors.As(err, &ie) {
				t.Fatalf("incompatible change: err = %T, want a *schemaregistry.IncompatibleError in the chain", err)
			}
			if ie.Subject != subject || ie.Compatibility != "BACKWARD" || ie.Message == "" {
				t.Errorf("IncompatibleError{Subject: %q, Compatibility: %q, Message: %q}, want subject %q, BACKWARD and the registry's reason",
					ie.Subject, ie.Compatibility, ie.Message, subject)
			}
			for _, want := range []string{event, subject, "BACKWARD", "SCHEMA_MANAGER_COMPATIBILITY"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			t.Logf("refusal: %v", err)
		})
	}
}
