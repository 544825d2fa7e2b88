package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

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
			kind: kindOf[event.Event10]{sample: func() event.Event10 { return event.SampleLong(200) }}},
		{name: "wide", goroutines: 1, names: []string{"wide"}, target: 0.60,
			kind: kindOf[event.Event50]{sample: event.Sample50}},
		{name: "types100", goroutines: 1, names: eventNames("type_", 100), target: 0.70,
			kind: kindOf[event.Event10]{sample: event.Sample}},
		{name: "str1k", goroutines: 1, names: []string{"str1k"}, target: 0.75,
			kind: kindOf[event.Event10]{sample: func() event.Event10 { return event.SampleLong(1024) }}},
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
}

// kindOf is an eventKind for the payload type T: every event is sample().
type kindOf[T any] struct {
	sample func() T
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
		if p.SchemaID() != ids[i] {
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

// runWorkloadRaw is raw's counterpart of w: franz-go producing the
// pre-encoded values, event k taking values[k % len(values)] (of name
// k % len(names)), from w.goroutines goroutines on one client.
//
// With fresh, it is the fresh run: raw with a value of its own per event,
// as any producer that encodes each event has. The pre-encoded value of
// event k is copied into the value buffer of a pooled record, which the
// promise returns to the pool (the SDK's discipline, without encoding or
// accounting). Raw's values are a few thousand buffers that every record
// shares, so they stay in the caches; a value written for each event has
// been evicted by the time the client copies it into its batch, and fresh
// against raw is what that costs (RATIO <name>_fresh_vs_raw, information).
func runWorkloadRaw(ctx context.Context, e *env, w workload, n int, fresh bool) (result, error) {
	d, cl, err := e.workloadClient(ctx, w)
	if err != nil {
		return result{}, err
	}
	defer cl.Close()
	var dl deliveries
	values := d.values
	records := sync.Pool{New: func() any { return new(kgo.Record) }}
	recycle := func(r *kgo.Record, err error) {
		dl.promise(r, err)
		*r = kgo.Record{Value: r.Value[:0]}
		records.Put(r)
	}
	res, err := measure(n, func() error {
		_ = fanOut(w.goroutines, n, func(k int) error {
			v := values[k%len(values)]
			if !fresh {
				// A new record and promise per event, as in runRaw.
				cl.Produce(ctx, &kgo.Record{Value: v}, dl.promise)
				return nil
			}
			r := records.Get().(*kgo.Record)
			r.Value = append(r.Value, v...)
			cl.Produce(ctx, r, recycle)
			return nil
		})
		return cl.Flush(ctx)
	})
	return res, errors.Join(err, dl.err())
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
