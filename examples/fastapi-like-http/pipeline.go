package main

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

// printPipeline writes what a Sasquatch deployment of this service's events
// needs (-pipeline), dashboards.RenderPipeline: eventmanager.Pipeline.Render
// (each piece of Phalanx configuration labelled with the file it goes in:
// the app-metrics influxTags and apps, the app chart's KafkaAccess, env and
// certificate mounts; and the Telegraf input Sasquatch's chart renders for
// the app), then the starter dashboards (the GrafanaDashboard resource for
// the app's chart, with the Grafana dashboard, and the Chronograf one). It
// runs the manager in mock mode: the pipeline depends on the code and the
// app name only, so it needs no Kafka and no registry. An app name Sasquatch
// cannot deploy is an error.
func printPipeline(ctx context.Context, stdout io.Writer) error {
	for k, v := range map[string]string{"METRICS_ENABLED": "false", "METRICS_MOCK": "true"} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return err
	}
	defer m.Close(context.WithoutCancel(ctx))
	if err := m.Initialize(ctx); err != nil {
		return err
	}
	if _, err := appevents.Register(ctx, m); err != nil {
		return err
	}
	out, err := dashboards.RenderPipeline(m.Pipeline())
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, out)
	return err
}
