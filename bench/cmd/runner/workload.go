package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// workload is a realistic publishing pattern (issue 17), measured in every
// repetition as two runs, "<name>_raw" then "<name>_sdk", on snappy clients
// with the options of every other run. Each event name is its own schema,
// subject, codec and Publisher, as it is in a service; the events are
// published round-robin over the names: event k (k = g + goroutines*i for
// the i-th event of goroutine g) has name k % len(names), in both runs.
type workload struct {
	name       string
	goroutines int
	names      []string // the event names
	target     float64  // of RATIO <name>_sdk_vs_raw
	kind       eventKind
}

// workloads are the realistic workloads, in report order.
func workloads() []workload {
	return []workload{
		{name: "mix", goroutines: 8, names: eventNames("mix_", 10), target: 0.75,
			kind: kindOf[event.Event10]{sample: func() event.Event10 { return event.SampleLong(200) }, hand: event.AppendFast}},
		{name: "wide", goroutines: 1, names: []string{"wide"}, target: 0.60,
			kind: kindOf[event.Event50]{sample: event.Sample50, hand: event.AppendFast50}},
		{name: "types100", goroutines: 1, names: eventNames("type_", 100), target: 0.70,
			kind: kindOf[event.Event10]{sample: event.Sample, hand: event.AppendFast}},
		{name: "str1k", goroutines: 1, names: []string{"str1k"}, target: 0.75,
			kind: kindOf[event.Event10]{sample: func() event.Event10 { return event.SampleLong(1024) }, hand: event.AppendFast}},
	}
}

// workloadNamed returns the workload called name.
func workloadNamed(name string) (workload, bool) {
	for _, w := range workloads() {
		if w.name == name {
			return w, true
		}
	}
	return workload{}, false
}

// eventNames returns count event names prefix000, prefix001, ...
func eventNames(prefix string, count int) []string {
	width := len(fmt.Sprint(count - 1))
	names := make([]string, count)
	for i := range names {
		names[i] = fmt.Sprintf("%s%0*d", prefix, width, i)
	}
	return names
}

// eventKind is the Go type of a workload's events and the value published;
// kindOf implements it for each payload type.
type eventKind interface {
	// schemaJSON is the schema the SDK derives for the event name.
	schemaJSON(name string) (string, error)
	// preEncode returns count values as the SDK encodes them, each with its
	// own id and time; value j is of names[j%len(names)], with schema id
	// ids[j%len(names)].
	preEncode(names []string, ids []int, count int) ([][]byte, error)
	// publish creates a Publisher per name on m, checks that each found the
	// schema id raw uses, and measures n events published round-robin from
	// goroutines goroutines; Manager.Close waits for the deliveries.
	publish(ctx context.Context, m *eventmanager.Manager, names []string, ids []int, goroutines, n int) (result, error)
	// encoder returns the floor run's encoder: it appends event k (of
	// names[k%len(ids)], with schema id ids[k%len(ids)]) with metadata md
	// to dst, encoded by the hand-written encoder of the type.
	encoder(ids []int) func(dst []byte, k int, md *payload.Metadata) []byte
}

// kindOf is an eventKind for the payload type T: every event is sample(),
// and hand is T's hand-written encoder (bench/event), which writes the
// SDK's bytes with no plan and no checks.
type kindOf[T any] struct {
	sample func() T
	hand   func(dst []byte, schemaID uint32, md *payload.Metadata, v *T) []byte
}

func (kd kindOf[T]) encoder(ids []int) func(dst []byte, k int, md *payload.Metadata) []byte {
	v := kd.sample()
	return func(dst []byte, k int, md *payload.Metadata) []byte {
		return kd.hand(dst, uint32(ids[k%len(ids)]), md, &v)
	}
}

func (kd kindOf[T]) schemaJSON(name string) (string, error) {
	codec, err := payload.NewCodec[T](name, event.Topic)
	if err != nil {
		return "", err
	}
	return codec.SchemaJSON(), nil
}

func (kd kindOf[T]) preEncode(names []string, ids []int, count int) ([][]byte, error) {
	codecs := make([]*payload.Codec[T], len(names))
	for i, name := range names {
		c, err := payload.NewCodec[T](name, event.Topic)
		if err != nil {
			return nil, err
		}
		codecs[i] = c
	}
	v := kd.sample()
	now := time.Now().UnixNano()
	values := make([][]byte, count)
	for j := range values {
		md := payload.Metadata{ID: uuid.New(), Application: event.App, TimestampNS: now + int64(j)*1000}
		var err error
		if values[j], err = codecs[j%len(names)].Encode(uint32(ids[j%len(names)]), &md, &v); err != nil {
			return nil, err
		}
	}
	return values, nil
}

func (kd kindOf[T]) publish(ctx context.Context, m *eventmanager.Manager, names []string, ids []int, goroutines, n int) (result, error) {
	pubs := make([]*eventmanager.Publisher[T], len(names))
	for i, name := range names {
		p, err := eventmanager.CreatePublisher[T](ctx, m, name)
		if err != nil {
			return result{}, err
		}
		if int(p.SchemaID()) != ids[i] {
			return result{}, fmt.Errorf("sdk registered %s with schema id %d, raw uses %d", name, p.SchemaID(), ids[i])
		}
		pubs[i] = p
	}
	v := kd.sample()
	return measure(n, func() error {
		err := fanOut(goroutines, n, func(k int) error {
			if err := pubs[k%len(pubs)].Publish(ctx, v); err != nil {
				return fmt.Errorf("publish: %w", err)
			}
			return nil
		})
		return errors.Join(err, m.Close(ctx))
	})
}

// fanOut calls send(k) for k in [0, n) from goroutines goroutines, goroutine
// g taking k = g, g+goroutines, ..., and returns the first error of each.
func fanOut(goroutines, n int, send func(k int) error) error {
	if goroutines == 1 {
		for k := range n {
			if err := send(k); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for k := g; k < n; k += goroutines {
				if err := send(k); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// wlData is what a workload's runs share: the schema ids of its names and
// raw's pre-encoded values.
type wlData struct {
	ids    []int
	values [][]byte
}

// prepare registers the schemas of w's event names the way a franz-go user
// does and pre-encodes raw's values: at least rawValues, a multiple of the
// number of names, so that every name has as many values.
func (e *env) prepare(ctx context.Context, w workload) error {
	ids := make([]int, len(w.names))
	for i, name := range w.names {
		schema, err := w.kind.schemaJSON(name)
		if err != nil {
			return fmt.Errorf("workload %s: %w", w.name, err)
		}
		if ids[i], err = registerSchema(ctx, e.registryURL, event.Topic+"."+name, schema); err != nil {
			return fmt.Errorf("workload %s: %w", w.name, err)
		}
	}
	count := (rawValues + len(w.names) - 1) / len(w.names) * len(w.names)
	values, err := w.kind.preEncode(w.names, ids, count)
	if err != nil {
		return fmt.Errorf("workload %s: %w", w.name, err)
	}
	if e.wl == nil {
		e.wl = map[string]*wlData{}
	}
	e.wl[w.name] = &wlData{ids: ids, values: values}
	return nil
}

// data returns what prepare made for w.
func (e *env) data(w workload) (*wlData, error) {
	d, ok := e.wl[w.name]
	if !ok {
		return nil, fmt.Errorf("workload %s not prepared", w.name)
	}
	return d, nil
}

// workloadClient returns what prepare made for w and a snappy client for one
// of its runs, which the caller closes.
func (e *env) workloadClient(ctx context.Context, w workload) (*wlData, *kgo.Client, error) {
	d, err := e.data(w)
	if err != nil {
		return nil, nil, err
	}
	cl, err := e.newClient(ctx, snappy)
	return d, cl, err
}

// rawMode is what a franz-go run of a workload sends per event.
type rawMode int

const (
	// rawShared: raw's pre-encoded values, shared by the records that send
	// them, in a new record per event (as in runRaw).
	rawShared rawMode = iota
	// rawFresh: a copy of the pre-encoded value in a pooled record.
	rawFresh
	// rawFloor: the event encoded by hand, with new metadata, in a pooled
	// record.
	rawFloor
)

// runWorkloadRaw is raw's counterpart of w: franz-go producing the
// pre-encoded values, event k taking values[k % len(values)] (of name
// k % len(names)), from w.goroutines goroutines on one client.
//
// With rawFresh, it is the fresh run: raw with a value of its own per event,
// as any producer that encodes each event has. The pre-encoded value of
// event k is copied into the value buffer of a pooled record, which the
// promise returns to the pool (the SDK's discipline, without encoding or
// accounting). Raw's values are a few thousand buffers that every record
// shares, so they stay in the caches; a value written for each event has
// been evicted by the time the client copies it into its batch, and fresh
// against raw is what that costs (RATIO <name>_fresh_vs_raw, information).
//
// With rawFloor, it is the floor run: the least a producer that meets the
// SDK's wire contract does per event, written by hand for the event's type.
// It reads the clock once (the event's timestamp and the record's), draws a
// random id as the SDK does, encodes the event with the type's hand-written
// encoder (no plan, no checks of strings, floats or lengths) into the value
// buffer of a pooled record, and produces it; no accounting, no statistics,
// no Flush epochs. Where floor itself misses a workload's target, no SDK
// built on franz-go that encodes in Publish meets it on this machine
// (RATIO <name>_floor_vs_raw, information).
func runWorkloadRaw(ctx context.Context, e *env, w workload, n int, mode rawMode) (result, error) {
	d, cl, err := e.workloadClient(ctx, w)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	var dl deliveries
	values := d.values
	encode := w.kind.encoder(d.ids)
	// The floor's metadata, one per goroutine (goroutine g sends the events
	// k = g mod goroutines) on a cache line of its own: a local would escape
	// through the encoder, a function value, and cost an allocation per event.
	type lineMD struct {
		md payload.Metadata
		_  [64 - unsafe.Sizeof(payload.Metadata{})%64]byte
	}
	mds := make([]lineMD, w.goroutines)
	records := sync.Pool{New: func() any { return new(kgo.Record) }}
	recycle := func(r *kgo.Record, err error) {
		dl.promise(r, err)
		*r = kgo.Record{Value: r.Value[:0]}
		records.Put(r)
	}
	res, err := measure(n, func() error {
		_ = fanOut(w.goroutines, n, func(k int) error {
			switch mode {
			case rawShared:
				cl.Produce(ctx, &kgo.Record{Value: values[k%len(values)]}, dl.promise)
			case rawFresh:
				r := records.Get().(*kgo.Record)
				r.Value = append(r.Value, values[k%len(values)]...)
				cl.Produce(ctx, r, recycle)
			case rawFloor:
				now := time.Now()
				md := &mds[k%w.goroutines].md
				*md = payload.Metadata{ID: randomID(), Application: event.App, TimestampNS: now.UnixNano()}
				r := records.Get().(*kgo.Record)
				if r.Value == nil {
					// Sized once, as fresh's copy and the SDK's buffers are,
					// not grown by doubling.
					r.Value = make([]byte, 0, len(values[k%len(values)]))
				}
				r.Value = encode(r.Value, k, md)
				r.Timestamp = now
				cl.Produce(ctx, r, recycle)
			}
			return nil
		})
		return cl.Flush(ctx)
	})
	return res, errors.Join(err, dl.err())
}

// randomID is a version 4 UUID drawn as the SDK draws event ids
// (eventmanager's newRandomID: the runtime's ChaCha8 generator).
func randomID() uuid.UUID {
	var id uuid.UUID
	binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// runWorkloadSDK is the SDK's side of w: a Manager on a client built like
// raw's, one Publisher per name, Publish round-robin from w.goroutines
// goroutines; Manager.Close waits for every delivery.
func runWorkloadSDK(ctx context.Context, e *env, w workload, n int) (result, error) {
	d, cl, err := e.workloadClient(ctx, w)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	m, err := newManager(ctx, e, cl)
	if err != nil {
		return result{}, err
	}
	defer closeQuietly(m) // after a failure; else a no-op: Close runs once
	res, err := w.kind.publish(ctx, m, w.names, d.ids, w.goroutines, n)
	if err != nil {
		return res, err
	}
	if s := m.Stats().Total; s.Delivered != uint64(n) {
		return res, fmt.Errorf("sdk delivered %d of %d events (dropped %d, failed %d)", s.Delivered, n, s.Dropped, s.Failed)
	}
	return res, nil
}
