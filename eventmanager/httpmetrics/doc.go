// Package httpmetrics is net/http middleware that publishes one metrics
// event per request through an [eventmanager.Publisher]: the method, the route
// pattern, the status code, the duration and the size of the response, the
// way Prometheus, Flask and FastAPI request exporters do.
//
//	requests, err := eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, "http_request")
//	mw := httpmetrics.New(requests, httpmetrics.WithExcludedRoutes("GET /healthz"))
//	srv := &http.Server{
//		Addr:              ":8080",
//		Handler:           mw.Wrap(mux),
//		ReadHeaderTimeout: 5 * time.Second,  // a client that sends its headers slowly (Slowloris)
//		ReadTimeout:       30 * time.Second, // the whole request, body included
//		WriteTimeout:      60 * time.Second, // from the end of the headers to the end of the response
//		IdleTimeout:       2 * time.Minute,  // a kept-alive connection between requests
//	}
//
// A server without these timeouts keeps a connection, and its goroutine,
// for as long as a slow or idle client wants. WriteTimeout bounds the
// handler too: set it above the slowest response you serve (a stream
// extends its own deadline with [http.ResponseController.SetWriteDeadline]).
//
// Method, route and status are InfluxDB tags (influx:"tag"), so their values
// must stay few: the route is the pattern of the [http.ServeMux] (Go 1.22
// Request.Pattern, such as "GET /items/{id}"), never the raw path, and a
// request no pattern served (404, 405, a CONNECT request the mux redirects,
// or a handler not behind a ServeMux) has the route [UnmatchedRoute]. A
// method outside the standard ones is [OtherMethod]. [WithRouteFunc] names
// routes for other routers.
//
// The middleware adds well under a microsecond and one allocation per
// request, most of the time being the publishing itself (see
// BenchmarkMiddleware and the OVERHEAD line of `make bench`). It never makes
// a response wait: it publishes with [eventmanager.Publisher.TryPublish],
// which waits neither for Kafka nor for room in a full buffer. A handler
// that panics is still recorded (status 500 unless it had written one,
// Panicked true) and its panic goes on unchanged, so net/http's handling of
// [http.ErrAbortHandler] is kept. The handler's ResponseWriter has
// [http.Flusher], [http.Hijacker] and [io.ReaderFrom] exactly when the
// server's has them (see [Middleware.Wrap]).
//
// To add fields of your own, embed [Event] in your event type and build it
// with [NewFunc]; embedded fields are flattened into the Avro record.
package httpmetrics
