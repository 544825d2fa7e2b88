package schemaregistry

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/riferrei/srclient"

	"github.com/lsst-sqre/sasquatch-go/config"
)

// Operations, as they appear in RequestError.Op and error messages.
const (
	opSetCompat  = "set compatibility"
	opLookup     = "lookup"
	opRegister   = "register"
	opSchemaByID = "schema by id"
	opLatest     = "latest schema"
	opCheck      = "check"
	opReference  = "referenced schema"
)

// Client registers Avro schemas with a Confluent-compatible schema registry
// through srclient and caches their ids. It follows a redirect only within
// the registry URL's scheme, host and port (credentials never leave https
// nor go to another host), and refuses answers larger than 8 MiB. Every
// method is safe for concurrent use. A Client holds idle keep-alive connections only; it needs
// no Close.
type Client struct {
	cfg    config.Registry // as config.Resolve left it; the password is a config.Secret
	url    string          // cfg.URL without a trailing slash
	origin *url.URL        // cfg.URL parsed: redirects are followed only within its origin
	creds  *credentials    // pointer: fmt of a Client prints an address, not the password
	base   http.RoundTripper

	mu      sync.Mutex
	ids     map[cacheKey]uint32
	schemas map[uint32]string
}

type credentials struct{ user, password string }

type cacheKey struct{ subject, schema string }

// New returns a Client for the registry settings cfg, as config.FromEnv,
// config.Config.Resolve and config.Config.Load leave them: the config
// package owns their rules (URL, credentials, suffix, compatibility,
// timeout, defaults) and reports every bad setting, so New does not check
// them again. It refuses only what it cannot use, an empty URL or one
// without a host, and drops a trailing slash from the URL (srclient
// appends paths to it). A Registry written in code and not resolved gets
// config's defaults for a zero Timeout or Compatibility
// (config.Registry.WithDefaults); Compatibility is sent as given, so write
// it with config's constants (config.CompatibilityFull).
//
// The pool that verifies an https registry is the one [WithRootCAs] gives
// (config.Loaded.RegistryCAs); without that option, New builds it with
// cfg.CertPool, reading cfg.CAPath, and returns its error (a
// *config.Error naming SCHEMA_MANAGER_CA_PATH) when the file cannot be used.
// That file is New's only I/O; it makes no request.
func New(cfg config.Registry, opts ...Option) (*Client, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.URL == "" {
		return nil, errors.New("schemaregistry: no registry URL: set SCHEMA_MANAGER_REGISTRY_URL (http(s)://host:port)")
	}
	cfg = cfg.WithDefaults()
	origin, err := url.Parse(cfg.URL)
	if err != nil || origin.Host == "" {
		// config reports what is wrong with it; never echo it (user-info).
		return nil, errors.New("schemaregistry: SCHEMA_MANAGER_REGISTRY_URL is not an http(s)://host:port URL")
	}
	roots := o.roots
	if !o.rootsSet {
		if roots, err = cfg.CertPool(); err != nil {
			return nil, fmt.Errorf("schemaregistry: %w", err)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	c := &Client{
		cfg:     cfg,
		url:     strings.TrimRight(cfg.URL, "/"),
		origin:  origin,
		base:    tr,
		ids:     make(map[cacheKey]uint32),
		schemas: make(map[uint32]string),
	}
	if cfg.Username != "" {
		c.creds = &credentials{user: cfg.Username, password: cfg.Password.Value()}
	}
	c.cfg.Password = config.Secret{} // kept once, in creds
	return c, nil
}

// Subject returns the registry subject of an Avro record's full name
// (namespace.name): see config.Registry.Subject.
func (c *Client) Subject(fullName string) string { return c.cfg.Subject(fullName) }

// CloseIdleConnections closes the keep-alive connections the client holds to
// the registry; the client stays usable (a later call opens a new one). The
// event manager calls it at Close.
func (c *Client) CloseIdleConnections() {
	if tr, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		tr.CloseIdleConnections()
	}
}

// Register registers schemaJSON (an Avro schema) under Subject(fullName)
// and returns its schema id. It sets the subject's compatibility level
// (config.Registry.Compatibility), reuses the id of an identical schema already under
// the subject, and otherwise registers a new version. The id is cached per
// (subject, schema text): a later call with the same arguments returns at
// once without a request. An unknown subject is not an error: it is created.
//
// Register blocks for two HTTP requests if the schema is registered already
// (set compatibility, lookup) and four if not (srclient re-reads the new
// schema by id), each bounded by config.Registry.Timeout; cancelling ctx aborts it at
// once. Concurrent calls for the same uncached schema each make their
// requests; the registry returns the same id to all. Errors:
// [*IncompatibleError] when the registry refuses
// the schema under the subject's level; errors matching [ErrUnavailable]
// (retry later); [*RequestError] for refusals a retry does not cure (bad
// credentials, invalid schema); ctx's error when ctx ends first.
func (c *Client) Register(ctx context.Context, fullName, schemaJSON string) (uint32, error) {
	subject := c.Subject(fullName)
	if err := checkSubject(subject); err != nil {
		return 0, err
	}
	if !json.Valid([]byte(schemaJSON)) {
		return 0, fmt.Errorf("schemaregistry: register subject %q: the schema is not valid JSON", subject)
	}
	key := cacheKey{subject: subject, schema: schemaJSON}
	c.mu.Lock()
	cached, ok := c.ids[key]
	c.mu.Unlock()
	if ok {
		return cached, nil
	}
	var id int

	k := c.newCall(ctx)
	if err := k.do(opSetCompat, subject, func(sc *srclient.SchemaRegistryClient) error {
		_, err := sc.ChangeSubjectCompatibilityLevel(subject, srclient.CompatibilityLevel(c.cfg.Compatibility))
		return err
	}); err != nil {
		return 0, err
	}
	err := k.do(opLookup, subject, func(sc *srclient.SchemaRegistryClient) error {
		s, err := sc.LookupSchema(subject, schemaJSON, srclient.Avro)
		if err == nil {
			id = s.ID()
		}
		return err
	})
	if re := (*RequestError)(nil); errors.As(err, &re) && re.Status == http.StatusNotFound {
		// 40401 subject not found or 40403 schema not found: not registered yet.
		err = k.do(opRegister, subject, func(sc *srclient.SchemaRegistryClient) error {
			s, err := sc.CreateSchema(subject, schemaJSON, srclient.Avro)
			if err == nil {
				id = s.ID()
			}
			return err
		})
	}
	if err != nil {
		return 0, err
	}
	if id <= 0 || id > math.MaxInt32 {
		// Confluent ids are positive 32-bit signed integers: the wire header
		// cannot carry another, and truncating would name another schema.
		return 0, &RequestError{Op: opRegister, Subject: subject, Status: http.StatusOK,
			Err: fmt.Errorf("registry answered schema id %d, outside 1..2147483647: is SCHEMA_MANAGER_REGISTRY_URL a Confluent-compatible schema registry?", id)}
	}
	c.mu.Lock()
	c.ids[key] = uint32(id)
	c.mu.Unlock()
	return uint32(id), nil
}

// SchemaByID returns the text of the schema with this id, as the registry
// stores it (srclient turns newlines into spaces when registering). Results
// are cached. It blocks for one request bounded by config.Registry.Timeout and
// returns the same kinds of errors as Register; an unknown id is a
// [*RequestError] with Status 404.
func (c *Client) SchemaByID(ctx context.Context, id uint32) (string, error) {
	c.mu.Lock()
	text, ok := c.schemas[id]
	c.mu.Unlock()
	if ok {
		return text, nil
	}
	op := fmt.Sprintf("%s %d", opSchemaByID, id)
	err := c.newCall(ctx).do(op, "", func(sc *srclient.SchemaRegistryClient) error {
		s, err := sc.GetSchema(int(id))
		if err == nil {
			text = s.Schema()
		}
		return err
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.schemas[id] = text
	c.mu.Unlock()
	return text, nil
}

// Check reports whether the registry answers, with these credentials
// (GET /config), for readiness probes. It blocks for one request bounded by
// config.Registry.Timeout. Errors as for Register.
func (c *Client) Check(ctx context.Context) error {
	return c.newCall(ctx).do(opCheck, "", func(sc *srclient.SchemaRegistryClient) error {
		_, err := sc.GetGlobalCompatibilityLevel()
		return err
	})
}

// call is one Client method's use of srclient, bound to its ctx.
type call struct {
	c   *Client
	ctx context.Context
	t   *callTransport
	sc  *srclient.SchemaRegistryClient
}

// newCall builds an srclient whose requests carry ctx (see callTransport).
// srclient's own caches are off (we cache ids ourselves) and so is its
// goavro codec creation (schemas are parsed with hamba/avro elsewhere).
func (c *Client) newCall(ctx context.Context) *call {
	t := &callTransport{ctx: ctx, timeout: c.cfg.Timeout, base: c.base}
	sc := srclient.NewSchemaRegistryClient(c.url, srclient.WithClient(&http.Client{Transport: t, CheckRedirect: checkRedirect(c.origin)}))
	sc.CachingEnabled(false)
	sc.CodecCreationEnabled(false)
	if c.creds != nil {
		sc.SetCredentials(c.creds.user, c.creds.password)
	}
	return &call{c: c, ctx: ctx, t: t, sc: sc}
}

// do runs one srclient operation and turns its error into ours.
func (k *call) do(op, subject string, f func(*srclient.SchemaRegistryClient) error) error {
	k.t.status = 0
	if err := f(k.sc); err != nil {
		return k.c.classify(k.ctx, op, subject, k.t.status, err)
	}
	return nil
}

// checkSubject refuses subjects srclient cannot put in a URL path intact
// (it escapes them with url.QueryEscape, which turns a space into "+").
func checkSubject(subject string) error {
	if subject == "" {
		return errors.New("schemaregistry: empty subject; give the record's full name")
	}
	if i := strings.IndexFunc(subject, notSubjectRune); i >= 0 {
		return fmt.Errorf("schemaregistry: subject %q has %q; use only [A-Za-z0-9._-] in record names and SCHEMA_MANAGER_SUFFIX",
			subject, subject[i:i+1])
	}
	return nil
}

func notSubjectRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-')
}
