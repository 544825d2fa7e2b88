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
// Then, in the same repetition, the realistic workloads of issue 17, each a
// raw run, a fresh run, a floor run and an sdk run (mix_raw, mix_fresh,
// mix_floor, mix_sdk, ...) on snappy clients; each
// event name is its own schema, subject, codec and Publisher, and events go
// round-robin over the names (event k has name k mod names, in both runs):
//
//   - mix: 8 goroutines, 10 event names (mix_0..mix_9), each the 10-field
//     event with a 200 B string (event.SampleLong(200));
//   - wide: 1 goroutine, one 50-field event (event.Event50);
//   - types100: 1 goroutine, the 10-field event under 100 names;
//   - str1k: 1 goroutine, the 10-field event with a 1 KiB string.
//
// The names share one Go type (Event10) rather than being distinct types:
// everything the SDK keeps per event type (codec and its plan, schema id,
// record pool, counters) is per name, so switching names costs what
// switching types does. raw's values are the SDK's encodings of the same
// events (at least 4096, cycling, every name as many) with distinct ids and
// times; the goroutine count and client options are the SDK run's. fresh is
// raw with a value of its own per event, as any producer that encodes each
// event has: raw's value copied into the value buffer of a pooled record
// that the promise recycles (the SDK's discipline, with no encoding and no
// accounting). Raw's few thousand values stay in the caches; a value
// written per event is out of them by the time the client copies it into
// its batch, on another core. fresh against raw is what that costs, sdk
// against fresh what the SDK adds to it (encoding, metadata, accounting).
// floor is the least a producer that meets the SDK's wire contract does per
// event, written by hand for the type: one clock read, a random id drawn as
// the SDK draws it, the event encoded by the type's hand-written encoder
// (event.AppendFast, event.AppendFast50: no plan, no checks of strings,
// floats or lengths) into the value buffer of a pooled record, and no
// accounting, statistics or Flush epochs. floor against raw bounds what any
// producer that encodes each event when it is published reaches here; sdk
// against floor is the cost of the SDK's own work (its checks, its plan
// encoder, the exact account of SPEC section 6).
//
// Last, the outage: both clients and the SDK's Publisher are set up on a
// broker process of their own, which is then stopped; raw Produces -heap-n
// records (each value a fresh copy of the pre-encoded 10-field event, as an
// encoder returns it), then the SDK Publishes as many events; the live heap
// after a full collection, per buffered event, is each side's figure.
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
// (the workloads' are RATIO <workload>_sdk_vs_raw, events/s with a target,
// and, for information, RATIO cpu_per_event_<workload>_sdk_vs_raw,
// <workload>_fresh_vs_raw, <workload>_sdk_vs_fresh, <workload>_floor_vs_raw
// and <workload>_sdk_vs_floor; the outage's are HEAP
// sdk_bytes_per_buffered_event and raw_bytes_per_buffered_event, and RATIO
// heap_per_buffered_event_sdk_vs_raw, target <= 1.1),
// where the value is the median over repetitions of the per-repetition
// figure (a ratio is taken between runs of the same repetition) and spread
// its range, then a SUMMARY line. Lines starting with "#" are progress.
// Exit status: 2 when a figure is missing (a run failed); with -check in full
// mode, 1 when a target is not met; else 0.
//
// In full mode n is calibrated on a warm-up raw run per workload (and one
// for the 10-field event), so that each raw run lasts about -min-duration.
//
// -only runs the listed parts and reports only their figures (base: the
// 10-field event's runs; latency; encode; http, the middleware; mix; wide;
// types100; str1k; heap),
// e.g. -only mix,types100 -reps 3. -profile DIR writes a CPU profile of each
// in-process run of the first repetition (cpu-mix_sdk.pprof, ...);
// BenchmarkPublish in this package is the Publish path against an
// in-process kfake, for -memprofile.
package main
