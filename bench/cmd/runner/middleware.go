package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
)

// middlewareResult is one repetition's timing of a request served by a
// ServeMux: bare, with a handler that publishes the same event by hand, and
// through the httpmetrics middleware; in ns per request (the fastest of
// alternating rounds) and in heap allocations of the process per request,
// counted until the client has delivered the requests' events (franz-go's
// batching allocates in other goroutines).
type middlewareResult struct {
	bareNs, publishNs, wrappedNs             float64
	bareAllocs, publishAllocs, wrappedAllocs float64
}

// middlewareAllocRequests is how many requests each allocation count spans,
// in chunks of middlewareAllocChunk requests each followed by a flush.
const (
	middlewareAllocRequests = 50_000
	middlewareAllocChunk    = 500
)

// discardWriter is a ResponseWriter that keeps nothing, so that the timing
// is the handler's and the middleware's, not a recorder's.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// middlewareMux is the handler every run serves: a small JSON answer on a
// route with a path parameter. With p, the handler also publishes the
// request's event itself, as a service without the middleware would.
func middlewareMux(p *eventmanager.Publisher[httpmetrics.Event]) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Content-Type", "application/json")
		n, _ := io.WriteString(w, `{"id":"`+r.PathValue("id")+`"}`)
		if p != nil {
			_ = p.Publish(r.Context(), httpmetrics.Event{Method: r.Method, Route: r.Pattern, Status: "200",
				Duration: time.Since(start), ResponseBytes: int64(n)})
		}
	})
	return mux
}

// measureMiddleware calls ServeHTTP in a loop (no network: the HTTP stack's
// own cost would hide a microsecond) on the bare mux and on the same mux
// wrapped by httpmetrics, whose publisher sends to the broker on a client
// built like the throughput runs' (snappy); the two run in alternating
// rounds of d/rounds, and the overhead is the difference. The mux whose
// handler publishes by hand is timed too, to tell the middleware's own cost
// from Publish's. Every event must be delivered: a dropped one would make
// the middleware look cheaper.
func measureMiddleware(ctx context.Context, e *env, d time.Duration, rounds int) (middlewareResult, error) {
	me := *e
	me.maxBuffered = 1 << 22 // never full: the loop outruns the broker
	cl, err := me.newClient(ctx, snappy)
	if err != nil {
		return middlewareResult{}, err
	}
	defer cl.Close()
	cfg, err := me.sdkConfig()
	if err != nil {
		return middlewareResult{}, err
	}
	m, err := eventmanager.New(cfg, eventmanager.WithKafkaClient(cl), eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return middlewareResult{}, err
	}
	defer m.Close(context.WithoutCancel(ctx))
	if err := m.Initialize(ctx); err != nil {
		return middlewareResult{}, err
	}
	p, err := eventmanager.CreatePublisher[httpmetrics.Event](ctx, m, "http_request")
	if err != nil {
		return middlewareResult{}, err
	}
	bare := middlewareMux(nil)
	publish := middlewareMux(p)
	wrapped := httpmetrics.New(p).Wrap(middlewareMux(nil))
	loop := func(h http.Handler) func(n int) int {
		w := &discardWriter{h: http.Header{}}
		r := httptest.NewRequestWithContext(ctx, http.MethodGet, "/items/42", nil)
		return func(n int) int {
			for range n {
				h.ServeHTTP(w, r)
			}
			return n
		}
	}
	// Allocations are counted in chunks followed by a flush, as in a
	// service whose deliveries keep up with its requests: the records of
	// delivered events go back to the publisher's pool, and franz-go's
	// allocations for each chunk's events (in its goroutines) are counted.
	allocs := func(h http.Handler) (float64, error) {
		run := loop(h)
		run(middlewareAllocChunk) // warm
		if err := cl.Flush(ctx); err != nil {
			return 0, err
		}
		runtime.GC()
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		for range middlewareAllocRequests / middlewareAllocChunk {
			run(middlewareAllocChunk)
			if err := cl.Flush(ctx); err != nil {
				return 0, err
			}
		}
		runtime.ReadMemStats(&ms1)
		return float64(ms1.Mallocs-ms0.Mallocs) / middlewareAllocRequests, nil
	}
	var res middlewareResult
	ns := fastest(d, rounds, loop(bare), loop(publish), loop(wrapped))
	res.bareNs, res.publishNs, res.wrappedNs = ns[0], ns[1], ns[2]
	for _, a := range []struct {
		h   http.Handler
		out *float64
	}{{bare, &res.bareAllocs}, {publish, &res.publishAllocs}, {wrapped, &res.wrappedAllocs}} {
		if *a.out, err = allocs(a.h); err != nil {
			return res, fmt.Errorf("middleware: flush: %w", err)
		}
	}
	if err := m.Close(ctx); err != nil {
		return res, fmt.Errorf("middleware: close: %w", err)
	}
	s := m.Stats().Total
	if s.Dropped+s.Failed+s.Unknown+s.Rejected > 0 || s.Delivered != s.Published || s.Published == 0 {
		return res, fmt.Errorf("middleware: %d events published, %d delivered, %d dropped, %d failed", s.Published, s.Delivered, s.Dropped, s.Failed)
	}
	return res, nil
}
