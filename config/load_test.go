package config_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// TestLoad: Load resolves as Resolve does and keeps what it built: the
// Kafka TLS configuration for SSL and SASL_SSL in Kafka mode, the
// registry's pool for an https registry with a CA, and the warnings of the
// resolved Config. Mock and disabled modes, and LoadWithKafkaClient for
// the Kafka files, name missing files that Load must not read.
func TestLoad(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	kafka := func(k config.Kafka, g config.Registry) config.Config {
		k.BootstrapServers = []string{"broker:9092"}
		if g.URL == "" {
			g.URL = "http://registry:8081"
		}
		return config.Config{AppName: "myapp", Kafka: k, Registry: g}
	}
	ssl := func(ca, cert, key string) config.Kafka {
		return config.Kafka{SecurityProtocol: config.SSL, ClusterCAPath: ca, ClientCertPath: cert, ClientKeyPath: key}
	}
	saslSSL := func(ca, cert, key string) config.Kafka {
		k := ssl(ca, cert, key)
		k.SecurityProtocol, k.SASLUsername, k.SASLPassword = config.SASLSSL, "user", config.NewSecret("secret")
		return k
	}
	missing := func(c config.Config) config.Config {
		c.Kafka = ssl(p.Missing, p.Missing, p.Missing)
		c.Registry = config.Registry{URL: "https://registry", CAPath: p.Missing}
		return c
	}
	type want struct {
		kafkaTLS    bool   // KafkaTLS set
		roots       bool   // KafkaTLS.RootCAs set
		clientCN    string // "" for no client certificate
		registryCAs bool   // RegistryCAs set
		warnings    int
	}
	tests := []struct {
		name       string
		cfg        config.Config
		withClient bool // LoadWithKafkaClient
		want       want
		wantErr    []wantProblem
	}{
		{name: "PLAINTEXT", cfg: kafka(config.Kafka{}, config.Registry{})},
		{name: "PLAINTEXT ignores the TLS paths", cfg: kafka(config.Kafka{ClusterCAPath: p.Missing}, config.Registry{}),
			want: want{warnings: 1}},
		{name: "SASL_PLAINTEXT", cfg: kafka(config.Kafka{SecurityProtocol: config.SASLPlaintext, SASLUsername: "u", SASLPassword: config.NewSecret("p")}, config.Registry{})},
		{name: "SSL with a client certificate and a CA", cfg: kafka(ssl(p.CA, p.ClientCert, p.ClientKey), config.Registry{}),
			want: want{kafkaTLS: true, roots: true, clientCN: "client"}},
		{name: "SSL with a client certificate and the system pool", cfg: kafka(ssl("", p.RSACert, p.RSAKey), config.Registry{}),
			want: want{kafkaTLS: true, clientCN: "rsa-user"}},
		{name: "SSL without a client certificate", cfg: kafka(ssl(p.CA, "", ""), config.Registry{}),
			wantErr: []wantProblem{
				{"Config.Kafka.ClientCertPath", "required with Config.Kafka.SecurityProtocol=SSL"},
				{"Config.Kafka.ClientKeyPath", "required with Config.Kafka.SecurityProtocol=SSL"},
			}},
		{name: "SASL_SSL with the system pool", cfg: kafka(saslSSL("", "", ""), config.Registry{}),
			want: want{kafkaTLS: true}},
		{name: "SASL_SSL with a CA and a client certificate", cfg: kafka(saslSSL(p.CA, p.ClientCert, p.ClientKey), config.Registry{}),
			want: want{kafkaTLS: true, roots: true, clientCN: "client"}},
		{name: "SASL_SSL with a bad CA", cfg: kafka(saslSSL(p.Garbage, "", ""), config.Registry{}),
			wantErr: []wantProblem{{"Config.Kafka.ClusterCAPath", "holds no PEM certificate"}}},
		{name: "https registry with its CA", cfg: kafka(config.Kafka{}, config.Registry{URL: "https://registry", CAPath: p.CA}),
			want: want{registryCAs: true}},
		{name: "https registry with the system pool", cfg: kafka(config.Kafka{}, config.Registry{URL: "https://registry"})},
		{name: "http registry ignores its CA", cfg: kafka(config.Kafka{}, config.Registry{URL: "http://registry", CAPath: p.Missing}),
			want: want{warnings: 1}},
		{name: "https registry with a missing CA", cfg: kafka(config.Kafka{}, config.Registry{URL: "https://registry", CAPath: p.Missing}),
			wantErr: []wantProblem{{"Config.Registry.CAPath", "cannot read"}}},
		{name: "mock mode reads no file", cfg: missing(config.Config{AppName: "myapp", Mock: true})},
		{name: "disabled mode reads no file", cfg: missing(config.Config{AppName: "myapp", Disabled: true})},
		{name: "with a Kafka client, no Kafka file is read", withClient: true,
			cfg:  kafka(ssl(p.Missing, p.Missing, p.Missing), config.Registry{URL: "https://registry", CAPath: p.CA}),
			want: want{registryCAs: true}},
		{name: "with a Kafka client, the registry's CA is read", withClient: true,
			cfg:     missing(kafka(config.Kafka{}, config.Registry{})),
			wantErr: []wantProblem{{"Config.Registry.CAPath", "cannot read"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			load, resolve := tt.cfg.Load, tt.cfg.Resolve
			if tt.withClient {
				load, resolve = tt.cfg.LoadWithKafkaClient, tt.cfg.ResolveWithKafkaClient
			}
			l, err := load()
			resolved, rerr := resolve()
			if tt.wantErr != nil {
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Load() error %v, want a *config.Error", err)
				}
				checkProblems(t, ce, tt.wantErr...)
				if rerr == nil || rerr.Error() != err.Error() {
					t.Errorf("Resolve's error\n%v\ndiffers from Load's\n%v", rerr, err)
				}
				if l.KafkaTLS != nil || l.RegistryCAs != nil || l.Warnings != nil || !equalConfig(l.Config, config.Config{}) {
					t.Errorf("Load() = %v with an error, want the zero Loaded", l)
				}
				return
			}
			if err != nil || rerr != nil {
				t.Fatalf("Load() error %v, Resolve() error %v", err, rerr)
			}
			if !equalConfig(l.Config, resolved) {
				t.Errorf("Load().Config =\n%v\nwant Resolve()'s\n%v", l.Config, resolved)
			}
			if !slices.Equal(l.Warnings, resolved.Warnings()) || len(l.Warnings) != tt.want.warnings {
				t.Errorf("Warnings = %q, want the %d of Resolve().Warnings() %q", l.Warnings, tt.want.warnings, resolved.Warnings())
			}
			if (l.RegistryCAs != nil) != tt.want.registryCAs {
				t.Errorf("RegistryCAs set = %t, want %t", l.RegistryCAs != nil, tt.want.registryCAs)
			}
			tc := l.KafkaTLS
			if (tc != nil) != tt.want.kafkaTLS {
				t.Fatalf("KafkaTLS = %v, want set %t", tc, tt.want.kafkaTLS)
			}
			if tc == nil {
				return
			}
			checkKafkaTLS(t, tc, tt.want.roots, tt.want.clientCN)
		})
	}
}

// TestLoadFromEnvWarnings: the warnings of a Config read from the
// environment begin with the notes about it, as its Warnings do.
func TestLoadFromEnvWarnings(t *testing.T) {
	c := mustFromEnv(t, kafkaEnv(map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "", "KAFKA_BOOSTRAP_SERVERS": "b:9092", "KAFKA_SASL_USERNAME": "ignored",
	}))
	l, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 2 || !slices.Equal(l.Warnings, c.Warnings()) || !strings.Contains(l.Warnings[0], "KAFKA_BOOSTRAP_SERVERS") {
		t.Errorf("Warnings = %q, want Config.Warnings %q: the misspelling, then the ignored SASL user", l.Warnings, c.Warnings())
	}
}

// TestLoadedTLSWithoutItsFiles: what Load built works once its files are
// gone (it was read at Load, not at use): the client certificate and the
// cluster CA of KafkaTLS, and the registry's pool, against a TLS server on
// loopback; each Load builds a *tls.Config of its own.
func TestLoadedTLSWithoutItsFiles(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	registryCA := p.Write(t, "registry-ca.crt", mustRead(t, p.CA))
	cfg := config.Config{AppName: "myapp",
		Kafka:    config.Kafka{BootstrapServers: []string{"127.0.0.1:9093"}, SecurityProtocol: config.SSL, ClusterCAPath: p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey},
		Registry: config.Registry{URL: "https://127.0.0.1:8081", CAPath: registryCA},
	}
	l, err := cfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := cfg.Load(); err != nil || again.KafkaTLS == l.KafkaTLS || again.RegistryCAs == l.RegistryCAs {
		t.Errorf("a second Load shares its *tls.Config or pool with the first (%v)", err)
	}
	addr := tlsServer(t, p.ServerTLS(t, tls.VerifyClientCertIfGiven))
	for _, f := range []string{p.CA, p.ClientCert, p.ClientKey, registryCA} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cfg.Kafka.TLSConfig(); err == nil {
		t.Fatal("Kafka.TLSConfig() succeeded with its files removed: the test removed nothing")
	}

	if peer, err := handshake(addr, l.KafkaTLS); err != nil || peer != "client" {
		t.Errorf("KafkaTLS: handshake %v, server saw client %q; want the client certificate", err, peer)
	}
	if _, err := handshake(addr, &tls.Config{RootCAs: l.RegistryCAs, MinVersion: tls.VersionTLS12}); err != nil {
		t.Errorf("RegistryCAs: handshake %v", err)
	}
	// The control: the system pool does not know the test CA.
	var unknown x509.UnknownAuthorityError
	if _, err := handshake(addr, &tls.Config{MinVersion: tls.VersionTLS12}); !errors.As(err, &unknown) {
		t.Errorf("handshake with the system pool: %v, want x509.UnknownAuthorityError", err)
	}
}

// tlsServer serves TLS with tc on loopback until the test ends: each
// connection is answered with the common name of the client's certificate,
// or "-" without one.
func tlsServer(t *testing.T, tc *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tc)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c := conn.(*tls.Conn)
			if err := c.Handshake(); err == nil {
				peer := "-"
				if certs := c.ConnectionState().PeerCertificates; len(certs) > 0 {
					peer = certs[0].Subject.CommonName
				}
				_, _ = c.Write([]byte(peer))
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// handshake connects to addr with tc and returns what the server of
// tlsServer answered.
func handshake(addr string, tc *tls.Config) (string, error) {
	conn, err := tls.Dial("tcp", addr, tc)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(conn)
	return buf.String(), err
}

// TestLoadedRedacts: a Loaded logged with slog or printed with fmt shows
// neither a password nor the client's private key.
func TestLoadedRedacts(t *testing.T) {
	t.Parallel()
	const password = "pa55-w0rd-never-shown"
	p := pki.New(t)
	l, err := config.Config{AppName: "myapp",
		Kafka: config.Kafka{BootstrapServers: []string{"b:9092"}, SecurityProtocol: config.SASLSSL, ClusterCAPath: p.CA,
			ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey, SASLUsername: "u", SASLPassword: config.NewSecret(password)},
		Registry: config.Registry{URL: "https://registry", Username: "u", Password: config.NewSecret(password), CAPath: p.CA},
	}.Load()
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "metrics", l)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("loaded", "metrics", l)
	if !strings.Contains(text.String(), "metrics.kafka_tls.client_certificates=1") {
		t.Errorf("slog text output lacks the client certificate count:\n%s", text.String())
	}
	for name, out := range map[string]string{
		"slog text": text.String(), "slog JSON": js.String(),
		"%v": fmt.Sprintf("%v", l), "%+v": fmt.Sprintf("%+v", l), "%#v": fmt.Sprintf("%#v", l),
		"&%+v": fmt.Sprintf("%+v", &l), "&%#v": fmt.Sprintf("%#v", &l),
	} {
		if strings.Contains(out, password) {
			t.Errorf("%s output shows the password:\n%s", name, out)
		}
		for _, m := range p.KeyMaterial {
			if strings.Contains(out, m) {
				t.Errorf("%s output shows private key material %q", name, m)
			}
		}
	}
}
