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
//		timer, _ := eventmanager.NewTimer(reports)
//		ev := ReportEvent{Report: "daily"}
//		code, err := batch.Run(ctx, timer, &ev, func(ctx context.Context) error {
//			rows, err := buildReport(ctx)
//			ev.Rows = rows
//			return err
//		}, batch.WithTimeout(30*time.Second))
//		if err != nil {
//			slog.Error("report", "error", err)
//		}
//		return code
//	}
//
// # Exit codes
//
// Run and cmd/sasquatch-publish (for jobs written in shell) share one
// convention, so that an alert on an exit code means the same everywhere:
//
//	0  ExitOK           the work succeeded and its metrics events were delivered
//	1  ExitJobFailed    the work failed (the job returned an error or panicked)
//	2  ExitUsage        misuse: bad arguments or configuration; nothing ran
//	3  ExitUndelivered  the work succeeded, but metrics events were not delivered
//
// 1 and 2 are what an operator expects of any program (failure, usage);
// 3 says the job itself is fine and the metrics pipeline is not.
package batch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// Exit codes of Run; cmd/sasquatch-publish uses the same ones.
const (
	// ExitOK: the job succeeded and every event was delivered.
	ExitOK = 0
	// ExitJobFailed: the job returned an error or panicked (its event was
	// published, as a failure). It wins over ExitUndelivered.
	ExitJobFailed = 1
	// ExitUsage: Run was misused (a nil timer, a timer without a
	// publisher, a timeout that is not positive); the job did not run.
	ExitUsage = 2
	// ExitUndelivered: the job succeeded, but some of the manager's events
	// were not delivered (still buffered when the timeout ended, failed,
	// dropped or rejected while the job ran).
	ExitUndelivered = 3
)

// DefaultTimeout is how long Run waits for delivery without WithTimeout.
const DefaultTimeout = 30 * time.Second

// Option configures Run.
type Option func(*settings)

// settings are Run's options.
type settings struct {
	timeout time.Duration
}

// WithTimeout bounds how long Run waits for the events to be delivered
// after the job, DefaultTimeout (30s) by default. It must be positive.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// Run runs job with ctx, then publishes *event through timer with the time
// the job took and its outcome (see eventmanager.Timer.Time); the job may
// fill in other fields of *event meanwhile (a row count, say). Then it flushes
// the timer's manager (timer.Publisher().Manager(), so the manager, the
// publisher and the event always belong together) for at most the timeout
// (WithTimeout; eventmanager.Manager.Flush), and returns the process's exit
// code with an error saying why it is not ExitOK: the job's error, an
// *eventmanager.UndeliveredError (Op "batch.Run"), or both (errors.Join):
// errors.As finds the *eventmanager.UndeliveredError whenever events were
// not delivered. ExitOK means the job succeeded and its event was
// delivered: an event that could not even be published (a closed manager,
// say: Publish's error is in the chain) is ExitUndelivered. A nil timer, a
// timer without a publisher or a timeout that is not positive is
// ExitUsage, with an error, and the job does not run.
//
// A job that panics (or calls runtime.Goexit) has its event published as a
// failure and flushed while the panic goes on: Run does not recover it, so
// the crash shows the job's own frames, where it panicked.
//
// Delivery is judged on all of the manager's events, not only the one Run
// publishes: those the job published itself count, and so do the failures,
// drops and rejections (eventmanager.EventStats) that happen while Run
// runs, so give a batch job a manager of its own. In disabled and mock
// modes nothing is sent and only drops and rejections count. Run does not
// close the manager.
func Run[T any](ctx context.Context, timer *eventmanager.Timer[T], event *T, job func(context.Context) error, opts ...Option) (int, error) {
	s := settings{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&s)
	}
	switch {
	case timer == nil || timer.Publisher() == nil:
		return ExitUsage, errors.New("batch: Run needs a timer made by eventmanager.NewTimer or NewTimerFunc")
	case job == nil:
		return ExitUsage, errors.New("batch: Run needs a job function")
	case s.timeout <= 0:
		return ExitUsage, fmt.Errorf("batch: WithTimeout(%v): the timeout must be positive", s.timeout)
	}
	m := timer.Publisher().Manager()
	timeout := s.timeout
	before := m.Stats().Total
	start := time.Now()
	returned := false
	defer func() {
		if returned {
			return
		}
		// The job panicked or called runtime.Goexit. Nothing here recovers,
		// so the panic goes on from the job's frames once its event is out.
		failed := errJobAborted
		_ = timer.Time(ctx, start, event, &failed)
		_ = flush(ctx, m, before, timeout)
	}()
	jobErr := job(ctx)
	returned = true

	// Called, not deferred: Time's recover finds nothing, and its error is
	// Publish's.
	pubErr := timer.Time(ctx, start, event, &jobErr)
	deliveryErr := flush(ctx, m, before, timeout)
	if pubErr != nil {
		deliveryErr = notPublished(pubErr, deliveryErr)
	}
	switch {
	case jobErr != nil:
		return ExitJobFailed, errors.Join(jobErr, deliveryErr)
	case deliveryErr != nil:
		return ExitUndelivered, deliveryErr
	}
	return ExitOK, nil
}

// errJobAborted is the outcome published for a job that panicked or called
// runtime.Goexit.
var errJobAborted = errors.New("batch: the job panicked or called runtime.Goexit")

// opRun is the Op of the *eventmanager.UndeliveredError that Run returns.
const opRun = "batch.Run"

// notPublished adds the job's own event, which Publish refused (pubErr),
// to the undelivered events of flush (deliveryErr, nil or an
// *eventmanager.UndeliveredError).
func notPublished(pubErr, deliveryErr error) error {
	cause := fmt.Errorf("the job's event was not published: %w", pubErr)
	var ue *eventmanager.UndeliveredError
	if errors.As(deliveryErr, &ue) {
		return &eventmanager.UndeliveredError{Op: opRun, Count: ue.Count + 1, Unknown: ue.Unknown, Err: errors.Join(cause, ue.Err)}
	}
	return &eventmanager.UndeliveredError{Op: opRun, Count: 1, Err: cause}
}

// flush flushes m for at most timeout and returns an
// *eventmanager.UndeliveredError (with Flush's error) when events accepted
// since before were not all delivered.
func flush(ctx context.Context, m *eventmanager.Manager, before eventmanager.EventStats, timeout time.Duration) error {
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	flushErr := m.Flush(flushCtx)
	after := m.Stats().Total
	lost := (after.Failed - before.Failed) + (after.Unknown - before.Unknown) +
		(after.Dropped - before.Dropped) + (after.Rejected - before.Rejected)
	var fe *eventmanager.UndeliveredError
	switch {
	case errors.As(flushErr, &fe):
		return &eventmanager.UndeliveredError{Op: opRun, Count: fe.Count, Unknown: fe.Unknown, Err: fe.Err}
	case flushErr != nil:
		return &eventmanager.UndeliveredError{Op: opRun, Count: int64(lost), Err: flushErr}
	case lost > 0:
		return &eventmanager.UndeliveredError{Op: opRun, Count: int64(lost),
			Err: errors.New("they failed, were dropped or were rejected while the job ran (see Manager.Stats and the logs)")}
	}
	return nil
}
