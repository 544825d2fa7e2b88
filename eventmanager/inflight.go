package eventmanager

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// keyProduce is the Kafka API key of Produce requests.
const keyProduce int16 = 0

// idempotentInflight is how many Produce requests franz-go's idempotent
// producer keeps in flight per broker: five once a broker answered a
// Produce request of version 4 or later (one before), whatever
// kgo.MaxProduceRequestsInflightPerBroker says (kgo/sink.go, newSink and
// firstRespCheck).
const idempotentInflight = 5

// recordWireMin is the least number of bytes a record takes in a Kafka
// record batch (format v2) besides its key and value: one byte each for its
// length, attributes, timestamp delta, offset delta, key length, value
// length and header count. Batches are bounded before compression.
const recordWireMin = 7

// wireCount is a franz-go hook on the client the manager builds. When Close
// has to close the client with records left, it tells which of them may be
// in the topic (Unknown) and which certainly are not (Failed); franz-go
// says neither.
//
// It counts the Produce requests written to a broker and the responses
// read back: when every request written was answered, none of the records
// the client fails at close was written. Otherwise a record may be in the
// topic only if both hold:
//   - it was in a partition's batch before the last Produce request was
//     written: each record buffered in a partition gets a rank (seq, in
//     its envelope), and each write notes the rank reached (lastWrite);
//   - it is among the oldest records of its partition that fit in the
//     requests allowed in flight: each request carries at most one batch
//     per partition, a batch holds at most the producer's batch bytes
//     (kgo.ProducerBatchMaxBytes, before compression), and the batches a
//     request carries are the partition's oldest. franz-go fails a
//     partition's records oldest first, so the first one failed at close
//     is where the bound starts.
type wireCount struct {
	written, answered atomic.Int64
	buffered          atomic.Uint64 // records buffered in partitions, ever
	lastWrite         atomic.Uint64 // buffered when the latest Produce request was written

	partsMu sync.Mutex                      // guards growing parts
	parts   atomic.Pointer[[]*atomic.Int64] // per partition: batch bytes of its records, ever

	// budget is how many batch bytes of a partition's records the requests
	// allowed in flight can hold (set once, before the first record).
	budget int64

	closeMu sync.Mutex
	base    map[int32]int64 // per partition: batch bytes before its first record failed at close
}

var (
	_ kgo.HookBrokerWrite              = (*wireCount)(nil)
	_ kgo.HookBrokerRead               = (*wireCount)(nil)
	_ kgo.HookProduceRecordPartitioned = (*wireCount)(nil)
)

// setBudget sets the per-partition bound from the client's options.
func (w *wireCount) setBudget(cl *kgo.Client, topic string) {
	inflight := idempotentInflight
	if off, _ := cl.OptValue(kgo.DisableIdempotentWrite).(bool); off {
		if n, _ := cl.OptValue(kgo.MaxProduceRequestsInflightPerBroker).(int); n > 0 {
			inflight = n
		}
	}
	batch := int64(1_000_012) // kgo's default
	if fn, ok := cl.OptValue(kgo.ProducerBatchMaxBytesFn).(func(string) int32); ok && fn != nil {
		batch = int64(fn(topic))
	}
	w.budget = int64(inflight) * batch
}

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (w *wireCount) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key != keyProduce || err != nil {
		return
	}
	// The request was built before it was written: every record in it
	// has a rank of at most buffered now. Brokers write concurrently, so
	// lastWrite only grows.
	now := w.buffered.Load()
	for last := w.lastWrite.Load(); now > last && !w.lastWrite.CompareAndSwap(last, now); last = w.lastWrite.Load() {
	}
	w.written.Add(1)
}

// OnBrokerRead implements kgo.HookBrokerRead.
func (w *wireCount) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == keyProduce && err == nil {
		w.answered.Add(1)
	}
}

// OnProduceRecordPartitioned implements kgo.HookProduceRecordPartitioned.
// franz-go calls it with the partition's buffer locked, once the record is
// in a batch and before any request can take that batch, so the ranks and
// byte counts follow each partition's order.
func (w *wireCount) OnProduceRecordPartitioned(r *kgo.Record, _ int32) {
	e := envelopeOf(r)
	if e == nil {
		return
	}
	e.seq = w.buffered.Add(1)
	e.end = w.partition(r.Partition).Add(wireMin(r))
}

// wireMin is the least number of batch bytes r takes.
func wireMin(r *kgo.Record) int64 { return int64(len(r.Key) + len(r.Value) + recordWireMin) }

// partition returns the byte counter of partition p.
func (w *wireCount) partition(p int32) *atomic.Int64 {
	if ps := w.parts.Load(); ps != nil && int(p) < len(*ps) {
		return (*ps)[p]
	}
	w.partsMu.Lock()
	defer w.partsMu.Unlock()
	var cur []*atomic.Int64
	if ps := w.parts.Load(); ps != nil {
		cur = *ps
	}
	if int(p) < len(cur) {
		return cur[p]
	}
	grown := make([]*atomic.Int64, int(p)+1)
	copy(grown, cur)
	for i := len(cur); i < len(grown); i++ {
		grown[i] = new(atomic.Int64)
	}
	w.parts.Store(&grown)
	return grown[p]
}

// unanswered reports whether a Produce request may have reached a broker
// without its answer reaching the client. A nil wireCount (a client passed
// with [WithKafkaClient]) cannot tell, and says so.
func (w *wireCount) unanswered() bool {
	return w == nil || w.written.Load() != w.answered.Load()
}

// mayBeWritten reports whether a record the client failed with
// kgo.ErrClientClosed may be in the topic (see wireCount). It must see the
// records in the order franz-go fails them (its promises run one at a
// time, in order). A nil wireCount cannot tell, and says so.
func (w *wireCount) mayBeWritten(r *kgo.Record) bool {
	if !w.unanswered() {
		return false
	}
	if w == nil {
		return true
	}
	e := envelopeOf(r)
	if e == nil {
		return true // not the manager's record: cannot tell
	}
	if e.seq == 0 {
		return false // never in a partition's batch
	}
	w.closeMu.Lock()
	defer w.closeMu.Unlock()
	if w.base == nil {
		w.base = make(map[int32]int64)
	}
	base, ok := w.base[r.Partition]
	if !ok {
		base = e.end - wireMin(r)
		w.base[r.Partition] = base
	}
	return e.seq <= w.lastWrite.Load() && e.end-base <= w.budget
}
