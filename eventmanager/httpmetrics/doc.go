// Package httpmetrics is net/http middleware that publishes one metrics
// event per request through an eventmanager.Publisher: the method, the route
// pattern, the status code, the duration and the size of the response, the
// way Prometheus, Flask and FastAPI request exporters do.
//
//	requests, err := eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, "http_request")
//	mw := httpmetrics.New(requests, httpmetrics.WithExcludedRoutes("GET /healthz"))
//	srv := &http.Server{Handler: mw.Wrap(mux)}
//
// Method, route and status are InfluxDB tags (influx:"tag"), so their values
// must stay few: the route is the pattern of the http.ServeMux (Go 1.22
// Request.Pattern, such as "GET /items/{id}"), never the raw path, and a
// request no pattern matched (404, 405, or a handler not behind a ServeMux)
// has the route UnmatchedRoute. A method outside the standard ones is
// OtherMethod. WithRouteFunc names routes for other routers.
//
// The middleware adds well under a microsecond and one allocation per
// request, most of the time being Publish itself (see BenchmarkMiddleware
// and the OVERHEAD line of `make bench`): Publish never waits for Kafka. A handler that panics is still recorded (status 500 unless it had
// written one, Panicked true) and its panic goes on unchanged, so
// net/http's handling of http.ErrAbortHandler is kept.
//
// To add fields of your own, embed Event in your event type and build it
// with NewFunc; embedded fields are flattened into the Avro record.
package httpmetrics
