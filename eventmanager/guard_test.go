package eventmanager_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// Versions of one event whose field "value" changes type.
type (
	valueString   struct{ Value string }
	valueLong     struct{ Value int64 }
	valueOptLong  struct{ Value *int64 }
	valueDouble   struct{ Value float64 }
	valueBool     struct{ Value bool }
	valueEnum     struct{ Value QueryType }
	valueUUID     struct{ Value uuid.UUID }
	valueDuration struct{ Value time.Duration }
	valuePlus     struct {
		Value string
		Extra int64
	}
)

// createOnce creates a publisher of T for name with a manager of its own,
// closes the manager and returns CreatePublisher's error.
func createOnce[T any](t *testing.T, cfg config.Config, name string) error {
	t.Helper()
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	_, err = eventmanager.CreatePublisher[T](t.Context(), m, name)
	return err
}

// seed registers a record schema with these fields under the subject of
// event name, as another version of the app (or Safir) would have.
func seed(t *testing.T, cfg config.Config, name string, fields ...string) {
	t.Helper()
	c, err := schemaregistry.New(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	text := `{"type":"record","name":"` + name + `","namespace":"` + cfg.Topic() + `","fields":[` + strings.Join(fields, ",") + `]}`
	if _, err := c.Register(t.Context(), cfg.Topic()+"."+name, text); err != nil {
		t.Fatalf("seed %s: %v", name, err)
	}
}

// wantFieldTypeChanged checks err against the change of field "value".
func wantFieldTypeChanged(t *testing.T, err error, event, subject, old, now string) {
	t.Helper()
	var fe *eventmanager.FieldTypeChangedError
	if !errors.As(err, &fe) || !errors.As(err, new(*eventmanager.FieldTypeChangedError)) {
		t.Fatalf("err = %v, want a *FieldTypeChangedError", err)
	}
	want := []eventmanager.FieldTypeChange{{Field: "value", Old: old, New: now}}
	if fe.Event != event || fe.Subject != subject || !reflect.DeepEqual(fe.Fields, want) {
		t.Errorf("error = %+v, want event %q, subject %q, fields %+v", fe, event, subject, want)
	}
	for _, part := range []string{`"value"`, "from " + old + " to " + now, subject, "publish it under a new field name"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q does not mention %q", err, part)
		}
	}
}

// TestFieldTypeGuard: v1 registers "value" as a string; v2, the same field
// as a long, is refused at CreatePublisher under compatibility NONE, in
// both raise modes, and nothing is registered.
func TestFieldTypeGuard(t *testing.T) {
	for _, raise := range []bool{false, true} {
		t.Run(map[bool]string{false: "raise=false", true: "raise=true"}[raise], func(t *testing.T) {
			env := newKafkaEnv(t, false)
			cfg := env.cfg
			cfg.RaiseOnError = raise
			if err := createOnce[valueString](t, cfg, "reading"); err != nil {
				t.Fatalf("v1: %v", err)
			}
			subject := cfg.Topic() + ".reading"
			wantFieldTypeChanged(t, createOnce[valueLong](t, cfg, "reading"), "reading", subject, "string", "integer")

			c, err := schemaregistry.New(cfg.Registry)
			if err != nil {
				t.Fatal(err)
			}
			if _, version, err := c.Latest(t.Context(), subject); err != nil || version != 1 {
				t.Errorf("latest version after the refusal = %d, %v; want 1 (v2 not registered)", version, err)
			}
			// The same v1 again, and a v1 with an added field, still pass.
			if err := createOnce[valueString](t, cfg, "reading"); err != nil {
				t.Errorf("v1 again: %v", err)
			}
			if err := createOnce[valuePlus](t, cfg, "reading"); err != nil {
				t.Errorf("v1 plus a field: %v", err)
			}
		})
	}
}

// TestFieldTypeGuardChanges: what keeps each field's InfluxDB type passes,
// what changes it is refused. The earlier version is registered by hand, so
// that Avro types Go does not produce (int, float) are covered.
func TestFieldTypeGuardChanges(t *testing.T) {
	const (
		str     = `{"name":"value","type":"string"}`
		optStr  = `{"name":"value","type":["null","string"],"default":null}`
		intF    = `{"name":"value","type":"int"}`
		long    = `{"name":"value","type":"long"}`
		optLong = `{"name":"value","type":["null","long"],"default":null}`
		float   = `{"name":"value","type":"float"}`
		double  = `{"name":"value","type":"double"}`
		boolean = `{"name":"value","type":"boolean"}`
		dur     = `{"name":"value","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}}`
		enum1   = `{"name":"value","type":{"type":"enum","name":"QueryType","symbols":["async"]}}`
		extra   = `{"name":"extra","type":"long"}`
	)
	env := newKafkaEnv(t, false)
	cfg := env.cfg
	tests := []struct {
		name     string
		prev     []string
		create   func(t *testing.T, name string) error
		old, now string // "" when allowed
	}{
		{"field added", []string{str}, func(t *testing.T, n string) error { return createOnce[valuePlus](t, cfg, n) }, "", ""},
		{"field removed", []string{str, extra}, func(t *testing.T, n string) error { return createOnce[valueString](t, cfg, n) }, "", ""},
		{"made optional", []string{long}, func(t *testing.T, n string) error { return createOnce[valueOptLong](t, cfg, n) }, "", ""},
		{"made required", []string{optLong}, func(t *testing.T, n string) error { return createOnce[valueLong](t, cfg, n) }, "", ""},
		{"int to long", []string{intF}, func(t *testing.T, n string) error { return createOnce[valueLong](t, cfg, n) }, "", ""},
		{"enum symbol added", []string{enum1}, func(t *testing.T, n string) error { return createOnce[valueEnum](t, cfg, n) }, "", ""},
		{"string to enum", []string{str}, func(t *testing.T, n string) error { return createOnce[valueEnum](t, cfg, n) }, "", ""},
		{"string to uuid", []string{str}, func(t *testing.T, n string) error { return createOnce[valueUUID](t, cfg, n) }, "", ""},
		{"float to double", []string{float}, func(t *testing.T, n string) error { return createOnce[valueDouble](t, cfg, n) }, "", ""},
		{"double to duration", []string{double}, func(t *testing.T, n string) error { return createOnce[valueDuration](t, cfg, n) }, "", ""},
		{"string to long", []string{str}, func(t *testing.T, n string) error { return createOnce[valueLong](t, cfg, n) }, "string", "integer"},
		{"optional string to long", []string{optStr}, func(t *testing.T, n string) error { return createOnce[valueLong](t, cfg, n) }, "string", "integer"},
		{"long to double", []string{long}, func(t *testing.T, n string) error { return createOnce[valueDouble](t, cfg, n) }, "integer", "float"},
		{"duration to long", []string{dur}, func(t *testing.T, n string) error { return createOnce[valueOptLong](t, cfg, n) }, "float", "integer"},
		{"boolean to string", []string{boolean}, func(t *testing.T, n string) error { return createOnce[valueString](t, cfg, n) }, "boolean", "string"},
		{"enum to boolean", []string{enum1}, func(t *testing.T, n string) error { return createOnce[valueBool](t, cfg, n) }, "string", "boolean"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "ev" + string(rune('a'+i))
			seed(t, cfg, name, tt.prev...)
			err := tt.create(t, name)
			if tt.old == "" {
				if err != nil {
					t.Errorf("CreatePublisher: %v, want nil", err)
				}
				return
			}
			wantFieldTypeChanged(t, err, name, cfg.Topic()+"."+name, tt.old, tt.now)
		})
	}
}

// TestFieldTypeGuardBackground: with the registry down at CreatePublisher,
// the guard runs in the background registration once it is back; a changed
// field type keeps the schema unregistered, Check names the error and the
// waiting events are lost at Close.
func TestFieldTypeGuardBackground(t *testing.T) {
	env := newKafkaEnv(t, false)
	cfg := faultConfig(env.cfg.Kafka.BootstrapServers[0], env.registry.URL())
	seed(t, cfg, "reading", `{"name":"value","type":"string"}`)
	env.registry.SetDown(true)
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()), fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := m.Initialize(ctx); err != nil {
		t.Fatalf("Initialize with the registry down: %v", err)
	}
	p, err := eventmanager.CreatePublisher[valueLong](ctx, m, "reading")
	if err != nil {
		t.Fatalf("CreatePublisher with the registry down: %v", err)
	}
	const n = 10
	for i := range n {
		if err := p.Publish(ctx, valueLong{Value: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	env.registry.SetDown(false)
	var checkErr error
	waitFor(t, "Check to name the changed field", func() bool {
		checkErr = m.Check(ctx)
		return checkErr != nil && strings.Contains(checkErr.Error(), "publish it under a new field name")
	})
	if !strings.Contains(checkErr.Error(), `field "value" changes from string to integer`) {
		t.Errorf("Check = %v, want the field, old and new type", checkErr)
	}
	if p.SchemaID() != 0 {
		t.Errorf("SchemaID = %d, want 0 (not registered)", p.SchemaID())
	}
	err = m.Close(ctx)
	var ue *eventmanager.UndeliveredError
	if !errors.As(err, &ue) || ue.Count != n {
		t.Errorf("Close = %v, want an *UndeliveredError for %d events", err, n)
	}
	if st := m.Stats(); st.Total.Failed != n || st.Total.Delivered != 0 {
		t.Errorf("stats = %+v, want %d failed, none delivered", st.Total, n)
	}
}

// TestFieldTypeGuardReferences: the latest schema of the subject defines its
// "value" field with a named type of another subject (a Confluent schema
// reference, here an enum). The guard resolves the reference and refuses a
// version whose "value" is a long; when the referenced version cannot be
// read, it refuses with an error naming the subject, the reference and the
// fix, and registers nothing.
func TestFieldTypeGuardReferences(t *testing.T) {
	env := newKafkaEnv(t, false)
	cfg := env.cfg
	fake := env.registry.Fake()
	enumSubject := cfg.Topic() + ".QueryType"
	enum := `{"type":"enum","name":"QueryType","namespace":"` + cfg.Topic() + `","symbols":["async","sync"]}`
	if _, _, err := fake.RegisterSchema(enumSubject, sr.Schema{Schema: enum}); err != nil {
		t.Fatalf("seed %s: %v", enumSubject, err)
	}
	seedRef := func(t *testing.T, name string) string {
		t.Helper()
		subject := cfg.Topic() + "." + name
		text := `{"type":"record","name":"` + name + `","namespace":"` + cfg.Topic() + `","fields":[{"name":"value","type":"` + cfg.Topic() + `.QueryType"}]}`
		refs := []sr.SchemaReference{{Name: cfg.Topic() + ".QueryType", Subject: enumSubject, Version: 1}}
		if _, _, err := fake.RegisterSchema(subject, sr.Schema{Schema: text, References: refs}); err != nil {
			t.Fatalf("seed %s: %v", subject, err)
		}
		return subject
	}

	t.Run("resolved", func(t *testing.T) {
		subject := seedRef(t, "refd")
		wantFieldTypeChanged(t, createOnce[valueLong](t, cfg, "refd"), "refd", subject, "string", "integer")
		if err := createOnce[valueEnum](t, cfg, "refd"); err != nil {
			t.Errorf("enum to enum: %v, want nil", err)
		}
	})
	t.Run("unresolvable", func(t *testing.T) {
		subject := seedRef(t, "refgone")
		// The referenced version answers 404, as after a hard delete.
		fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/subjects/"+enumSubject+"/versions") {
				return false
			}
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error_code":40402,"message":"Version 1 not found."}`))
			return true
		})
		err := createOnce[valueLong](t, cfg, "refgone")
		if err == nil {
			t.Fatal("CreatePublisher = nil, want an error for the unresolvable reference")
		}
		for _, part := range []string{subject, enumSubject, cfg.Topic() + ".QueryType", "version 1", "register"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("message %q does not mention %q", err, part)
			}
		}
		if errors.Is(err, schemaregistry.ErrUnavailable) {
			t.Errorf("err = %v matches ErrUnavailable, want a refusal", err)
		}
		c, cerr := schemaregistry.New(cfg.Registry)
		if cerr != nil {
			t.Fatal(cerr)
		}
		if _, version, err := c.Latest(t.Context(), subject); err != nil || version != 1 {
			t.Errorf("latest version after the refusal = %d, %v; want 1 (nothing registered)", version, err)
		}
	})
}
