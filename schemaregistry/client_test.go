package schemaregistry

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

const (
	fullName  = "lsst.square.metrics.events.myapp.query"
	fieldA    = `{"name":"a","type":"string"}`
	fieldB    = `{"name":"b","type":"long"}`
	fieldBDef = `{"name":"b","type":"long","default":0}`
	password  = "pa55-w0rd-never-shown"
)

// record returns an Avro record schema named fullName with these fields.
func record(fields ...string) string {
	return `{"type":"record","name":"query","namespace":"lsst.square.metrics.events.myapp","fields":[` +
		strings.Join(fields, ",") + `]}`
}

// guard bounds how long a test waits for a call that should return
// promptly, so a hang fails the test instead of stalling it.
const guard = 10 * time.Second

func newServer(t *testing.T, opts ...registrytest.Option) *registrytest.Server {
	t.Helper()
	s := registrytest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, cfg config.Registry) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func register(t *testing.T, c *Client, name, schema string) uint32 {
	t.Helper()
	id, err := c.Register(t.Context(), name, schema)
	if err != nil {
		t.Fatalf("Register(%s): %v", name, err)
	}
	return id
}

// within runs f in a goroutine and fails the test if it does not return
// within guard.
func within(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(guard):
		t.Fatalf("call did not return within %s", guard)
		return nil
	}
}

// TestNew: the config package owns the rules of the registry settings
// (config's tests check them); New refuses only what it cannot use, takes
// config's defaults for a zero timeout and level (Registry.WithDefaults),
// and keeps what is set.
func TestNew(t *testing.T) {
	t.Parallel()
	if _, err := New(config.Registry{}); err == nil || !strings.Contains(err.Error(), "SCHEMA_MANAGER_REGISTRY_URL") {
		t.Errorf("New without a URL = %v, want an error naming SCHEMA_MANAGER_REGISTRY_URL", err)
	}
	c := newClient(t, config.Registry{URL: "http://127.0.0.1:8081/"})
	if c.url != "http://127.0.0.1:8081" || c.cfg.Timeout != config.DefaultRegistryTimeout || c.cfg.Compatibility != config.DefaultCompatibility {
		t.Errorf("client %q, %s, %s; want the URL without its slash, config's default timeout and level", c.url, c.cfg.Timeout, c.cfg.Compatibility)
	}
	c = newClient(t, config.Registry{URL: "http://127.0.0.1:8081", Compatibility: config.CompatibilityFullTransitive, Timeout: time.Second})
	if c.cfg.Timeout != time.Second || c.cfg.Compatibility != config.CompatibilityFullTransitive {
		t.Errorf("client %s, %s; want the timeout and level given", c.cfg.Timeout, c.cfg.Compatibility)
	}
}

func TestClientRedactsPassword(t *testing.T) {
	t.Parallel()
	cfg := config.Registry{URL: "http://r", Username: "u", Password: config.NewSecret(password)}
	c := newClient(t, cfg)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "registry", c)
	for name, out := range map[string]string{
		"slog":       buf.String(),
		"client %v":  fmt.Sprintf("%v", c),
		"client %+v": fmt.Sprintf("%+v", c),
		"client %#v": fmt.Sprintf("%#v", c),
	} {
		if strings.Contains(out, password) {
			t.Errorf("%s output contains the password: %s", name, out)
		}
	}
}

func TestSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ suffix, want string }{
		{"", fullName},
		{"_dev", fullName + "_dev"},
		{".staging", fullName + ".staging"},
	}
	for _, tt := range tests {
		c := newClient(t, config.Registry{URL: "http://r", Suffix: tt.suffix})
		if got := c.Subject(fullName); got != tt.want {
			t.Errorf("suffix %q: Subject = %q, want %q", tt.suffix, got, tt.want)
		}
	}
}

func TestRegisterSetsCompatibilityOnSuffixedSubject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, suffix, compat, want string
	}{
		{"defaults", "", "", "NONE"},
		{"suffix and level", "_dev", "backward_transitive", "BACKWARD_TRANSITIVE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t) // global BACKWARD, so NONE must come from the client
			c := newClient(t, config.Registry{URL: s.URL(), Suffix: tt.suffix, Compatibility: config.Compatibility(tt.compat)})
			id := register(t, c, fullName, record(fieldA))

			subject := fullName + tt.suffix
			if got := s.Compatibility(subject); got != tt.want {
				t.Errorf("Compatibility(%s) = %q, want %q", subject, got, tt.want)
			}
			ss, ok := s.Fake().GetSchema(subject, 1)
			if !ok || uint32(ss.ID) != id {
				t.Errorf("subject %s version 1 = %+v (found %v), want id %d", subject, ss, ok, id)
			}
			if tt.suffix != "" && s.Fake().SubjectExists(fullName) {
				t.Errorf("unsuffixed subject %s exists", fullName)
			}
		})
	}
}

func TestRegisterReusesIdenticalSchema(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	first := register(t, newClient(t, config.Registry{URL: s.URL()}), fullName, record(fieldA))
	// A fresh client (no cache), the same schema with other whitespace.
	second := register(t, newClient(t, config.Registry{URL: s.URL()}), fullName, "\n  "+record(fieldA)+"\n")
	if second != first {
		t.Errorf("second registration: id %d, want %d", second, first)
	}
	if _, ok := s.Fake().GetSchema(fullName, 2); ok {
		t.Error("identical schema registered as version 2")
	}

	// A schema that exists already (seeded with id 42) is found by lookup.
	s.Fake().SeedSchema("seeded", 1, 42, sr.Schema{Schema: record(fieldA, fieldB)})
	if id := register(t, newClient(t, config.Registry{URL: s.URL()}), "seeded", record(fieldA, fieldB)); id != 42 {
		t.Errorf("seeded schema: id %d, want 42", id)
	}
}

func TestRegisterCachesID(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newClient(t, config.Registry{URL: s.URL()})
	id := register(t, c, fullName, record(fieldA))
	// srclient's CreateSchema re-reads the schema by id after the POST:
	// PUT config, POST lookup (404), POST register, GET /schemas/ids/{id}.
	if n := s.Requests(); n != 4 {
		t.Errorf("first registration made %d requests, want 4", n)
	}

	before := s.Requests()
	if again := register(t, c, fullName, record(fieldA)); again != id {
		t.Errorf("cached id %d, want %d", again, id)
	}
	if n := s.Requests() - before; n != 0 {
		t.Errorf("second Register made %d requests, want 0", n)
	}

	// Another schema text is another cache entry.
	register(t, c, fullName, record(fieldA, fieldBDef))
	if s.Requests() == before {
		t.Error("a new schema made no request")
	}
}

func TestRegisterUnknownSubject(t *testing.T) {
	t.Parallel()
	// Confluent's PUT /config/{subject} does not create the subject, so its
	// lookup answers 40401 (subject not found); srfake's does, and answers
	// 40403 (schema not found). Both mean "not registered yet".
	s := newServer(t)
	s.Fake().Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, "/config/only-config") {
			return false
		}
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_, _ = w.Write([]byte(`{"compatibility":"NONE"}`))
		return true
	})
	c := newClient(t, config.Registry{URL: s.URL()})
	for _, name := range []string{"only-config", "fresh"} {
		id := register(t, c, name, record(fieldA))
		if ss, ok := s.Fake().GetSchema(name, 1); !ok || uint32(ss.ID) != id {
			t.Errorf("%s: not registered as version 1 with id %d", name, id)
		}
	}
}

func TestRegisterRejectsBadInput(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newClient(t, config.Registry{URL: s.URL()})
	tests := []struct{ name, fullName, schema, want string }{
		{"empty name", "", record(fieldA), "empty subject"},
		{"space in name", "my query", record(fieldA), `has " "`},
		{"not JSON", fullName, `{"type":`, "not valid JSON"},
	}
	for _, tt := range tests {
		_, err := c.Register(t.Context(), tt.fullName, tt.schema)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	if n := s.Requests(); n != 0 {
		t.Errorf("bad input made %d requests, want 0", n)
	}

	// Valid JSON, invalid Avro: the registry's 422.
	_, err := c.Register(t.Context(), fullName, `{"type":"record","name":"r","fields":[{"name":"a","type":"nope"}]}`)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != http.StatusUnprocessableEntity || re.Code != 42201 || re.Op != opRegister {
		t.Errorf("invalid Avro: err = %v, want RequestError register 422 42201", err)
	}
}

func TestRegisterIncompatible(t *testing.T) {
	t.Parallel()
	type change struct{ from, to string }
	breaksBackward := change{record(fieldA), record(fieldA, fieldB)}
	breaksForward := change{record(fieldA, fieldB), record(fieldA)}
	compatible := change{record(fieldA), record(fieldA, fieldBDef)}
	tests := []struct {
		level config.Compatibility
		c     change
		ok    bool
	}{
		{"NONE", breaksBackward, true},
		{"BACKWARD", breaksBackward, false},
		{"BACKWARD", breaksForward, true},
		{"BACKWARD_TRANSITIVE", breaksBackward, false},
		{"FORWARD", breaksForward, false},
		{"FORWARD", breaksBackward, true},
		{"FORWARD_TRANSITIVE", breaksForward, false},
		{"FULL", breaksBackward, false},
		{"FULL", breaksForward, false},
		{"FULL_TRANSITIVE", breaksForward, false},
	}
	for _, level := range []config.Compatibility{config.CompatibilityNone, config.CompatibilityBackward, config.CompatibilityBackwardTransitive, config.CompatibilityForward, config.CompatibilityForwardTransitive, config.CompatibilityFull, config.CompatibilityFullTransitive} {
		tests = append(tests, struct {
			level config.Compatibility
			c     change
			ok    bool
		}{level, compatible, true})
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.level, i), func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			c := newClient(t, config.Registry{URL: s.URL(), Compatibility: tt.level})
			v1 := register(t, c, fullName, tt.c.from)
			id, err := c.Register(t.Context(), fullName, tt.c.to)
			if tt.ok {
				if err != nil {
					t.Fatalf("compatible change refused: %v", err)
				}
				if ss, found := s.Fake().GetSchema(fullName, 2); !found || uint32(ss.ID) != id || id == v1 {
					t.Errorf("want a new version 2 with a new id; got id %d (v1 %d), version 2 found %v", id, v1, found)
				}
				return
			}
			wantIncompatible(t, err, fullName, tt.level)
		})
	}
}

func TestRegisterIncompatibleTransitive(t *testing.T) {
	t.Parallel()
	// v2 is compatible with v1, v3 with v2 but not with v1.
	versions := []string{record(fieldA), record(fieldA, fieldBDef), record(fieldA, fieldB)}
	for _, tt := range []struct {
		level config.Compatibility
		ok    bool
	}{
		{"BACKWARD", true}, {"BACKWARD_TRANSITIVE", false},
		{"FULL", true}, {"FULL_TRANSITIVE", false},
	} {
		t.Run(string(tt.level), func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			c := newClient(t, config.Registry{URL: s.URL(), Compatibility: tt.level})
			register(t, c, fullName, versions[0])
			register(t, c, fullName, versions[1])
			_, err := c.Register(t.Context(), fullName, versions[2])
			if tt.ok {
				if err != nil {
					t.Errorf("v3 refused under %s: %v", tt.level, err)
				}
				return
			}
			wantIncompatible(t, err, fullName, tt.level)
		})
	}
}

func wantIncompatible(t *testing.T, err error, subject string, level config.Compatibility) {
	t.Helper()
	var ie *IncompatibleError
	if !errors.As(err, &ie) || !errors.As(err, new(*IncompatibleError)) {
		t.Fatalf("err = %v, want *IncompatibleError", err)
	}
	if ie.Subject != subject || ie.Compatibility != level || ie.Message == "" {
		t.Errorf("got %+v, want subject %s, level %s and the registry's message", ie, subject, level)
	}
	for _, w := range []string{subject, string(level), "make the change compatible", "SCHEMA_MANAGER_COMPATIBILITY"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q does not contain %q", err, w)
		}
	}
	if errors.Is(err, ErrUnavailable) {
		t.Error("an incompatible schema matches ErrUnavailable")
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithBasicAuth("metrics", password))
	good := newClient(t, config.Registry{URL: s.URL(), Username: "metrics", Password: config.NewSecret(password)})
	if err := good.Check(t.Context()); err != nil {
		t.Fatalf("Check with the right password: %v", err)
	}
	register(t, good, fullName, record(fieldA))

	const wrong = "wr0ng-pa55-not-shown"
	bad := newClient(t, config.Registry{URL: s.URL(), Username: "metrics", Password: config.NewSecret(wrong)})
	for op, call := range map[string]func() error{
		opSetCompat: func() error { _, err := bad.Register(t.Context(), fullName, record(fieldB)); return err },
		opCheck:     func() error { return bad.Check(t.Context()) },
	} {
		err := call()
		var re *RequestError
		if !errors.As(err, &re) || re.Status != http.StatusUnauthorized || re.Code != http.StatusUnauthorized || re.Op != op {
			t.Errorf("%s with a wrong password: err = %v, want RequestError 401", op, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, wrong) || strings.Contains(msg, password) ||
			!strings.Contains(msg, "SCHEMA_MANAGER_PASSWORD") {
			t.Errorf("message %q: want no password and a hint", msg)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: 401 matches ErrUnavailable", op)
		}
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the URL
		want  string
	}{
		{"server down (503)", func(t *testing.T) string {
			s := newServer(t)
			s.SetDown(true)
			return s.URL()
		}, "HTTP 503"},
		{"connection refused", func(*testing.T) string { return closed.URL }, "connect"},
		{"proxy 502 page", func(t *testing.T) string {
			return rawServer(t, http.StatusBadGateway, "<html>bad gateway</html>")
		}, "HTTP 502"},
		{"rate limited", func(t *testing.T) string {
			return rawServer(t, http.StatusTooManyRequests, `{"error_code":429,"message":"slow down"}`)
		}, "HTTP 429 (error code 429): slow down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, config.Registry{URL: tt.setup(t)})
			for op, err := range map[string]error{
				"register": func() error { _, err := c.Register(t.Context(), fullName, record(fieldA)); return err }(),
				"check":    c.Check(t.Context()),
				"by id":    func() error { _, err := c.SchemaByID(t.Context(), 1); return err }(),
				"latest":   func() error { _, _, err := c.Latest(t.Context(), fullName); return err }(),
			} {
				var re *RequestError
				if !errors.Is(err, ErrUnavailable) || errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: err = %v, want ErrUnavailable mentioning %q", op, err, tt.want)
				}
			}
		})
	}
}

// rawServer answers every request with status and body.
func rawServer(t *testing.T, status int, body string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s.URL
}

func TestNotARegistry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"html page", http.StatusOK, "<html>hello</html>", "is SCHEMA_MANAGER_REGISTRY_URL a schema registry"},
		{"404 page", http.StatusNotFound, "<html>no</html>", "HTTP 404: Not Found; check SCHEMA_MANAGER_REGISTRY_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, config.Registry{URL: rawServer(t, tt.status, tt.body)})
			_, err := c.Register(t.Context(), fullName, record(fieldA))
			var re *RequestError
			if !errors.As(err, &re) || re.Status != tt.status || re.Op != opSetCompat || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want RequestError %d mentioning %q", err, tt.status, tt.want)
			}
		})
	}
}

// hang makes s block every request until the client goes away or the test
// ends; entered receives each blocked request's path, released is closed
// after a blocked request saw its context end.
func hang(t *testing.T, s *registrytest.Server) (entered chan string, released chan struct{}) {
	t.Helper()
	entered, released = make(chan string, 8), make(chan struct{})
	end := make(chan struct{})
	t.Cleanup(func() { close(end) }) // runs before s.Close
	var once sync.Once
	s.Fake().Intercept(func(_ http.ResponseWriter, r *http.Request) bool {
		// net/http notices a client going away (and cancels r.Context)
		// only once the request body has been read.
		_, _ = io.Copy(io.Discard, r.Body)
		entered <- r.URL.Path
		select {
		case <-r.Context().Done():
			once.Do(func() { close(released) })
		case <-end:
		}
		return true
	})
	return entered, released
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	_, released := hang(t, s)
	const timeout = 200 * time.Millisecond
	c := newClient(t, config.Registry{URL: s.URL(), Timeout: timeout})
	start := time.Now()
	err := within(t, func() error { _, err := c.Register(context.Background(), fullName, record(fieldA)); return err })
	elapsed := time.Since(start)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("err = %v, want ErrUnavailable wrapping a deadline", err)
	}
	if elapsed < timeout {
		t.Errorf("returned after %s, before the %s timeout", elapsed, timeout)
	}
	select {
	case <-released: // the request was abandoned, not left running
	case <-time.After(guard):
		t.Error("the server never saw the request end")
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	entered, released := hang(t, s)
	c := newClient(t, config.Registry{URL: s.URL(), Timeout: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-entered
		cancel()
	}()
	err := within(t, func() error { _, err := c.Register(ctx, fullName, record(fieldA)); return err })
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want context.Canceled and not ErrUnavailable", err)
	}
	select {
	case <-released:
	case <-time.After(guard):
		t.Error("the server never saw the request end")
	}

	// A ctx that is done already makes no request.
	before := s.Requests()
	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	if err := c.Check(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Check(done ctx) = %v, want context.Canceled", err)
	}
	if n := s.Requests() - before; n != 0 {
		t.Errorf("done ctx made %d requests", n)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithTLS())
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	trusted := newClient(t, config.Registry{URL: s.URL(), CAPath: ca})
	if err := trusted.Check(t.Context()); err != nil {
		t.Fatalf("Check with the server's CA: %v", err)
	}
	register(t, trusted, fullName, record(fieldA))

	untrusted := newClient(t, config.Registry{URL: s.URL()}) // system pool
	err := untrusted.Check(t.Context())
	var re *RequestError
	if !errors.As(err, &re) || re.Status != 0 || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "SCHEMA_MANAGER_CA_PATH (config.Registry.CAPath)") {
		t.Errorf("untrusted certificate: err = %v, want RequestError with a SCHEMA_MANAGER_CA_PATH hint", err)
	}

	// A CA file that cannot be used is New's error, as config reports it.
	missing := filepath.Join(t.TempDir(), "missing.crt")
	if c, err := New(config.Registry{URL: s.URL(), CAPath: missing}); c != nil || !errors.As(err, new(*config.Error)) || !strings.Contains(err.Error(), "SCHEMA_MANAGER_CA_PATH") {
		t.Errorf("New with a missing CA file = %v, %v, want a config error naming SCHEMA_MANAGER_CA_PATH", c, err)
	}
}

func TestSchemaByID(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newClient(t, config.Registry{URL: s.URL()})
	schema := record(fieldA)
	id := register(t, c, fullName, schema)

	got, err := c.SchemaByID(t.Context(), id)
	if err != nil || got != schema {
		t.Fatalf("SchemaByID(%d) = %q, %v; want %q", id, got, err, schema)
	}
	before := s.Requests()
	if _, err := c.SchemaByID(t.Context(), id); err != nil || s.Requests() != before {
		t.Errorf("second SchemaByID: err %v, %d requests; want cached", err, s.Requests()-before)
	}

	_, err = c.SchemaByID(t.Context(), 999)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound || !strings.Contains(err.Error(), "schema by id 999") {
		t.Errorf("unknown id: err = %v, want RequestError 404 naming id 999", err)
	}
}

// TestLatest: Latest reads the newest version afresh; a subject with no
// version is "none", not an error; a 404 that is not the registry's stays an
// error.
func TestLatest(t *testing.T) {
	t.Parallel()
	s := newServer(t, registrytest.WithGlobalCompatibility("NONE"))
	c := newClient(t, config.Registry{URL: s.URL(), Suffix: "_dev"})

	text, version, err := c.Latest(t.Context(), fullName)
	if err != nil || text != "" || version != 0 {
		t.Fatalf("Latest of an unknown subject = %q, %d, %v; want \"\", 0, nil", text, version, err)
	}
	v1, v2 := record(fieldA), record(fieldA, fieldB)
	register(t, c, fullName, v1)
	if text, version, err = c.Latest(t.Context(), fullName); err != nil || text != v1 || version != 1 {
		t.Errorf("Latest after v1 = %q, %d, %v; want v1, 1", text, version, err)
	}
	register(t, c, fullName, v2)
	before := s.Requests()
	if text, version, err = c.Latest(t.Context(), fullName); err != nil || text != v2 || version != 2 {
		t.Errorf("Latest after v2 = %q, %d, %v; want v2, 2", text, version, err)
	}
	if s.Requests() == before {
		t.Error("Latest answered from a cache; want a request each time")
	}
	// Soft-delete the subject: its versions stay stored, none is live.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, s.URL()+"/subjects/"+c.Subject(fullName), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE subject: HTTP %d", resp.StatusCode)
	}
	if text, version, err = c.Latest(t.Context(), fullName); err != nil || text != "" || version != 0 {
		t.Errorf("Latest of a deleted subject = %q, %d, %v; want \"\", 0, nil", text, version, err)
	}

	page := newClient(t, config.Registry{URL: rawServer(t, http.StatusNotFound, "<html>not found</html>")})
	_, _, err = page.Latest(t.Context(), fullName)
	var re *RequestError
	if !errors.As(err, &re) || re.Status != http.StatusNotFound || !strings.Contains(err.Error(), "latest schema subject") {
		t.Errorf("Latest behind a 404 page: err = %v, want a RequestError 404 naming the operation", err)
	}
	if _, _, err := c.Latest(t.Context(), "bad name"); err == nil {
		t.Error("Latest of a subject with a space: want an error")
	}
}

func TestConcurrentRegister(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newClient(t, config.Registry{URL: s.URL()})
	schemas := []string{record(fieldA), record(fieldA, fieldBDef)}
	ids := make([]uint32, 16)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			id, err := c.Register(t.Context(), fmt.Sprintf("%s%d", fullName, i%4), schemas[i%2])
			if err != nil {
				t.Errorf("Register %d: %v", i, err)
			}
			ids[i] = id
		})
	}
	wg.Wait()
	for i := range ids {
		if j := (i + 4) % len(ids); ids[i] != ids[j] {
			t.Errorf("same subject and schema got ids %d and %d", ids[i], ids[j])
		}
	}
}

// TestRegisterRefusesIDsOutsideInt32 is issue 12 #2: Confluent schema ids
// are 32-bit signed; an id the wire header cannot carry must be refused, not
// truncated to another schema's id (4294967297 would become 1).
func TestRegisterRefusesIDsOutsideInt32(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"4294967297", "2147483648", "-1", "0"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			url := rawServer(t, http.StatusOK, `{"id":`+id+`,"compatibility":"NONE","subject":"s","version":1,"schema":"{}"}`)
			c := newClient(t, config.Registry{URL: url})
			got, err := c.Register(t.Context(), fullName, record(fieldA))
			var re *RequestError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "schema id "+id) {
				t.Fatalf("Register = %d, %v; want a *RequestError naming schema id %s", got, err, id)
			}
		})
	}
	// The largest valid id passes.
	url := rawServer(t, http.StatusOK, `{"id":2147483647,"compatibility":"NONE","subject":"s","version":1,"schema":"{}"}`)
	if got, err := newClient(t, config.Registry{URL: url}).Register(t.Context(), fullName, record(fieldA)); err != nil || got != 2147483647 {
		t.Fatalf("Register = %d, %v; want 2147483647", got, err)
	}
}

// TestRedirectNeverLeavesTheOrigin: an https registry that redirects to
// http, or to another host or port, gets a *RequestError and the other end
// never sees the request (so never the basic-auth header), and its answer
// is not taken for the registry's. A redirect within the registry's own
// origin is followed.
func TestRedirectNeverLeavesTheOrigin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{} // server -> requests
	answer := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name]++
			mu.Unlock()
			w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
			_, _ = io.WriteString(w, `{"compatibilityLevel":"NONE"}`)
		}
	}
	plain := httptest.NewServer(answer("http"))
	t.Cleanup(plain.Close)
	other := httptest.NewTLSServer(answer("https elsewhere"))
	t.Cleanup(other.Close)
	var target string
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "metrics" || pw != password {
			http.Error(w, "no credentials", http.StatusUnauthorized)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/moved/") {
			answer("same origin")(w, r)
			return
		}
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)
	ca := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: front.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, config.Registry{URL: front.URL, Username: "metrics", Password: config.NewSecret(password), CAPath: ca})

	for _, tt := range []struct{ name, target string }{
		{"https to http", plain.URL},
		{"https to another port", other.URL},
	} {
		target = tt.target
		err := c.Check(t.Context())
		var re *RequestError
		if !errors.As(err, &re) || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("%s: Check = %v, want a *RequestError about the redirect", tt.name, err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", tt.name, err)
		}
	}
	mu.Lock()
	if seen["http"] != 0 || seen["https elsewhere"] != 0 {
		t.Errorf("requests followed the redirect out of the registry's origin: %v", seen)
	}
	mu.Unlock()

	target = front.URL + "/moved"
	if err := c.Check(t.Context()); err != nil {
		t.Errorf("a redirect within the registry's origin: Check = %v", err)
	}
}

// TestAnswerSizeBounded: an answer larger than maxAnswerBytes is refused
// with a *RequestError that says so, instead of being read whole into
// memory (a 2xx answer here: valid JSON padded with white space).
func TestAnswerSizeBounded(t *testing.T) {
	t.Parallel()
	var written sync.WaitGroup
	written.Add(1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer written.Done()
		w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		_, _ = io.WriteString(w, `{"compatibilityLevel":"NONE"`)
		pad := bytes.Repeat([]byte(" "), 64<<10)
		for range (maxAnswerBytes + 1<<20) / len(pad) {
			if _, err := w.Write(pad); err != nil {
				return // the client stopped reading
			}
		}
		_, _ = io.WriteString(w, `}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, config.Registry{URL: srv.URL})
	err := c.Check(t.Context())
	var re *RequestError
	if !errors.As(err, &re) || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Check of a %d-byte answer = %v, want a *RequestError saying it is too large", maxAnswerBytes+1<<20, err)
	}
	written.Wait()
}
