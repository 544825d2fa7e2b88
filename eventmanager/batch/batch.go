// Package batch runs a batch job (a Kubernetes CronJob, an Argo workflow
// step, a nightly report) so that it reports one metrics event: Run runs the
// job function, publishes one event with its duration and outcome, waits
// for delivery, and returns the process's exit code.
//
//	func main() { os.Exit(run()) }
//
//	func run() int {
//		... config.FromEnv, eventmanager.New, Initialize, defer m.Close ...
//		reports, _ := eventmanager.CreatePublisher[ReportEvent](ctx, m, "report")
//		timer, _ := eventmanager.NewTimer(reports, nil)
//		ev := ReportEvent{Report: "daily"}
//		code, err := batch.Run(ctx, m, timer, &ev, 30*time.Second, func(ctx context.Context) error {
//			rows, err := buildReport(ctx)
//			ev.Rows = rows
//			return err
//		})
//		if err != nil {
//			slog.Error("report", "error", err)
//		}
//		return code
//	}
//
// For jobs written in shell, cmd/sasquatch-publish publishes one event from
// the command line.
package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// Exit codes of Run.
const (
	// ExitOK: the job succeeded and every event was delivered.
	ExitOK = 0
	// ExitJobFailed: the job returned an error or panicked (its event was
	// published, as a failure).
	ExitJobFailed = 1
	// ExitUndelivered: the job succeeded, but some of the manager's events
	// were not delivered (still buffered when the timeout ended, failed,
	// dropped or rejected while the job ran).
	ExitUndelivered = 2
)

// ErrUndelivered is matched (with errors.Is) by Run's error when events
// were not delivered; the *eventmanager.UndeliveredError of Flush, when
// there is one, is in the chain too.
var ErrUndelivered = errors.New("batch: metrics events not delivered")

// Run runs job with ctx, then publishes *event through timer with the time
// the job took and its outcome (see eventmanager.Timer.Time); the job may
// fill in other fields of *event meanwhile (a row count, say). Then it flushes
// m for at most timeout (eventmanager.Manager.Flush), and returns the
// process's exit code with an error saying why it is not ExitOK: the job's
// error, ErrUndelivered, or both (errors.Join). A panic in the job is
// published as a failure, flushed, and raised again.
//
// Delivery is judged on all of m's events, not only the one Run publishes:
// those the job published itself count, and so do the failures, drops and
// rejections (eventmanager.EventStats) that happen while Run runs, so give a
// batch job a manager of its own. In disabled and mock modes nothing is
// sent and only drops and rejections count. Run does not close m.
func Run[T any](ctx context.Context, m *eventmanager.Manager, timer *eventmanager.Timer[T], event *T, timeout time.Duration, job func(context.Context) error) (int, error) {
	before := m.Stats().Total
	panicked, jobErr := runTimed(ctx, timer, event, job)
	if panicked != nil {
		defer panic(panicked) // once the event is flushed
	}

	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	flushErr := m.Flush(flushCtx)
	after := m.Stats().Total
	lost := (after.Failed - before.Failed) + (after.Unknown - before.Unknown) +
		(after.Dropped - before.Dropped) + (after.Rejected - before.Rejected)

	var deliveryErr error
	switch {
	case flushErr != nil:
		deliveryErr = fmt.Errorf("%w: %w", ErrUndelivered, flushErr)
	case lost > 0:
		deliveryErr = fmt.Errorf("%w: %d events failed, were dropped or were rejected while the job ran (see Manager.Stats and the logs)", ErrUndelivered, lost)
	}
	switch {
	case jobErr != nil:
		return ExitJobFailed, errors.Join(jobErr, deliveryErr)
	case deliveryErr != nil:
		return ExitUndelivered, deliveryErr
	}
	return ExitOK, nil
}

// runTimed runs job under a deferred Time, which publishes a panic as a
// failure; the panic is then recovered here and returned, for Run to
// re-raise once the event is flushed.
func runTimed[T any](ctx context.Context, timer *eventmanager.Timer[T], event *T, job func(context.Context) error) (panicked any, err error) {
	defer func() { panicked = recover() }()
	defer timer.Time(ctx, time.Now(), event, &err)
	return nil, job(ctx)
}
