// Command fastapi-like-http is a small net/http service that publishes
// metrics events with sasquatch-go, shaped like the example application of
// Safir's FastAPI documentation. It is the code docs/example.md walks through.
//
// Start-up mirrors a FastAPI lifespan: read the configuration from the
// environment (config.FromEnv), build the event manager, Initialize it,
// create every publisher once (NewEvents), serve HTTP; on SIGINT or SIGTERM
// shut the HTTP server down gracefully, wait for background work, then Close
// the manager so that every accepted event is delivered.
//
// Endpoints:
//
//	GET /query?type=sync|async   run a fake query and publish an appevents.QueryEvent
//	GET /login?user=U[&scope=S...][&service=N]   publish an appevents.LoginEvent
//	GET /health/live             the process is up
//	GET /health/ready            the event manager can deliver (Manager.Check)
//	GET /metrics                 Prometheus: SDK counters and franz-go client metrics
//
// Every request but the health checks also publishes an http_request event
// (package httpmetrics): method, route pattern and status as InfluxDB tags,
// duration and response size.
//
// When KAFKA_BOOTSTRAP_SERVERS is not set the command runs in embedded
// mode: it starts an in-process Kafka broker (kfake) and schema registry
// (registrytest) on 127.0.0.1, points the configuration at them, and prints
// every event published to the topic as an InfluxDB line protocol line, the
// way Sasquatch's Telegraf would write it. Lines that are not events start
// with "#", so the whole standard output is valid line protocol.
//
// Usage:
//
//	fastapi-like-http [-addr 127.0.0.1:8080] [-demo] [-tail=true|false] [-shutdown-timeout 10s] [-pipeline]
//
// -addr defaults to $HTTP_ADDR, else 127.0.0.1:8080; port 0 picks a free
// port and the bound address is printed ("# listening on http://ADDR").
// -demo sends a few requests to the service itself, waits until their events
// are on the topic, prints a summary and exits (status 0 on success).
// -pipeline prints everything a Sasquatch deployment of the service's events
// needs, each piece labelled with its Phalanx file (the app-metrics
// influxTags and apps values, the app chart's KafkaAccess, env and
// certificate mounts, and the Telegraf input Sasquatch's chart renders for
// it), from a mock-mode manager (no Kafka, no registry), and exits.
package main
