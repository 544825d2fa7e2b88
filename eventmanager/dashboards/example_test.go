package dashboards_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
)

// BuildEvent is an event of an application's CronJob.
type BuildEvent struct {
	Target   string `influx:"tag"`
	Rows     int64
	Duration float64
	Success  bool
}

// Draw the starter dashboard of an application, extend it in code with a
// panel of its own, and render it for Grafana and Chronograf.
func Example() {
	ctx := context.Background()
	m, err := eventmanager.New(config.Config{AppName: "myapp", Mock: true})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)
	if err := m.Initialize(ctx); err != nil {
		log.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[BuildEvent](ctx, m, "build"); err != nil {
		log.Fatal(err)
	}

	d, err := dashboards.New(m.Pipeline())
	if err != nil {
		log.Fatal(err)
	}
	build := d.Row("build")
	for _, p := range build.Panels {
		fmt.Println(p.Title)
	}
	// A panel of the application's own: the rows written per interval.
	build.Panels = append(build.Panels, dashboards.Panel{
		Title: "build: rows written", Kind: dashboards.Graph, Unit: dashboards.Count,
		Queries: []dashboards.Query{{
			InfluxQL: `SELECT sum("rows") FROM ` + dashboards.Measurement(build.Measurement) +
				` WHERE $timeFilter GROUP BY time($__interval), "target" fill(0)`,
			Filters: []string{"target"},
			Alias:   "$tag_target",
		}},
	})
	grafana, err := d.GrafanaResource()
	if err != nil {
		log.Fatal(err)
	}
	chronograf, err := d.Chronograf()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(grafana) > 0, len(chronograf) > 0)
	// Output:
	// build: events by target
	// build: duration mean and p95
	// build: rows mean and p95
	// build: success share of true
	// build: latest events
	// true true
}

// The golden file of an application: its Phalanx pieces, then its
// GrafanaDashboard resource and its Chronograf dashboard.
func ExampleRenderPipeline() {
	m, err := eventmanager.New(config.Config{AppName: "myapp", Mock: true})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(context.Background())
	if err := m.Initialize(context.Background()); err != nil {
		log.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[BuildEvent](context.Background(), m, "build"); err != nil {
		log.Fatal(err)
	}
	out, err := dashboards.RenderPipeline(m.Pipeline())
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# applications/") || strings.HasPrefix(line, "# Chronograf") || strings.HasPrefix(line, "kind: ") {
			fmt.Println(line)
		}
	}
	// Output:
	// # applications/sasquatch/charts/app-metrics/values.yaml: merge into globalAppConfig.
	// # applications/sasquatch/values-<env>.yaml: for each environment the app runs in, add it to app-metrics.apps.
	// # applications/myapp/templates/kafka-access.yaml: the app's own chart, as herald's.
	// kind: KafkaAccess
	// # applications/myapp/templates/deployment.yaml: merge into the Deployment's spec.template.spec
	// # applications/sasquatch/charts/app-metrics/templates/telegraf-configmap.yaml: Sasquatch's Telegraf input for the app,
	// # applications/myapp/templates/grafana-dashboard.yaml: the app's own chart; Sasquatch's grafana-operator loads
	// kind: GrafanaDashboard
	// # Chronograf: save as myapp-chronograf.json and import it (Dashboards > Import Dashboard).
}
