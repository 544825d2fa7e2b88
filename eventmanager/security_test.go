package eventmanager_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
	"github.com/lsst-sqre/sasquatch-go/payload"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// Distinctive secrets: none may appear in an error, a log line or the
// printed configuration.
const (
	kafkaUser        = "metrics-app"
	kafkaPassword    = "kafka-S3cret-9f3a"
	registryUser     = "registry-user"
	registryPassword = "registry-S3cret-7c1e/@:"
)

// securityVars are the variables config.FromEnv reads; each test sets the
// ones it needs and blanks the others, so that the environment of the test
// process cannot leak in.
var securityVars = []string{
	"METRICS_APP_NAME", "METRICS_APPLICATION", "METRICS_ENABLED", "METRICS_DISABLE", "METRICS_MOCK",
	"METRICS_EVENTS_TOPIC_PREFIX", "METRICS_TOPIC_PREFIX", "METRICS_RAISE_ON_ERROR",
	"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CLUSTER_CA_PATH",
	"KAFKA_CLIENT_CERT_PATH", "KAFKA_CLIENT_KEY_PATH", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
	"KAFKA_SASL_PASSWORD", "SCHEMA_MANAGER_REGISTRY_URL", "SCHEMA_MANAGER_USERNAME", "SCHEMA_MANAGER_PASSWORD",
	"SCHEMA_MANAGER_SUFFIX", "SCHEMA_MANAGER_COMPATIBILITY", "SCHEMA_MANAGER_CA_PATH", "SCHEMA_MANAGER_TIMEOUT",
	"METRICS_MAX_BUFFERED_EVENTS", "METRICS_MAX_BUFFERED_BYTES", "METRICS_BLOCK_TIMEOUT",
	"METRICS_DELIVERY_TIMEOUT", "METRICS_LOG_INTERVAL", "METRICS_BACKOFF_MAX",
}

// secureFromEnv loads the configuration from exactly env (a Kafka-mode app
// testapp), as a deployment would, with t.Setenv.
func secureFromEnv(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	for _, v := range securityVars {
		t.Setenv(v, env[v])
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatalf("config.FromEnv: %v", err)
	}
	return cfg
}

// assertNoSecrets fails if out shows a password or private key material.
func assertNoSecrets(t *testing.T, p *pki.PKI, what, out string) {
	t.Helper()
	secrets := append([]string{kafkaPassword, registryPassword, url.QueryEscape(registryPassword), url.PathEscape(registryPassword)}, p.KeyMaterial...)
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%s shows the secret %q", what, s)
		}
	}
}

// goroutineCheck returns a function that fails the test if, once every
// server and client of the test is closed, more goroutines run than when
// goroutineCheck was called. It waits a bounded time for them to exit.
func goroutineCheck(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("goroutine leak: %d goroutines, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
			}
			<-tick.C
		}
	}
}

// secureBroker is a kfake cluster with the app's topic, closed at most once
// (by the test, to check for leaks, or by its cleanup).
type secureBroker struct {
	*kfake.Cluster
	once sync.Once
}

func startSecureBroker(t *testing.T, opts ...kfake.Opt) *secureBroker {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.Ports(0), kfake.SeedTopics(1, testTopic)}, opts...)...)
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	b := &secureBroker{Cluster: c}
	t.Cleanup(b.close)
	return b
}

func (b *secureBroker) close() { b.once.Do(b.Cluster.Close) }

// testTopic is the topic of app testapp under the default prefix.
const testTopic = "lsst.square.metrics.events." + testApp

// secureRegistry starts an https registry that requires basic auth, and
// writes its certificate to a PEM file for SCHEMA_MANAGER_CA_PATH.
func secureRegistry(t *testing.T, p *pki.PKI) (*registrytest.Server, string) {
	t.Helper()
	reg := registrytest.NewServer(registrytest.WithTLS(), registrytest.WithBasicAuth(registryUser, registryPassword))
	t.Cleanup(reg.Close)
	return reg, p.WritePEM(t, "registry-ca.crt", "CERTIFICATE", reg.Certificate().Raw)
}

// registryURLWithUserinfo is the registry's URL with the credentials in it.
func registryURLWithUserinfo(t *testing.T, reg *registrytest.Server) string {
	t.Helper()
	u, err := url.Parse(reg.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(registryUser, registryPassword)
	return u.String()
}

// clientOpts are the options of a client of cfg's brokers, from
// eventmanager.KafkaOptions: the consumers of these tests connect with the
// SDK's own security settings, for every protocol and mechanism.
func clientOpts(t *testing.T, cfg config.Config) []kgo.Opt {
	t.Helper()
	opts, err := eventmanager.KafkaOptions(cfg)
	if err != nil {
		t.Fatalf("KafkaOptions: %v", err)
	}
	return opts
}

// consumeSecure reads exactly n records of the topic with cfg's security
// settings, within a bounded wait.
func consumeSecure(t *testing.T, cfg config.Config, n int) []*kgo.Record {
	t.Helper()
	return testkit.Consume(t, cfg.Topic(), n, clientOpts(t, cfg)...)
}

// Broker listener configurations of the tests.
func mutualTLS(p *pki.PKI, t *testing.T) kfake.Opt {
	return kfake.TLS(p.ServerTLS(t, tls.RequireAndVerifyClientCert))
}

// brokerLater is mutualTLS with the broker's clock ahead by d: client
// certificates that expire within d are expired for it.
func brokerLater(p *pki.PKI, t *testing.T, d time.Duration) kfake.Opt {
	tc := p.ServerTLS(t, tls.RequireAndVerifyClientCert)
	tc.Time = func() time.Time { return time.Now().Add(d) }
	return kfake.TLS(tc)
}

func serverOnlyTLS(p *pki.PKI, t *testing.T) kfake.Opt {
	return kfake.TLS(p.ServerTLS(t, tls.NoClientCert))
}

func saslUser(mechanism string) []kfake.Opt {
	return []kfake.Opt{kfake.EnableSASL(), kfake.Superuser(mechanism, kafkaUser, kafkaPassword)}
}

// TestSecurityProtocolsPublish publishes through every
// KAFKA_SECURITY_PROTOCOL and SASL mechanism to a kfake broker that
// requires it, with the configuration loaded by config.FromEnv from PEM
// files generated for the test, and an https schema registry that requires
// basic auth (credentials in the URL or in their variables, its CA in
// SCHEMA_MANAGER_CA_PATH). Every event is delivered and consumed; nothing
// secret shows in the logs (debug level, franz-go's included), in the
// printed configuration or manager; no goroutine outlives Close.
func TestSecurityProtocolsPublish(t *testing.T) {
	p := pki.New(t)
	sslEnv := map[string]string{
		"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": p.CA,
		"KAFKA_CLIENT_CERT_PATH": p.NoAKICert, "KAFKA_CLIENT_KEY_PATH": p.NoAKIKey,
	}
	sasl := func(protocol, mechanism string, extra map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range extra {
			env[k] = v
		}
		env["KAFKA_SECURITY_PROTOCOL"], env["KAFKA_SASL_MECHANISM"] = protocol, mechanism
		env["KAFKA_SASL_USERNAME"], env["KAFKA_SASL_PASSWORD"] = kafkaUser, kafkaPassword
		return env
	}
	withCA := map[string]string{"KAFKA_CLUSTER_CA_PATH": p.CA}
	tests := []struct {
		name          string
		broker        []kfake.Opt
		env           map[string]string
		registryVars  bool // credentials in SCHEMA_MANAGER_USERNAME/_PASSWORD, not in the URL
		wantClientTLS bool // a client certificate is configured
	}{
		{"SSL, mutual TLS without AuthorityKeyId (Strimzi)", []kfake.Opt{mutualTLS(p, t)}, sslEnv, false, true},
		{"SASL_PLAINTEXT PLAIN", saslUser("PLAIN"), sasl("SASL_PLAINTEXT", "PLAIN", nil), true, false},
		{"SASL_PLAINTEXT SCRAM-SHA-256", saslUser("SCRAM-SHA-256"), sasl("SASL_PLAINTEXT", "SCRAM-SHA-256", nil), false, false},
		{"SASL_PLAINTEXT SCRAM-SHA-512", saslUser("SCRAM-SHA-512"), sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", nil), true, false},
		{"SASL_SSL PLAIN", append(saslUser("PLAIN"), serverOnlyTLS(p, t)), sasl("SASL_SSL", "PLAIN", withCA), false, false},
		{"SASL_SSL SCRAM-SHA-256", append(saslUser("SCRAM-SHA-256"), serverOnlyTLS(p, t)), sasl("SASL_SSL", "SCRAM-SHA-256", withCA), true, false},
		{"SASL_SSL SCRAM-SHA-512", append(saslUser("SCRAM-SHA-512"), serverOnlyTLS(p, t)), sasl("SASL_SSL", "SCRAM-SHA-512", withCA), false, false},
		{"SASL_SSL SCRAM-SHA-512 with a client certificate too", append(saslUser("SCRAM-SHA-512"), mutualTLS(p, t)),
			sasl("SASL_SSL", "SCRAM-SHA-512", sslEnv), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaks := goroutineCheck(t)
			broker := startSecureBroker(t, tt.broker...)
			reg, regCA := secureRegistry(t, p)
			env := map[string]string{
				"METRICS_APP_NAME": testApp, "KAFKA_BOOTSTRAP_SERVERS": strings.Join(broker.ListenAddrs(), ","),
				"SCHEMA_MANAGER_CA_PATH": regCA, "SCHEMA_MANAGER_REGISTRY_URL": registryURLWithUserinfo(t, reg),
			}
			if tt.registryVars {
				env["SCHEMA_MANAGER_REGISTRY_URL"] = reg.URL()
				env["SCHEMA_MANAGER_USERNAME"], env["SCHEMA_MANAGER_PASSWORD"] = registryUser, registryPassword
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg := secureFromEnv(t, env)
			tc, err := cfg.Kafka.TLSConfig()
			if err != nil {
				t.Fatal(err)
			}
			if got := tc != nil && len(tc.Certificates) > 0; got != tt.wantClientTLS {
				t.Fatalf("client certificate loaded = %t, want %t", got, tt.wantClientTLS)
			}

			log, logs := testkit.NewLogger(slog.LevelDebug)
			m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := m.Initialize(ctx); err != nil {
				t.Fatalf("Initialize: %v", err)
			}
			q, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
			if err != nil {
				t.Fatalf("CreatePublisher: %v", err)
			}
			const n = 20
			for i := range n {
				if err := q.Publish(ctx, QueryEvent{Type: QuerySync, Duration: time.Duration(i) * time.Millisecond}); err != nil {
					t.Fatalf("Publish: %v", err)
				}
			}
			if err := m.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if st := m.Stats().Total; st.Delivered != n || st.Published != n {
				t.Errorf("stats %+v, want %d published and delivered", st, n)
			}
			records := consumeSecure(t, cfg, n)
			if id := q.SchemaID(); id <= 0 || records[0].Value[4] != byte(id) {
				t.Errorf("record framed with %x, schema id %d", records[0].Value[:5], id)
			}
			if !reg.Fake().SubjectExists(q.Subject()) {
				t.Errorf("subject %s not registered", q.Subject())
			}

			for what, out := range map[string]string{
				"the debug log":         logs.String(),
				"fmt %v of the config":  fmt.Sprintf("%v", cfg),
				"fmt %+v of the config": fmt.Sprintf("%+v", cfg),
				"fmt %#v of the config": fmt.Sprintf("%#v", cfg),
				"fmt of the manager":    fmt.Sprintf("%v %+v %#v", m, m, m),
				"fmt of the kafka part": fmt.Sprintf("%v %+v %#v", cfg.Kafka, cfg.Kafka, cfg.Kafka),
			} {
				assertNoSecrets(t, p, what, out)
			}
			if !strings.Contains(logs.String(), "component=franz-go") {
				t.Error("franz-go's debug lines did not reach the captured log")
			}

			broker.close()
			reg.Close()
			leaks()
		})
	}
}

// TestSecurityFailures starts brokers that refuse the client's security
// settings: Initialize fails at once (not after the connect timeout) with a
// *SecurityError that says what to fix, in every mode (the rows run with
// METRICS_RAISE_ON_ERROR=false: a configuration error is not retried in the
// background), shows no secret in its message or the logs, and leaves no
// goroutine behind after Close.
func TestSecurityFailures(t *testing.T) {
	p := pki.New(t)
	ssl := func(ca, cert, key string) map[string]string {
		return map[string]string{
			"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": ca,
			"KAFKA_CLIENT_CERT_PATH": cert, "KAFKA_CLIENT_KEY_PATH": key,
		}
	}
	sasl := func(protocol, mechanism, user, password string) map[string]string {
		return map[string]string{
			"KAFKA_SECURITY_PROTOCOL": protocol, "KAFKA_SASL_MECHANISM": mechanism, "KAFKA_CLUSTER_CA_PATH": p.CA,
			"KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": password,
		}
	}
	const wrong = "wrong-" + kafkaPassword // a wrong password that contains the right one
	tests := []struct {
		name   string
		broker []kfake.Opt
		env    map[string]string
		want   error
		wantIn []string
		never  []string // must not be in the message
	}{
		{
			name: "wrong SCRAM-SHA-512 password", broker: saslUser("SCRAM-SHA-512"),
			env: sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", kafkaUser, wrong), want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", `SASL SCRAM-SHA-512 credentials of user "metrics-app"`, "KAFKA_SASL_PASSWORD"},
		},
		{
			name: "wrong SCRAM-SHA-256 password over TLS", broker: append(saslUser("SCRAM-SHA-256"), serverOnlyTLS(p, t)),
			env: sasl("SASL_SSL", "SCRAM-SHA-256", kafkaUser, wrong), want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", "SCRAM-SHA-256", "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"},
		},
		{
			name: "wrong PLAIN password", broker: saslUser("PLAIN"),
			env: sasl("SASL_PLAINTEXT", "PLAIN", kafkaUser, wrong), want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", `SASL PLAIN credentials of user "metrics-app"`},
		},
		{
			name: "unknown user", broker: saslUser("SCRAM-SHA-512"),
			env: sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", "nobody", kafkaPassword), want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", `user "nobody"`},
		},
		{
			name: "mechanism the broker does not enable", broker: saslUser("PLAIN"),
			env: sasl("SASL_PLAINTEXT", "SCRAM-SHA-512", kafkaUser, kafkaPassword), want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", "KAFKA_SASL_MECHANISM=SCRAM-SHA-512"},
		},
		{
			name: "no SASL against a broker that requires it", broker: saslUser("SCRAM-SHA-512"),
			env: map[string]string{}, want: eventmanager.ErrAuthentication,
			wantIn: []string{"kafka authentication failed", "does it require SASL? set KAFKA_SECURITY_PROTOCOL=SASL_SSL"},
		},
		{
			name: "plaintext against a TLS listener", broker: []kfake.Opt{mutualTLS(p, t)},
			env: map[string]string{}, want: eventmanager.ErrTLS,
			wantIn: []string{"kafka TLS handshake failed", "is the broker expecting TLS? set KAFKA_SECURITY_PROTOCOL=SSL"},
		},
		{
			name: "wrong cluster CA", broker: []kfake.Opt{mutualTLS(p, t)},
			env: ssl(p.OtherCA, p.NoAKICert, p.NoAKIKey), want: eventmanager.ErrTLS,
			wantIn: []string{"kafka TLS handshake failed", "the broker's certificate (CN=broker, issued by CN=cluster-ca) is not signed by the CA in KAFKA_CLUSTER_CA_PATH " + fmt.Sprintf("%q", p.OtherCA), "x509: certificate signed by unknown authority"},
		},
		{
			// Regression (issue 12 #17): a broker that sends its CA after its
			// leaf, as Strimzi's do, made the message name the CA.
			name: "wrong cluster CA, the broker sends its CA in its chain", broker: []kfake.Opt{kfake.TLS(p.ServerTLSWithCA(t))},
			env: ssl(p.OtherCA, p.NoAKICert, p.NoAKIKey), want: eventmanager.ErrTLS,
			wantIn: []string{"the broker's certificate (CN=broker, issued by CN=cluster-ca) is not signed by the CA in KAFKA_CLUSTER_CA_PATH " + fmt.Sprintf("%q", p.OtherCA)},
			never:  []string{"certificate (CN=cluster-ca"},
		},
		{
			name: "missing client certificate", broker: append(saslUser("SCRAM-SHA-512"), mutualTLS(p, t)),
			env: sasl("SASL_SSL", "SCRAM-SHA-512", kafkaUser, kafkaPassword), want: eventmanager.ErrTLS,
			wantIn: []string{"kafka TLS handshake failed", "requires a client certificate (mutual TLS) and none is configured: set KAFKA_CLIENT_CERT_PATH and KAFKA_CLIENT_KEY_PATH", "tls: certificate required"},
		},
		{
			name: "client certificate of another CA", broker: []kfake.Opt{mutualTLS(p, t)},
			env: ssl(p.CA, p.StrangerCert, p.StrangerKey), want: eventmanager.ErrTLS,
			wantIn: []string{"kafka TLS handshake failed", fmt.Sprintf("did not accept KAFKA_CLIENT_CERT_PATH %q (CN=stranger, issued by CN=other-ca", p.StrangerCert)},
		},
		{
			// The certificate was valid when the configuration was loaded and
			// the client built (config refuses an expired one: see
			// TestExpiredCertificateRefusedAtLoad), and has expired since:
			// the broker's clock is two hours ahead, past the end of
			// NoAKICert (valid for an hour).
			name: "client certificate expired since start-up", broker: []kfake.Opt{brokerLater(p, t, 2*time.Hour)},
			env: ssl(p.CA, p.NoAKICert, p.NoAKIKey), want: eventmanager.ErrTLS,
			wantIn: []string{"kafka TLS handshake failed", fmt.Sprintf("rejected KAFKA_CLIENT_CERT_PATH %q (CN=strimzi-user", p.NoAKICert), "as expired", "tls: expired certificate"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaks := goroutineCheck(t)
			broker := startSecureBroker(t, tt.broker...)
			reg, regCA := secureRegistry(t, p)
			env := map[string]string{
				"METRICS_APP_NAME": testApp, "KAFKA_BOOTSTRAP_SERVERS": strings.Join(broker.ListenAddrs(), ","),
				"SCHEMA_MANAGER_REGISTRY_URL": registryURLWithUserinfo(t, reg), "SCHEMA_MANAGER_CA_PATH": regCA,
				"METRICS_RAISE_ON_ERROR": "false",
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg := secureFromEnv(t, env)
			log, logs := testkit.NewLogger(slog.LevelDebug)
			m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			start := time.Now()
			err = m.Initialize(ctx)
			took := time.Since(start)
			t.Logf("Initialize: %v", err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Initialize = %v, want errors.Is %v", err, tt.want)
			}
			var se *eventmanager.SecurityError
			if !errors.As(err, &se) || se.Reason == "" || se.Err == nil {
				t.Errorf("Initialize = %#v, want a complete *eventmanager.SecurityError", err)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%v", s, err)
				}
			}
			for _, s := range tt.never {
				if strings.Contains(err.Error(), s) {
					t.Errorf("message has %q:\n%v", s, err)
				}
			}
			if took > 5*time.Second {
				t.Errorf("Initialize took %s: it waited for a timeout instead of failing at once", took)
			}
			if _, perr := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query"); !errors.Is(perr, eventmanager.ErrNotInitialized) {
				t.Errorf("CreatePublisher after the failure = %v, want ErrNotInitialized", perr)
			}
			if err := m.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
			assertNoSecrets(t, p, "the error", fmt.Sprintf("%v %+v", err, err))
			assertNoSecrets(t, p, "the debug log", logs.String())
			broker.close()
			reg.Close()
			leaks()
		})
	}
}

// tlsAlertListener starts a TCP server on 127.0.0.1 that answers whatever
// it reads with a fatal TLS alert record (handshake_failure, TLS 1.2) and
// closes the connection, as a real Kafka TLS listener answers a plaintext
// request (kfake's Go TLS listener closes without an alert instead). It
// returns the server's address; the test's cleanup stops it.
func tlsAlertListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 512)
				if _, err := c.Read(buf); err != nil {
					return
				}
				// Record type 21 (alert), version 3.3, length 2: level fatal,
				// description 40 (handshake_failure).
				_, _ = c.Write([]byte{21, 3, 3, 0, 2, 2, 40})
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// TestPlaintextClientToTLSListener is the regression test of issue 12 #15:
// a PLAINTEXT or SASL_PLAINTEXT client to a TLS listener that answers with a
// TLS alert record (as Kafka does) must get, within a 1 s Initialize and in
// both METRICS_RAISE_ON_ERROR modes, a *SecurityError (ErrTLS) naming
// KAFKA_SECURITY_PROTOCOL's fix; before, it was a plain error (raise mode)
// or nil with the check retried in the background forever.
func TestPlaintextClientToTLSListener(t *testing.T) {
	addr := tlsAlertListener(t)
	reg := registrytest.NewServer()
	t.Cleanup(reg.Close)
	for _, tt := range []struct {
		protocol string
		env      map[string]string
		fix      string
	}{
		{"PLAINTEXT", nil, "set KAFKA_SECURITY_PROTOCOL=SSL (or SASL_SSL) and KAFKA_CLUSTER_CA_PATH"},
		{"SASL_PLAINTEXT", map[string]string{
			"KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SASL_USERNAME": kafkaUser, "KAFKA_SASL_PASSWORD": kafkaPassword,
		}, "set KAFKA_SECURITY_PROTOCOL=SASL_SSL and KAFKA_CLUSTER_CA_PATH"},
	} {
		for _, raise := range []string{"true", "false"} {
			t.Run(tt.protocol+"/METRICS_RAISE_ON_ERROR="+raise, func(t *testing.T) {
				env := map[string]string{
					"METRICS_APP_NAME": testApp, "KAFKA_BOOTSTRAP_SERVERS": addr, "KAFKA_SECURITY_PROTOCOL": tt.protocol,
					"SCHEMA_MANAGER_REGISTRY_URL": reg.URL(), "METRICS_RAISE_ON_ERROR": raise,
				}
				for k, v := range tt.env {
					env[k] = v
				}
				cfg := secureFromEnv(t, env)
				log, logs := testkit.NewLogger(slog.LevelDebug)
				m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				err = m.Initialize(ctx)
				if cerr := m.Close(t.Context()); cerr != nil {
					t.Errorf("Close: %v", cerr)
				}
				t.Logf("Initialize: %v", err)
				var se *eventmanager.SecurityError
				if !errors.As(err, &se) || !errors.Is(err, eventmanager.ErrTLS) {
					t.Fatalf("Initialize = %v, want a *eventmanager.SecurityError matching ErrTLS", err)
				}
				for _, s := range []string{"kafka TLS handshake failed", "with a TLS alert", tt.fix} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("message lacks %q:\n%v", s, err)
					}
				}
				if strings.Contains(fmt.Sprintf("%v %+v", err, err), kafkaPassword) || strings.Contains(logs.String(), kafkaPassword) {
					t.Error("the error or the log shows the SASL password")
				}
			})
		}
	}
}

// TestExpiredCertificateRefusedAtLoad: an expired client certificate (or
// CA) never reaches Initialize: config.FromEnv refuses it, naming the
// variable, the file and when it expired.
func TestExpiredCertificateRefusedAtLoad(t *testing.T) {
	p := pki.New(t)
	for _, tt := range []struct {
		name, ca, cert, key, variable, path string
	}{
		{"client certificate", p.CA, p.ExpiredCert, p.ExpiredKey, "KAFKA_CLIENT_CERT_PATH", p.ExpiredCert},
		{"cluster CA", p.ExpiredCert, p.NoAKICert, p.NoAKIKey, "KAFKA_CLUSTER_CA_PATH", p.ExpiredCert},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				"METRICS_APP_NAME": testApp, "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SCHEMA_MANAGER_REGISTRY_URL": "http://127.0.0.1:1",
				"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": tt.ca, "KAFKA_CLIENT_CERT_PATH": tt.cert, "KAFKA_CLIENT_KEY_PATH": tt.key,
			}
			for _, v := range securityVars {
				t.Setenv(v, env[v])
			}
			_, err := config.FromEnv()
			want := fmt.Sprintf("%s: %q: certificate 1 (CN=expired-user) expired at ", tt.variable, tt.path)
			if !errors.As(err, new(*config.Error)) || !strings.Contains(err.Error(), want) {
				t.Fatalf("FromEnv = %v, want an error with %q", err, want)
			}
			t.Logf("FromEnv: %v", err)
			assertNoSecrets(t, p, "the error", err.Error())
		})
	}
}

// TestRegistryRefusals: a registry that refuses the credentials, or whose
// certificate is not trusted, fails Initialize at once in every mode (a
// configuration error, not an outage), naming the variables to check and
// never the password.
func TestRegistryRefusals(t *testing.T) {
	p := pki.New(t)
	tests := []struct {
		name       string
		env        func(reg *registrytest.Server, ca string) map[string]string
		wantStatus int
		wantIn     []string
	}{
		{
			name: "wrong password in the URL",
			env: func(reg *registrytest.Server, ca string) map[string]string {
				u, _ := url.Parse(reg.URL())
				u.User = url.UserPassword(registryUser, "wrong-"+registryPassword)
				return map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": u.String(), "SCHEMA_MANAGER_CA_PATH": ca}
			},
			wantStatus: 401,
			wantIn:     []string{"registry answered HTTP 401", "check SCHEMA_MANAGER_USERNAME and SCHEMA_MANAGER_PASSWORD"},
		},
		{
			name: "no credentials",
			env: func(reg *registrytest.Server, ca string) map[string]string {
				return map[string]string{"SCHEMA_MANAGER_REGISTRY_URL": reg.URL(), "SCHEMA_MANAGER_CA_PATH": ca}
			},
			wantStatus: 401,
			wantIn:     []string{"registry answered HTTP 401"},
		},
		{
			name: "registry CA not given",
			env: func(reg *registrytest.Server, _ string) map[string]string {
				return map[string]string{
					"SCHEMA_MANAGER_REGISTRY_URL": reg.URL(),
					"SCHEMA_MANAGER_USERNAME":     registryUser, "SCHEMA_MANAGER_PASSWORD": registryPassword,
				}
			},
			wantIn: []string{"x509: certificate signed by unknown authority", "SCHEMA_MANAGER_CA_PATH"},
		},
		{
			name: "wrong registry CA",
			env: func(reg *registrytest.Server, _ string) map[string]string {
				return map[string]string{
					"SCHEMA_MANAGER_REGISTRY_URL": registryURLWithUserinfo(t, reg), "SCHEMA_MANAGER_CA_PATH": p.CA,
				}
			},
			wantIn: []string{"x509: certificate signed by unknown authority", "SCHEMA_MANAGER_CA_PATH"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaks := goroutineCheck(t)
			broker := startSecureBroker(t)
			reg, regCA := secureRegistry(t, p)
			env := map[string]string{
				"METRICS_APP_NAME": testApp, "KAFKA_BOOTSTRAP_SERVERS": strings.Join(broker.ListenAddrs(), ","),
				"METRICS_RAISE_ON_ERROR": "false",
			}
			for k, v := range tt.env(reg, regCA) {
				env[k] = v
			}
			cfg := secureFromEnv(t, env)
			log, logs := testkit.NewLogger(slog.LevelDebug)
			m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err = m.Initialize(ctx)
			t.Logf("Initialize: %v", err)
			var re *schemaregistry.RequestError
			if !errors.As(err, &re) || re.Status != tt.wantStatus {
				t.Fatalf("Initialize = %v, want a *schemaregistry.RequestError with status %d", err, tt.wantStatus)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%v", s, err)
				}
			}
			if err := m.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
			assertNoSecrets(t, p, "the error", fmt.Sprintf("%v %+v", err, err))
			assertNoSecrets(t, p, "the debug log", logs.String())
			broker.close()
			reg.Close()
			leaks()
		})
	}
}

// HostileEvent has a field for each value check of the payload package.
type HostileEvent struct {
	Name  string
	Ratio float64
	Score *float32
	Type  QueryType
}

// TestHostileValuesAtPublish: in every mode, a NaN or infinite float, a
// string over payload.MaxStringLen and an enum value outside its symbols
// are refused by Publish with an error matching payload.ErrInvalidValue,
// counted as Rejected and never sent; a string with invalid UTF-8 is sent
// with U+FFFD in place of each invalid run.
func TestHostileValuesAtPublish(t *testing.T) {
	inf := float32(math.Inf(1))
	refused := []struct {
		name  string
		event HostileEvent
		field string
	}{
		{"NaN", HostileEvent{Name: "n", Ratio: math.NaN(), Type: QuerySync}, "Ratio"},
		{"+Inf behind a pointer", HostileEvent{Name: "n", Score: &inf, Type: QuerySync}, "Score"},
		{"string over MaxStringLen", HostileEvent{Name: strings.Repeat("x", payload.MaxStringLen+1), Type: QuerySync}, "Name"},
		{"enum outside its symbols", HostileEvent{Name: "n", Type: "bogus\xff"}, "Type"},
	}
	valid := HostileEvent{Name: "caf\xc3\xa9 \xff\xfe end", Ratio: 0.5, Type: QueryAsync}
	const wantName = "café \uFFFD end"

	for _, mode := range []string{"kafka", "mock", "disabled"} {
		t.Run(mode, func(t *testing.T) {
			var cfg config.Config
			switch mode {
			case "kafka":
				broker := startSecureBroker(t)
				reg := registrytest.NewServer()
				t.Cleanup(reg.Close)
				cfg = baseConfig()
				cfg.Kafka.BootstrapServers, cfg.Registry.URL = broker.ListenAddrs(), reg.URL()
			case "mock":
				cfg = mockConfig()
			default:
				cfg = disabledConfig()
			}
			cfg.RaiseOnError = false
			m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if err := m.Initialize(ctx); err != nil {
				t.Fatal(err)
			}
			p, err := eventmanager.CreatePublisher[HostileEvent](ctx, m, "hostile")
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refused {
				err := p.Publish(ctx, r.event)
				var ve *payload.ValueError
				var ee *payload.EnumValueError
				switch {
				case !errors.Is(err, payload.ErrInvalidValue):
					t.Errorf("%s: Publish = %v, want an error matching payload.ErrInvalidValue", r.name, err)
				case !errors.As(err, &ve) && !errors.As(err, &ee):
					t.Errorf("%s: Publish = %T, want a *payload.ValueError or *payload.EnumValueError", r.name, err)
				case ve != nil && ve.Field != r.field, ee != nil && ee.Field != r.field:
					t.Errorf("%s: Publish = %v, want field %s", r.name, err, r.field)
				}
				if err != nil && len(err.Error()) > 400 {
					t.Errorf("%s: a %d-byte error message", r.name, len(err.Error()))
				}
			}
			if err := p.Publish(ctx, valid); err != nil {
				t.Fatalf("Publish(invalid UTF-8) = %v, want it sent", err)
			}
			if err := m.Close(ctx); err != nil {
				t.Fatal(err)
			}
			st := m.Stats().Events["hostile"]
			published := uint64(1)
			if mode == "disabled" {
				published = 0 // nothing is accepted for delivery
			}
			if st.Rejected != uint64(len(refused)) || st.Published != published {
				t.Errorf("stats %+v, want %d rejected and %d published", st, len(refused), published)
			}
			switch mode {
			case "kafka":
				if st.Delivered != 1 {
					t.Errorf("stats %+v, want 1 delivered", st)
				}
				recs := consumeSecure(t, cfg, 1)
				if !bytes.Contains(recs[0].Value, []byte(wantName)) {
					t.Errorf("record %q lacks the repaired name %q", recs[0].Value, wantName)
				}
			case "mock":
				if got := eventmanagertest.Published(p); len(got) != 1 || got[0].Name != valid.Name {
					t.Errorf("mock recorded %+v, want only the valid event", got)
				}
			}
		})
	}
}

// TestKafkaOptionsWhateverTheMode: KafkaOptions connects to Kafka, so its
// TLS options come from the PEM files whatever mode the configuration
// selects (Load builds the TLS configuration in Kafka mode only).
func TestKafkaOptionsWhateverTheMode(t *testing.T) {
	p := pki.New(t)
	tlsKafka := config.Kafka{BootstrapServers: []string{"127.0.0.1:9093"}, SecurityProtocol: config.SSL,
		ClusterCAPath: p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey}
	for _, tc := range []struct {
		name string
		cfg  config.Config
	}{
		{"kafka", config.Config{AppName: testApp, Kafka: tlsKafka, Registry: config.Registry{URL: "http://127.0.0.1:8081"}}},
		{"mock", config.Config{AppName: testApp, Mock: true, Kafka: tlsKafka}},
		{"disabled", config.Config{AppName: testApp, Disabled: true, Kafka: tlsKafka}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := eventmanager.KafkaOptions(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			tcfg, _ := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
			if tcfg == nil || len(tcfg.Certificates) != 1 || tcfg.RootCAs == nil {
				t.Fatalf("DialTLSConfig = %v, want the CA and the client certificate of the PEM files", tcfg)
			}
			bad := tc.cfg
			bad.Kafka.ClientKeyPath = p.Missing
			// Kafka.TLSConfig cannot tell a Config built in code from one
			// read from the environment: it names the variable.
			if _, err := eventmanager.KafkaOptions(bad); err == nil || !strings.Contains(err.Error(), "ClientKeyPath") && !strings.Contains(err.Error(), "KAFKA_CLIENT_KEY_PATH") {
				t.Fatalf("KafkaOptions with a missing key file = %v, want an error naming the key path", err)
			}
		})
	}
}
