package testkit

import (
	"context"
	"testing"
	"time"

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
