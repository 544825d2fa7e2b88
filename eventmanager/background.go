package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// refused reports whether a start-up error is a refusal that retrying
// cannot cure: a usage or configuration error (a missing or unwritable
// topic, Kafka credentials or certificates refused, a request the registry
// refused: bad credentials, an untrusted certificate, a wrong URL) or a
// schema the registry or the field-type guard refused. The rest (a broker
// or registry that does not answer, or answers that it is unavailable) is
// the infrastructure's state, which changes.
func refused(err error) bool {
	return errors.As(err, new(*TopicError)) || errors.Is(err, ErrAuthentication) || errors.Is(err, ErrTLS) ||
		errors.As(err, new(*schemaregistry.RequestError)) || errors.As(err, new(*schemaregistry.IncompatibleError)) ||
		errors.As(err, new(*FieldTypeChangedError))
}

// retryLater is the one rule for a start-up step that failed (Initialize's
// checks, a publisher's registration): it is left to the background retrier,
// and the call succeeds, when METRICS_RAISE_ON_ERROR is false, the caller's
// ctx has not ended and err is not a refusal (see refused); otherwise the
// call returns err. Once in the background, a step is retried whatever its
// later errors: see retrier.
func (m *Manager) retryLater(ctx context.Context, err error) bool {
	return !m.cfg.RaiseOnError && ctx.Err() == nil && !refused(err)
}

// A task is start-up work that failed because Kafka or the registry was
// unreachable and is retried in the background (METRICS_RAISE_ON_ERROR=false).
// run returns nil when the task is done, or the error to log before the next
// attempt.
type task struct {
	name  string
	event string // the event type whose schema the task registers; "" for other steps
	run   func(ctx context.Context) error
	last  error // the last attempt's error, for Check
}

// retrier runs tasks with capped exponential backoff and full jitter until
// they succeed or the manager closes, whatever the error: in the background
// an answer that looks final (a 404 page or a 401 from an ingress in front of
// a restarting registry, an ACL not granted yet) may not be, and giving up
// would leave the events waiting forever. Such errors are logged at ERROR,
// the others at WARN, with one capped backoff for all. Its goroutine is
// started by the first task, so a healthy manager runs none.
type retrier struct {
	log     *slog.Logger
	maxWait time.Duration

	mu      sync.Mutex
	tasks   []task
	started bool
	wake    chan struct{}
	now     chan struct{} // nudge: end the current backoff
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
}

func newRetrier(log *slog.Logger, maxWait time.Duration) *retrier {
	ctx, cancel := context.WithCancel(context.Background())
	return &retrier{log: log, maxWait: maxWait, wake: make(chan struct{}, 1), now: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// add queues a task and starts the retry goroutine if needed.
func (r *retrier) add(t task) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	r.tasks = append(r.tasks, t)
	if !r.started {
		r.started = true
		go r.loop()
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// nudge asks the goroutine, if it runs, to retry its tasks now rather than
// at the end of its backoff: Flush waits for the events of publishers whose
// schema is registered in the background.
func (r *retrier) nudge() { signal(r.now) }

// failing describes the tasks not done yet: each one's name and, once it
// was tried, its last error. The registrations the registry's unavailability
// holds back are described once per distinct cause, with the number of event
// types it affects and the first few of their names, not once per event type.
func (r *retrier) failing() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	type outage struct {
		cause  string
		events []string
	}
	var (
		outages []*outage
		others  []string
	)
next:
	for _, t := range r.tasks {
		var ue *schemaregistry.UnavailableError
		if t.event != "" && errors.As(t.last, &ue) {
			for _, o := range outages {
				if o.cause == ue.Cause {
					o.events = append(o.events, t.event)
					continue next
				}
			}
			outages = append(outages, &outage{cause: ue.Cause, events: []string{t.event}})
			continue
		}
		s := t.name
		if t.last != nil {
			s += ": " + t.last.Error()
		}
		others = append(others, s)
	}
	out := make([]string, 0, len(outages)+len(others))
	for _, o := range outages {
		out = append(out, fmt.Sprintf("schema registry unreachable for %d event types (%s): %s", len(o.events), firstNames(o.events, 3), o.cause))
	}
	return append(out, others...)
}

// firstNames joins the first n names, and "..." when there are more.
func firstNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + ", ..."
}

// stop ends the goroutine and waits for it; queued tasks are abandoned.
func (r *retrier) stop() {
	r.mu.Lock()
	r.cancel()
	started := r.started
	r.mu.Unlock()
	if started {
		<-r.done
	}
}

// backoff returns the wait before attempt n (n >= 1): exponential from 100ms,
// capped at maxWait, with full jitter in [d/2, d].
func backoff(n int, maxWait time.Duration) time.Duration {
	d := 100 * time.Millisecond
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (r *retrier) loop() {
	defer close(r.done)
	attempt := 0
	for {
		r.mu.Lock()
		tasks := append([]task(nil), r.tasks...)
		r.mu.Unlock()
		if len(tasks) == 0 {
			attempt = 0
			select {
			case <-r.wake:
				continue
			case <-r.ctx.Done():
				return
			}
		}
		// A nudge made before this round is answered by it.
		select {
		case <-r.now:
		default:
		}
		failed := false
		for _, t := range tasks {
			err := t.run(r.ctx)
			if err == nil {
				r.log.Info("metrics start-up step succeeded", "step", t.name)
				r.remove(t.name)
				continue
			}
			if r.ctx.Err() != nil {
				return
			}
			failed = true
			r.note(t.name, err)
			// Log the 1st, 2nd, 4th, 8th... failure of a row, not each one.
			if n := attempt + 1; n&(n-1) == 0 {
				level, msg := slog.LevelWarn, "metrics start-up step failed, retrying in the background"
				if refused(err) {
					level, msg = slog.LevelError, "metrics start-up step refused, retrying in the background until the configuration or the service is fixed: events stay buffered meanwhile"
				}
				r.log.Log(r.ctx, level, msg, "step", t.name, "attempt", n, "error", err)
			}
		}
		if !failed {
			continue
		}
		attempt++
		timer := time.NewTimer(backoff(attempt, r.maxWait))
		select {
		case <-timer.C:
		case <-r.now: // Flush waits: try again now
			timer.Stop()
		case <-r.ctx.Done():
			timer.Stop()
			return
		}
	}
}

// note records a task's last error.
func (r *retrier) note(name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.tasks {
		if r.tasks[i].name == name {
			r.tasks[i].last = err
		}
	}
}

func (r *retrier) remove(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range r.tasks {
		if t.name == name {
			r.tasks = append(r.tasks[:i], r.tasks[i+1:]...)
			return
		}
	}
}
