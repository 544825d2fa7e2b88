//go:build stack

// Package tests holds the tests that run against the real Sasquatch pipeline started by
// `make stack-up`: a Kafka broker, the AxonOps Schema Registry, Telegraf (kafka_consumer with
// the avro parser) and InfluxDB 1.x, all on 127.0.0.1.
//
// The tests carry the build tag `stack` and are run by `make test-stack`, which starts the
// stack when it is not up. They read the endpoints from stack.env: $SASQUATCH_STACK_ENV, else
// $SASQUATCH_STACK_DIR/stack.env, else /tmp/sasquatch-stack/stack.env. A missing stack is a
// test failure, not a skip.
package tests
