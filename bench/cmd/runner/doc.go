// Command runner is the benchmark harness of sasquatch-go (make bench). It
// starts the kfake broker (bench/cmd/broker) in its own process and an
// in-process schema registry (registrytest), then runs, in interleaved
// repetitions, producers that send the same 10-field event (bench/event) n
// times and wait for every delivery:
//
//   - raw: franz-go producing a pre-encoded value (the limit);
//   - hand: franz-go + hamba/avro + google/uuid + time, as a user writes it;
//   - sdk: eventmanager's Publish, on a client built with raw's options;
//   - ck: confluent-kafka-go v2 with its avrov2 serializer, a separate
//     process built from the bench/ck module with cgo and -tags ck.
//
// Each repetition also times Publish (and raw Produce) inside an httptest
// handler driven at a fixed request rate, and payload's Codec.Append against
// a hand-written append encoder.
//
// It prints one machine-readable line per figure,
//
//	RATIO sdk_vs_raw_snappy 0.63 target>=0.6 PASS reps=7 spread=0.58-0.66
//
// where the value is the median over repetitions of the per-repetition
// figure and spread its range, then a SUMMARY line. Lines starting with "#"
// are progress. Exit status: 2 when a figure is missing (a run failed); with
// -check in full mode, 1 when a target is not met; else 0.
package main
