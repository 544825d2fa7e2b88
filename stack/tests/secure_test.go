//go:build stack

package tests_test

import (
	"context"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// Secure is what stack.env says about the broker's secured listeners (stack/up.sh,
// stackctl pki and stackctl secure).
type Secure struct {
	SASLSSL     string // SASL_SSL listener, SCRAM-SHA-512 only
	MTLS        string // SSL listener with ssl.client.auth=required
	ClusterCA   string // PEM: the CA of the broker's certificate
	ForeignCA   string // PEM: a CA that signed nothing of the broker
	ClientCert  string // PEM: client certificate signed by the clients CA (has ACLs)
	ClientKey   string
	ForeignCert string // PEM: client certificate signed by the foreign CA
	ForeignKey  string
	User        string // SCRAM user with ACLs on the app topics and on GroupPrefix* groups
	Password    string
	NoACLUser   string // SCRAM user without any ACL
	NoACLPass   string
	GroupPrefix string // consumer groups the users with ACLs may read
}

// secure reads the secured listeners from stack.env, or skips the test when the stack has
// none (the docker-compose stack).
func (s *Stack) secure(t *testing.T) *Secure {
	t.Helper()
	sec := &Secure{
		SASLSSL:     s.env["SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP"],
		MTLS:        s.env["SASQUATCH_STACK_KAFKA_MTLS_BOOTSTRAP"],
		ClusterCA:   s.env["SASQUATCH_STACK_KAFKA_CLUSTER_CA"],
		ForeignCA:   s.env["SASQUATCH_STACK_KAFKA_FOREIGN_CA"],
		ClientCert:  s.env["SASQUATCH_STACK_KAFKA_CLIENT_CERT"],
		ClientKey:   s.env["SASQUATCH_STACK_KAFKA_CLIENT_KEY"],
		ForeignCert: s.env["SASQUATCH_STACK_KAFKA_FOREIGN_CLIENT_CERT"],
		ForeignKey:  s.env["SASQUATCH_STACK_KAFKA_FOREIGN_CLIENT_KEY"],
		User:        s.env["SASQUATCH_STACK_KAFKA_SCRAM_USER"],
		Password:    s.env["SASQUATCH_STACK_KAFKA_SCRAM_PASSWORD"],
		NoACLUser:   s.env["SASQUATCH_STACK_KAFKA_NOACL_USER"],
		NoACLPass:   s.env["SASQUATCH_STACK_KAFKA_NOACL_PASSWORD"],
		GroupPrefix: s.env["SASQUATCH_STACK_KAFKA_ACL_GROUP_PREFIX"],
	}
	if sec.SASLSSL == "" || sec.MTLS == "" {
		t.Skip("stack.env names no secured Kafka listener (SASQUATCH_STACK_KAFKA_SASL_SSL_BOOTSTRAP): the docker-compose stack has none")
	}
	return sec
}

// sasl is the environment of a SASL_SSL client to the listener at addr.
func (sec *Secure) sasl(addr, mechanism, user, password, ca string) map[string]string {
	return map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": addr, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_CLUSTER_CA_PATH": ca,
		"KAFKA_SASL_MECHANISM": mechanism, "KAFKA_SASL_USERNAME": user, "KAFKA_SASL_PASSWORD": password,
	}
}

// ssl is the environment of an SSL (mutual TLS) client to the listener at addr.
func (sec *Secure) ssl(addr, ca, cert, key string) map[string]string {
	return map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS": addr, "KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_CLUSTER_CA_PATH": ca,
		"KAFKA_CLIENT_CERT_PATH": cert, "KAFKA_CLIENT_KEY_PATH": key,
	}
}

// secrets are the strings that must never show in an error or a log line: the SCRAM
// passwords, extra (the wrong passwords of a test) and every line of the client keys.
func (sec *Secure) secrets(t *testing.T, extra ...string) []string {
	t.Helper()
	out := append([]string{sec.Password, sec.NoACLPass}, extra...)
	for _, path := range []string{sec.ClientKey, sec.ForeignKey} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		if block == nil {
			t.Fatalf("%s: no PEM block", path)
		}
		for _, line := range strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes})), "\n") {
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	return out
}

// assertNoSecret fails the test if out contains one of secrets.
func assertNoSecret(t *testing.T, what, out string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("%s shows a secret (%q...)", what, s[:4])
		}
	}
}

// secureVars are the variables config.FromEnv reads that the secure tests set: each test sets
// all of them, blank when unused, so that the test process's environment cannot leak in.
var secureVars = []string{
	"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CLUSTER_CA_PATH",
	"KAFKA_CLIENT_CERT_PATH", "KAFKA_CLIENT_KEY_PATH", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
	"KAFKA_SASL_PASSWORD", "METRICS_RAISE_ON_ERROR",
}

// secureConfig loads the configuration of app from the stack's environment with env on top.
func (s *Stack) secureConfig(t *testing.T, app string, env map[string]string) config.Config {
	t.Helper()
	s.Setenv(t, app)
	for _, k := range secureVars {
		t.Setenv(k, env[k])
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatalf("config.FromEnv: %v", err)
	}
	return cfg
}

// createAppTopic creates app's topic through the plaintext listener (a super user's) and
// deletes it when the test ends.
func (s *Stack) createAppTopic(t *testing.T, app string) string {
	t.Helper()
	topic := s.Topic(app)
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.KafkaBrokers), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	resp, err := adm.CreateTopic(ctx, 1, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := adm.DeleteTopics(ctx, topic); err != nil {
			t.Logf("delete topic %s: %v", topic, err)
		}
	})
	waitFor(t, 30*time.Second, "topic "+topic+" led", func(ctx context.Context) (bool, error) {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return false, err
		}
		td := md.Topics[topic]
		if td.Err != nil || len(td.Partitions) == 0 || td.Partitions[0].Leader < 0 {
			return false, fmt.Errorf("not led yet (%v)", td.Err)
		}
		return true, nil
	})
	return topic
}

// clientOpts are the franz-go options of a client with cfg's security
// settings, the SDK's own (eventmanager.KafkaOptions).
func clientOpts(t *testing.T, cfg config.Config) []kgo.Opt {
	t.Helper()
	opts, err := eventmanager.KafkaOptions(cfg)
	if err != nil {
		t.Fatalf("KafkaOptions: %v", err)
	}
	return opts
}

// secureEvent is the payload of the secure tests.
type secureEvent struct {
	Seq      int
	Listener string
}

// TestSecureListenersPublish publishes 100 events through the SDK over the broker's SASL_SSL
// (SCRAM-SHA-512) listener and over its mutual-TLS listener, each time to a new app topic as a
// principal that has only the ACLs a Sasquatch app user gets, and consumes them back with the
// same credentials in a consumer group: every event delivered, the topic holding exactly those
// events, each id once, nothing secret in the logs.
func TestSecureListenersPublish(t *testing.T) {
	s := loadStack(t)
	sec := s.secure(t)
	secrets := sec.secrets(t)
	for _, l := range []struct {
		name string
		env  map[string]string
	}{
		{"SASL_SSL SCRAM-SHA-512", sec.sasl(sec.SASLSSL, "SCRAM-SHA-512", sec.User, sec.Password, sec.ClusterCA)},
		{"SSL mutual TLS", sec.ssl(sec.MTLS, sec.ClusterCA, sec.ClientCert, sec.ClientKey)},
	} {
		t.Run(l.name, func(t *testing.T) {
			app := uniqueName("secure") // a topic per listener, holding only its events
			topic := s.createAppTopic(t, app)
			cfg := s.secureConfig(t, app, l.env)
			log, logs := testkit.NewLogger(slog.LevelDebug) // franz-go's debug lines included
			st := newStamps()
			m, err := eventmanager.New(cfg, append([]eventmanager.Option{eventmanager.WithLogger(log)}, st.options()...)...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = m.Close(context.Background()) })
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := m.Initialize(ctx); err != nil {
				t.Fatalf("Initialize over %s: %v", l.name, err)
			}
			p, err := eventmanager.CreatePublisher[secureEvent](ctx, m, uniqueName("secure_event"))
			if err != nil {
				t.Fatal(err)
			}
			const n = 100
			for i := range n {
				if err := p.Publish(ctx, secureEvent{Seq: i, Listener: l.name}); err != nil {
					t.Fatalf("Publish %d: %v", i, err)
				}
			}
			if err := m.Close(ctx); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if got := m.Stats().Total; got.Published != n || got.Delivered != n || got.Failed+got.Dropped+got.Rejected != 0 {
				t.Fatalf("stats %+v, want %d published and delivered, nothing lost", got, n)
			}

			// Consume with the same principal in a group it may read: the topic holds exactly
			// this subtest's n events.
			group := sec.GroupPrefix + uniqueName("secure")
			counts := make(map[string]int)
			for _, r := range testkit.Consume(t, topic, n, append(clientOpts(t, cfg), kgo.ConsumerGroup(group))...) {
				if len(r.Value) < 42 || binary.BigEndian.Uint32(r.Value[1:5]) != uint32(p.SchemaID()) {
					t.Fatalf("record at offset %d is not an event of schema id %d: % x", r.Offset, p.SchemaID(), r.Value[:min(len(r.Value), 5)])
				}
				// The id is the first field: a 36-byte string after its 1-byte zig-zag length.
				counts[string(r.Value[6:42])]++
			}
			var bad []string
			for _, id := range st.issued() {
				if c := counts[id.String()]; c != 1 {
					bad = append(bad, fmt.Sprintf("%s x%d", id, c))
				}
			}
			if len(bad) > 0 || len(counts) != n {
				t.Fatalf("consumed %d distinct events of %d over %s; not exactly once: %v", len(counts), n, l.name, bad)
			}
			assertNoSecret(t, "the log", logs.String(), secrets)
		})
	}
}

// TestSecureListenersRefuseMistakes makes each security mistake a deployment can make against
// the real broker and checks that Initialize, given 1 s, returns the typed error that names the
// fix (not a deadline error, and not nil with the check retried in the background), with
// METRICS_RAISE_ON_ERROR true and false, and that neither the error nor the debug log shows a
// password or key material.
func TestSecureListenersRefuseMistakes(t *testing.T) {
	s := loadStack(t)
	sec := s.secure(t)
	app := uniqueName("secure")
	s.createAppTopic(t, app)
	wrong := "wrong-" + sec.Password // contains the right one
	secrets := sec.secrets(t, wrong)
	plaintext := func(protocol, addr string) map[string]string {
		env := map[string]string{"KAFKA_BOOTSTRAP_SERVERS": addr, "KAFKA_SECURITY_PROTOCOL": protocol}
		if protocol == "SASL_PLAINTEXT" {
			env["KAFKA_SASL_MECHANISM"], env["KAFKA_SASL_USERNAME"], env["KAFKA_SASL_PASSWORD"] = "SCRAM-SHA-512", sec.User, sec.Password
		}
		return env
	}
	tests := []struct {
		name   string
		env    map[string]string
		kind   error // ErrAuthentication or ErrTLS; nil: a *TopicError
		wantIn []string
		never  []string
	}{
		{
			name: "wrong SCRAM password", env: sec.sasl(sec.SASLSSL, "SCRAM-SHA-512", sec.User, wrong, sec.ClusterCA),
			kind:   eventmanager.ErrAuthentication,
			wantIn: []string{`SASL SCRAM-SHA-512 credentials of user "` + sec.User + `"`, "KAFKA_SASL_PASSWORD"},
		},
		{
			name: "SCRAM-SHA-256 against the SCRAM-SHA-512 listener", env: sec.sasl(sec.SASLSSL, "SCRAM-SHA-256", sec.User, sec.Password, sec.ClusterCA),
			kind:   eventmanager.ErrAuthentication,
			wantIn: []string{"KAFKA_SASL_MECHANISM=SCRAM-SHA-256"},
		},
		{
			name: "PLAINTEXT client to the SSL listener", env: plaintext("PLAINTEXT", sec.MTLS),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{"KAFKA_SECURITY_PROTOCOL=SSL"},
		},
		{
			name: "SASL_PLAINTEXT client to the SASL_SSL listener", env: plaintext("SASL_PLAINTEXT", sec.SASLSSL),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{"SASL_SSL"},
		},
		{
			name: "SSL client to the SASL_SSL listener", env: sec.ssl(sec.SASLSSL, sec.ClusterCA, sec.ClientCert, sec.ClientKey),
			kind:   eventmanager.ErrAuthentication,
			wantIn: []string{"KAFKA_SECURITY_PROTOCOL=SASL_SSL"},
		},
		{
			name: "no client certificate on the mTLS listener", env: sec.sasl(sec.MTLS, "SCRAM-SHA-512", sec.User, sec.Password, sec.ClusterCA),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{"requires a client certificate", "KAFKA_CLIENT_CERT_PATH and KAFKA_CLIENT_KEY_PATH"},
		},
		{
			name: "client certificate of a foreign CA on the mTLS listener", env: sec.ssl(sec.MTLS, sec.ClusterCA, sec.ForeignCert, sec.ForeignKey),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{fmt.Sprintf("did not accept KAFKA_CLIENT_CERT_PATH %q (CN=foreign-client", sec.ForeignCert)},
		},
		{
			// The broker sends its leaf and the cluster CA: the message must name the leaf.
			name: "wrong CA (SASL_SSL listener)", env: sec.sasl(sec.SASLSSL, "SCRAM-SHA-512", sec.User, sec.Password, sec.ForeignCA),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{"the broker's certificate (CN=broker, issued by ", fmt.Sprintf("KAFKA_CLUSTER_CA_PATH %q", sec.ForeignCA)},
			never:  []string{"certificate (CN=cluster-ca"},
		},
		{
			name: "wrong CA (mTLS listener)", env: sec.ssl(sec.MTLS, sec.ForeignCA, sec.ClientCert, sec.ClientKey),
			kind:   eventmanager.ErrTLS,
			wantIn: []string{"the broker's certificate (CN=broker, issued by ", fmt.Sprintf("KAFKA_CLUSTER_CA_PATH %q", sec.ForeignCA)},
			never:  []string{"certificate (CN=cluster-ca"},
		},
		{
			name: "user without topic ACLs", env: sec.sasl(sec.SASLSSL, "SCRAM-SHA-512", sec.NoACLUser, sec.NoACLPass, sec.ClusterCA),
			wantIn: []string{"not authorized"},
		},
	}
	for _, tt := range tests {
		for _, raise := range []string{"true", "false"} {
			t.Run(tt.name+"/METRICS_RAISE_ON_ERROR="+raise, func(t *testing.T) {
				env := map[string]string{"METRICS_RAISE_ON_ERROR": raise}
				for k, v := range tt.env {
					env[k] = v
				}
				cfg := s.secureConfig(t, app, env)
				log, logs := testkit.NewLogger(slog.LevelDebug) // franz-go's debug lines included
				m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				start := time.Now()
				err = m.Initialize(ctx)
				took := time.Since(start)
				closeCtx, closeCancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer closeCancel()
				if cerr := m.Close(closeCtx); cerr != nil {
					t.Errorf("Close: %v", cerr)
				}
				t.Logf("Initialize (%v): %v", took.Round(time.Millisecond), err)
				switch {
				case err == nil:
					t.Fatal("Initialize = nil: the mistake was taken for an outage (retried in the background) or not seen")
				case errors.Is(err, context.DeadlineExceeded):
					t.Fatalf("Initialize = %v: a deadline error, not the typed error of the mistake", err)
				}
				if tt.kind != nil {
					var se *eventmanager.SecurityError
					if !errors.As(err, &se) || !errors.Is(err, tt.kind) {
						t.Errorf("Initialize = %v (%T), want a *eventmanager.SecurityError matching %v", err, err, tt.kind)
					}
				} else {
					var te *eventmanager.TopicError
					if !errors.As(err, &te) || !errors.As(err, new(*eventmanager.TopicError)) {
						t.Errorf("Initialize = %v (%T), want a *eventmanager.TopicError", err, err)
					}
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
				assertNoSecret(t, "the error", fmt.Sprintf("%v %+v %#v", err, err, err), secrets)
				assertNoSecret(t, "the log", logs.String(), secrets)
			})
		}
	}
}
