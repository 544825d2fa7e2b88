package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// resendDelay is how long the resender gathers the records the client
// failed before it adopts the recreated topic: franz-go fails every
// partition's records at once, in several promise batches.
const resendDelay = 50 * time.Millisecond

// A resender recovers from the application's topic being deleted and
// recreated. franz-go refuses to produce to a new instance of a topic it
// knows (it fails the records with UNKNOWN_TOPIC_ID) until the topic is
// purged from the client; then it discovers the new instance by itself
// (franz-go's README, "Topic recreation"). The records it failed keep their
// room in the buffer, wait here, and are produced again after the purge.
//
// A purge fails every record the client holds for the topic, written or
// not, so it must happen once per recreation: purges counts them, and
// every record is stamped with it when produced (produce). A record that
// comes back with a stamp older than the last purge was produced before it
// (with the old topic's id, or failed by the purge itself) and is only
// produced again; one stamped after the last purge means the topic changed
// again, and only then is it purged again. Purging on every failure would
// fail, again and again under load, records the broker already wrote, and
// they would land twice.
type resender struct {
	client *kgo.Client
	topic  string
	log    *slog.Logger
	purges atomic.Uint32

	mu      sync.Mutex
	queue   []resendRecord
	done    chan struct{} // closed when the running pass ends; nil when idle
	stopped bool
	stopCh  chan struct{}
}

type resendRecord struct {
	r       *kgo.Record
	promise func(*kgo.Record, error)
}

func newResender(cl *kgo.Client, topic string, log *slog.Logger) *resender {
	return &resender{client: cl, topic: topic, log: log, stopCh: make(chan struct{})}
}

// errNotResent fails the records that wait to be sent again when Close
// stops the resender. The broker refused them (UNKNOWN_TOPIC_ID), or the
// purge failed them in the client: only a Produce request left unanswered
// can have written them (see Publisher.delivered).
var errNotResent = fmt.Errorf("recreated topic not adopted before close: %w", kgo.ErrClientClosed)

// topicRecreated reports whether a record failed because its topic was recreated
// (UNKNOWN_TOPIC_ID) or purged by the resender itself. franz-go does not
// export the purge error, so it is matched by its text.
func topicRecreated(err error) bool {
	return errors.Is(err, kerr.UnknownTopicID) || err.Error() == "topic purged while buffered"
}

// add queues a record the client failed because its topic was recreated
// (topicRecreated), and starts a pass if none runs. It reports false once the resender is stopped (the
// record is then counted as the promise's error says).
func (s *resender) add(r *kgo.Record, promise func(*kgo.Record, error)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.queue = append(s.queue, resendRecord{r, promise})
	if s.done == nil {
		s.done = make(chan struct{})
		go s.run(s.done)
	}
	return true
}

// run purges the topic from the client and produces the queued records
// again, until the queue stays empty.
func (s *resender) run(done chan struct{}) {
	defer close(done)
	for {
		select {
		case <-time.After(resendDelay):
		case <-s.stopCh:
		}
		s.mu.Lock()
		queue := s.queue
		s.queue = nil
		stopped := s.stopped
		if len(queue) == 0 {
			s.done = nil
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if stopped {
			for _, q := range queue {
				q.promise(q.r, errNotResent)
			}
			continue
		}
		purges := s.purges.Load()
		stale := true
		for _, q := range queue {
			if e := envelopeOf(q.r); e == nil || e.purges == purges {
				stale = false
				break
			}
		}
		if !stale {
			s.log.Warn("metrics topic was deleted and recreated: adopting the new topic and sending its unsent events again",
				"topic", s.topic, "events", len(queue))
			s.client.PurgeTopicsFromProducing(s.topic)
			s.purges.Add(1)
		}
		for _, q := range queue {
			// The record keeps its envelope (its Flush epoch); a context a
			// hook derived from it (a tracing span) is not carried to the
			// new send, nor where the client put it the last time.
			value, ts, ctx := q.r.Value, q.r.Timestamp, q.r.Context
			if e := envelopeOf(q.r); e != nil {
				e.seq, e.end, ctx = 0, 0, e
			}
			*q.r = kgo.Record{Topic: s.topic, Value: value, Timestamp: ts, Context: ctx}
			s.produce(q.r, q.promise)
		}
	}
}

// produce hands r to the client, stamped with the number of purges so far:
// every record of the manager is produced through it.
func (s *resender) produce(r *kgo.Record, promise func(*kgo.Record, error)) {
	if e := envelopeOf(r); e != nil {
		e.purges = s.purges.Load()
	}
	s.client.TryProduce(context.Background(), r, promise)
}

// active reports whether records wait to be produced again.
func (s *resender) active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done != nil
}

// wait waits for the running pass to end, or ctx.
func (s *resender) wait(ctx context.Context) error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop makes later failures final and hands the queued records back to
// their promises with kgo.ErrClientClosed; it waits for the running pass.
func (s *resender) stop() {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stopCh)
	}
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}
