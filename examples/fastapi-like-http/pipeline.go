package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

// printPipeline writes what Sasquatch must be configured with for this
// service's events (-pipeline): the Phalanx values fragment with the app's
// influxTags, then the Telegraf [[inputs.kafka_consumer]] block, with
// environment references for brokers, registry and Kafka version as
// Sasquatch's Telegraf substitutes them. It runs the manager in mock mode:
// the pipeline depends on the code and the app name only, so it needs no
// Kafka and no registry.
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
	p := m.Pipeline()
	_, err = fmt.Fprintf(stdout, "# Phalanx: applications/sasquatch values, app-metrics\n%s\n# Telegraf\n%s",
		p.Phalanx(), p.Telegraf(eventmanager.TelegrafConfig{}))
	return err
}
