package httpmetrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
)

// discard is a ResponseWriter that keeps nothing, so that a benchmark
// measures the handler and the middleware, not a recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// benchMux is a small JSON route behind a ServeMux.
func benchMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"`+r.PathValue("id")+`"}`)
	})
	return mux
}

// BenchmarkMiddleware serves GET /items/{id} through a ServeMux, bare and
// wrapped, with the publisher in disabled mode (the middleware alone: Publish
// validates and returns) and in Kafka mode against an in-process kfake broker
// (what a service pays: Publish encodes and hands the record to franz-go,
// whose batching, compression and delivery run in other goroutines). The
// overhead is the difference with "bare"; `make bench` prints it measured
// against a broker in another process.
//
//	go test -run '^$' -bench Middleware -benchmem ./eventmanager/httpmetrics
func BenchmarkMiddleware(b *testing.B) {
	run := func(b *testing.B, h http.Handler) {
		w := &discard{h: http.Header{}}
		r := httptest.NewRequest(http.MethodGet, "/items/42", nil)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, benchMux()) })
	b.Run("disabled", func(b *testing.B) {
		m, err := eventmanager.New(config.Config{AppName: testApp, Disabled: true}, eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close(context.Background())
		if err := m.Initialize(b.Context()); err != nil {
			b.Fatal(err)
		}
		p, err := eventmanager.CreatePublisher[httpmetrics.Event](b.Context(), m, eventName)
		if err != nil {
			b.Fatal(err)
		}
		run(b, httpmetrics.New(p).Wrap(benchMux()))
	})
	b.Run("kafka", func(b *testing.B) {
		k := startKafka(b, func(c *config.Config) {
			c.Delivery.MaxBufferedEvents = 1 << 22
			c.Delivery.MaxBufferedBytes = 1 << 32
			c.Delivery.DeliveryTimeout = 5 * time.Minute
		})
		run(b, httpmetrics.New(k.publisher(b)).Wrap(benchMux()))
		if err := k.m.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		if s := k.m.Stats().Total; s.Dropped+s.Failed+s.Unknown > 0 {
			b.Fatalf("stats %+v: events lost, the figure is not Publish's", s)
		}
	})
}
