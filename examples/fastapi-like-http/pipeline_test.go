package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards/dashboardstest"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

// update rewrites testdata/pipeline.golden (go test -update), read by
// dashboardstest.AssertPipeline, and the compose stack's dashboard.
// update reports whether the test runs with -update (go test -update), the
// flag eventmanagertest defines for every test binary that imports it, so
// that it also rewrites stack/grafana/dashboards/ here.
func update() bool { f := flag.Lookup("update"); return f != nil && f.Value.String() == "true" }

// pipelineGolden is the configuration this service's events need, as
// Sasquatch deploys it.
var pipelineGolden = filepath.Join("testdata", "pipeline.golden")

// TestPipelineGolden: the service's events still need the configuration
// and dashboards in testdata/pipeline.golden (go test -update rewrites it),
// and the tail formats points with the same tags as the Telegraf block.
func TestPipelineGolden(t *testing.T) {
	_, m := newTestApp(t, testQueryTime)
	if update() {
		t.Logf("-update: rewriting %s", pipelineGolden)
	}
	dashboardstest.AssertPipeline(t, m, pipelineGolden)
	tags := m.Pipeline().Tags
	want := append([]string{"application"}, tags...)
	if got := sasquatchTags(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the tail's tags %q differ from the Telegraf block's avro_tags %q", got, want)
	}
}

// TestPipelineFlag: -pipeline prints exactly the rendering of the service's
// events (every Phalanx piece, the Telegraf input and the dashboards), from
// a mock-mode
// manager (no Kafka, no registry, nothing listening), and exits without
// error; with an app name Sasquatch cannot deploy it fails with config's
// error and prints nothing. Not parallel: it sets the environment.
func TestPipelineFlag(t *testing.T) {
	t.Setenv("METRICS_APP_NAME", "")
	t.Setenv("METRICS_MOCK", "")
	t.Setenv("METRICS_ENABLED", "")
	t.Setenv("HTTP_ADDR", "256.0.0.1:1") // not listened on: -pipeline starts no server
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-pipeline"}, &stdout, &stderr); err != nil {
		t.Fatalf("run -pipeline: %v (stderr %q)", err, stderr.String())
	}

	m, err := eventmanager.New(config.Config{AppName: defaultAppName, Mock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := appevents.Register(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	want, err := dashboards.RenderPipeline(m.Pipeline())
	if err != nil {
		t.Fatal(err)
	}
	if out := stdout.String(); out != want {
		t.Errorf("-pipeline printed\n%s\nwant dashboards.RenderPipeline's\n%s", out, want)
	}
	for _, part := range []string{
		"# applications/sasquatch/charts/app-metrics/values.yaml:", "  \"" + defaultAppName + "\":\n",
		"# applications/sasquatch/values-<env>.yaml:", "# applications/" + defaultAppName + "/templates/kafka-access.yaml:",
		"# applications/" + defaultAppName + "/templates/deployment.yaml:", "[[inputs.kafka_consumer]]",
		`"lsst.square.metrics.events.` + defaultAppName + `",`,
		"# applications/" + defaultAppName + "/templates/grafana-dashboard.yaml:", "kind: GrafanaDashboard",
		"# Chronograf: save as", `"chronografVersion"`,
	} {
		if !strings.Contains(stdout.String(), part) {
			t.Errorf("-pipeline output lacks %q", part)
		}
	}

	t.Setenv("METRICS_APP_NAME", "fastapi_example")
	stdout.Reset()
	err = run(t.Context(), []string{"-pipeline"}, &stdout, &stderr)
	if !errors.Is(err, config.ErrNotDeployable) || stdout.Len() != 0 {
		t.Errorf("run -pipeline with app fastapi_example: %v, printed %q; want config.ErrNotDeployable and nothing", err, stdout.String())
	}
}
