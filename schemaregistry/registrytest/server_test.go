package registrytest_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// Record fields used to build schema versions.
const (
	fieldA    = `{"name":"a","type":"string"}`
	fieldB    = `{"name":"b","type":"long"}`
	fieldBDef = `{"name":"b","type":"long","default":0}`
	fieldCDef = `{"name":"c","type":"double","default":0.5}`
)

// record returns an Avro record schema with these fields.
func record(fields ...string) string {
	return `{"type":"record","name":"query","namespace":"lsst.square.metrics.events.myapp","fields":[` +
		strings.Join(fields, ",") + `]}`
}

func avroSchema(text string) sr.Schema { return sr.Schema{Schema: text} }

// newServer starts a server closed at the end of the test.
func newServer(t *testing.T, opts ...registrytest.Option) *registrytest.Server {
	t.Helper()
	s := registrytest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a franz-go sr client for s.
func newClient(t *testing.T, s *registrytest.Server, opts ...sr.ClientOpt) *sr.Client {
	t.Helper()
	cl, err := sr.NewClient(append([]sr.ClientOpt{sr.URLs(s.URL())}, opts...)...)
	if err != nil {
		t.Fatalf("sr.NewClient: %v", err)
	}
	return cl
}

// setCompat sets subject's level through the REST API.
func setCompat(t *testing.T, cl *sr.Client, subject string, level sr.CompatibilityLevel) {
	t.Helper()
	for _, r := range cl.SetCompatibility(t.Context(), sr.SetCompatibility{Level: level}, subject) {
		if r.Err != nil {
			t.Fatalf("set compatibility %s on %s: %v", level, subject, r.Err)
		}
	}
}

// create registers text under subject and fails the test on error.
func create(t *testing.T, cl *sr.Client, subject, text string) sr.SubjectSchema {
	t.Helper()
	ss, err := cl.CreateSchema(t.Context(), subject, avroSchema(text))
	if err != nil {
		t.Fatalf("register %s: %v", text, err)
	}
	return ss
}

// wantRefused checks err is Confluent's 409 for subject.
func wantRefused(t *testing.T, err error, subject string) {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want *sr.ResponseError 409", err)
	}
	if re.StatusCode != http.StatusConflict || re.ErrorCode != 409 {
		t.Errorf("status %d code %d, want 409 409", re.StatusCode, re.ErrorCode)
	}
	if want := fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q", subject); !strings.Contains(re.Message, want) {
		t.Errorf("message %q does not contain %q", re.Message, want)
	}
}

const subject = "lsst.square.metrics.events.myapp.query"

func TestRegisterEnforcesLevel(t *testing.T) {
	t.Parallel()
	type change struct {
		from, to string
		ok       bool
	}
	// What each direction allows; the _TRANSITIVE forms behave the same
	// with a single earlier version.
	changes := map[string][]change{
		"NONE": {
			{record(fieldA), record(fieldB), true},
		},
		"BACKWARD": {
			{record(fieldA), record(fieldA, fieldB), false}, // new reader lacks a default for b
			{record(fieldA), record(fieldA, fieldBDef), true},
			{record(fieldA, fieldB), record(fieldA), true},
		},
		"FORWARD": {
			{record(fieldA, fieldB), record(fieldA), false}, // old reader lacks a default for b
			{record(fieldA), record(fieldA, fieldB), true},
			{record(fieldA, fieldB), record(fieldA, fieldB, fieldCDef), true},
		},
		"FULL": {
			{record(fieldA), record(fieldA, fieldB), false},
			{record(fieldA, fieldB), record(fieldA), false},
			{record(fieldA), record(fieldA, fieldBDef), true},
		},
	}
	for base, cases := range changes {
		levels := []string{base}
		if base != "NONE" {
			levels = append(levels, base+"_TRANSITIVE")
		}
		for _, level := range levels {
			for i, c := range cases {
				t.Run(fmt.Sprintf("%s/%d", level, i), func(t *testing.T) {
					t.Parallel()
					s := newServer(t)
					cl := newClient(t, s)
					var lvl sr.CompatibilityLevel
					if err := lvl.UnmarshalText([]byte(level)); err != nil {
						t.Fatal(err)
					}
					setCompat(t, cl, subject, lvl)
					v1 := create(t, cl, subject, c.from)

					ss, err := cl.CreateSchema(t.Context(), subject, avroSchema(c.to))
					if !c.ok {
						wantRefused(t, err, subject)
						if _, found := s.Fake().GetSchema(subject, 2); found {
							t.Error("refused schema was stored as version 2")
						}
						return
					}
					if err != nil {
						t.Fatalf("compatible change refused: %v", err)
					}
					if ss.Version != 2 || ss.ID == v1.ID {
						t.Errorf("got version %d id %d, want version 2 and an id other than %d", ss.Version, ss.ID, v1.ID)
					}
				})
			}
		}
	}
}

func TestRegisterTransitive(t *testing.T) {
	t.Parallel()
	// v2 is compatible with v1 and v3 with v2, but v3 not with v1.
	backward := [3]string{record(fieldA), record(fieldA, fieldBDef), record(fieldA, fieldB)}
	forward := [3]string{record(fieldA, fieldB), record(fieldA, fieldBDef), record(fieldA)}
	tests := []struct {
		level    sr.CompatibilityLevel
		versions [3]string
		ok       bool
	}{
		{sr.CompatBackward, backward, true},
		{sr.CompatBackwardTransitive, backward, false},
		{sr.CompatForward, forward, true},
		{sr.CompatForwardTransitive, forward, false},
		{sr.CompatFull, backward, true},
		{sr.CompatFullTransitive, backward, false},
		{sr.CompatFull, forward, true},
		{sr.CompatFullTransitive, forward, false},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.level, i), func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			cl := newClient(t, s)
			setCompat(t, cl, subject, tt.level)
			create(t, cl, subject, tt.versions[0])
			create(t, cl, subject, tt.versions[1])
			ss, err := cl.CreateSchema(t.Context(), subject, avroSchema(tt.versions[2]))
			if !tt.ok {
				wantRefused(t, err, subject)
				var re *sr.ResponseError
				if errors.As(err, &re) && !strings.Contains(re.Message, "oldSchemaVersion: 1") {
					t.Errorf("message %q does not name version 1", re.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("v3 refused under %s: %v", tt.level, err)
			}
			if ss.Version != 3 {
				t.Errorf("version = %d, want 3", ss.Version)
			}
		})
	}
}

func TestGlobalLevelAndSubjectOverride(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithGlobalCompatibility("forward"))
	cl := newClient(t, s)

	// No subject level: the global FORWARD applies.
	create(t, cl, "global", record(fieldA, fieldB))
	_, err := cl.CreateSchema(t.Context(), "global", avroSchema(record(fieldA)))
	wantRefused(t, err, "global")

	// A subject level wins over the global one.
	setCompat(t, cl, "own", sr.CompatNone)
	create(t, cl, "own", record(fieldA, fieldB))
	create(t, cl, "own", record(fieldA))
}

func TestIdenticalSchemaSkipsCheck(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cl := newClient(t, s)
	setCompat(t, cl, subject, sr.CompatNone)
	v1 := create(t, cl, subject, record(fieldA))
	create(t, cl, subject, record(fieldB))
	// Under FULL_TRANSITIVE, v1 is incompatible with v2, but registering
	// it again returns its id, as Confluent does.
	setCompat(t, cl, subject, sr.CompatFullTransitive)
	again := create(t, cl, subject, "  "+record(fieldA)+"\n")
	if again.ID != v1.ID {
		t.Errorf("re-registering v1 gave id %d, want %d", again.ID, v1.ID)
	}
}

func TestInvalidAvroRefused(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cl := newClient(t, s)
	_, err := cl.CreateSchema(t.Context(), subject, avroSchema(`{"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]}`))
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnprocessableEntity || re.ErrorCode != 42201 {
		t.Fatalf("err = %v, want 422 42201", err)
	}
	if s.Fake().SubjectExists(subject) {
		t.Error("invalid schema created the subject")
	}
}

func TestCompatibilityEndpoint(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cl := newClient(t, s)
	setCompat(t, cl, subject, sr.CompatBackward)
	create(t, cl, subject, record(fieldA))
	create(t, cl, subject, record(fieldA, fieldBDef))
	create(t, cl, subject, record(fieldA, fieldB)) // compatible with v2 only

	tests := []struct {
		name    string
		version int // -1 latest, -2 all versions per the level
		schema  string
		want    bool
	}{
		{"latest compatible", -1, record(fieldA, fieldB), true},
		{"latest incompatible", -1, record(fieldA, fieldB, `{"name":"d","type":"int"}`), false},
		{"version 1 named", 1, record(fieldA, fieldB), false},
		{"version 2 named", 2, record(fieldA, fieldB), true},
		{"all versions, non-transitive level", -2, record(fieldA, fieldB), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cl.CheckCompatibility(t.Context(), subject, tt.version, avroSchema(tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			if res.Is != tt.want {
				t.Errorf("is_compatible = %v, want %v (messages %q)", res.Is, tt.want, res.Messages)
			}
			if !res.Is && len(res.Messages) == 0 {
				t.Error("incompatible without messages")
			}
		})
	}

	t.Run("all versions, transitive level", func(t *testing.T) {
		setCompat(t, cl, subject, sr.CompatBackwardTransitive)
		res, err := cl.CheckCompatibility(t.Context(), subject, -2, avroSchema(record(fieldA, fieldB)))
		if err != nil || res.Is {
			t.Errorf("got %+v, %v; want incompatible with version 1", res, err)
		}
	})
	t.Run("unknown version", func(t *testing.T) {
		_, err := cl.CheckCompatibility(t.Context(), subject, 9, avroSchema(record(fieldA)))
		var re *sr.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.ErrorCode != 40402 {
			t.Errorf("err = %v, want 404 40402", err)
		}
	})
	t.Run("unknown subject, latest", func(t *testing.T) {
		res, err := cl.CheckCompatibility(t.Context(), "nobody", -1, avroSchema(record(fieldA)))
		if err != nil || !res.Is {
			t.Errorf("got %+v, %v; want compatible", res, err)
		}
	})
}

func TestCompatibility(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithGlobalCompatibility("FULL"))
	cl := newClient(t, s)
	if got := s.Compatibility(subject); got != "" {
		t.Errorf("unknown subject: Compatibility = %q, want empty", got)
	}
	create(t, cl, subject, record(fieldA))
	if got := s.Compatibility(subject); got != "FULL" {
		t.Errorf("subject without level: Compatibility = %q, want global FULL", got)
	}
	setCompat(t, cl, subject, sr.CompatNone)
	if got := s.Compatibility(subject); got != "NONE" {
		t.Errorf("after PUT /config: Compatibility = %q, want NONE", got)
	}
}

func TestWithGlobalCompatibilityPanicsOnUnknownLevel(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewServer accepted level SIDEWAYS")
		}
	}()
	s := registrytest.NewServer(registrytest.WithGlobalCompatibility("SIDEWAYS"))
	s.Close()
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithBasicAuth("metrics", "s3cret"))
	tests := []struct {
		name string
		opts []sr.ClientOpt
		want int // 0 = success
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"wrong password", []sr.ClientOpt{sr.BasicAuth("metrics", "nope")}, http.StatusUnauthorized},
		{"wrong user", []sr.ClientOpt{sr.BasicAuth("other", "s3cret")}, http.StatusUnauthorized},
		{"right", []sr.ClientOpt{sr.BasicAuth("metrics", "s3cret")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newClient(t, s, tt.opts...).Subjects(t.Context())
			var re *sr.ResponseError
			switch {
			case tt.want == 0 && err != nil:
				t.Errorf("err = %v, want success", err)
			case tt.want != 0 && (!errors.As(err, &re) || re.StatusCode != tt.want || re.ErrorCode != tt.want):
				t.Errorf("err = %v, want HTTP %d", err, tt.want)
			}
		})
	}
}

func TestSetDownAndRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cl := newClient(t, s)
	if n := s.Requests(); n != 0 {
		t.Fatalf("fresh server: Requests = %d, want 0", n)
	}
	create(t, cl, subject, record(fieldA)) // POST versions + GET schema by id
	before := s.Requests()
	if before == 0 {
		t.Fatal("Requests did not count the registration")
	}

	s.SetDown(true)
	_, err := cl.Subjects(t.Context())
	var re *sr.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("while down: err = %v, want 503", err)
	}
	if got := s.Requests(); got != before+1 {
		t.Errorf("Requests = %d, want %d (refused requests count)", got, before+1)
	}

	s.SetDown(false)
	subjects, err := cl.Subjects(t.Context())
	if err != nil || len(subjects) != 1 || subjects[0] != subject {
		t.Errorf("after outage: subjects %v, %v; want [%s] (state kept)", subjects, err, subject)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithTLS())
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https://127.0.0.1:port", s.URL())
	}
	if s.Certificate() == nil {
		t.Fatal("Certificate = nil with WithTLS")
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	if _, err := newClient(t, s, sr.DialTLSConfig(&tls.Config{RootCAs: pool})).Subjects(t.Context()); err != nil {
		t.Errorf("with the server's CA: %v", err)
	}
	if _, err := newClient(t, s, sr.DialTLSConfig(&tls.Config{RootCAs: x509.NewCertPool()})).Subjects(t.Context()); err == nil {
		t.Error("an empty CA pool trusted the server")
	}
	if plain := newServer(t); plain.Certificate() != nil {
		t.Error("plain http server has a certificate")
	}
}
