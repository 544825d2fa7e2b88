// Command ck is the confluent-kafka-go producer of the benchmark harness
// (bench/cmd/runner): confluent-kafka-go v2 with its avrov2 serializer,
// sending the benchmark's 10-field event n times and waiting for every
// delivery report. It needs cgo (librdkafka is bundled as a static library),
// so it lives in its own Go module, outside the SDK's dependency graph, and is
// built only with the ck build tag:
//
//	cd bench/ck && CGO_ENABLED=1 go build -tags ck -o ck .
//
// The runner starts it once per repetition with the broker's address, the
// registry's URL, n and the producer settings; it sets up (producer,
// serializer, schema lookup, one warm-up message), then times its sends and
// delivery reports and prints one line
//
//	RESULT {"n":...,"elapsed_ns":...,"cpu_ns":...,"mallocs":...}
//
// The producer is configured like the runner's franz-go clients: the same
// compression, linger, batch size (1 MB), acks=all with idempotence, and a
// queue large enough for n. The serializer uses the schema the runner
// registered (UseLatestVersion under the SDK's subject) instead of deriving
// and auto-registering one per message, which is its fastest configuration
// and writes the same bytes as the SDK.
package main
