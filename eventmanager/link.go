package eventmanager

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaLink is the Manager's Kafka client and what watches it. Its methods
// own the rules about the client: how a record is produced (through the
// resender), what a delivery outcome says about authorization (for Check)
// and about the record (written, not written, maybe written), and how the
// client is drained and closed.
type kafkaLink struct {
	client *kgo.Client
	owns   bool       // the manager built the client (and closes it)
	conn   *connWatch // hook on the client the manager built (security.go); nil otherwise
	wire   *wireCount // hook on the client the manager built (inflight.go); nil otherwise
	resend *resender  // records sent again after a topic recreation (resend.go)
	// refusal is the last delivery refused for lack of authorization, nil
	// after a success.
	refusal atomic.Pointer[error]
}

// produce hands an accepted record to the client, detached from the
// caller's ctx (kgo would otherwise fail it when a request's context ends).
func (k *kafkaLink) produce(r *kgo.Record, promise func(*kgo.Record, error)) {
	k.resend.produce(r, promise)
}

// resent reports whether a record that failed with err is sent again: its
// topic was deleted and recreated (resend.go). It then keeps its room in
// the buffer until its new promise.
func (k *kafkaLink) resent(r *kgo.Record, err error, promise func(*kgo.Record, error)) bool {
	return topicRecreated(err) && k.resend.add(r, promise)
}

// maybeWritten reports whether a record that failed with err may be in the
// topic all the same: Close's ctx expired and the client was closed with
// the record in a Produce request that may have been written and was not
// answered (inflight.go). The other records the client failed at close
// certainly were not written.
func (k *kafkaLink) maybeWritten(r *kgo.Record, err error) bool {
	if errors.Is(err, errNotResent) {
		return k.wire.unanswered()
	}
	return errors.Is(err, kgo.ErrClientClosed) && k.wire.mayBeWritten(r)
}

// delivered notes a delivery: the broker accepts this client's writes
// again, whatever it refused before.
func (k *kafkaLink) delivered() {
	if k.refusal.Load() != nil {
		k.refusal.Store(nil)
	}
}

// failed notes a delivery failure: one refused for lack of authorization,
// which franz-go does not retry, is kept for refused.
func (k *kafkaLink) failed(err error) {
	var ke *kerr.Error
	if errors.As(err, &ke) && strings.HasSuffix(ke.Message, "_AUTHORIZATION_FAILED") {
		k.refusal.Store(&err)
	}
}

// refused returns the last delivery refused for lack of authorization when
// no delivery succeeded since, else nil: Check reports it.
func (k *kafkaLink) refused() error {
	if errp := k.refusal.Load(); errp != nil {
		return *errp
	}
	return nil
}

// adopting reports whether the client is adopting a recreated topic, with
// records waiting to be sent again.
func (k *kafkaLink) adopting() bool { return k.resend.active() }

// drain sends what the client buffers and what waits to be sent again
// after a topic recreation, until ctx ends.
func (k *kafkaLink) drain(ctx context.Context) error {
	for {
		if err := k.client.Flush(ctx); err != nil {
			return err
		}
		if !k.resend.active() {
			return nil
		}
		if err := k.resend.wait(ctx); err != nil {
			return err
		}
	}
}

// shut closes the client the manager built: the records still buffered or
// in flight then fail with kgo.ErrClientClosed (see maybeWritten).
// franz-go's Close can wait for a connection's first request (up to its
// dial timeout), so shut returns when ctx ends; the promises that have not
// run by then count their events when they run. Closing ends once every
// record of buf has had its promise (buffer.waitIdle).
func (k *kafkaLink) shut(ctx context.Context, buf *buffer) {
	done := make(chan struct{})
	go func() {
		k.client.Close()
		k.resend.stop()
		buf.waitIdle(context.Background())
		close(done)
	}()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	// The promises of records the client failed while closing are
	// already queued: give them a moment to run before counting.
	select {
	case <-done:
	case <-time.After(50 * time.Millisecond):
	}
}
