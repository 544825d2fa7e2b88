package schemaregistry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riferrei/srclient"
)

// DefaultTimeout is the per-request timeout used when Config.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// DefaultCompatibility is the level set on subjects when
// Config.Compatibility is empty, as Safir does.
const DefaultCompatibility = "NONE"

// Operations, as they appear in RequestError.Op and error messages.
const (
	opSetCompat  = "set compatibility"
	opLookup     = "lookup"
	opRegister   = "register"
	opSchemaByID = "schema by id"
	opCheck      = "check"
)

// compatibilities lists the levels a Config may ask for.
const compatibilities = "NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE"

// Config says how to reach the registry and how to register. The zero
// values of Timeout and Compatibility select the defaults.
type Config struct {
	URL           string         // http(s)://host:port[/path]; no user-info, query or fragment
	Username      string         // basic auth when non-empty; needs Password
	Password      string         // never logged nor put in errors
	RootCAs       *x509.CertPool // CAs trusted for https; nil = the system pool
	Timeout       time.Duration  // per HTTP request, body included; 0 = DefaultTimeout
	Suffix        string         // appended to subjects only (e.g. "_staging"); [A-Za-z0-9._-]*
	Compatibility string         // set on each subject before registering; "" = DefaultCompatibility; NONE BACKWARD BACKWARD_TRANSITIVE FORWARD FORWARD_TRANSITIVE FULL FULL_TRANSITIVE
}

// LogValue implements slog.LogValuer without the password.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("url", c.URL),
		slog.String("username", c.Username),
		slog.Bool("password_set", c.Password != ""),
		slog.Bool("custom_ca", c.RootCAs != nil),
		slog.Duration("timeout", c.Timeout),
		slog.String("suffix", c.Suffix),
		slog.String("compatibility", c.Compatibility),
	)
}

// String renders the configuration without the password.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{URL:%s Username:%s Password:%s Timeout:%s Suffix:%s Compatibility:%s}",
		c.URL, c.Username, pw, c.Timeout, c.Suffix, c.Compatibility)
}

// Client registers Avro schemas with a Confluent-compatible schema registry
// through srclient and caches their ids. Every method is safe for
// concurrent use. A Client holds idle keep-alive connections only; it needs
// no Close.
type Client struct {
	url     string
	creds   *credentials // pointer: fmt of a Client prints an address, not the password
	timeout time.Duration
	suffix  string
	compat  string
	base    http.RoundTripper

	mu      sync.Mutex
	ids     map[cacheKey]int
	schemas map[int]string
}

type credentials struct{ user, password string }

type cacheKey struct{ subject, schema string }

// New validates cfg and returns a Client. It does no I/O. The error lists
// every invalid field and never contains the password.
func New(cfg Config) (*Client, error) {
	var errs []error
	base, err := parseURL(cfg.URL)
	if err != nil {
		errs = append(errs, err)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		errs = append(errs, errors.New("username and password (SCHEMA_MANAGER_USERNAME, SCHEMA_MANAGER_PASSWORD): set both for basic auth, or neither"))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: %s is negative; use 0 for the default %s", cfg.Timeout, DefaultTimeout))
	}
	if i := strings.IndexFunc(cfg.Suffix, notSubjectRune); i >= 0 {
		errs = append(errs, fmt.Errorf("suffix (SCHEMA_MANAGER_SUFFIX): %q has %q; use only [A-Za-z0-9._-]", cfg.Suffix, cfg.Suffix[i:i+1]))
	}
	compat := strings.ToUpper(cfg.Compatibility)
	if compat == "" {
		compat = DefaultCompatibility
	}
	if !slices.Contains(strings.Split(compatibilities, ", "), compat) {
		errs = append(errs, fmt.Errorf("compatibility (SCHEMA_MANAGER_COMPATIBILITY): %q is not one of %s",
			cfg.Compatibility, compatibilities))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("schemaregistry: invalid config: %w", errors.Join(errs...))
	}

	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	c := &Client{
		url:     base,
		timeout: timeout,
		suffix:  cfg.Suffix,
		compat:  compat,
		base:    tr,
		ids:     make(map[cacheKey]int),
		schemas: make(map[int]string),
	}
	if cfg.Username != "" {
		c.creds = &credentials{user: cfg.Username, password: cfg.Password}
	}
	return c, nil
}

// parseURL checks the registry URL and returns it without a trailing slash
// (srclient appends paths to it). Errors never repeat a URL that carries
// user-info.
func parseURL(raw string) (string, error) {
	const field = "url (SCHEMA_MANAGER_REGISTRY_URL)"
	if raw == "" {
		return "", fmt.Errorf("%s: empty; set the registry's http(s)://host:port", field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: not a URL; want http(s)://host:port", field)
	}
	switch {
	case u.User != nil:
		return "", fmt.Errorf("%s: contains user-info; pass the credentials as Username and Password", field)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("%s: %q: scheme must be http or https", field, raw)
	case u.Host == "":
		return "", fmt.Errorf("%s: %q: no host", field, raw)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("%s: %q: remove the query or fragment", field, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Subject returns the registry subject of an Avro record's full name
// (namespace.name): fullName followed by Config.Suffix.
func (c *Client) Subject(fullName string) string { return fullName + c.suffix }

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
// (Config.Compatibility), reuses the id of an identical schema already under
// the subject, and otherwise registers a new version. The id is cached per
// (subject, schema text): a later call with the same arguments returns at
// once without a request. An unknown subject is not an error: it is created.
//
// Register blocks for two HTTP requests if the schema is registered already
// (set compatibility, lookup) and four if not (srclient re-reads the new
// schema by id), each bounded by Config.Timeout; cancelling ctx aborts it at
// once. Concurrent calls for the same uncached schema each make their
// requests; the registry returns the same id to all. Errors:
// [*IncompatibleError] (matches [ErrIncompatible]) when the registry refuses
// the schema under the subject's level; errors matching [ErrUnavailable]
// (retry later); [*RequestError] for refusals a retry does not cure (bad
// credentials, invalid schema); ctx's error when ctx ends first.
func (c *Client) Register(ctx context.Context, fullName, schemaJSON string) (int, error) {
	subject := c.Subject(fullName)
	if err := checkSubject(subject); err != nil {
		return 0, err
	}
	if !json.Valid([]byte(schemaJSON)) {
		return 0, fmt.Errorf("schemaregistry: register subject %q: the schema is not valid JSON", subject)
	}
	key := cacheKey{subject: subject, schema: schemaJSON}
	c.mu.Lock()
	id, ok := c.ids[key]
	c.mu.Unlock()
	if ok {
		return id, nil
	}

	k := c.newCall(ctx)
	if err := k.do(opSetCompat, subject, func(sc *srclient.SchemaRegistryClient) error {
		_, err := sc.ChangeSubjectCompatibilityLevel(subject, srclient.CompatibilityLevel(c.compat))
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
	c.ids[key] = id
	c.mu.Unlock()
	return id, nil
}

// SchemaByID returns the text of the schema with this id, as the registry
// stores it (srclient turns newlines into spaces when registering). Results
// are cached. It blocks for one request bounded by Config.Timeout and
// returns the same kinds of errors as Register; an unknown id is a
// [*RequestError] with Status 404.
func (c *Client) SchemaByID(ctx context.Context, id int) (string, error) {
	c.mu.Lock()
	text, ok := c.schemas[id]
	c.mu.Unlock()
	if ok {
		return text, nil
	}
	op := fmt.Sprintf("%s %d", opSchemaByID, id)
	err := c.newCall(ctx).do(op, "", func(sc *srclient.SchemaRegistryClient) error {
		s, err := sc.GetSchema(id)
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
// Config.Timeout. Errors as for Register.
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
	t := &callTransport{ctx: ctx, timeout: c.timeout, base: c.base}
	sc := srclient.NewSchemaRegistryClient(c.url, srclient.WithClient(&http.Client{Transport: t}))
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
