// Package eventmanager publishes typed application metrics events to Kafka,
// Avro-encoded against a Confluent-compatible schema registry, for Rubin's
// Sasquatch pipeline (Kafka -> Telegraf -> InfluxDB). It is the Go
// counterpart of Safir's safir.metrics and keeps its wire contract.
//
// One path, from start-up to shutdown:
//
//	cfg, err := config.FromEnv()
//	m, err := eventmanager.New(cfg)
//	err = m.Initialize(ctx)                                   // connect, check the topic
//	q, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
//	err = q.Publish(ctx, QueryEvent{Type: QuerySync, Duration: d})
//	err = m.Close(ctx)                                        // flush, bounded by ctx
//
// Each step: [New] (no I/O), [Manager.Initialize], [CreatePublisher] (once
// per event type, at start-up), [Publisher.Publish] (never waits for the
// broker; [Publisher.TryPublish] never waits at all), [Manager.Flush] and
// [Manager.Close]. [Manager.Stats] counts every event's outcome and the
// buffer's occupancy, [Manager.Check] serves a readiness probe, and a
// [Timer] times a block of code (see [NewTimer]).
//
// The manager runs in one of three modes chosen by the configuration: Kafka
// (METRICS_ENABLED=true, the default), disabled (METRICS_ENABLED=false: events
// are validated and logged at debug level, nothing is sent) and mock
// (METRICS_ENABLED=false with METRICS_MOCK=true, as in Safir: events are
// validated and recorded for the app's own tests, read them with package
// [github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest]). Usage errors (unsupported
// payload types, bad or duplicate names) are returned in every mode so that
// tests in mock mode catch them. A missing or unwritable topic is seen only
// by asking the brokers, so only Kafka mode finds it: [Manager.Initialize]
// returns a [*TopicError] whatever
// METRICS_RAISE_ON_ERROR when the brokers answer at start-up; when they do
// not, the background connection finds it later, logs it as an error and
// makes [Manager.Check] fail until the topic is usable, while events stay
// buffered. Disabled and mock modes do no I/O and never see the topic: a
// test in mock mode passes whether the topic exists or not.
//
// Publish never waits for the broker: it encodes the event with the per-type
// plan built once by [CreatePublisher] and hands the record to franz-go, which
// batches, compresses, retries and delivers it in the background. Every
// produce result is observed and counted; see [Manager.Stats].
//
// Sasquatch must be configured for the application's events: after creating
// the publishers, [Manager.Pipeline] describes what they need (topic,
// measurements, tags) and [Pipeline.Render] renders every piece of Phalanx
// configuration a deployment needs, each labelled with its file, and the
// Telegraf input Sasquatch's chart renders for the app ([Pipeline.Telegraf]
// renders it alone, also for a Telegraf of your own). Compare the rendering
// with a golden file in the app's tests
// ([github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest.AssertPipeline]).
package eventmanager
