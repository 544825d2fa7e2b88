package dashboards

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// GrafanaResource returns the GrafanaDashboard resource that loads the
// dashboard into Sasquatch's Grafana, as YAML for the application's own
// Phalanx chart (applications/<app>/templates/grafana-dashboard.yaml):
// apiVersion grafana.integreatly.org/v1beta1 (the grafana-operator),
// metadata.name <app>-metrics-dashboard, spec.instanceSelector.matchLabels
// dashboards: grafana (the label of Phalanx's Grafana instance),
// allowCrossNamespaceImport (the application runs in its own namespace, not
// Grafana's) and spec.json the dashboard (GrafanaJSON). Helm copies the JSON
// as it is since it holds no "{{": GrafanaResource returns an error when it
// does (a query of the application's that Helm would read as a template),
// and GrafanaJSON's error.
func (d *Dashboard) GrafanaResource() ([]byte, error) {
	js, err := d.GrafanaJSON()
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(js), "{{") {
		return nil, fmt.Errorf("dashboards: the Grafana dashboard of %s holds \"{{\", which Helm would read as a template: "+
			"write it as {{ \"{{\" }} in the chart, or change the query", d.App)
	}
	var b strings.Builder
	b.WriteString("apiVersion: grafana.integreatly.org/v1beta1\n")
	b.WriteString("kind: GrafanaDashboard\n")
	b.WriteString("metadata:\n")
	fmt.Fprintf(&b, "  name: %s\n", strconv.Quote(d.App+"-metrics-dashboard"))
	b.WriteString("spec:\n")
	b.WriteString("  allowCrossNamespaceImport: true\n")
	b.WriteString("  instanceSelector:\n")
	b.WriteString("    matchLabels:\n")
	b.WriteString("      dashboards: \"grafana\"\n")
	b.WriteString("  json: |\n")
	for _, line := range strings.Split(string(js), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return []byte(b.String()), nil
}

// Render renders the dashboards for the application's deployment, each
// after a comment line naming where it goes, as eventmanager's
// Pipeline.Render does (print them after it):
//
//  1. applications/<app>/templates/grafana-dashboard.yaml: the
//     GrafanaDashboard resource (GrafanaResource), whose spec.json is the
//     Grafana dashboard;
//  2. the Chronograf dashboard file (Chronograf), to import in Sasquatch's
//     Chronograf.
//
// The output is deterministic and ends with a newline. It returns the error
// of GrafanaResource or Chronograf.
func (d *Dashboard) Render() (string, error) {
	res, err := d.GrafanaResource()
	if err != nil {
		return "", err
	}
	chrono, err := d.Chronograf()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# applications/%s/templates/grafana-dashboard.yaml: the app's own chart; Sasquatch's grafana-operator loads\n", d.App)
	fmt.Fprintf(&b, "# the dashboard (spec.json, data source %s) into Grafana.\n", DataSource)
	b.Write(res)
	b.WriteString("\n# Chronograf: save as " + d.App + "-chronograf.json and import it (Dashboards > Import Dashboard).\n")
	b.Write(chrono)
	b.WriteString("\n")
	return b.String(), nil
}

// RenderPipeline renders everything the deployment of the application of
// pipeline p needs: p.Render with the zero RenderConfig (the Phalanx pieces
// and the Telegraf input), a blank line, then Render of the dashboard New
// draws from p, changed by each of extend in turn (the application's own
// panels). It is what dashboardstest.AssertPipeline compares with a golden
// file, and what a program prints for its deployment. It returns the error
// of p.Render, New or Render.
func RenderPipeline(p eventmanager.Pipeline, extend ...func(*Dashboard)) (string, error) {
	phalanx, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		return "", err
	}
	d, err := New(p)
	if err != nil {
		return "", err
	}
	for _, f := range extend {
		f(d)
	}
	dash, err := d.Render()
	if err != nil {
		return "", err
	}
	return phalanx + "\n" + dash, nil
}
