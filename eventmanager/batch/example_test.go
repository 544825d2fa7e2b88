package batch_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/batch"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

// ReportEvent is what a nightly report job publishes when it ends.
type ReportEvent struct {
	Report   string `influx:"tag"`
	Rows     int64
	Duration time.Duration
	Success  bool
}

// A batch job's main: run the job, publish its event, flush, exit with the
// code. In mock mode here; in a CronJob the configuration comes from
// config.FromEnv.
func ExampleRun() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "reports", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)
	reports, _ := eventmanager.CreatePublisher[ReportEvent](ctx, m, "report")
	timer, _ := eventmanager.NewTimer(reports)

	ev := ReportEvent{Report: "daily"}
	code, err := batch.Run(ctx, timer, &ev, func(ctx context.Context) error {
		ev.Rows = 12 // the job fills in what it knows
		return errors.New("no data after row 12")
	}, batch.WithTimeout(30*time.Second))

	fmt.Println("exit code:", code, "error:", err)
	for _, ev := range eventmanagertest.Published(reports) {
		fmt.Printf("event: report=%s rows=%d success=%v\n", ev.Report, ev.Rows, ev.Success)
	}
	// A real main ends with os.Exit(code).
	// Output:
	// exit code: 1 error: no data after row 12
	// event: report=daily rows=12 success=false
}
