package dashboards_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
)

// update rewrites the golden files in testdata/.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Events of the test application: one with a tag and a field of each type,
// one without tags, one whose tags come from an embedded base struct.
type (
	jobEvent struct {
		Target   string `influx:"tag"`
		Rows     int64
		Ratio    float64
		Took     time.Duration
		Success  bool
		Message  string
		Optional *time.Duration
	}
	pingEvent struct {
		Seconds float32
	}
	requestBase struct {
		Method string `influx:"tag"`
		Route  string `influx:"tag"`
	}
	callEvent struct {
		requestBase
		Status int
	}
)

// testPipeline is the pipeline of app with the three events.
func testPipeline(t *testing.T, app string) eventmanager.Pipeline {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: app, Mock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, create := range []func() error{
		func() error { _, err := eventmanager.CreatePublisher[jobEvent](t.Context(), m, "job"); return err },
		func() error { _, err := eventmanager.CreatePublisher[pingEvent](t.Context(), m, "ping"); return err },
		func() error { _, err := eventmanager.CreatePublisher[callEvent](t.Context(), m, "call"); return err },
	} {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	return m.Pipeline()
}

// TestNew: the starter dashboard has a variable per tag (from the
// measurements that have it) and per event a row with the panels the
// event's fields call for, each query filtered by the event's tags.
func TestNew(t *testing.T) {
	t.Parallel()
	p := testPipeline(t, "myapp")
	d, err := dashboards.New(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.UID != "sasquatch-myapp" || d.Title != "myapp metrics events" || d.App != "myapp" {
		t.Errorf("UID, Title, App = %q, %q, %q", d.UID, d.Title, d.App)
	}
	topic := "lsst.square.metrics.events.myapp"
	wantVars := []dashboards.Variable{
		{Tag: "method", Measurements: []string{topic + ".call"}},
		{Tag: "route", Measurements: []string{topic + ".call"}},
		{Tag: "target", Measurements: []string{topic + ".job"}},
	}
	if got, _ := json.Marshal(d.Variables); string(got) != mustJSON(t, wantVars) {
		t.Errorf("Variables = %s, want %s", got, mustJSON(t, wantVars))
	}
	type panel struct {
		title   string
		kind    dashboards.Kind
		unit    dashboards.Unit
		filters []string
	}
	want := map[string][]panel{
		"call (" + topic + ".call)": {
			{"call: events by method", dashboards.Graph, dashboards.Count, []string{"method", "route"}},
			{"call: events by route", dashboards.Graph, dashboards.Count, []string{"method", "route"}},
			{"call: status mean and p95", dashboards.Graph, dashboards.Number, []string{"method", "route"}},
			{"call: latest events", dashboards.Table, dashboards.Number, []string{"method", "route"}},
		},
		"job (" + topic + ".job)": {
			{"job: events by target", dashboards.Graph, dashboards.Count, []string{"target"}},
			{"job: optional (seconds) mean and p95", dashboards.Graph, dashboards.Seconds, []string{"target"}},
			{"job: ratio mean and p95", dashboards.Graph, dashboards.Number, []string{"target"}},
			{"job: rows mean and p95", dashboards.Graph, dashboards.Number, []string{"target"}},
			{"job: success share of true", dashboards.Graph, dashboards.Ratio, []string{"target"}},
			{"job: took (seconds) mean and p95", dashboards.Graph, dashboards.Seconds, []string{"target"}},
			{"job: latest events", dashboards.Table, dashboards.Number, []string{"target"}},
		},
		"ping (" + topic + ".ping)": {
			{"ping: events", dashboards.Graph, dashboards.Count, nil},
			{"ping: seconds mean and p95", dashboards.Graph, dashboards.Number, nil},
			{"ping: latest events", dashboards.Table, dashboards.Number, nil},
		},
	}
	var titles []string
	for _, r := range d.Rows {
		titles = append(titles, r.Title)
		var got []panel
		for _, p := range r.Panels {
			if len(p.Queries) != 1 {
				t.Errorf("panel %q: %d queries, want 1", p.Title, len(p.Queries))
				continue
			}
			got = append(got, panel{p.Title, p.Kind, p.Unit, p.Queries[0].Filters})
		}
		if mustJSON(t, got) != mustJSON(t, want[r.Title]) {
			t.Errorf("row %q: panels\n%+v\nwant\n%+v", r.Title, got, want[r.Title])
		}
	}
	if !slices.Equal(titles, []string{"call (" + topic + ".call)", "job (" + topic + ".job)", "ping (" + topic + ".ping)"}) {
		t.Errorf("rows %q", titles)
	}
	if r := d.Row("job"); r == nil || r.Event != "job" || r.Measurement != topic+".job" || r != &d.Rows[1] {
		t.Errorf("Row(job) = %+v, want the second row", r)
	}
	if r := d.Row("nosuch"); r != nil {
		t.Errorf("Row(nosuch) = %+v, want nil", r)
	}
}

// TestNewRefuses: an app name Sasquatch cannot deploy, and a pipeline whose
// events lack their field types.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	if _, err := dashboards.New(eventmanager.Pipeline{App: "my_app"}); !errors.Is(err, config.ErrNotDeployable) {
		t.Errorf("New(app my_app) error = %v, want config.ErrNotDeployable", err)
	}
	p := testPipeline(t, "myapp")
	p.Events[0].FieldTypes = nil
	if _, err := dashboards.New(p); err == nil || !strings.Contains(err.Error(), "is unknown") {
		t.Errorf("New(no field types) error = %v, want the unknown type named", err)
	}
}

// TestUID: a long app name gives a uid of Grafana's 40 characters, unique
// per name.
func TestUID(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("a", 60), strings.Repeat("a", 59)+"b"
	da, err := dashboards.New(eventmanager.Pipeline{App: a})
	if err != nil {
		t.Fatal(err)
	}
	db, err := dashboards.New(eventmanager.Pipeline{App: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(da.UID) != 40 || len(db.UID) != 40 || da.UID == db.UID || !strings.HasPrefix(da.UID, "sasquatch-aaa") {
		t.Errorf("UIDs %q and %q, want two different 40-character uids", da.UID, db.UID)
	}
}

// grafanaModel is what the tests read of a Grafana dashboard.
type grafanaModel struct {
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Query    any    `json:"query"`
			AllValue string `json:"allValue"`
			Regex    string `json:"regex"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Query        string `json:"query"`
			RawQuery     bool   `json:"rawQuery"`
			ResultFormat string `json:"resultFormat"`
			Datasource   struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		} `json:"targets"`
		FieldConfig struct {
			Defaults struct {
				Unit string `json:"unit"`
			} `json:"defaults"`
		} `json:"fieldConfig"`
	} `json:"panels"`
}

// TestGrafanaJSON: the dashboard JSON has the data source variable (the
// data source named lsst.square.metrics), a variable per tag, a row and
// then the panels of each event, each target raw InfluxQL on the data
// source variable with the tag filters after $timeFilter; it matches
// testdata/myapp.grafana.golden.
func TestGrafanaJSON(t *testing.T) {
	t.Parallel()
	d, err := dashboards.New(testPipeline(t, "myapp"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := d.GrafanaJSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "myapp.grafana.golden", js)
	var g grafanaModel
	if err := json.Unmarshal(js, &g); err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, v := range g.Templating.List {
		vars = append(vars, v.Type+":"+v.Name)
	}
	if !slices.Equal(vars, []string{"datasource:datasource", "query:method", "query:route", "query:target"}) {
		t.Errorf("variables %q", vars)
	}
	if ds := g.Templating.List[0]; ds.Query != "influxdb" || ds.Regex != `/^lsst\.square\.metrics$/` {
		t.Errorf("data source variable %+v, want InfluxDB sources matching lsst.square.metrics", ds)
	}
	if v := g.Templating.List[1]; v.AllValue != ".*" ||
		v.Query != `SHOW TAG VALUES ON "lsst.square.metrics" FROM "lsst.square.metrics.events.myapp.call" WITH KEY = "method"` {
		t.Errorf("method variable %+v", v)
	}
	queries := map[string]string{}
	ids := map[int]bool{}
	for _, p := range g.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) != 1 || !p.Targets[0].RawQuery || p.Targets[0].Datasource.UID != "${datasource}" {
			t.Errorf("panel %q targets %+v", p.Title, p.Targets)
			continue
		}
		queries[p.Title] = p.Targets[0].Query
		if (p.Type == "table") != (p.Targets[0].ResultFormat == "table") {
			t.Errorf("panel %q of type %s has result format %s", p.Title, p.Type, p.Targets[0].ResultFormat)
		}
	}
	m := `"lsst.square.metrics".."lsst.square.metrics.events.myapp.`
	for title, want := range map[string]string{
		"call: events by method":           `SELECT count("id") AS "events" FROM ` + m + `call" WHERE $timeFilter AND "method" =~ /^${method}$/ AND "route" =~ /^${route}$/ GROUP BY time($__interval), "method" fill(0)`,
		"ping: events":                     `SELECT count("id") AS "events" FROM ` + m + `ping" WHERE $timeFilter GROUP BY time($__interval) fill(0)`,
		"job: took (seconds) mean and p95": `SELECT mean("took") AS "mean", percentile("took", 95) AS "p95" FROM ` + m + `job" WHERE $timeFilter AND "target" =~ /^${target}$/ GROUP BY time($__interval)`,
		"job: success share of true": `SELECT sum("t") / sum("n") AS "share" FROM (SELECT count("success") AS "t", count("success") * 0 AS "n" FROM ` + m +
			`job" WHERE $timeFilter AND "target" =~ /^${target}$/ AND "success" = true GROUP BY time($__interval) fill(none)), (SELECT count("success") * 0 AS "t", count("success") AS "n" FROM ` + m +
			`job" WHERE $timeFilter AND "target" =~ /^${target}$/ GROUP BY time($__interval) fill(none)) WHERE $timeFilter AND "target" =~ /^${target}$/ GROUP BY time($__interval)`,
		"job: latest events": `SELECT "id", "target", "message" FROM ` + m + `job" WHERE $timeFilter AND "target" =~ /^${target}$/ ORDER BY time DESC LIMIT 50`,
	} {
		if queries[title] != want {
			t.Errorf("panel %q query\n%s\nwant\n%s", title, queries[title], want)
		}
	}
}

// TestGrafanaErrors: a query filtered on a tag without a variable, and a tag
// named like the data source variable, fail the build.
func TestGrafanaErrors(t *testing.T) {
	t.Parallel()
	d, err := dashboards.New(testPipeline(t, "myapp"))
	if err != nil {
		t.Fatal(err)
	}
	d.Rows[0].Panels[0].Queries[0].Filters = append(d.Rows[0].Panels[0].Queries[0].Filters, "nosuchtag")
	if _, err := d.GrafanaJSON(); err == nil || !strings.Contains(err.Error(), `"nosuchtag", which has no variable`) {
		t.Errorf("GrafanaJSON with a filter on a tag without variable: %v", err)
	}
	d.Rows[0].Panels[0].Queries[0].Filters = nil
	d.Variables = append(d.Variables, dashboards.Variable{Tag: "datasource", Measurements: []string{"x"}})
	if _, err := d.GrafanaJSON(); err == nil || !strings.Contains(err.Error(), "collides with the data source variable") {
		t.Errorf("GrafanaJSON with a tag named datasource: %v", err)
	}
}

// TestGrafanaResource: the resource is the GrafanaDashboard of Sasquatch's
// grafana-operator whose spec.json is exactly GrafanaJSON; a "{{" in a query
// is refused (Helm would read it).
func TestGrafanaResource(t *testing.T) {
	t.Parallel()
	d, err := dashboards.New(testPipeline(t, "myapp"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.GrafanaResource()
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			AllowCrossNamespaceImport bool `yaml:"allowCrossNamespaceImport"`
			InstanceSelector          struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"instanceSelector"`
			JSON string `yaml:"json"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(res, &r); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	js, err := d.GrafanaJSON()
	if err != nil {
		t.Fatal(err)
	}
	if r.APIVersion != "grafana.integreatly.org/v1beta1" || r.Kind != "GrafanaDashboard" || r.Metadata.Name != "myapp-metrics-dashboard" ||
		!r.Spec.AllowCrossNamespaceImport || r.Spec.InstanceSelector.MatchLabels["dashboards"] != "grafana" || len(r.Spec.InstanceSelector.MatchLabels) != 1 {
		t.Errorf("resource %+v", r)
	}
	if r.Spec.JSON != string(js)+"\n" {
		t.Errorf("spec.json differs from GrafanaJSON")
	}
	d.Rows[0].Panels[0].Queries[0].InfluxQL += " {{ oops }}"
	if _, err := d.GrafanaResource(); err == nil || !strings.Contains(err.Error(), "Helm") {
		t.Errorf("GrafanaResource with {{ in a query: %v, want an error", err)
	}
}

// TestChronograf: the Chronograf file has the import form (meta and
// dashboard), a cell per panel with the same queries in Chronograf's
// syntax (no Grafana macro or variable left, the database named), graphs
// two per line and each row on a new line; it matches
// testdata/myapp.chronograf.golden.
func TestChronograf(t *testing.T) {
	t.Parallel()
	d, err := dashboards.New(testPipeline(t, "myapp"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := d.Chronograf()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "myapp.chronograf.golden", js)
	var f struct {
		Meta struct {
			ChronografVersion string `json:"chronografVersion"`
		} `json:"meta"`
		Dashboard struct {
			Name  string `json:"name"`
			Cells []struct {
				ID      string `json:"i"`
				X, Y, W int
				Name    string `json:"name"`
				Type    string `json:"type"`
				Queries []struct {
					Query       string `json:"query"`
					QueryConfig struct {
						Database string `json:"database"`
						RawText  string `json:"rawText"`
					} `json:"queryConfig"`
				} `json:"queries"`
			} `json:"cells"`
		} `json:"dashboard"`
	}
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	if f.Meta.ChronografVersion == "" || f.Dashboard.Name != "myapp metrics events" {
		t.Errorf("meta %+v, name %q", f.Meta, f.Dashboard.Name)
	}
	n := 0
	for _, r := range d.Rows {
		n += len(r.Panels)
	}
	if len(f.Dashboard.Cells) != n {
		t.Fatalf("%d cells, want %d (one per panel)", len(f.Dashboard.Cells), n)
	}
	ids := map[string]bool{}
	for _, c := range f.Dashboard.Cells {
		ids[c.ID] = true
		q := c.Queries[0]
		if strings.Contains(q.Query, "$") || q.Query != q.QueryConfig.RawText || q.QueryConfig.Database != "lsst.square.metrics" ||
			!strings.Contains(q.Query, "time > :dashboardTime: AND time < :upperDashboardTime:") {
			t.Errorf("cell %q query %+v", c.Name, q)
		}
		if (c.Type == "table") != strings.HasSuffix(c.Name, "latest events") || (c.Type == "line") != !strings.HasSuffix(c.Name, "latest events") {
			t.Errorf("cell %q of type %q", c.Name, c.Type)
		}
	}
	if len(ids) != n {
		t.Errorf("%d distinct cell ids for %d cells", len(ids), n)
	}
	// call's row: 2 graphs, 1 graph + table on the next lines.
	var pos []string
	for _, c := range f.Dashboard.Cells[:4] {
		pos = append(pos, c.Name+"@"+itoa(c.X)+","+itoa(c.Y)+"/"+itoa(c.W))
	}
	want := []string{"call: events by method@0,0/6", "call: events by route@6,0/6", "call: status mean and p95@0,4/6", "call: latest events@0,8/12"}
	if !slices.Equal(pos, want) {
		t.Errorf("layout %q, want %q", pos, want)
	}
	if c := f.Dashboard.Cells[4]; c.X != 0 || c.Y != 12 {
		t.Errorf("the next row's first cell %q at %d,%d, want 0,12", c.Name, c.X, c.Y)
	}
	want0 := `SELECT count("id") AS "events" FROM "lsst.square.metrics".."lsst.square.metrics.events.myapp.call" ` +
		`WHERE time > :dashboardTime: AND time < :upperDashboardTime: GROUP BY time(:interval:), "method" fill(0)`
	if got := f.Dashboard.Cells[0].Queries[0].Query; got != want0 {
		t.Errorf("first query\n%s\nwant\n%s", got, want0)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the output (go test -update rewrites it after review):\n%s", path, got)
	}
}
