//go:build stack

package tests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// record is one published event as InfluxDB must hold it: tags by name, and fields by name
// (float64 for numbers, bool, string); an unset optional field is absent.
type record struct {
	tags   map[string]string
	fields map[string]any
}

// stepBase is embedded in stepEvent: its fields, a tag and an integer, are flattened into the
// event.
type stepBase struct {
	Stage   string `influx:"tag"`
	Attempt int
}

// stepEvent is an event with an embedded base struct and a field of each numeric, duration
// and boolean kind.
type stepEvent struct {
	stepBase
	Took time.Duration
	Done bool
}

// dashboardEvents publishes the test's events on m and returns, per event name, the records
// they must become: the example's four event types (examples/appevents), testkit's api_error
// (Safir's ApiError, whose tags come from an embedded base struct) and step, whose tag and
// numeric field do. (testkit's api_call cannot join them: its status is a plain field, the
// example's http_request's a tag, and avro_tags is one list per topic.) The values are chosen so that
// the numbers literalDashboardNumbers lists come out.
func dashboardEvents(t *testing.T, m *eventmanager.Manager) map[string][]record {
	t.Helper()
	ctx := t.Context()
	ev, err := appevents.Register(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := eventmanager.CreatePublisher[stepEvent](ctx, m, "step")
	if err != nil {
		t.Fatal(err)
	}
	errs, err := eventmanager.CreatePublisher[testkit.APIError](ctx, m, "api_error")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]record{}
	publish := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// query: durations 0.1 s .. 2.0 s (mean 1.05, p95 1.9), a quarter async.
	for i := range 20 {
		e := appevents.QueryEvent{Type: appevents.QuerySync, Duration: time.Duration(i+1) * 100 * time.Millisecond}
		if i%4 == 0 {
			e.Type = appevents.QueryAsync
		}
		publish(ev.Query.Publish(ctx, e))
		out["query"] = append(out["query"], record{map[string]string{}, map[string]any{"type": string(e.Type), "duration": e.Duration.Seconds()}})
	}
	// login: scopes 0..4, service on even logins only.
	for i := range 5 {
		e := appevents.LoginEvent{Username: fmt.Sprintf("user%d", i), Scopes: i}
		f := map[string]any{"username": e.Username, "scopes": float64(i)}
		if i%2 == 0 {
			svc := fmt.Sprintf("svc%d", i)
			e.Service, f["service"] = &svc, svc
		}
		publish(ev.Login.Publish(ctx, e))
		out["login"] = append(out["login"], record{map[string]string{}, f})
	}
	// http_request: GET x6, POST x3, DELETE x1; two routes; status 500 twice; one panic.
	for i := range 10 {
		e := httpmetrics.Event{Method: "GET", Route: "GET /items/{id}", Status: "200",
			Duration: time.Duration(i+1) * 10 * time.Millisecond, ResponseBytes: int64(100 * i), Panicked: i == 7}
		switch {
		case i == 9:
			e.Method = "DELETE"
		case i >= 6:
			e.Method = "POST"
		}
		if i%2 == 1 {
			e.Route = "POST /items"
		}
		if i == 3 || i == 7 {
			e.Status = "500"
		}
		publish(ev.HTTP.Publish(ctx, e))
		out["http_request"] = append(out["http_request"], record{
			map[string]string{"method": e.Method, "route": e.Route, "status": e.Status},
			map[string]any{"duration": e.Duration.Seconds(), "response_bytes": float64(e.ResponseBytes), "panicked": e.Panicked},
		})
	}
	// report: daily x3, weekly x1; one failure.
	for i := range 4 {
		e := appevents.ReportEvent{Report: "daily", Rows: int64(10 * (i + 1)), Duration: time.Duration(i+1) * time.Second, Success: i != 2}
		if i == 3 {
			e.Report = "weekly"
		}
		publish(ev.Report.Publish(ctx, e))
		out["report"] = append(out["report"], record{map[string]string{"report": e.Report},
			map[string]any{"rows": float64(e.Rows), "duration": e.Duration.Seconds(), "success": e.Success}})
	}
	// step: stage fetch x4, store x2; attempts 1, 2, 3, 1, 2, 3; took 0.5 s .. 3 s; one not done.
	for i := range 6 {
		e := stepEvent{stepBase: stepBase{Stage: "fetch", Attempt: i%3 + 1}, Took: time.Duration(i+1) * 500 * time.Millisecond, Done: i != 0}
		if i >= 4 {
			e.Stage = "store"
		}
		publish(steps.Publish(ctx, e))
		out["step"] = append(out["step"], record{map[string]string{"stage": e.Stage},
			map[string]any{"attempt": float64(e.Attempt), "took": e.Took.Seconds(), "done": e.Done}})
	}
	for _, e := range testkit.APIErrorPayloads(6) {
		publish(errs.Publish(ctx, e))
		out["api_error"] = append(out["api_error"], record{map[string]string{"method": e.Method, "route": e.Route},
			map[string]any{"code": e.Code, "retried": e.Retried}})
	}
	return out
}

// literalDashboardNumbers are numbers the events above must produce, written out so that the
// expectations computed from the records (expectedPanel) are checked too: panel title -> the
// value, or for an "events by" panel the counts per tag value.
var literalDashboardNumbers = map[string]any{
	"query: duration (seconds) mean and p95": [2]float64{1.05, 1.9},
	"login: scopes mean and p95":             [2]float64{2, 4},
	"http_request: events by method":         map[string]float64{"GET": 6, "POST": 3, "DELETE": 1},
	"http_request: events by status":         map[string]float64{"200": 8, "500": 2},
	"http_request: panicked share of true":   0.1,
	"report: success share of true":          0.75,
	"report: events by report":               map[string]float64{"daily": 3, "weekly": 1},
	"api_error: retried share of true":       0.5,
	"step: took (seconds) mean and p95":      [2]float64{1.75, 3},
	"step: attempt mean and p95":             [2]float64{2, 3},
	"step: events by stage":                  map[string]float64{"fetch": 4, "store": 2},
	"step: done share of true":               5.0 / 6,
}

// influxPercentile is InfluxDB 1.x's percentile(): the nearest rank,
// sorted[floor(n*p/100 + 0.5) - 1], clamped to the values.
func influxPercentile(values []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(values))
	i := int(math.Floor(float64(len(s))*p/100+0.5)) - 1
	return s[max(0, min(i, len(s)-1))]
}

// expectedPanel computes what the panel titled title must show for the records of its event:
// counts per tag value, (mean, p95), a share, or for the latest events the values of each
// column; ok is false for a title the test does not know.
func expectedPanel(event, rest string, recs []record) (any, bool) {
	switch {
	case rest == "events":
		return map[string]float64{"": float64(len(recs))}, true
	case strings.HasPrefix(rest, "events by "):
		tag := strings.TrimPrefix(rest, "events by ")
		counts := map[string]float64{}
		for _, r := range recs {
			counts[r.tags[tag]]++
		}
		return counts, true
	case strings.HasSuffix(rest, " mean and p95"):
		field := strings.TrimSuffix(strings.TrimSuffix(rest, " mean and p95"), " (seconds)")
		var vs []float64
		for _, r := range recs {
			if v, ok := r.fields[field].(float64); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return nil, false
		}
		sum := 0.0
		for _, v := range vs {
			sum += v
		}
		return [2]float64{sum / float64(len(vs)), influxPercentile(vs, 95)}, true
	case strings.HasSuffix(rest, " share of true"):
		field := strings.TrimSuffix(rest, " share of true")
		var n, trues float64
		for _, r := range recs {
			if v, ok := r.fields[field].(bool); ok {
				n++
				if v {
					trues++
				}
			}
		}
		return trues / n, true
	case rest == "latest events":
		cols := map[string][]string{}
		for _, r := range recs {
			for k, v := range r.tags {
				cols[k] = append(cols[k], v)
			}
			for k, v := range r.fields {
				if s, ok := v.(string); ok {
					cols[k] = append(cols[k], s)
				}
			}
		}
		for _, v := range cols {
			slices.Sort(v)
		}
		return cols, true
	}
	return nil, false
}

// panelQuery is one query of a rendered dashboard, with its macros substituted.
type panelQuery struct {
	dialect, title, query string
}

// grafanaVars are Grafana's variables in a regex (${tag}), which the test sets to a regex
// matching every value, as the variables' All does.
var grafanaVars = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// grafanaLeft matches a Grafana macro or variable ($name, ${name}); a $ that ends a regex
// (/^.*$/) is not one.
var grafanaLeft = regexp.MustCompile(`\$[A-Za-z_{]`)

// grafanaQueries reads every target of the Grafana dashboard js and substitutes what Grafana
// would for the last hour at a 1m interval with every variable on All.
func grafanaQueries(t *testing.T, js []byte) ([]panelQuery, []string) {
	t.Helper()
	var d struct {
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Query string `json:"query"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(js, &d); err != nil {
		t.Fatal(err)
	}
	var qs []panelQuery
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("grafana panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			q := strings.NewReplacer("$timeFilter", "time >= now() - 1h", "$__interval", "1m").Replace(tg.Query)
			q = grafanaVars.ReplaceAllString(q, ".*")
			if grafanaLeft.MatchString(q) {
				t.Errorf("grafana panel %q: a macro or variable is left after substitution: %s", p.Title, q)
			}
			qs = append(qs, panelQuery{"grafana", p.Title, q})
		}
	}
	var varQueries []string
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			s, _ := v.Query.(string)
			varQueries = append(varQueries, s)
		}
	}
	return qs, varQueries
}

// chronografQueries reads every query of the Chronograf dashboard file js and substitutes what
// Chronograf would for the last hour at a 1m interval.
func chronografQueries(t *testing.T, js []byte) []panelQuery {
	t.Helper()
	var f struct {
		Dashboard struct {
			Cells []struct {
				Name    string `json:"name"`
				Queries []struct {
					Query string `json:"query"`
				} `json:"queries"`
			} `json:"cells"`
		} `json:"dashboard"`
	}
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	var qs []panelQuery
	for _, c := range f.Dashboard.Cells {
		if len(c.Queries) == 0 {
			t.Errorf("chronograf cell %q has no query", c.Name)
		}
		for _, cq := range c.Queries {
			q := strings.NewReplacer(":dashboardTime:", "now() - 1h", ":upperDashboardTime:", "now()", ":interval:", "1m").Replace(cq.Query)
			if regexp.MustCompile(`:[a-zA-Z]+:`).MatchString(q) || grafanaLeft.MatchString(q) {
				t.Errorf("chronograf cell %q: a macro is left after substitution: %s", c.Name, q)
			}
			qs = append(qs, panelQuery{"chronograf", c.Name, q})
		}
	}
	return qs
}

// number reads an InfluxDB JSON value as a float; ok is false for null.
func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// panelResult turns a query's answer into what expectedPanel computes, for the panel's kind.
func panelResult(qr *queryResponse, rest string) (any, error) {
	var series []struct {
		tags    map[string]string
		columns []string
		values  [][]any
	}
	for _, r := range qr.Results {
		for _, s := range r.Series {
			series = append(series, struct {
				tags    map[string]string
				columns []string
				values  [][]any
			}{s.Tags, s.Columns, s.Values})
		}
	}
	if len(series) == 0 {
		return nil, fmt.Errorf("no series")
	}
	switch {
	case rest == "events" || strings.HasPrefix(rest, "events by "):
		tag := strings.TrimPrefix(rest, "events by ")
		counts := map[string]float64{}
		for _, s := range series {
			key := ""
			if rest != "events" {
				key = s.tags[tag]
			}
			for _, row := range s.values {
				if v, ok := number(row[1]); ok {
					counts[key] += v
				}
			}
		}
		return counts, nil
	case strings.HasSuffix(rest, " mean and p95"), strings.HasSuffix(rest, " share of true"):
		var rows [][]float64
		for _, s := range series {
			for _, row := range s.values {
				var vals []float64
				for _, v := range row[1:] {
					if f, ok := number(v); ok {
						vals = append(vals, f)
					}
				}
				if len(vals) == len(row)-1 {
					rows = append(rows, vals)
				} else if len(vals) != 0 {
					return nil, fmt.Errorf("row %v has some values null", row)
				}
			}
		}
		if len(rows) != 1 {
			return nil, fmt.Errorf("%d intervals with values, want 1 (every event is in one minute): %v", len(rows), rows)
		}
		if strings.HasSuffix(rest, " share of true") {
			return rows[0][0], nil
		}
		if len(rows[0]) != 2 {
			return nil, fmt.Errorf("columns %v, want mean and p95", series[0].columns)
		}
		return [2]float64{rows[0][0], rows[0][1]}, nil
	case rest == "latest events":
		cols := map[string][]string{}
		n := 0
		for _, s := range series {
			for _, row := range s.values {
				n++
				for i, c := range s.columns {
					if str, ok := row[i].(string); ok && c != "time" && c != "id" {
						cols[c] = append(cols[c], str)
					}
				}
			}
		}
		for _, v := range cols {
			slices.Sort(v)
		}
		cols["#rows"] = []string{fmt.Sprint(n)}
		return cols, nil
	}
	return nil, fmt.Errorf("unknown panel")
}

// sameResult compares a panel's result with its expectation, floats to 1e-9.
func sameResult(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) < 1e-9
	case [2]float64:
		g, ok := got.([2]float64)
		return ok && math.Abs(g[0]-w[0]) < 1e-9 && math.Abs(g[1]-w[1]) < 1e-9
	case map[string]float64:
		g, ok := got.(map[string]float64)
		for k, v := range g { // intervals of fill(0) add zero-count series for nothing
			if v == 0 && w[k] == 0 {
				delete(g, k)
			}
		}
		return ok && maps.Equal(g, w)
	case map[string][]string:
		g, ok := got.(map[string][]string)
		return ok && maps.EqualFunc(g, w, slices.Equal[[]string])
	}
	return false
}

// TestDashboardQueries publishes a known set of events (the example's four types and two
// with an embedded base struct) through the stack's Kafka and a Telegraf running the
// generated input, draws the application's starter dashboards (dashboards.New), and runs every
// panel's query of both the Grafana dashboard and the Chronograf one against the real InfluxDB,
// macros substituted as Grafana and Chronograf do (the last hour, a 1m interval, every tag
// variable on All): each must return what the events produce (counts per tag value, means and
// 95th percentiles, shares of true, the latest events' tags and string fields). A query that
// errors or returns nothing, or a panel the test has no expectation for, fails it. Each tag
// variable's query must list the tag's values.
func TestDashboardQueries(t *testing.T) {
	s := loadStack(t)
	ctx := t.Context()
	app := uniqueApp("dash")
	s.createAppTopic(t, app)
	// Every event in one minute, ten minutes ago: one interval of GROUP BY time(1m) holds them.
	st := &stamps{base: time.Now().Truncate(time.Minute).Add(-10 * time.Minute).Add(123456 * time.Nanosecond)}
	m := newManager(t, s, app, nil, st.options()...)
	recs := dashboardEvents(t, m)
	for title, want := range literalDashboardNumbers {
		event, rest, _ := strings.Cut(title, ": ")
		if got, ok := expectedPanel(event, rest, recs[event]); !ok || !sameResult(got, want) {
			t.Fatalf("the test's own expectation for %q is %v, want %v: the events or expectedPanel are wrong", title, got, want)
		}
	}
	p := m.Pipeline()
	block := generatedTelegraf(t, m)
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s.startTelegraf(t, block)
	for _, e := range p.Events {
		s.WaitForPoints(t, e.Measurement, len(recs[e.Name]), pipelineTimeout)
	}

	d, err := dashboards.New(p)
	if err != nil {
		t.Fatal(err)
	}
	gjs, err := d.GrafanaJSON()
	if err != nil {
		t.Fatal(err)
	}
	cjs, err := d.Chronograf()
	if err != nil {
		t.Fatal(err)
	}
	gq, varQueries := grafanaQueries(t, gjs)
	cq := chronografQueries(t, cjs)
	if len(gq) == 0 || len(gq) != len(cq) {
		t.Fatalf("%d Grafana queries and %d Chronograf ones, want the same panels", len(gq), len(cq))
	}
	checked := map[string]int{}
	for _, q := range append(gq, cq...) {
		event, rest, _ := strings.Cut(q.title, ": ")
		want, ok := expectedPanel(event, rest, recs[event])
		if !ok {
			t.Errorf("%s panel %q: the test has no expectation for it", q.dialect, q.title)
			continue
		}
		if cols, ok := want.(map[string][]string); ok {
			cols["#rows"] = []string{fmt.Sprint(len(recs[event]))}
		}
		// InfluxDB can answer before a fresh point's every field is indexed (see
		// WaitForMeasurement): ask again, for a few seconds, until the answer is right.
		var got any
		var qerr error
		deadline := time.Now().Add(15 * time.Second)
		for {
			var qr *queryResponse
			if qr, qerr = s.Query(ctx, q.query); qerr == nil {
				if got, qerr = panelResult(qr, rest); qerr == nil && !sameResult(got, want) {
					qerr = fmt.Errorf("got %v, want %v", got, want)
				}
			}
			if qerr == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(pollInterval)
		}
		if qerr != nil {
			t.Errorf("%s panel %q: %v\n%s", q.dialect, q.title, qerr, q.query)
			continue
		}
		checked[q.dialect]++
		if _, lit := literalDashboardNumbers[q.title]; lit || q.dialect == "grafana" {
			t.Logf("%s panel %q: %v", q.dialect, q.title, got)
		}
	}
	t.Logf("panels checked: %v", checked)

	// The tag variables list the values published: SHOW TAG VALUES answers one series per
	// measurement, and Grafana's InfluxDB data source keeps each value once.
	for _, vq := range varQueries {
		qr, err := s.Query(ctx, vq)
		if err != nil {
			t.Errorf("variable query %s: %v", vq, err)
			continue
		}
		_, tag, _ := strings.Cut(vq, `WITH KEY = "`)
		tag = strings.TrimSuffix(tag, `"`)
		want := map[string]bool{}
		for _, e := range p.Events {
			if slices.Contains(e.Tags, tag) {
				for _, r := range recs[e.Name] {
					want[r.tags[tag]] = true
				}
			}
		}
		values := map[string]bool{}
		for _, r := range qr.Results {
			for _, ser := range r.Series {
				for _, row := range ser.Values {
					v, _ := row[1].(string)
					values[v] = true
				}
			}
		}
		got := slices.Sorted(maps.Keys(values))
		if !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
			t.Errorf("variable %s: values %q, want %q (%s)", tag, got, slices.Sorted(maps.Keys(want)), vq)
		} else {
			t.Logf("variable %s: %q", tag, got)
		}
	}
}
