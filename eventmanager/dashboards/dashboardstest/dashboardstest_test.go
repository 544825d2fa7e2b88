package dashboardstest_test

import (
	"context"
	"errors"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards/dashboardstest"
)

type (
	jobEvent struct {
		Target string `influx:"tag"`
		Rows   int64
	}
	otherEvent struct {
		OK bool
	}
)

// newManager returns a mock-mode manager of app with a publisher per event
// name (jobEvent for "job", otherEvent for any other).
func newManager(tb testing.TB, app string, events ...string) *eventmanager.Manager {
	m, err := eventmanager.New(config.Config{AppName: app, Mock: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.Initialize(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, e := range events {
		if e == "job" {
			_, err = eventmanager.CreatePublisher[jobEvent](context.Background(), m, e)
		} else {
			_, err = eventmanager.CreatePublisher[otherEvent](context.Background(), m, e)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	if tb != nil {
		tb.Cleanup(func() { _ = m.Close(context.Background()) })
	}
	return m
}

// TestComparePipeline: the golden file written with SASQUATCH_UPDATE_GOLDEN=1
// is Render of the pipeline (with the extension's panel); the same code
// then compares equal, another event or another extension differ (naming
// the line), a missing file is fs.ErrNotExist and an app name Sasquatch
// cannot deploy config.ErrNotDeployable. Not parallel: it sets the
// environment.
func TestComparePipeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "testdata", "pipeline.golden")
	extra := func(d *dashboards.Dashboard) {
		d.Rows[0].Panels = append(d.Rows[0].Panels, dashboards.Panel{Title: "job: my own panel", Kind: dashboards.Graph,
			Queries: []dashboards.Query{{InfluxQL: `SELECT max("rows") FROM x WHERE $timeFilter`}}})
	}
	m := newManager(t, "myapp", "job")
	if err := dashboardstest.ComparePipeline(m, path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ComparePipeline without the file: %v, want fs.ErrNotExist", err)
	}
	t.Setenv("SASQUATCH_UPDATE_GOLDEN", "1")
	dashboardstest.AssertPipeline(t, m, path, extra)
	t.Setenv("SASQUATCH_UPDATE_GOLDEN", "")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := dashboards.RenderPipeline(m.Pipeline(), extra)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want || !strings.Contains(want, "job: my own panel") || !strings.Contains(want, "kind: GrafanaDashboard") ||
		!strings.Contains(want, "[[inputs.kafka_consumer]]") {
		t.Fatalf("golden file =\n%s\nwant Render with the extension", b)
	}
	dashboardstest.AssertPipeline(t, m, path, extra)

	if err := dashboardstest.ComparePipeline(m, path); err == nil || !strings.Contains(err.Error(), "-update") {
		t.Errorf("ComparePipeline without the extension: %v, want a difference", err)
	}
	drifted := newManager(t, "myapp", "job", "other")
	err = dashboardstest.ComparePipeline(drifted, path, extra)
	if err == nil || !strings.Contains(err.Error(), "differ from "+path+" at line 4") {
		t.Errorf("ComparePipeline with another event: %v, want a difference at line 4", err)
	}
	if err := dashboardstest.ComparePipeline(newManager(t, "my_app", "job"), path); !errors.Is(err, config.ErrNotDeployable) {
		t.Errorf("ComparePipeline of app my_app: %v, want config.ErrNotDeployable", err)
	}
}
