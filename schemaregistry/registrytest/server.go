package registrytest

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

// Server is an in-process Confluent-compatible schema registry (srfake) that
// also enforces compatibility levels. It listens on 127.0.0.1 and a random
// port until [Server.Close]. All methods are safe for concurrent use.
type Server struct {
	fake     *srfake.Registry
	srv      *httptest.Server
	requests atomic.Int64
	down     atomic.Bool
}

type options struct {
	user, password string
	global         sr.CompatibilityLevel
	tls            bool
}

// Option configures a [Server] created by [NewServer].
type Option func(*options)

// WithBasicAuth makes the server require HTTP basic auth with exactly this
// user and password; any other request is answered 401 with error_code 401,
// as Confluent does. Default: no authentication.
func WithBasicAuth(user, password string) Option {
	return func(o *options) { o.user, o.password = user, password }
}

// WithGlobalCompatibility sets the registry-wide compatibility level (one of
// NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL,
// FULL_TRANSITIVE; case-insensitive) that applies to subjects without their
// own level. Default: BACKWARD, Confluent's default. NewServer panics on an
// unknown level, like httptest panics when it cannot listen.
func WithGlobalCompatibility(level string) Option {
	return func(o *options) {
		if err := o.global.UnmarshalText([]byte(level)); err != nil {
			panic("registrytest: WithGlobalCompatibility: " + err.Error())
		}
	}
}

// WithTLS serves https (httptest.NewTLSServer) with a self-signed certificate
// valid for 127.0.0.1; clients trust it through [Server.Certificate].
// Default: plain http.
func WithTLS() Option {
	return func(o *options) { o.tls = true }
}

// NewServer starts a registry on 127.0.0.1 and a random port. The caller
// must call [Server.Close] (typically with t.Cleanup).
func NewServer(opts ...Option) *Server {
	o := options{global: sr.CompatBackward}
	for _, opt := range opts {
		opt(&o)
	}
	s := &Server{fake: srfake.NewRegistry(srfake.WithGlobalCompat(o.global))}
	s.fake.Intercept(s.enforce)

	var h http.Handler = s.fake.Handler()
	if o.user != "" || o.password != "" {
		h = basicAuth(o.user, o.password, h)
	}
	h = s.outage(h)
	h = s.count(h)
	if o.tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	return s
}

// URL returns the server's base URL, http://127.0.0.1:port (https with
// [WithTLS]), without a trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// Certificate returns the certificate the server presents with [WithTLS]
// (add it to an x509.CertPool to trust the server), or nil for plain http.
func (s *Server) Certificate() *x509.Certificate {
	if s.srv.TLS == nil {
		return nil
	}
	return s.srv.Certificate()
}

// Close drops open connections, so requests still blocked in an interceptor
// see their context cancelled, then shuts the server down and waits for
// handlers to return. Close is idempotent.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Fake returns the underlying srfake registry, for seeding (SeedSchema,
// RegisterSchema), inspection (GetSchema, SubjectExists) and extra
// interceptors (Intercept, which run after compatibility enforcement).
// Its URL is empty and its Close does nothing: use the Server's.
func (s *Server) Fake() *srfake.Registry { return s.fake }

// Requests returns how many HTTP requests the server has received so far,
// including refused ones (401, 503). Tests use it to assert that a code path
// makes no registry call.
func (s *Server) Requests() int64 { return s.requests.Load() }

// SetDown makes the server answer every request with 503 Service Unavailable
// while down is true, as a registry behind a proxy does during an outage.
// The registry's state is kept.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// Compatibility returns the effective compatibility level of subject: its
// own level if one was set (PUT /config/{subject}), else the global level if
// the subject exists, else "" (unknown subject).
func (s *Server) Compatibility(subject string) string {
	if lvl, ok := s.subjectCompatibility(subject); ok {
		return lvl.String()
	}
	if s.fake.SubjectExists(subject) {
		return s.globalCompatibility().String()
	}
	return ""
}

// count counts every request.
func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		next.ServeHTTP(w, r)
	})
}

// outage answers 503 while the server is down.
func (s *Server) outage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.down.Load() {
			writeError(w, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "Service Unavailable (registrytest: server set down)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// basicAuth requires exactly user and password.
func basicAuth(user, password string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok ||
			subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="SchemaRegistry"`)
			writeError(w, http.StatusUnauthorized, http.StatusUnauthorized, "Unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers like Confluent: {"error_code":code,"message":msg}.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error_code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// internal runs a GET against the fake's own handler, bypassing the outer
// middleware (not counted, no auth, works while down), and decodes a 200
// answer into v. It reports whether the answer was 200.
func (s *Server) internal(path string, v any) bool {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	s.fake.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return false
	}
	return json.Unmarshal(rec.Body.Bytes(), v) == nil
}

// subjectCompatibility returns the subject's own level, if set.
func (s *Server) subjectCompatibility(subject string) (sr.CompatibilityLevel, bool) {
	var resp struct {
		Level sr.CompatibilityLevel `json:"compatibilityLevel"`
	}
	ok := s.internal(fmt.Sprintf("/config/%s?defaultToGlobal=false", url.PathEscape(subject)), &resp)
	return resp.Level, ok
}

// globalCompatibility returns the registry-wide level.
func (s *Server) globalCompatibility() sr.CompatibilityLevel {
	var resp struct {
		Level sr.CompatibilityLevel `json:"compatibilityLevel"`
	}
	if !s.internal("/config", &resp) {
		return sr.CompatBackward
	}
	return resp.Level
}

// effectiveCompatibility returns the level that applies to subject.
func (s *Server) effectiveCompatibility(subject string) sr.CompatibilityLevel {
	if lvl, ok := s.subjectCompatibility(subject); ok {
		return lvl
	}
	return s.globalCompatibility()
}
