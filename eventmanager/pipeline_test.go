package eventmanager_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// pipeBase is shared by both events of TestPipeline: its tag is declared
// once and appears once in the application's tag list.
type pipeBase struct {
	Site string `influx:"tag"`
}

type pipeQuery struct {
	pipeBase
	Kind     string `influx:"tag"`
	Duration float64
}

type pipeLogin struct {
	pipeBase
	Service *string `influx:"tag"`
	Scopes  int
}

// newPipelineManager returns an initialized mock-mode manager with the two
// events of TestPipeline, which share the tag site.
func newPipelineManager(t *testing.T) *eventmanager.Manager {
	t.Helper()
	m, err := eventmanager.New(mockConfig(), eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Registered in the reverse of the sorted order: the output must not
	// depend on it.
	if _, err := eventmanager.CreatePublisher[pipeQuery](t.Context(), m, "query"); err != nil {
		t.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[pipeLogin](t.Context(), m, "login"); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPipeline: two events sharing a tag give one sorted tag list without
// application, their measurements sorted, and the renderings Sasquatch
// deploys.
func TestPipeline(t *testing.T) {
	t.Parallel()
	m := newPipelineManager(t)
	p := m.Pipeline()
	topic := m.Topic()
	want := eventmanager.Pipeline{
		App:          testApp,
		Topic:        topic,
		Measurements: []string{topic + ".login", topic + ".query"},
		Tags:         []string{"kind", "service", "site"},
	}
	if p.App != want.App || p.Topic != want.Topic || !slices.Equal(p.Measurements, want.Measurements) || !slices.Equal(p.Tags, want.Tags) {
		t.Fatalf("Pipeline() = %+v, want %+v", p, want)
	}

	wantPhalanx := "globalAppConfig:\n  " + testApp + ":\n    influxTags: [\"kind\", \"service\", \"site\"]\n"
	if got := p.Phalanx(); got != wantPhalanx {
		t.Errorf("Phalanx() =\n%s\nwant\n%s", got, wantPhalanx)
	}

	tg := p.Telegraf(eventmanager.TelegrafConfig{Brokers: []string{"b1:9092", "b2:9092"}, RegistryURL: "http://sr:8081", KafkaVersion: "4.1.0", ConsumerGroup: "g1"})
	for _, line := range []string{
		"  consumer_group = \"g1\"\n",
		"[[inputs.kafka_consumer]]\n",
		"  brokers = [\"b1:9092\", \"b2:9092\"]\n",
		"  kafka_version = \"4.1.0\"\n",
		"  avro_schema_registry = \"http://sr:8081\"\n",
		"  avro_tags = [\"application\", \"kind\", \"service\", \"site\"]\n",
		"  topics = [\"" + topic + "\"]\n",
		"# " + testApp + ": measurements " + topic + ".login, " + topic + ".query\n",
	} {
		if !strings.Contains(tg, line) {
			t.Errorf("Telegraf() lacks %q:\n%s", line, tg)
		}
	}
	if again := newPipelineManager(t).Pipeline(); again.Phalanx() != p.Phalanx() || again.Telegraf(eventmanager.TelegrafConfig{}) != p.Telegraf(eventmanager.TelegrafConfig{}) {
		t.Error("two managers with the same events render different pipelines")
	}
}

// TestPipelineTelegrafMatchesStack: with the zero TelegrafConfig, the block
// is exactly the one stack/telegraf/render.sh makes from
// kafka_consumer.conf.in, the settings the end-to-end stack runs Telegraf
// with, apart from the leading comment.
func TestPipelineTelegrafMatchesStack(t *testing.T) {
	t.Parallel()
	m := newPipelineManager(t)
	p := m.Pipeline()
	tmpl, err := os.ReadFile("../stack/telegraf/kafka_consumer.conf.in")
	if err != nil {
		t.Fatal(err)
	}
	app := strings.TrimPrefix(p.Topic, "lsst.square.metrics.events.")
	want := strings.NewReplacer("@APP@", app, "@AVRO_TAGS@", `"application", "kind", "service", "site"`).Replace(string(tmpl))
	got := p.Telegraf(eventmanager.TelegrafConfig{})
	_, got, _ = strings.Cut(got, "\n") // the comment line
	if strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("Telegraf(zero config) =\n%s\nwant (stack/telegraf/kafka_consumer.conf.in)\n%s", got, want)
	}
}

// TestPipelineEmpty: a manager without publishers has no measurements and
// no tags but application.
func TestPipelineEmpty(t *testing.T) {
	t.Parallel()
	m, err := eventmanager.New(mockConfig(), eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	p := m.Pipeline()
	if len(p.Measurements) != 0 || len(p.Tags) != 0 {
		t.Fatalf("Pipeline() = %+v, want no measurements and no tags", p)
	}
	if got := p.Phalanx(); !strings.HasSuffix(got, "influxTags: []\n") {
		t.Errorf("Phalanx() = %q, want an empty influxTags", got)
	}
	if got := p.Telegraf(eventmanager.TelegrafConfig{}); !strings.Contains(got, "  avro_tags = [\"application\"]\n") {
		t.Errorf("Telegraf() = %q, want avro_tags = [\"application\"]", got)
	}
}
