package eventmanager_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

const testApp = "testapp"

// The external-broker switch: with both variables set (stack/test.sh sets
// them to the local Sasquatch stack of `make test-stack`), newKafkaEnv points
// the tests at that Kafka broker and schema registry instead of kfake and
// registrytest.
const (
	envExternalKafka    = "SASQUATCH_TEST_KAFKA_BOOTSTRAP" // comma-separated host:port
	envExternalRegistry = "SASQUATCH_TEST_REGISTRY_URL"
)

// kafkaEnv is a kfake broker and an in-process registry on loopback, or, in
// external mode, a real broker and registry; cluster and registry are then
// nil, and the tests that need them are listed in fakeOnly.
type kafkaEnv struct {
	cluster  *kfake.Cluster
	registry *registrytest.Server
	cfg      config.Config
}

// fakeOnly says why a test (by its top-level name) cannot run against an
// external broker and registry, or returns "" when it can.
func fakeOnly(test string) string {
	switch test {
	case "TestInjectedProduceErrors", "TestStatsBuffered":
		return "it injects produce errors with, or stops, kfake"
	case "TestRegistryDownAtStart", "TestLongRegistryDown5s", "TestRaiseOnError", "TestNoSchemaIDZero", "TestFieldTypeGuardBackground", "TestFlushPendingRegistration", "TestCloseEarlyLogWords", "TestCheckOutageMessage":
		return "it takes the registry down and up with registrytest's SetDown"
	case "TestFieldTypeGuardReferences":
		return "it seeds schema references and answers 404 through registrytest's srfake"
	case "TestBackgroundRefusalsRetried":
		return "it puts a misbehaving proxy in front of registrytest"
	case "TestInFlightAtClose", "TestFlushDuringCloseAgreesWithStats", "TestUnknownOnlyWhatWasSent", "TestUnknownBoundedPerPartition", "TestTopicRecreated", "TestProducerIDRefused", "TestTopicNotAuthorized", "TestDeliveryRefusedCheck":
		return "it controls the broker's answers with kfake"
	}
	return ""
}

// newKafkaEnv starts a broker (with the app's topic unless noTopic) and a
// registry, and returns a Kafka-mode configuration pointing at them. In
// external mode (see envExternalKafka) it uses the external broker and
// registry instead, with an app name of its own.
func newKafkaEnv(t *testing.T, noTopic bool) *kafkaEnv {
	t.Helper()
	cfg := baseConfig()
	if brokers, registryURL := os.Getenv(envExternalKafka), os.Getenv(envExternalRegistry); brokers != "" || registryURL != "" {
		if brokers == "" || registryURL == "" {
			t.Fatalf("external mode needs both %s and %s (got %q and %q)", envExternalKafka, envExternalRegistry, brokers, registryURL)
		}
		return newExternalEnv(t, cfg, strings.Split(brokers, ","), registryURL, noTopic)
	}
	topic := cfg.Topic()
	if noTopic {
		topic = ""
	}
	cluster, reg := fakes.Start(t, topic, 2)
	cfg.Kafka.BootstrapServers = cluster.ListenAddrs()
	cfg.Registry.URL = reg.URL()
	return &kafkaEnv{cluster: cluster, registry: reg, cfg: cfg}
}

// newExternalEnv is newKafkaEnv's external mode. Each test gets an app name
// (and so a topic and subjects) of its own, so that runs against a broker and
// registry that stay up never see each other's records or schemas. The app's
// topic is created with kadm (2 partitions, like kfake's) unless noTopic, and
// every topic the test created is deleted when it ends.
func newExternalEnv(t *testing.T, cfg config.Config, brokers []string, registryURL string, noTopic bool) *kafkaEnv {
	t.Helper()
	test, _, _ := strings.Cut(t.Name(), "/")
	if reason := fakeOnly(test); reason != "" {
		t.Skipf("skipped against the external broker (%s set): %s", envExternalKafka, reason)
	}
	cfg.AppName = fmt.Sprintf("%s_%d", testApp, time.Now().UnixNano())
	cfg.Kafka.BootstrapServers = brokers
	cfg.Registry.URL = registryURL

	// kadm answers metadata from the client's cache while it is younger than
	// MetadataMinAge (default 5 s): keep it short, to see topics come and go.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	before, err := adm.ListTopics(ctx)
	if err != nil {
		cl.Close()
		t.Fatalf("external broker %v: list topics: %v", brokers, err)
	}
	t.Cleanup(func() {
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		after, err := adm.ListTopics(ctx)
		if err != nil {
			t.Logf("external broker: list topics to delete the test's: %v", err)
			return
		}
		var created []string
		for _, topic := range after.Names() {
			if !before.Has(topic) {
				created = append(created, topic)
			}
		}
		if len(created) == 0 {
			return
		}
		resp, err := adm.DeleteTopics(ctx, created...)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Logf("external broker: delete topics %v: %v", created, err)
		}
	})
	if noTopic {
		return &kafkaEnv{cfg: cfg}
	}
	topic := cfg.Topic()
	resp, err := adm.CreateTopic(ctx, 2, -1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("external broker: create topic %s: %v", topic, err)
	}
	// The topic is usable once every partition has a leader.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := topicLed(ctx, adm, topic)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("external broker: topic %s not ready: %v", topic, err)
		case <-tick.C:
		}
	}
	return &kafkaEnv{cfg: cfg}
}

// topicLed reports why topic is not ready yet, or nil when each of its
// partitions has a leader.
func topicLed(ctx context.Context, adm *kadm.Client, topic string) error {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return err
	}
	d, ok := md.Topics[topic]
	switch {
	case !ok:
		return errors.New("not in the metadata")
	case d.Err != nil:
		return d.Err
	case len(d.Partitions) == 0:
		return kerr.LeaderNotAvailable
	}
	for _, p := range d.Partitions {
		if p.Err != nil || p.Leader < 0 {
			return fmt.Errorf("partition %d has no leader (%v)", p.Partition, p.Err)
		}
	}
	return nil
}

// baseConfig is a valid Kafka-mode configuration without endpoints.
func baseConfig() config.Config {
	return config.Config{
		AppName:     testApp,
		TopicPrefix: "lsst.square.metrics.events",
		Kafka: config.Kafka{
			BootstrapServers: []string{"127.0.0.1:1"},
			SecurityProtocol: config.Plaintext,
			SASLMechanism:    config.MechanismSCRAMSHA512,
		},
		Registry: config.Registry{
			URL:           "http://127.0.0.1:1",
			Compatibility: "NONE",
			Timeout:       5 * time.Second,
		},
		Delivery: config.Delivery{
			MaxBufferedEvents: 100000,
			MaxBufferedBytes:  64 << 20,
			DeliveryTimeout:   30 * time.Second,
			LogInterval:       time.Minute,
			BackoffMax:        time.Second,
		},
	}
}

func mockConfig() config.Config {
	cfg := baseConfig()
	cfg.Mock = true
	return cfg
}

func disabledConfig() config.Config {
	cfg := baseConfig()
	cfg.Disabled = true
	return cfg
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// consume reads exactly n records of topic from its start.
func consume(t *testing.T, brokers []string, topic string, n int) []*kgo.Record {
	t.Helper()
	return testkit.Consume(t, topic, n, kgo.SeedBrokers(brokers...))
}

// TestNewLogsWarnings checks that New logs the warnings of the environment
// (a misspelt variable, METRICS_MOCK=true ignored as in Safir) and of the
// settings (a SASL user with PLAINTEXT, an app name Sasquatch cannot
// deploy) for a Config read from the environment, naming the variables;
// and, for a Config built in code in the same environment, only the
// warnings of its settings, naming its fields (the environment is not
// where it came from).
func TestNewLogsWarnings(t *testing.T) {
	t.Setenv("METRICS_MOK", "true")
	envWarnings := []string{
		"metrics configuration: METRICS_MOK is not a variable of the metrics SDK and is ignored; did you mean METRICS_MOCK?",
		"metrics configuration: METRICS_MOCK=true is ignored because METRICS_ENABLED is not set: as in Safir, mock mode is METRICS_ENABLED=false with METRICS_MOCK=true",
	}
	appWarnings := []string{
		`metrics configuration: application name cannot be deployed on Sasquatch: \"my_app\" must match [a-z][a-z0-9]*`,
		`\"myapp\" would work`,
	}
	newLogs := func(t *testing.T, cfg config.Config) string {
		t.Helper()
		log, logs := testkit.NewLogger(slog.LevelWarn)
		m, err := eventmanager.New(cfg, eventmanager.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		_ = m.Close(t.Context())
		return logs.String()
	}
	check := func(t *testing.T, logs string, want, unwanted []string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(logs, w) {
				t.Errorf("log lacks %q:\n%s", w, logs)
			}
		}
		for _, w := range unwanted {
			if strings.Contains(logs, w) {
				t.Errorf("log has %q:\n%s", w, logs)
			}
		}
	}

	t.Run("read from the environment", func(t *testing.T) {
		cfg := secureFromEnv(t, map[string]string{
			"METRICS_APP_NAME": "my_app", "METRICS_MOCK": "true", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
			"KAFKA_SASL_USERNAME": "u", "SCHEMA_MANAGER_REGISTRY_URL": "http://127.0.0.1:1",
		})
		want := append(append(envWarnings,
			"metrics configuration: KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL; it is ignored"),
			appWarnings...)
		check(t, newLogs(t, cfg), want, nil)
	})
	t.Run("built in code", func(t *testing.T) {
		t.Setenv("METRICS_ENABLED", "")
		t.Setenv("METRICS_MOCK", "true")
		cfg := config.Config{
			AppName:  "my_app",
			Kafka:    config.Kafka{BootstrapServers: []string{"127.0.0.1:1"}, SASLUsername: "u"},
			Registry: config.Registry{URL: "http://127.0.0.1:1"},
		}
		want := append([]string{
			"metrics configuration: Config.Kafka.SASLUsername is set but Config.Kafka.SecurityProtocol=PLAINTEXT does not use SASL; it is ignored",
		}, appWarnings...)
		check(t, newLogs(t, cfg), want, append(envWarnings, "METRICS_MOK", "METRICS_MOCK"))
	})
}

// TestNewHugeBufferLimits: METRICS_MAX_BUFFERED_EVENTS and _BYTES at
// math.MaxInt64 pass FromEnv and New (they act as the account's limits, as
// documented), instead of New failing with a negative franz-go record limit.
func TestNewHugeBufferLimits(t *testing.T) {
	cfg := secureFromEnv(t, map[string]string{
		"METRICS_APP_NAME": "myapp", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "SCHEMA_MANAGER_REGISTRY_URL": "http://127.0.0.1:1",
		"METRICS_MAX_BUFFERED_EVENTS": "9223372036854775807", "METRICS_MAX_BUFFERED_BYTES": "9223372036854775807",
	})
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatalf("New with the largest buffer limits: %v", err)
	}
	_ = m.Close(t.Context())
}
