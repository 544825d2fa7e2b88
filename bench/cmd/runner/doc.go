// Command runner is the benchmark harness of sasquatch-go (make bench). It
// starts the kfake broker (bench/cmd/broker) in its own process and an
// in-process schema registry (registrytest), then runs, in interleaved
// repetitions, producers that send the same 10-field event (bench/event) n
// times and wait for every delivery before they stop the clock:
//
//   - raw: franz-go producing pre-encoded values (the limit); it cycles
//     through 4096 encodings with distinct ids and times, so that its batches
//     compress like real events;
//   - hand: franz-go + hamba/avro + google/uuid + time, as a user writes it
//     (tagged struct, sr.Serde with avro.Marshal, one record per event);
//   - sdk: eventmanager's Publish, on a client built with raw's options
//     (WithKafkaClient); Manager.Close waits for the deliveries;
//   - ck: confluent-kafka-go v2 with its avrov2 serializer, a separate
//     process built from the bench/ck module with cgo and -tags ck.
//
// Every franz-go client has the same options (compression, 10 ms linger,
// 1 MB batches, acks=all with idempotence) and a buffer larger than n, and
// the SDK's own bound is raised to match, so that no producer blocks or drops
// when it outruns the broker. The runner measures, per run, wall time, its
// process CPU (getrusage: the broker is elsewhere) and heap allocations. Each
// repetition also times Publish (and raw Produce) inside an httptest handler
// driven at a fixed request rate, payload's Codec.Append against a
// hand-written append encoder (alternating rounds, fastest of each), and a
// ServeMux route called in a loop bare and through the httpmetrics
// middleware publishing to the broker (alternating rounds, fastest of each;
// the OVERHEAD and ALLOCS figures are the differences).
//
// It prints one machine-readable line per figure,
//
//	RATIO sdk_vs_raw_snappy 0.63 target>=0.60 PASS reps=7 spread=0.58-0.66
//
// where the value is the median over repetitions of the per-repetition
// figure (a ratio is taken between runs of the same repetition) and spread
// its range, then a SUMMARY line. Lines starting with "#" are progress.
// Exit status: 2 when a figure is missing (a run failed); with -check in full
// mode, 1 when a target is not met; else 0.
//
// -profile DIR writes a CPU profile of each in-process run of the first
// repetition; BenchmarkPublish in this package is the Publish path against
// an in-process kfake, for -memprofile.
package main
