package eventmanager_test

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

// yamlConfig configures the SDK as an application configured from a YAML
// file does, mobu's way: doc is the application's config.yaml, with Safir's
// metrics block, and env exactly the environment (KAFKA_* in Kafka mode, as
// Phalanx sets them).
func yamlConfig(t *testing.T, doc string, env map[string]string) config.Config {
	t.Helper()
	for _, v := range securityVars {
		t.Setenv(v, env[v])
	}
	var file struct {
		LogLevel string              `yaml:"logLevel"`
		Metrics  config.SafirMetrics `yaml:"metrics"`
	}
	if err := yaml.Unmarshal([]byte(doc), &file); err != nil {
		t.Fatal(err)
	}
	cfg, err := file.Metrics.Config()
	if err != nil {
		t.Fatalf("SafirMetrics.Config: %v", err)
	}
	if w := file.Metrics.Warnings(); len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
	return cfg
}

// TestYAMLConfiguredApp runs an application configured from its YAML file
// end to end: in Kafka mode (the block gives the registry, the environment
// the broker) an event published through the manager is on the app's topic,
// framed with the id the registry gave its subject; in mock mode
// (enabled false, mock true) it is recorded for eventmanagertest.
func TestYAMLConfiguredApp(t *testing.T) {
	const topic = "lsst.square.metrics.events.yamlapp"
	want := QueryEvent{Type: QuerySync, Duration: 1500 * time.Millisecond}

	t.Run("kafka", func(t *testing.T) {
		cluster, reg := fakes.Start(t, topic, 1)
		cfg := yamlConfig(t, `logLevel: INFO
metrics:
  application: yamlapp
  enabled: true
  events:
    topicPrefix: lsst.square.metrics.events
  schemaManager:
    registryUrl: "`+reg.URL()+`"
    suffix: ""
`, map[string]string{
			"KAFKA_BOOTSTRAP_SERVERS": strings.Join(cluster.ListenAddrs(), ","),
			"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
		})
		if cfg.Mode() != config.ModeKafka || cfg.Topic() != topic {
			t.Fatalf("mode %v, topic %q; want Kafka mode, %s", cfg.Mode(), cfg.Topic(), topic)
		}
		m, q := startQueries(t, cfg)
		if err := q.Publish(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		recs := consume(t, cfg.Kafka.BootstrapServers, topic, 1)
		id, rec := testkit.Decode(t, reg.URL(), recs[0].Value)
		if id != int(q.SchemaID()) || !reg.Fake().SubjectExists(topic+".query") {
			t.Errorf("schema id %d, want %d, registered under %s.query", id, q.SchemaID(), topic)
		}
		if rec["application"] != "yamlapp" || rec["type"] != "sync" || rec["duration"] != 1.5 {
			t.Errorf("record %v, want application yamlapp, type sync, duration 1.5", rec)
		}
	})

	t.Run("mock", func(t *testing.T) {
		cfg := yamlConfig(t, `logLevel: INFO
metrics:
  application: yamlapp
  enabled: false
  mock: true
  schemaManager:
    registryUrl: "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081"
`, nil)
		if cfg.Mode() != config.ModeMock {
			t.Fatalf("mode %v, want mock", cfg.Mode())
		}
		m, q := startQueries(t, cfg)
		defer func() { _ = m.Close(t.Context()) }()
		if err := q.Publish(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		eventmanagertest.AssertPublishedAll(t, q, []QueryEvent{want})
	})
}
