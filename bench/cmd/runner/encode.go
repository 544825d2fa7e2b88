package main

import (
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// encoders times payload's Codec.Append against the hand-written append
// encoder (event.AppendHand) for the same event, metadata and buffer, as
// payload's BenchmarkEncode10Fields/Append and BenchmarkHandWritten10Fields
// do (the latter with event.AppendFast, whose UUIDs are faster).
type encoders struct {
	codec *payload.Codec[event.Event10]
	md    payload.Metadata
	v     event.Event10
	buf   []byte
}

func newEncoders() (*encoders, error) {
	codec, err := payload.NewCodec[event.Event10](event.Name, event.Topic)
	if err != nil {
		return nil, err
	}
	return &encoders{
		codec: codec,
		md: payload.Metadata{
			ID:          uuid.MustParse("12345678-1234-4678-9234-567812345678"),
			Application: event.App,
			TimestampNS: 1700000000123456789,
		},
		v:   event.Sample(),
		buf: make([]byte, 0, 256),
	}, nil
}

// sdk encodes n events with Codec.Append and returns the bytes written.
func (e *encoders) sdk(n int) int {
	total := 0
	for range n {
		e.buf, _ = e.codec.Append(e.buf[:0], 42, &e.md, &e.v)
		total += len(e.buf)
	}
	return total
}

// hand encodes n events with the hand-written encoder.
func (e *encoders) hand(n int) int {
	total := 0
	for range n {
		e.buf = event.AppendHand(e.buf[:0], 42, &e.md, &e.v)
		total += len(e.buf)
	}
	return total
}

// nsPerOp runs loop with growing counts until one run lasts at least d, and
// returns that run's nanoseconds per event.
func nsPerOp(d time.Duration, loop func(n int) int) float64 {
	n := 1000
	for {
		t0 := time.Now()
		loop(n)
		took := time.Since(t0)
		if took >= d || n >= 1<<30 {
			return float64(took.Nanoseconds()) / float64(n)
		}
		// Aim 20% past d, growing at most 100x per step.
		next := int(float64(n) * 1.2 * float64(d) / float64(max(took, time.Microsecond)))
		n = min(max(next, n+1), 100*n)
	}
}

// compare times a and b in rounds alternating between them, each timing
// lasting d/rounds, and returns the fastest round of each: on a shared
// machine a burst of other work slows a round, it never speeds one up, and
// alternating exposes both to the same conditions.
func compare(d time.Duration, rounds int, a, b func(n int) int) (nsA, nsB float64) {
	ns := fastest(d, rounds, a, b)
	return ns[0], ns[1]
}

// fastest is compare for any number of loops: the fastest round of each.
func fastest(d time.Duration, rounds int, loops ...func(n int) int) []float64 {
	ns := make([]float64, len(loops))
	for i := range ns {
		ns[i] = math.Inf(1)
	}
	for range rounds {
		for i, loop := range loops {
			ns[i] = min(ns[i], nsPerOp(d/time.Duration(rounds), loop))
		}
	}
	return ns
}
