// Command batch-job is a CronJob-style program that reports one metrics
// event per run: it builds a (pretend) nightly report, publishes a
// "report" event with the time it took and whether it worked, waits for
// delivery, and exits 0 only when the job worked and its event was
// delivered (1: the job failed; 2: bad flags or configuration; 3: the
// event was not delivered within -timeout), the convention of
// eventmanager/batch and sasquatch-publish. It uses eventmanager/batch.
//
// It is a program of the same application as the example service
// (examples/fastapi-like-http): both publish as fastapiexample to one
// topic, and both register every event of the application, declared once in
// examples/appevents, so each checks the application's tags as a whole and
// both have the same pipeline (Manager.Pipeline).
//
// Configuration comes from the environment, as for any service using the
// SDK (config.FromEnv). When KAFKA_BOOTSTRAP_SERVERS is unset it runs on an
// in-process Kafka broker (kfake) and schema registry, like the example
// service, so `go run ./examples/batch-job` (or `make demo`) needs nothing
// installed.
//
//	go run ./examples/batch-job                 # embedded broker; exit 0
//	go run ./examples/batch-job -fail           # the job fails; exit 1
//	KAFKA_BOOTSTRAP_SERVERS=... SCHEMA_MANAGER_REGISTRY_URL=... METRICS_APP_NAME=... go run ./examples/batch-job
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/batch"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
	"github.com/lsst-sqre/sasquatch-go/internal/embedded"
)

// defaultAppName is used for METRICS_APP_NAME when neither it nor Safir's
// METRICS_APPLICATION is set: the application of the example service.
const defaultAppName = appevents.App

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole job; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batch-job", flag.ContinueOnError)
	fs.SetOutput(stderr)
	report := fs.String("report", "nightly", "name of the report to build (the event's report tag)")
	fail := fs.Bool("fail", false, "make the job fail, to see the failure event and exit code 1")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the event's delivery before exiting 3")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return batch.ExitOK
		}
		return batch.ExitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if os.Getenv("METRICS_APP_NAME") == "" && os.Getenv("METRICS_APPLICATION") == "" {
		_ = os.Setenv("METRICS_APP_NAME", defaultAppName)
	}
	var opts []eventmanager.Option
	if embedded.Wanted() {
		infra, err := embedded.Start()
		if err != nil {
			log.Error("embedded broker and registry", "error", err)
			return batch.ExitUsage
		}
		defer infra.Close()
		fmt.Fprintln(stdout, "# embedded mode: Kafka broker (kfake) and schema registry run in this process")
		// Local development only: production topics are created by Sasquatch.
		opts = append(opts, eventmanager.WithTopicCreation(1))
	}

	cfg, err := config.FromEnv()
	if err != nil {
		log.Error("metrics configuration", "error", err)
		return batch.ExitUsage
	}
	m, err := eventmanager.New(cfg, append(opts, eventmanager.WithLogger(log))...)
	if err != nil {
		log.Error("metrics", "error", err)
		return batch.ExitUsage
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *timeout)
		defer cancel()
		_ = m.Close(closeCtx) // Run flushed already: nothing is left to wait for
	}()
	if err := m.Initialize(ctx); err != nil {
		log.Error("initialize metrics events", "error", err)
		return batch.ExitUsage
	}
	// Every event of the application, though the job publishes only its
	// report: the application's tags are checked as a whole.
	events, err := appevents.Register(ctx, m)
	if err != nil {
		log.Error("create publishers", "error", err)
		return batch.ExitUsage
	}
	timer, err := eventmanager.NewTimer(events.Report)
	if err != nil {
		log.Error("timer", "error", err)
		return batch.ExitUsage
	}

	event := appevents.ReportEvent{Report: *report}
	code, err := batch.Run(ctx, timer, &event, func(ctx context.Context) error {
		rows, err := buildReport(ctx, *fail)
		event.Rows = rows
		return err
	}, batch.WithTimeout(*timeout))
	if err != nil {
		log.Error("report job", "report", *report, "exit_code", code, "error", err)
	}
	st := m.Stats().Total
	fmt.Fprintf(stdout, "event: report=%s rows=%d duration=%v success=%v\n", event.Report, event.Rows, event.Duration.Round(time.Millisecond), event.Success)
	fmt.Fprintf(stdout, "exit code %d; events published %d, delivered %d to topic %s\n", code, st.Published, st.Delivered, m.Topic())
	return code
}

// buildReport stands for the job's real work; it returns the rows written.
func buildReport(ctx context.Context, fail bool) (int64, error) {
	select {
	case <-time.After(50 * time.Millisecond):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if fail {
		return 12, errors.New("no data after row 12 (-fail)")
	}
	return 1440, nil
}
