package eventmanager

import (
	"log/slog"
	"sync"
	"time"
)

// stallAfter is how long accepted events may wait without any event being
// acknowledged or failed before the manager warns that deliveries stall. A
// healthy broker acknowledges within milliseconds; 30 s is longer than a
// partition leader's failover (8-13 s with Kafka's defaults, see
// docs/delivery.md) and franz-go's produce request timeout (10 s), and
// well within METRICS_DELIVERY_TIMEOUT (2 min by default), after which the
// waiting events fail and are logged as failures.
const stallAfter = 30 * time.Second

// A stallWatch tells the application when deliveries stall after start-up
// (a broker outage, a registry outage while events wait for their schema):
// franz-go retries in silence until METRICS_DELIVERY_TIMEOUT, and only
// Check would say so. It looks at the buffer a few times per stallAfter,
// costing Publish nothing, and logs one warning when events have waited
// stallAfter with none leaving the buffer (delivered or failed), again at
// most once per METRICS_LOG_INTERVAL while the stall lasts, and one info
// line when events leave again. At each check it also reports the delivery
// failures that logFailure's throttling left unlogged.
type stallWatch struct {
	buf      *buffer
	log      *slog.Logger
	after    time.Duration
	interval time.Duration
	report   func(now time.Time) // at each check: the failures left unlogged (core.reportFailures)

	once, stopOnce sync.Once
	stop           chan struct{}
	done           chan struct{}
}

func newStallWatch(buf *buffer, log *slog.Logger, interval time.Duration, report func(time.Time)) *stallWatch {
	return &stallWatch{buf: buf, log: log, after: stallAfter, interval: interval, report: report,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// start starts watching, once; end stops it.
func (w *stallWatch) start() { w.once.Do(func() { go w.run() }) }

// end stops the watch and waits for it to stop. It may be called without
// start, and more than once.
func (w *stallWatch) end() {
	w.once.Do(func() { close(w.done) }) // never started: nothing to wait for
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

func (w *stallWatch) run() {
	defer close(w.done)
	// Four checks per stallAfter, and two per METRICS_LOG_INTERVAL when
	// it is shorter, for the failure reports.
	every := w.after / 4
	if half := w.interval / 2; half > 0 && half < every {
		every = half
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	var (
		rel    = w.buf.rel.Load() // the buffer's releases at the last check
		since  time.Time          // events wait, none released, since; zero: none waits
		warned time.Time          // the last warning of this stall; zero: none
	)
	for {
		var now time.Time
		select {
		case <-w.stop:
			return
		case now = <-tick.C:
		}
		if w.report != nil {
			w.report(now)
		}
		waiting, _ := w.buf.unsent()
		if r := w.buf.rel.Load(); r != rel {
			rel = r
			if !warned.IsZero() {
				w.log.Info("metrics deliveries resumed", "stalled_for", now.Sub(since).Round(time.Second).String(), "waiting", waiting)
			}
			since, warned = time.Time{}, time.Time{}
		}
		switch {
		case waiting == 0:
			since = time.Time{}
		case since.IsZero():
			since = now
		case now.Sub(since) >= w.after && (warned.IsZero() || now.Sub(warned) >= w.interval):
			warned = now
			w.log.Warn("metrics deliveries stalled: no event delivered or failed while events wait (broker or registry unreachable? see Check); they are kept within the buffer's bounds until METRICS_DELIVERY_TIMEOUT",
				"waiting", waiting, "stalled_for", now.Sub(since).Round(time.Second).String(),
				"next_report_after", w.interval.String())
		}
	}
}
