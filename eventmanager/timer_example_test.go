package eventmanager_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

// ReportEvent says how long building a report took and whether it worked.
type ReportEvent struct {
	Report   string `influx:"tag"`
	Duration time.Duration
	Success  bool
}

// Time a function with one deferred call. NewTimer finds the event's
// "duration" field (and its "success" field, when it has one) once.
func ExampleTimer() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)
	reports, _ := eventmanager.CreatePublisher[ReportEvent](ctx, m, "report")
	timer, err := eventmanager.NewTimer(reports)
	if err != nil {
		panic(err)
	}

	build := func(name string) (err error) {
		ev := ReportEvent{Report: name}
		defer timer.Time(ctx, time.Now(), &ev, &err) // sets Duration and Success
		if name == "" {
			return errors.New("no report name")
		}
		return nil
	}
	_ = build("daily")
	_ = build("")

	for _, ev := range eventmanagertest.Published(reports) {
		fmt.Printf("report=%q success=%v\n", ev.Report, ev.Success)
	}
	// Output:
	// report="daily" success=true
	// report="" success=false
}

// Flush at the end of a unit of work (a batch step, a test) waits for the
// events published so far; the manager stays usable.
func ExampleManager_Flush() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)
	reports, _ := eventmanager.CreatePublisher[ReportEvent](ctx, m, "report")
	_ = reports.Publish(ctx, ReportEvent{Report: "daily", Duration: time.Second, Success: true})

	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var undelivered *eventmanager.UndeliveredError
	switch err := m.Flush(flushCtx); {
	case errors.As(err, &undelivered):
		fmt.Println("not delivered:", undelivered.Count)
	case err == nil:
		fmt.Println("all delivered:", m.Stats().Total.Delivered)
	}
	// Output:
	// all delivered: 1
}
