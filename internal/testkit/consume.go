package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ConsumeTimeout bounds Consume's wait (the producer may run with the race
// detector on a busy machine).
const ConsumeTimeout = 90 * time.Second

// Consume reads exactly n records of topic from its start with a client
// built from opts (at least the seed brokers; security options for a
// secured listener). It fails the test on a fetch error, if fewer than n
// records arrive within ConsumeTimeout, or if more than n are read.
func Consume(t testing.TB, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), ConsumeTimeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records from %s: %v", len(out), n, topic, err)
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("consumed %d records from %s, want exactly %d", len(out), topic, n)
	}
	return out
}

// ConsumeAll reads every record topic holds now, from its start offsets to
// the end offsets it has when called, with a client built from opts (as
// Consume). Use it for a topic written by a producer that has finished (or
// shared with other tests: records produced later are not read).
func ConsumeAll(t testing.TB, topic string, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), ConsumeTimeout)
	defer cancel()
	list := func(what string, f func(context.Context, ...string) (kadm.ListedOffsets, error)) kadm.ListedOffsets {
		l, err := f(ctx, topic)
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			t.Fatalf("%s offsets of %s: %v", what, topic, err)
		}
		return l
	}
	starts, ends := list("start", adm.ListStartOffsets), list("end", adm.ListEndOffsets)
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		start, _ := starts.Lookup(o.Topic, o.Partition)
		n += o.Offset - start.Offset
	})
	return Consume(t, topic, int(n), opts...)
}
