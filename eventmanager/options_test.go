package eventmanager_test

// Regression tests of issue 24: options that contradict each other are
// refused by New, WithKafkaClient does not demand the Kafka settings it
// does not use, and an event larger than the client may send is refused
// by Publish.

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// offlineClient is a client that is never connected (kgo.NewClient does no
// I/O).
func offlineClient(t *testing.T) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// wantConflict checks that err is an *OptionConflictError naming a and b.
func wantConflict(t *testing.T, err error, a, b string) {
	t.Helper()
	if !errors.As(err, new(*eventmanager.OptionConflictError)) {
		t.Fatalf("New: %v, want *eventmanager.OptionConflictError", err)
	}
	var ce *eventmanager.OptionConflictError
	if !errors.As(err, &ce) || ce.Option != a || !strings.HasPrefix(ce.Other, b) {
		t.Fatalf("New: %#v, want an *OptionConflictError of %s and %s", err, a, b)
	}
	if msg := err.Error(); !strings.Contains(msg, a) || !strings.Contains(msg, b) {
		t.Errorf("error %q does not name both %s and %s", msg, a, b)
	}
}

// TestKafkaClientConflictsWithKafkaOptions: WithKafkaOptions configure a
// client the manager builds; with WithKafkaClient it builds none, so New
// refuses the pair instead of ignoring the options.
func TestKafkaClientConflictsWithKafkaOptions(t *testing.T) {
	cl := offlineClient(t)
	for _, opts := range [][]eventmanager.Option{
		{eventmanager.WithKafkaClient(cl), eventmanager.WithKafkaOptions(kgo.ClientID("x"))},
		{eventmanager.WithKafkaOptions(kgo.ClientID("x")), eventmanager.WithKafkaClient(cl)},
	} {
		cfg := baseConfig()
		cfg.Delivery.DeliveryTimeout = 0
		m, err := eventmanager.New(cfg, opts...)
		if m != nil {
			m.Close(t.Context())
		}
		wantConflict(t, err, "WithKafkaClient", "WithKafkaOptions")
	}
}

// TestKafkaClientConflictsWithDeliveryTimeout: METRICS_DELIVERY_TIMEOUT
// bounds the delivery of a client the manager builds; a non-default value
// with WithKafkaClient is refused, the default (unset, or set to it) is not.
func TestKafkaClientConflictsWithDeliveryTimeout(t *testing.T) {
	cl := offlineClient(t)
	cfg := baseConfig()
	cfg.Delivery.DeliveryTimeout = 30 * time.Second
	m, err := eventmanager.New(cfg, eventmanager.WithKafkaClient(cl))
	if m != nil {
		m.Close(t.Context())
	}
	wantConflict(t, err, "WithKafkaClient", "METRICS_DELIVERY_TIMEOUT")

	for _, d := range []time.Duration{0, config.DefaultDeliveryTimeout} {
		cfg.Delivery.DeliveryTimeout = d
		m, err := eventmanager.New(cfg, eventmanager.WithKafkaClient(cl))
		if err != nil {
			t.Fatalf("DeliveryTimeout %s: %v", d, err)
		}
		m.Close(t.Context())
	}
	// Without WithKafkaClient the setting is the manager's to apply.
	cfg.Delivery.DeliveryTimeout = 30 * time.Second
	m, err = eventmanager.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Close(t.Context())
}

// TestKafkaClientNeedsNoKafkaSettings: with WithKafkaClient the Kafka
// connection is the client's, so New requires neither
// KAFKA_BOOTSTRAP_SERVERS nor the credentials or PEM files of the security
// protocol, and the manager publishes through the client.
func TestKafkaClientNeedsNoKafkaSettings(t *testing.T) {
	env := newKafkaEnv(t, false)
	cl, err := kgo.NewClient(kgo.SeedBrokers(env.cfg.Kafka.BootstrapServers...), kgo.DefaultProduceTopic(env.cfg.Topic()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	cfg := env.cfg
	cfg.Delivery.DeliveryTimeout = 0 // the client's own applies
	cfg.Kafka = config.Kafka{SecurityProtocol: config.SSL, ClientCertPath: "/nonexistent/cert.pem", ClientKeyPath: "/nonexistent/key.pem"}
	if _, err := eventmanager.New(cfg); !errors.As(err, new(*config.Error)) {
		t.Fatalf("New without WithKafkaClient: %v, want *config.Error (the settings are required then)", err)
	}
	m, q := startQueries(t, cfg, eventmanager.WithKafkaClient(cl))
	if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event to be delivered", func() bool { return m.Stats().Total.Delivered == 1 })
}

// BigEvent holds up to 32 strings of payload.MaxStringLen: 2 MiB in all.
type BigEvent struct {
	S00, S01, S02, S03, S04, S05, S06, S07 string
	S08, S09, S10, S11, S12, S13, S14, S15 string
	S16, S17, S18, S19, S20, S21, S22, S23 string
	S24, S25, S26, S27, S28, S29, S30, S31 string
}

// bigEvent returns a BigEvent of n strings of size bytes each.
func bigEvent(n, size int) BigEvent {
	var e BigEvent
	s := strings.Repeat("x", size)
	for i, f := range []*string{&e.S00, &e.S01, &e.S02, &e.S03, &e.S04, &e.S05, &e.S06, &e.S07,
		&e.S08, &e.S09, &e.S10, &e.S11, &e.S12, &e.S13, &e.S14, &e.S15,
		&e.S16, &e.S17, &e.S18, &e.S19, &e.S20, &e.S21, &e.S22, &e.S23,
		&e.S24, &e.S25, &e.S26, &e.S27, &e.S28, &e.S29, &e.S30, &e.S31} {
		if i < n {
			*f = s
		}
	}
	return e
}

// TestEventTooLarge: an event larger than the Kafka client may send in one
// record batch (kgo.ProducerBatchMaxBytes, ~1 MB) is refused by Publish,
// with its size and the limit, and counted Rejected; it was accepted and
// failed later with MESSAGE_TOO_LARGE. A 900 KB event is delivered.
func TestEventTooLarge(t *testing.T) {
	env := newKafkaEnv(t, false)
	m, p := startPublisher[BigEvent](t, env.cfg, "big")
	err := p.Publish(t.Context(), bigEvent(32, 64<<10)) // 2 MiB
	if !errors.As(err, new(*eventmanager.EventTooLargeError)) {
		t.Fatalf("Publish of 2 MiB: %v, want *eventmanager.EventTooLargeError", err)
	}
	var te *eventmanager.EventTooLargeError
	if !errors.As(err, &te) || te.Event != "big" || te.Size < 2<<20 || te.Limit <= 900_000 || te.Limit >= 1_000_012 {
		t.Fatalf("Publish of 2 MiB: %#v, want an *EventTooLargeError with the size and the limit", err)
	}
	if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(te.Size)) || !strings.Contains(msg, strconv.Itoa(te.Limit)) {
		t.Errorf("error %q does not give the size and the limit", msg)
	}
	if st := m.Stats().Total; st.Rejected != 1 || st.Published != 0 {
		t.Fatalf("stats after the 2 MiB event: %+v, want 1 rejected, none published", st)
	}
	if err := p.Publish(t.Context(), bigEvent(15, 60_000)); err != nil { // 900 KB
		t.Fatalf("Publish of 900 KB: %v", err)
	}
	waitFor(t, "the 900 KB event to be delivered", func() bool {
		st := m.Stats().Total
		return st.Delivered+st.Failed == 1
	})
	if st := m.Stats().Total; st.Delivered != 1 || st.Failed != 0 || st.Rejected != 1 || st.Published != 1 {
		t.Fatalf("stats: %+v, want the 900 KB event delivered and the 2 MiB one rejected", st)
	}
}
