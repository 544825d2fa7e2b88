package eventmanager_test

import (
	"context"
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

	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := newPipelineManager(t).Pipeline().Render(eventmanager.RenderConfig{})
	if err != nil || again != out {
		t.Errorf("two managers with the same events render different pipelines (err %v):\n%s\n---\n%s", err, out, again)
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
	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f := splitRendering(t, p.App, out)
	var values influxTagsValues
	decodeYAML(t, valuesFile, f[valuesFile].body, &values)
	if tags, ok := values.GlobalAppConfig[p.App]; !ok || tags.InfluxTags == nil || len(tags.InfluxTags) != 0 {
		t.Errorf("globalAppConfig = %+v, want an empty influxTags list for %s", values.GlobalAppConfig, p.App)
	}
	if got := f[valuesFile].body; !strings.HasSuffix(got, "    influxTags: []\n") {
		t.Errorf("globalAppConfig fragment = %q, want an empty influxTags", got)
	}
	if got := f[telegrafFile].body; !strings.Contains(got, "  avro_tags = [ \"application\" ]\n") {
		t.Errorf("Telegraf fragment = %q, want avro_tags = [ \"application\" ], as the chart renders an app without tags", got)
	}
	if got := f[""].label; !strings.Contains(got, "#   none (no publisher created)\n") {
		t.Errorf("header = %q, want it to say there are no measurements", got)
	}
}
