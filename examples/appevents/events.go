// Package appevents declares the metrics events of one application,
// fastapiexample, once, for every program that publishes them: the service
// examples/fastapi-like-http and the CronJob examples/batch-job.
//
// The programs of an application publish under one application name to one
// topic, and Sasquatch's Telegraf reads one avro_tags list per topic, so
// the application's tag list and the tag-conflict check must cover the
// event types of all of them. Each program therefore calls Register on its
// manager at start-up, whatever events it publishes itself: each manager
// then checks every event of the application (a field that is a tag in one
// event and a plain field in another is refused in every program), and
// Manager.Pipeline is the same in every program, so one golden file
// (eventmanagertest.AssertPipeline) covers the deployment of all of them.
// A program that cannot import this package (a shell script publishing
// with sasquatch-publish) prints its pipeline (sasquatch-publish
// -pipeline-json), and eventmanager.MergePipelines combines it with this
// one.
package appevents

import (
	"context"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
)

// App is the application's name, METRICS_APPLICATION (or METRICS_APP_NAME)
// when the environment sets neither. Sasquatch deploys only names matching
// [a-z][a-z0-9]* (config.CheckSasquatchAppName).
const App = "fastapiexample"

// QueryType is the kind of query a client ran. It is an Avro enum because it
// is a string type with a Symbols method (payload.Enum): publishing a value
// outside its symbols is an error, so typos cannot reach InfluxDB.
type QueryType string

// The values of QueryType.
const (
	QueryAsync QueryType = "async" // the query runs in the background
	QuerySync  QueryType = "sync"  // the client waits for the result
)

// Symbols lists QueryType's values, in the order of the Avro enum.
func (QueryType) Symbols() []string { return []string{string(QueryAsync), string(QuerySync)} }

// QueryEvent is published by the service when a query finishes. Its Avro
// record is <topic>.query with the fields type (enum QueryType) and
// duration (float seconds), after the metadata fields the SDK adds (id,
// application, timestamp, timestamp_ns).
type QueryEvent struct {
	Type     QueryType     `doc:"The kind of query"`
	Duration time.Duration `doc:"How long the query took to run"`
}

// LoginEvent is published by the service when a user logs in. Service is
// optional: a nil pointer is an Avro null, and Telegraf then leaves the
// field out of the InfluxDB point.
type LoginEvent struct {
	Username string  `doc:"Who logged in"`
	Scopes   int     `doc:"How many scopes the login asked for"`
	Service  *string `doc:"The service the user logged in to, if any"`
}

// ReportEvent is published by the batch job once per run. Report is an
// InfluxDB tag; Duration and Success are filled in by its timer.
type ReportEvent struct {
	Report   string        `influx:"tag" doc:"Which report was built"`
	Rows     int64         `doc:"Rows written to the report"`
	Duration time.Duration `doc:"How long building the report took"`
	Success  bool          `doc:"Whether the report was built"`
}

// Event names: the Avro record names, and the last part of the InfluxDB
// measurements (<topic>.<name>).
const (
	QueryEventName   = "query"
	LoginEventName   = "login"
	RequestEventName = "http_request"
	ReportEventName  = "report"
)

// Events holds one publisher per event of the application. Create it once
// per program at start-up with Register and hand the publishers to the
// code that publishes; publishers are safe for concurrent use.
type Events struct {
	Query *eventmanager.Publisher[QueryEvent] // "query", published by the service's GET /query
	Login *eventmanager.Publisher[LoginEvent] // "login", published by the service's GET /login
	// HTTP is "http_request", published by the service's httpmetrics
	// middleware for every request but the health checks: method, route
	// pattern and status as InfluxDB tags, duration, response size.
	HTTP *eventmanager.Publisher[httpmetrics.Event]
	// Report is "report", published by the batch job once per run.
	Report *eventmanager.Publisher[ReportEvent]
}

// Register creates the publishers of every event of the application on an
// initialized manager. In Kafka mode this registers each event's schema with
// the schema registry, so it blocks for a few registry requests; it fails in
// every mode on an unsupported payload type, a duplicate event name or a
// tag conflict between two of the events.
func Register(ctx context.Context, m *eventmanager.Manager) (*Events, error) {
	var e Events
	var err error
	if e.Query, err = eventmanager.CreatePublisher[QueryEvent](ctx, m, QueryEventName); err != nil {
		return nil, err
	}
	if e.Login, err = eventmanager.CreatePublisher[LoginEvent](ctx, m, LoginEventName); err != nil {
		return nil, err
	}
	if e.HTTP, err = eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, RequestEventName); err != nil {
		return nil, err
	}
	if e.Report, err = eventmanager.CreatePublisher[ReportEvent](ctx, m, ReportEventName); err != nil {
		return nil, err
	}
	return &e, nil
}
