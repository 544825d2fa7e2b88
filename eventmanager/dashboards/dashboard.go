package dashboards

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// DataSource is the InfluxDB database of application metrics, and the name
// of the Grafana data source Sasquatch registers for it (each database is a
// data source named after it). Every query of a dashboard names it.
const DataSource = "lsst.square.metrics"

// LatestEvents is how many events the table of latest events shows.
const LatestEvents = 50

// Dashboard is an application's dashboard: variables choosing tag values,
// and rows of panels, each panel one or more InfluxQL queries. New draws the
// starter dashboard from the application's pipeline; the fields are plain
// data, so an application extends it in code (appends rows, panels or
// queries, renames titles) before rendering it with [Dashboard.Grafana],
// [Dashboard.GrafanaJSON], [Dashboard.GrafanaResource],
// [Dashboard.Chronograf] or [Dashboard.Render]. The renderers read it only:
// a Dashboard may be rendered concurrently as long as nobody modifies it.
type Dashboard struct {
	// App is the application name.
	App string
	// UID is the Grafana dashboard uid (at most 40 characters):
	// sasquatch-<app>, shortened with a hash when the app name is long.
	UID string
	// Title is the dashboard title: "<app> metrics events".
	Title string
	// Variables are the dashboard variables, one per tag of the
	// application, in Pipeline.Tags order (Grafana only: see Variable).
	Variables []Variable
	// Rows are the dashboard's rows, one per event, in event name order.
	Rows []Row
}

// Variable is a Grafana dashboard variable choosing values of a tag, among
// those the tag has in Measurements (multiple values, All by default). A
// query filters on it when its Filters list the tag. Chronograf has no
// variable of several values (its tag variables substitute one quoted
// value), so the Chronograf dashboard has none and shows every tag value.
type Variable struct {
	// Tag is the tag, and the name of the variable ($<tag> in Grafana).
	Tag string
	// Measurements are the measurements whose values of Tag are offered.
	Measurements []string
}

// Row is a row of panels, in Grafana a dashboard row titled Title; in
// Chronograf its panels start a new line of cells.
type Row struct {
	// Title is the row's title.
	Title string
	// Event and Measurement are the event the row draws and its
	// measurement; empty in a row of the application's own.
	Event, Measurement string
	// Panels are the row's panels, laid out left to right.
	Panels []Panel
}

// Row returns the row of event, nil when the dashboard has none.
func (d *Dashboard) Row(event string) *Row {
	for i := range d.Rows {
		if d.Rows[i].Event == event {
			return &d.Rows[i]
		}
	}
	return nil
}

// Kind is how a panel draws its queries' results.
type Kind string

// The kinds of panels.
const (
	// Graph draws each series of each query against time: a Grafana
	// timeseries panel, a Chronograf line graph.
	Graph Kind = "graph"
	// Table lists the rows a query returns: a Grafana table (the query's
	// result format table), a Chronograf table.
	Table Kind = "table"
)

// Unit is what a panel's values are, for its axis and tooltips.
type Unit string

// The units.
const (
	// Number is a plain number (Grafana unit none).
	Number Unit = ""
	// Count is a number of events (Grafana unit short).
	Count Unit = "count"
	// Seconds is a duration in seconds (Grafana unit s; Chronograf's axis is
	// labelled seconds).
	Seconds Unit = "seconds"
	// Ratio is a share between 0 and 1 (Grafana unit percentunit, shown as
	// 0-100%).
	Ratio Unit = "ratio"
)

// Panel is one panel of a dashboard.
type Panel struct {
	// Title is the panel's title.
	Title string
	// Description says what the panel shows (Grafana's panel description,
	// Chronograf's cell note).
	Description string
	// Kind is how the panel draws its queries: Graph or Table.
	Kind Kind
	// Unit is what the values are.
	Unit Unit
	// Queries are the panel's InfluxQL queries.
	Queries []Query
}

// Query is one InfluxQL query of a panel, written once for Grafana and
// Chronograf in Grafana's syntax: $timeFilter where the statement limits
// time to the dashboard's range and $__interval for the interval of GROUP BY
// time(...). For Grafana, each tag of Filters adds AND "<tag>" =~ /^${<tag>}$/
// after every $timeFilter (the tag's variable; its All value is .*). For
// Chronograf, $timeFilter becomes time > :dashboardTime: AND time <
// :upperDashboardTime:, $__interval becomes :interval: and Filters are left
// out; other Grafana variables are not translated, so a query for both uses
// only these two. Name measurements with [Measurement], which qualifies them
// with the database: a Chronograf query must name its database, and a
// Grafana one then reads it whatever the data source's default database.
type Query struct {
	// InfluxQL is the statement.
	InfluxQL string
	// Filters are the tags whose dashboard variables filter the query in
	// Grafana; each must be the Tag of one of the dashboard's Variables.
	Filters []string
	// Alias names the query's series in Grafana's legend, with Grafana's
	// InfluxDB alias patterns ($tag_<tag> for a GROUP BY tag's value);
	// empty for Grafana's default. Chronograf names series itself.
	Alias string
}

// New draws the starter dashboard of the application whose pipeline is p
// (Manager.Pipeline, or MergePipelines of all its programs): one variable per
// tag, and one row per event with these panels, each filtered by the event's
// tag variables:
//
//   - events per interval (count of id), one panel per tag of the event
//     with a series per tag value, or one panel when it has no tag;
//   - for each numeric field (integer, float, duration), its mean and 95th
//     percentile per interval, durations in seconds;
//   - for each boolean field, the share of events where it is true per
//     interval (a success rate): count of true over count of events,
//     computed by InfluxDB (two subqueries), as InfluxQL cannot average
//     booleans;
//   - a table of the latest events ([LatestEvents]) with their id, tags and
//     string fields.
//
// Intervals without events have no mean, percentile or share (no point is
// drawn) and a count of 0. It does no I/O. It returns an error when p.App is
// not a name Sasquatch can deploy (errors.Is config.ErrNotDeployable) or an
// event lacks the field types of its fields (a pipeline decoded from JSON
// that has none).
func New(p eventmanager.Pipeline) (*Dashboard, error) {
	if err := config.CheckSasquatchAppName(p.App); err != nil {
		return nil, fmt.Errorf("dashboards: %w", err)
	}
	d := &Dashboard{App: p.App, UID: dashboardUID(p.App), Title: p.App + " metrics events"}
	for _, tag := range p.Tags {
		v := Variable{Tag: tag}
		for _, e := range p.Events {
			if slices.Contains(e.Tags, tag) {
				v.Measurements = append(v.Measurements, e.Measurement)
			}
		}
		d.Variables = append(d.Variables, v)
	}
	for _, e := range p.Events {
		row, err := eventRow(e)
		if err != nil {
			return nil, err
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

// eventRow draws the row of one event.
func eventRow(e eventmanager.PipelineEvent) (Row, error) {
	m := Measurement(e.Measurement)
	tags := slices.Clone(e.Tags)
	row := Row{Title: e.Name + " (" + e.Measurement + ")", Event: e.Name, Measurement: e.Measurement}
	count := func(title, desc, groupBy, alias string) Panel {
		return Panel{Title: title, Description: desc, Kind: Graph, Unit: Count, Queries: []Query{{
			InfluxQL: `SELECT count("id") AS "events" FROM ` + m + ` WHERE $timeFilter GROUP BY time($__interval)` + groupBy + ` fill(0)`,
			Filters:  tags, Alias: alias,
		}}}
	}
	if len(e.Tags) == 0 {
		row.Panels = append(row.Panels, count(e.Name+": events", "Events "+e.Name+" per interval.", "", "events"))
	}
	for _, tag := range e.Tags {
		row.Panels = append(row.Panels, count(e.Name+": events by "+tag,
			"Events "+e.Name+" per interval, one series per value of the tag "+tag+".", ", "+Ident(tag), "$tag_"+tag))
	}
	var strs []string
	for _, f := range e.Fields {
		t, ok := e.FieldTypes[f]
		if !ok || t == "" {
			return Row{}, fmt.Errorf("dashboards: event %q: the type of field %q is unknown (a pipeline without field_types?): "+
				"take the pipeline from Manager.Pipeline, or sasquatch-publish -pipeline-json", e.Name, f)
		}
		switch {
		case t.Numeric():
			title, unit, desc := e.Name+": "+f+" mean and p95", Number, "Mean and 95th percentile of "+f+" per interval."
			if t == eventmanager.FieldDuration {
				title, unit, desc = e.Name+": "+f+" (seconds) mean and p95", Seconds,
					"Mean and 95th percentile of "+f+" per interval, in seconds (a duration)."
			}
			row.Panels = append(row.Panels, Panel{Title: title, Description: desc, Kind: Graph, Unit: unit, Queries: []Query{{
				InfluxQL: `SELECT mean(` + Ident(f) + `) AS "mean", percentile(` + Ident(f) + `, 95) AS "p95" FROM ` + m +
					` WHERE $timeFilter GROUP BY time($__interval)`,
				Filters: tags,
			}}})
		case t == eventmanager.FieldBoolean:
			row.Panels = append(row.Panels, Panel{Title: e.Name + ": " + f + " share of true", Kind: Graph, Unit: Ratio,
				Description: "Share of the events " + e.Name + " per interval whose " + f + " is true (events with " + f + " unset not counted).",
				Queries:     []Query{{InfluxQL: shareOfTrue(m, f), Filters: tags, Alias: "share of " + f}}})
		case t == eventmanager.FieldString:
			strs = append(strs, f)
		}
	}
	cols := []string{`"id"`}
	for _, c := range append(tags, strs...) {
		cols = append(cols, Ident(c))
	}
	row.Panels = append(row.Panels, Panel{Title: e.Name + ": latest events", Kind: Table,
		Description: fmt.Sprintf("The latest %d events %s, newest first, with their id, tags and string fields.", LatestEvents, e.Name),
		Queries: []Query{{
			InfluxQL: `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + m + ` WHERE $timeFilter ORDER BY time DESC LIMIT ` + fmt.Sprint(LatestEvents),
			Filters:  tags,
		}}})
	return row, nil
}

// shareOfTrue is the query of the share of events of measurement m (quoted)
// whose boolean field f is true, per interval. InfluxQL can neither average
// nor cast a boolean, so two subqueries count the true values and all
// values per interval, each giving both columns (the other 0): with several
// subqueries InfluxDB 1.x resolves the outer query's columns from the first
// one only. Empty intervals have no row in either (fill(none)), hence no
// share.
func shareOfTrue(m, f string) string {
	fi := Ident(f)
	return `SELECT sum("t") / sum("n") AS "share" FROM ` +
		`(SELECT count(` + fi + `) AS "t", count(` + fi + `) * 0 AS "n" FROM ` + m + ` WHERE $timeFilter AND ` + fi + ` = true GROUP BY time($__interval) fill(none)), ` +
		`(SELECT count(` + fi + `) * 0 AS "t", count(` + fi + `) AS "n" FROM ` + m + ` WHERE $timeFilter GROUP BY time($__interval) fill(none)) ` +
		`WHERE $timeFilter GROUP BY time($__interval)`
}

// dashboardUID returns sasquatch-<app>, or when that is longer than the 40
// characters Grafana allows, its first 31 characters, a dash and 8 hex
// digits of the app name's SHA-256.
func dashboardUID(app string) string {
	uid := "sasquatch-" + app
	if len(uid) <= 40 {
		return uid
	}
	sum := sha256.Sum256([]byte(app))
	return uid[:31] + "-" + hex.EncodeToString(sum[:4])
}
