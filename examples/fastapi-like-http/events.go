package main

import (
	"context"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
)

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

// QueryEvent is published when a query finishes. Its Avro record is
// <topic>.query with the fields type (enum QueryType) and duration (float
// seconds), after the metadata fields the SDK adds (id, application,
// timestamp, timestamp_ns).
type QueryEvent struct {
	Type     QueryType     `doc:"The kind of query"`
	Duration time.Duration `doc:"How long the query took to run"`
}

// LoginEvent is published when a user logs in. Service is optional: a nil
// pointer is an Avro null, and Telegraf then leaves the field out of the
// InfluxDB point.
type LoginEvent struct {
	Username string  `doc:"Who logged in"`
	Scopes   int     `doc:"How many scopes the login asked for"`
	Service  *string `doc:"The service the user logged in to, if any"`
}

// Event names: the Avro record names, and the last part of the InfluxDB
// measurements (<topic>.<name>).
const (
	queryEventName   = "query"
	loginEventName   = "login"
	requestEventName = "http_request"
)

// Events holds one publisher per event type of the application. Create it
// once at start-up with NewEvents and hand it to the handlers; publishers are
// safe for concurrent use.
type Events struct {
	Query *eventmanager.Publisher[QueryEvent] // event "query", published by GET /query
	Login *eventmanager.Publisher[LoginEvent] // event "login", published by GET /login
	// HTTP is event "http_request", published for every request but the
	// health checks by the httpmetrics middleware (see app.routes): method,
	// route pattern and status as InfluxDB tags, duration, response size.
	HTTP *eventmanager.Publisher[httpmetrics.Event]
}

// NewEvents creates the application's publishers on an initialized manager.
// In Kafka mode this registers each event's schema with the schema registry,
// so it blocks for a few registry requests; it fails on an unsupported
// payload type or a duplicate event name in every mode.
func NewEvents(ctx context.Context, m *eventmanager.Manager) (*Events, error) {
	query, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, queryEventName)
	if err != nil {
		return nil, err
	}
	login, err := eventmanager.CreatePublisher[LoginEvent](ctx, m, loginEventName)
	if err != nil {
		return nil, err
	}
	requests, err := eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, requestEventName)
	if err != nil {
		return nil, err
	}
	return &Events{Query: query, Login: login, HTTP: requests}, nil
}
