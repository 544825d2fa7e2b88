package config_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// TestResolveLiteral resolves configs built in code: zero values get
// defaults, the same checks apply.
func TestResolveLiteral(t *testing.T) {
	p := pki.New(t)
	kafka := func(k config.Kafka) config.Config {
		if k.BootstrapServers == nil {
			k.BootstrapServers = []string{"b:9092"}
		}
		return config.Config{AppName: "app", Kafka: k, Registry: config.Registry{URL: "http://reg"}}
	}
	tests := []struct {
		name    string
		in      config.Config
		check   func(t *testing.T, c config.Config)
		wantErr []wantProblem
	}{
		{name: "mock literal gets every default", in: config.Config{AppName: "app", Mock: true},
			check: func(t *testing.T, c config.Config) {
				if c.Mode() != config.ModeMock {
					t.Errorf("Mode() = %v, want mock (the zero value of Disabled is enabled)", c.Mode())
				}
				want := config.Config{
					AppName: "app", Mock: true, TopicPrefix: "lsst.square.metrics.events",
					Kafka:    config.Kafka{SecurityProtocol: config.Plaintext, SASLMechanism: config.MechanismSCRAMSHA512},
					Registry: config.Registry{Compatibility: "NONE", Timeout: 10 * time.Second},
					Delivery: config.Delivery{MaxBufferedEvents: 100000, MaxBufferedBytes: 64 << 20, DeliveryTimeout: 2 * time.Minute, LogInterval: time.Minute, BackoffMax: time.Minute},
				}
				if !equalConfig(c, want) {
					t.Errorf("Resolve() =\n%+v\nwant\n%+v", c, want)
				}
			}},
		{name: "zero Config is Kafka mode", in: config.Config{},
			wantErr: []wantProblem{
				{"Config.AppName", "required"},
				{"Config.Kafka.BootstrapServers", "required in Kafka mode"},
				{"Config.Registry.URL", "required in Kafka mode"},
			}},
		{name: "disabled Config needs only the app name", in: config.Config{AppName: "a", Disabled: true},
			check: func(t *testing.T, c config.Config) {
				if c.Mode() != config.ModeDisabled || c.TopicPrefix != "lsst.square.metrics.events" {
					t.Errorf("Resolve() = %v", c)
				}
			}},
		{name: "set values are kept and normalised",
			in: config.Config{AppName: "app", Mock: true, TopicPrefix: "p",
				Kafka:    config.Kafka{SecurityProtocol: "sasl_ssl", SASLMechanism: "plain"},
				Registry: config.Registry{Compatibility: "full", Timeout: time.Second},
				Delivery: config.Delivery{MaxBufferedEvents: 1, MaxBufferedBytes: 2, BlockTimeout: 3, DeliveryTimeout: 4 * time.Second, LogInterval: 5 * time.Second, BackoffMax: 60 * time.Millisecond}},
			check: func(t *testing.T, c config.Config) {
				if c.Kafka.SecurityProtocol != config.SASLSSL || c.Kafka.SASLMechanism != config.MechanismPlain || c.Registry.Compatibility != "FULL" ||
					c.Registry.Timeout != time.Second || c.Delivery != (config.Delivery{1, 2, 3, 4 * time.Second, 5 * time.Second, 60 * time.Millisecond}) || c.Topic() != "p.app" {
					t.Errorf("Resolve() = %v", c)
				}
			}},
		{name: "user-info moves out of the URL",
			in: kafka(config.Kafka{}),
			check: func(t *testing.T, c config.Config) {
				c.Registry.URL = "https://u:p@reg/x/"
				c, err := c.Resolve()
				if err != nil || c.Registry.URL != "https://reg/x" || c.Registry.Username != "u" || c.Registry.Password.Value() != "p" {
					t.Errorf("Resolve() = %v, %v", c, err)
				}
			}},
		{name: "paths are checked, and TLSConfig builds from them",
			in: kafka(config.Kafka{SecurityProtocol: config.SSL, ClusterCAPath: p.CA, ClientCertPath: p.ClientCert, ClientKeyPath: p.ClientKey}),
			check: func(t *testing.T, c config.Config) {
				tc, err := c.Kafka.TLSConfig()
				if err != nil || tc == nil || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.MinVersion != tls.VersionTLS12 || tc.ServerName != "" {
					t.Errorf("Kafka.TLSConfig() = %v, %v, want one built from the files", tc, err)
				}
			}},
		{name: "no TLS configuration with a plaintext protocol",
			in: kafka(config.Kafka{ClusterCAPath: p.CA}),
			check: func(t *testing.T, c config.Config) {
				if tc, err := c.Kafka.TLSConfig(); tc != nil || err != nil {
					t.Errorf("Kafka.TLSConfig() = %v, %v, want nil, nil with PLAINTEXT", tc, err)
				}
			}},
		{name: "SSL without TLS or paths",
			in: kafka(config.Kafka{SecurityProtocol: config.SSL}),
			wantErr: []wantProblem{
				{"Config.Kafka.ClientCertPath", "required with Config.Kafka.SecurityProtocol=SSL"},
				{"Config.Kafka.ClientKeyPath", "required with Config.Kafka.SecurityProtocol=SSL"},
			}},
		{name: "bad values in code",
			in: config.Config{AppName: "a b", Mock: true, TopicPrefix: ".x",
				Kafka:    config.Kafka{BootstrapServers: []string{" b:1"}, SecurityProtocol: "TLS", SASLMechanism: "X"},
				Registry: config.Registry{URL: "mailto:x@y", Suffix: "!", Compatibility: "ANY", Timeout: -1},
				Delivery: config.Delivery{MaxBufferedEvents: -1, MaxBufferedBytes: -1, BlockTimeout: -1, DeliveryTimeout: -1, LogInterval: -1, BackoffMax: -1}},
			wantErr: []wantProblem{
				{"Config.AppName", `"a b" must match`},
				{"Config.TopicPrefix", `".x"`},
				{"Config.Kafka.BootstrapServers", `" b:1" is not a host[:port] address`},
				{"Config.Kafka.SecurityProtocol", `"TLS" is not one of`},
				{"Config.Kafka.SASLMechanism", `"X" is not one of`},
				{"Config.Registry.URL", `"[redacted]@y" must be an http or https URL`},
				{"Config.Registry.Suffix", `"!"`},
				{"Config.Registry.Compatibility", `"ANY" is not one of`},
				{"Config.Registry.Timeout", "-1ns is negative"},
				{"Config.Delivery.MaxBufferedEvents", "-1 is negative"},
				{"Config.Delivery.MaxBufferedBytes", "-1 is negative"},
				{"Config.Delivery.BlockTimeout", "-1ns is negative"},
				{"Config.Delivery.DeliveryTimeout", "-1ns is negative"},
				{"Config.Delivery.LogInterval", "-1ns is negative"},
				{"Config.Delivery.BackoffMax", "-1ns is negative"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.in.Resolve()
			if tt.wantErr != nil {
				var ce *config.Error
				if !errors.As(err, &ce) {
					t.Fatalf("Resolve() error = %v, want a *config.Error", err)
				}
				checkProblems(t, ce, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatalf("Resolve() error: %v", err)
			}
			tt.check(t, c)
		})
	}
}

// TestResolveIdempotent resolves a loaded Config again: nothing changes.
// A Config holds paths, not what they held: after its files are gone,
// Resolve reports them again.
func TestResolveIdempotent(t *testing.T) {
	p := pki.New(t)
	c := mustFromEnv(t, kafkaEnv(map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": "", "KAFKA_BOOSTRAP_SERVERS": "b:9092",
		"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": p.CA,
		"KAFKA_CLIENT_CERT_PATH": p.ClientCert, "KAFKA_CLIENT_KEY_PATH": p.ClientKey,
		"SCHEMA_MANAGER_REGISTRY_URL": "https://u:pw@reg", "SCHEMA_MANAGER_CA_PATH": p.CA,
		"KAFKA_SASL_USERNAME": "ignored",
	}))
	if w := warnings(c); len(w) != 2 {
		t.Fatalf("warnings = %q, want the misspelling and the ignored SASL user", w)
	}
	again, err := c.Resolve()
	if err != nil {
		t.Fatalf("second Resolve() error: %v", err)
	}
	if !equalConfig(again, c) {
		t.Errorf("second Resolve() =\n%v\nwant\n%v", again, c)
	}
	if !slices.Equal(again.Warnings(), c.Warnings()) {
		t.Errorf("Warnings() %q vs %q", again.Warnings(), c.Warnings())
	}
	if _, err := c.Resolve(); err != nil {
		t.Errorf("Resolve() of a resolved Config: %v", err)
	}
	// The copy does not share the slices it may change.
	again.Kafka.BootstrapServers[0] = "changed"
	if c.Kafka.BootstrapServers[0] == "changed" {
		t.Error("Resolve() result shares slices with its receiver")
	}

	for _, f := range []string{p.CA, p.ClientCert, p.ClientKey} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	var ce *config.Error
	if _, err := c.Resolve(); !errors.As(err, &ce) {
		t.Fatalf("Resolve() after the files are gone: error %v, want a *config.Error", err)
	}
	checkProblems(t, ce,
		wantProblem{"KAFKA_CLUSTER_CA_PATH", "cannot read"},
		wantProblem{"KAFKA_CLIENT_CERT_PATH", "cannot read"},
		wantProblem{"KAFKA_CLIENT_KEY_PATH", "cannot read"},
		wantProblem{"SCHEMA_MANAGER_CA_PATH", "cannot read"},
	)
}

func TestTopic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    config.Config
		want string
	}{
		{config.Config{AppName: "app"}, "lsst.square.metrics.events.app"},
		{config.Config{AppName: "app", TopicPrefix: "a.b"}, "a.b.app"},
	}
	for _, tt := range tests {
		if got := tt.c.Topic(); got != tt.want {
			t.Errorf("Topic() = %q, want %q", got, tt.want)
		}
	}
}

func TestSecurityProtocolUses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p         config.SecurityProtocol
		tls, sasl bool
	}{
		{config.Plaintext, false, false},
		{config.SSL, true, false},
		{config.SASLPlaintext, false, true},
		{config.SASLSSL, true, true},
	}
	for _, tt := range tests {
		if tt.p.UsesTLS() != tt.tls || tt.p.UsesSASL() != tt.sasl {
			t.Errorf("%s: UsesTLS %t UsesSASL %t, want %t %t", tt.p, tt.p.UsesTLS(), tt.p.UsesSASL(), tt.tls, tt.sasl)
		}
	}
}

// TestString pins the one-line summary of each mode.
func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    config.Config
		want string
	}{
		{config.Config{AppName: "myapp", Mock: true},
			"mode=mock app=myapp topic=lsst.square.metrics.events.myapp raise_on_error=false " +
				"kafka.security_protocol=PLAINTEXT kafka.sasl_mechanism=SCRAM-SHA-512 " +
				"registry.compatibility=NONE registry.timeout=10s " +
				"delivery.max_buffered_events=100000 delivery.max_buffered_bytes=67108864 delivery.block_timeout=0s " +
				"delivery.delivery_timeout=2m0s delivery.log_interval=1m0s delivery.backoff_max=1m0s"},
		{config.Config{AppName: "a", Disabled: true},
			"mode=disabled app=a topic=lsst.square.metrics.events.a raise_on_error=false kafka.security_protocol=PLAINTEXT " +
				"kafka.sasl_mechanism=SCRAM-SHA-512 registry.compatibility=NONE registry.timeout=10s " +
				"delivery.max_buffered_events=100000 delivery.max_buffered_bytes=67108864 delivery.block_timeout=0s " +
				`delivery.delivery_timeout=2m0s delivery.log_interval=1m0s delivery.backoff_max=1m0s`},
	}
	for _, tt := range tests {
		c, err := tt.c.Resolve()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.String(); got != tt.want {
			t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
		}
		if got, want := fmt.Sprintf("%#v", c), "config.Config{"+tt.want+"}"; got != want {
			t.Errorf("%%#v =\n%s\nwant\n%s", got, want)
		}
	}
}

// TestDeliveryBounds: the buffer limits beyond what the event manager's
// account holds become that limit (32 Mi events, 128 GiB), as documented,
// instead of overflowing later; durations below their minimums (a retry
// hot loop, a log flood, a delivery bound no broker can meet) are errors at
// load, from the environment as in code.
func TestDeliveryBounds(t *testing.T) {
	huge := "9223372036854775807"
	c := mustFromEnv(t, kafkaEnv(map[string]string{
		"METRICS_MAX_BUFFERED_EVENTS": huge, "METRICS_MAX_BUFFERED_BYTES": huge,
		"METRICS_BACKOFF_MAX": "10ms", "METRICS_LOG_INTERVAL": "1s", "METRICS_DELIVERY_TIMEOUT": "1s",
	}))
	if d := c.Delivery; d.MaxBufferedEvents != 32<<20 || d.MaxBufferedBytes != 128<<30 ||
		d.BackoffMax != 10*time.Millisecond || d.LogInterval != time.Second || d.DeliveryTimeout != time.Second {
		t.Errorf("Delivery = %+v, want the buffer limits capped at 32Mi events and 128GiB, the minimum durations kept", d)
	}
	again, err := c.Resolve()
	if err != nil || again.Delivery != c.Delivery {
		t.Errorf("Resolve() of the capped Config = %+v, %v", again.Delivery, err)
	}

	ce := fromEnvError(t, kafkaEnv(map[string]string{
		"METRICS_BACKOFF_MAX": "1ns", "METRICS_LOG_INTERVAL": "999ms", "METRICS_DELIVERY_TIMEOUT": "0.5",
	}))
	checkProblems(t, ce,
		wantProblem{"METRICS_DELIVERY_TIMEOUT", "500ms is below the minimum 1s"},
		wantProblem{"METRICS_LOG_INTERVAL", "999ms is below the minimum 1s"},
		wantProblem{"METRICS_BACKOFF_MAX", "1ns is below the minimum 10ms (a shorter backoff retries in a hot loop"},
	)

	_, err = config.Config{AppName: "app", Mock: true, Delivery: config.Delivery{BackoffMax: time.Millisecond}}.Resolve()
	if !errors.As(err, &ce) {
		t.Fatalf("Resolve() of a 1ms backoff = %v, want a *config.Error", err)
	}
	checkProblems(t, ce, wantProblem{"Config.Delivery.BackoffMax", "1ms is below the minimum 10ms"})
}

// TestResolveWithKafkaClient: with a Kafka client built elsewhere
// (eventmanager.WithKafkaClient) the Kafka connection settings are neither
// required nor read, while the registry still is and what is set must
// still be well-formed.
func TestResolveWithKafkaClient(t *testing.T) {
	cfg := config.Config{AppName: "myapp", Registry: config.Registry{URL: "http://registry:8081"},
		Kafka: config.Kafka{SecurityProtocol: config.SASLSSL, ClusterCAPath: "/nonexistent/ca.pem"}}
	if _, err := cfg.Resolve(); !errors.As(err, new(*config.Error)) {
		t.Fatalf("Resolve: %v, want *config.Error", err)
	}
	got, err := cfg.ResolveWithKafkaClient()
	if err != nil {
		t.Fatalf("ResolveWithKafkaClient: %v", err)
	}
	if got.Delivery.DeliveryTimeout != config.DefaultDeliveryTimeout {
		t.Errorf("DeliveryTimeout %s, want the default %s", got.Delivery.DeliveryTimeout, config.DefaultDeliveryTimeout)
	}
	cfg.Registry.URL = ""
	cfg.Kafka.SecurityProtocol = "FOO"
	_, err = cfg.ResolveWithKafkaClient()
	var ce *config.Error
	if !errors.As(err, &ce) || len(ce.Vars) != 2 {
		t.Fatalf("ResolveWithKafkaClient without a registry and with a bad protocol: %v, want 2 problems", err)
	}
}

// TestRegistryWithDefaults: the zero Compatibility and Timeout get config's
// defaults, set values stay as they are (unchecked: Resolve checks them),
// and Resolve fills in the same defaults.
func TestRegistryWithDefaults(t *testing.T) {
	t.Parallel()
	got := config.Registry{URL: "http://reg"}.WithDefaults()
	if got.Compatibility != config.DefaultCompatibility || got.Timeout != config.DefaultRegistryTimeout || got.URL != "http://reg" {
		t.Errorf("WithDefaults() = %v, want NONE and 10s", got)
	}
	set := config.Registry{Compatibility: "full", Timeout: -time.Second}
	if got := set.WithDefaults(); !equalRegistry(got, set) {
		t.Errorf("WithDefaults() = %v, want %v unchanged", got, set)
	}
	resolved, err := config.Config{AppName: "a", Mock: true}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if def := (config.Registry{}).WithDefaults(); !equalRegistry(resolved.Registry, def) {
		t.Errorf("Resolve() gives the registry %v, WithDefaults %v", resolved.Registry, def)
	}
}
