package eventmanager_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// RequestBase holds the fields several events of an application share. An
// embedded struct is flattened in place; influx:"tag" makes a field an
// InfluxDB tag.
type RequestBase struct {
	Method string `influx:"tag"`
	Route  string `influx:"tag"`
}

// APICall is one event type built on RequestBase.
type APICall struct {
	RequestBase
	Status   int64
	Duration time.Duration
	Size     *int64 // optional: absent from the point when nil
}

// APIError is another event type on the same base.
type APIError struct {
	RequestBase
	Code string
}

// The application's part of Sasquatch's deployment, generated from its event
// types: the Phalanx values fragment and the Telegraf input. Compare them with
// a golden file in the application's tests (eventmanagertest.AssertPipeline).
func ExampleManager_Pipeline() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)
	if _, err := eventmanager.CreatePublisher[APICall](ctx, m, "api_call"); err != nil {
		panic(err)
	}
	if _, err := eventmanager.CreatePublisher[APIError](ctx, m, "api_error"); err != nil {
		panic(err)
	}

	p := m.Pipeline()
	fmt.Print(p.Phalanx())
	fmt.Print(p.Telegraf(eventmanager.TelegrafConfig{}))
	// Output:
	// globalAppConfig:
	//   myapp:
	//     influxTags: ["method", "route"]
	// # myapp: measurements lsst.square.metrics.events.myapp.api_call, lsst.square.metrics.events.myapp.api_error
	// [[inputs.kafka_consumer]]
	//   brokers = ["${TELEGRAF_KAFKA_BROKERS}"]
	//   kafka_version = "${TELEGRAF_KAFKA_VERSION}"
	//   consumer_group = "telegraf-kafka-consumer-app-metrics"
	//   data_format = "avro"
	//   avro_schema_registry = "${TELEGRAF_SCHEMA_REGISTRY_URL}"
	//   avro_timestamp = "timestamp_ns"
	//   avro_timestamp_format = "unix_ns"
	//   avro_union_mode = "nullable"
	//   avro_tags = ["application", "method", "route"]
	//   topics = ["lsst.square.metrics.events.myapp"]
	//   max_processing_time = "5s"
	//   consumer_fetch_default = "5MB"
	//   max_undelivered_messages = 10000
	//   compression_codec = 3
}
