// Command broker runs a kfake Kafka cluster on 127.0.0.1 for the benchmark
// harness, in its own process so that its CPU is not counted as the
// producers'. It seeds the benchmark topic, prints one line
//
//	ADDR 127.0.0.1:<port>
//
// on standard output when it is ready, and runs until its standard input
// closes (the runner exits) or it receives SIGINT or SIGTERM.
//
// By default the cluster validates and acknowledges produced batches without
// storing them (kfake.BlackholeProduce), so that repeated runs of millions of
// records keep the broker's memory flat; -store keeps them.
package main
