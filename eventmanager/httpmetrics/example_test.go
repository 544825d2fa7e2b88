package httpmetrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
)

// One event per request, for every route of a ServeMux but the health
// check. The manager runs in mock mode so that the example runs anywhere; a
// service gets its configuration from config.FromEnv.
func Example() {
	ctx := context.Background()
	m, err := eventmanager.New(config.Config{AppName: "myapp", Mock: true})
	if err != nil {
		panic(err)
	}
	if err := m.Initialize(ctx); err != nil {
		panic(err)
	}
	defer m.Close(ctx)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "item %s\n", r.PathValue("id"))
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})

	requests, err := eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, "http_request")
	if err != nil {
		panic(err)
	}
	handler := httpmetrics.New(requests, httpmetrics.WithExcludedRoutes("GET /healthz")).Wrap(mux)
	srv := &http.Server{
		Addr:              ":8080",
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,  // a client that sends its headers slowly (Slowloris)
		ReadTimeout:       30 * time.Second, // the whole request, body included
		WriteTimeout:      60 * time.Second, // from the end of the headers to the end of the response
		IdleTimeout:       2 * time.Minute,  // a kept-alive connection between requests
	}
	// A service runs srv.ListenAndServe(); the example serves in-process.

	for _, path := range []string{"/items/1", "/items/22", "/healthz", "/nothing"} {
		srv.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	for _, e := range eventmanagertest.Published(requests) {
		fmt.Printf("%s %q %s %d bytes\n", e.Method, e.Route, e.Status, e.ResponseBytes)
	}
	fmt.Println("tags:", m.Pipeline().Tags)
	// Output:
	// GET "GET /items/{id}" 200 7 bytes
	// GET "GET /items/{id}" 200 8 bytes
	// GET "unmatched" 404 19 bytes
	// tags: [method route status]
}

// ItemRequest is an application's own request event: Event's fields and one
// more tag.
type ItemRequest struct {
	httpmetrics.Event
	Client string `influx:"tag" doc:"The client application, from the X-Client header"`
}

// NewFunc publishes an event type of the application's own that embeds
// Event.
func ExampleNewFunc() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)

	requests, err := eventmanager.CreatePublisher[ItemRequest](ctx, m, "item_request")
	if err != nil {
		panic(err)
	}
	mw := httpmetrics.NewFunc(requests, func(r *http.Request, e httpmetrics.Event) ItemRequest {
		return ItemRequest{Event: e, Client: r.Header.Get("X-Client")}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("DELETE /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	handler := mw.Wrap(mux)

	req := httptest.NewRequest(http.MethodDelete, "/items/3", nil)
	req.Header.Set("X-Client", "portal")
	handler.ServeHTTP(httptest.NewRecorder(), req)
	for _, e := range eventmanagertest.Published(requests) {
		fmt.Println(e.Client, e.Method, e.Route, e.Status)
	}
	// Output: portal DELETE DELETE /items/{id} 204
}
