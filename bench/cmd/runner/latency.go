package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
)

// latencies are the durations of one call measured inside a handler.
type latencies struct {
	next atomic.Int64
	ns   []int64
}

func newLatencies(capacity int) *latencies { return &latencies{ns: make([]int64, capacity)} }

func (l *latencies) record(d time.Duration) {
	if i := l.next.Add(1) - 1; i < int64(len(l.ns)) {
		l.ns[i] = d.Nanoseconds()
	}
}

// quantile returns the q-quantile (nearest rank) of what was recorded, in
// microseconds; NaN when nothing was.
func (l *latencies) quantile(q float64) float64 {
	n := min(l.next.Load(), int64(len(l.ns)))
	if n == 0 {
		return nan()
	}
	s := slices.Clone(l.ns[:n])
	slices.Sort(s)
	i := int(q*float64(n)+0.999999) - 1
	i = max(0, min(i, int(n)-1))
	return float64(s[i]) / 1e3
}

func (l *latencies) count() int { return int(min(l.next.Load(), int64(len(l.ns)))) }

// latencyResult is one latency phase: SDK Publish and raw franz-go Produce,
// each timed alone inside an httptest handler.
type latencyResult struct {
	sdk, raw *latencies
}

// measureLatency serves two handlers, /sdk (Publish of the event) and /raw
// (kgo Produce of the pre-encoded value), each on its own client built like
// the throughput runs' (snappy), and drives each in turn at rate requests per
// second for dur with an open-loop client. Only the Publish or Produce call
// is timed.
func measureLatency(ctx context.Context, e *env, rate int, dur time.Duration) (latencyResult, error) {
	sdkClient, err := e.newClient(ctx, snappy)
	if err != nil {
		return latencyResult{}, err
	}
	defer sdkClient.Close()
	m, p, err := newSDK(ctx, e, sdkClient)
	if err != nil {
		return latencyResult{}, err
	}
	rawClient, err := e.newClient(ctx, snappy)
	if err != nil {
		return latencyResult{}, err
	}
	defer rawClient.Close()

	total := int(dur.Seconds() * float64(rate))
	res := latencyResult{sdk: newLatencies(total), raw: newLatencies(total)}
	var d deliveries
	var publishErrs atomic.Int64
	recording := atomic.Bool{}
	v := event.Sample()
	values := e.values
	var next atomic.Int64

	mux := http.NewServeMux()
	mux.HandleFunc("GET /sdk", func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		err := p.Publish(r.Context(), v)
		took := time.Since(t0)
		if recording.Load() {
			res.sdk.record(took)
		}
		if err != nil {
			publishErrs.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /raw", func(w http.ResponseWriter, r *http.Request) {
		value := values[int(next.Add(1))%len(values)]
		t0 := time.Now()
		// Detached from the request, as the SDK does.
		rawClient.Produce(context.WithoutCancel(r.Context()), &kgo.Record{Value: value}, d.promise)
		took := time.Since(t0)
		if recording.Load() {
			res.raw.record(took)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	const workers = 16
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	for _, path := range []string{"/sdk", "/raw"} {
		url := srv.URL + path
		// Warm up the connections and the handler, unrecorded.
		recording.Store(false)
		if err := drive(ctx, client, url, rate, min(rate/5, total), workers); err != nil {
			return res, err
		}
		// Both paths start from a collected heap, as the throughput runs do.
		runtime.GC()
		recording.Store(true)
		if err := drive(ctx, client, url, rate, total, workers); err != nil {
			return res, err
		}
	}
	recording.Store(false)
	if err := m.Close(ctx); err != nil {
		return res, fmt.Errorf("sdk close: %w", err)
	}
	if err := rawClient.Flush(ctx); err != nil {
		return res, err
	}
	if n := publishErrs.Load(); n > 0 {
		return res, fmt.Errorf("%d Publish calls failed in the handler", n)
	}
	if s := m.Stats().Total; s.Dropped+s.Failed > 0 {
		return res, fmt.Errorf("sdk in handler: dropped %d, failed %d", s.Dropped, s.Failed)
	}
	return res, d.err()
}

// drive sends total GET requests to url at a fixed rate (open loop: the
// schedule does not wait for answers) through workers concurrent
// connections, and waits for every answer.
func drive(ctx context.Context, client *http.Client, url string, rate, total, workers int) error {
	jobs := make(chan struct{}, total)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	for range workers {
		wg.Go(func() {
			for range jobs {
				if err := get(ctx, client, url); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
				}
			}
		})
	}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return fmt.Errorf("%d of %d requests to %s failed, first: %w", failed.Load(), total, url, *p)
	}
	return nil
}

func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
