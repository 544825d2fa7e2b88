package eventmanager

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// An envelope is a pooled kgo.Record and what the manager keeps about it
// while the Kafka client holds it: the Flush epoch its event is counted in
// and where the client put it (wireCount). The record's Context is its
// envelope, from the pool on (kgo reads the Context only for cancellation,
// which an envelope never signals: it is a context like
// context.Background, with one value). Hooks may replace
// that Context with a context derived from it (franz-go's plugin/kotel puts
// the record's "publish" span there), so the envelope is found as the
// context's value for envelopeKey, which derived contexts keep, never by
// the context's type.
//
// Every buffered event holds one, so its size counts: 192 bytes, a
// kgo.Record (160) and 28 more, with no field to spare (an embedded
// context.Context would take 16 and bring it to the 208-byte size class).
type envelope struct {
	rec kgo.Record
	ep  *epoch // the Flush epoch the event is counted in (flush.go)
	// Set by wireCount when the client buffers the record in a partition:
	// its rank among every record so buffered (from 1; 0 while it was
	// not), and the least number of batch bytes the partition's records
	// up to and including it take.
	seq uint64
	end int64
	// purges is the resender's count of topic purges when the record was
	// last produced (resender.produce).
	purges uint32
}

// envelopeKey is the context key an envelope answers with itself.
type envelopeKey struct{}

// newEnvelope returns an empty envelope whose record's Context is itself.
func newEnvelope() *envelope {
	e := &envelope{}
	e.rec.Context = e
	return e
}

// Deadline implements context.Context: none.
func (e *envelope) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done implements context.Context: never cancelled.
func (e *envelope) Done() <-chan struct{} { return nil }

// Err implements context.Context: never cancelled.
func (e *envelope) Err() error { return nil }

// Value implements context.Context: the envelope for envelopeKey, else
// nil.
func (e *envelope) Value(key any) any {
	if key == (envelopeKey{}) {
		return e
	}
	return nil
}

// An envelope is the context of its record.
var _ context.Context = (*envelope)(nil)

// envelopeOf returns the envelope of a record from the manager's pool,
// whatever hooks derived from its Context; nil for any other record.
func envelopeOf(r *kgo.Record) *envelope {
	if r.Context == nil {
		return nil
	}
	e, _ := r.Context.Value(envelopeKey{}).(*envelope)
	return e
}

// recordEpoch returns the Flush epoch an accepted record was counted in
// (nil for a record that carries none).
func recordEpoch(r *kgo.Record) *epoch {
	if e := envelopeOf(r); e != nil {
		return e.ep
	}
	return nil
}

// reset empties the envelope for reuse, keeping the record's value buffer
// when it is small (see maxPooledValue).
func (e *envelope) reset() {
	value := e.rec.Value
	if cap(value) > maxPooledValue {
		value = nil
	}
	e.rec = kgo.Record{Value: value[:0], Context: e}
	e.ep, e.seq, e.end, e.purges = nil, 0, 0, 0
}
