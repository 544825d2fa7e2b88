package httpmetrics_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/httpmetrics"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// noRedirects is a client that returns redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends one request and returns the status the client saw and the body
// length; err is the transport error of a response cut short.
func do(t *testing.T, method, url string) (status, size int, err error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, len(body), err
}

// server is a loopback test server.
type server struct {
	*httptest.Server
	handlers sync.WaitGroup
}

// serve starts a loopback server with h. Its Close waits for every handler
// to return, hijacked ones too, so that their events are published.
func serve(t *testing.T, h http.Handler) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handlers.Add(1)
		defer s.handlers.Done()
		h.ServeHTTP(w, r)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its handlers.
func (s *server) Close() {
	s.Server.Close()
	s.handlers.Wait()
}

// The route is the ServeMux pattern, never the raw path; requests no pattern
// serves (404, 405) are UnmatchedRoute; a non-standard method is
// OtherMethod; the status and the size are what the client got.
func TestRoutePattern(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item "+r.PathValue("id")) })
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/static/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "static") })
	srv := serve(t, mw.Wrap(mux))

	requests := []struct{ method, path, route string }{
		{"GET", "/items/1", "GET /items/{id}"},
		{"GET", "/items/12345", "GET /items/{id}"},
		{"HEAD", "/items/7", "GET /items/{id}"},
		{"POST", "/items", "POST /items"},
		{"GET", "/static/a/b/c.css", "/static/"},
		{"GET", "/static", "/static/"},              // the mux's redirect to /static/
		{"GET", "/items/1/../2", "GET /items/{id}"}, // the mux's redirect to the clean path
		{"GET", "/no/such/path", httpmetrics.UnmatchedRoute},
		{"DELETE", "/items/1", httpmetrics.UnmatchedRoute}, // 405
		{"BREW", "/items/1", httpmetrics.UnmatchedRoute},
	}
	var want []string
	for _, r := range requests {
		status, size, err := do(t, r.method, srv.URL+r.path)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		method := r.method
		if method == "BREW" {
			method = httpmetrics.OtherMethod
		}
		if method == "HEAD" {
			size = len("item 7") // written by the handler, not sent
		}
		want = append(want, fmt.Sprintf("%s %q %d %dB panicked=false", method, r.route, status, size))
	}
	srv.Close()
	got := lines(k.consume(t, len(requests)))
	if !slices.Equal(got, want) {
		t.Errorf("events\n got  %q\n want %q", got, want)
	}
}

// Wrapping a handler registered on the mux, instead of the mux, gives the
// same routes; an excluded route then costs nothing.
func TestWrapBelowMux(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t), httpmetrics.WithExcludedRoutes("GET /healthz"))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, wrapped := w.(interface{ Unwrap() http.ResponseWriter }); wrapped && r.Pattern == "GET /healthz" {
			t.Errorf("an excluded route's handler got the wrapping writer")
		}
		io.WriteString(w, "ok")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /items/{id}", mw.Wrap(ok))
	mux.Handle("GET /healthz", mw.Wrap(ok))
	srv := serve(t, mux)
	for _, p := range []string{"/items/1", "/healthz", "/items/2", "/healthz"} {
		if _, _, err := do(t, "GET", srv.URL+p); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()
	got := lines(k.consume(t, 2))
	want := []string{`GET "GET /items/{id}" 200 2B panicked=false`, `GET "GET /items/{id}" 200 2B panicked=false`}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got  %q\n want %q", got, want)
	}
}

// Excluded routes (health checks, and unmatched requests here) publish
// nothing; HEAD requests match the GET pattern and are excluded with it.
func TestExcludedRoutes(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t), httpmetrics.WithExcludedRoutes("GET /health/live", "GET /health/ready"),
		httpmetrics.WithExcludedRoutes(httpmetrics.UnmatchedRoute))
	mux := http.NewServeMux()
	for _, p := range []string{"GET /health/live", "GET /health/ready", "GET /work"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	}
	srv := serve(t, mw.Wrap(mux))
	for _, r := range []struct{ method, path string }{
		{"GET", "/health/live"}, {"HEAD", "/health/live"}, {"GET", "/health/ready"},
		{"GET", "/nothing"}, {"POST", "/work"}, {"GET", "/work"},
	} {
		if _, _, err := do(t, r.method, srv.URL+r.path); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()
	got := lines(k.consume(t, 1))
	if want := []string{`GET "GET /work" 200 2B panicked=false`}; !slices.Equal(got, want) {
		t.Errorf("events\n got  %q\n want %q", got, want)
	}
}

// A handler's panic is recorded (500 when nothing was written, else the
// status sent) and goes on to net/http unchanged: logged with its stack for
// a plain panic, silent for http.ErrAbortHandler, the connection cut either
// way.
func TestPanicRecordedAndReraised(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("GET /fine", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewUnstartedServer(mw.Wrap(mux))
	serverLog := &testkit.Buffer{}
	srv.Config.ErrorLog = log.New(serverLog, "", 0)
	srv.Start()
	defer srv.Close()

	if _, _, err := do(t, "GET", srv.URL+"/boom"); err == nil {
		t.Errorf("GET /boom: no error, want the connection cut by net/http")
	}
	if status, _, err := do(t, "GET", srv.URL+"/abort"); err == nil {
		t.Errorf("GET /abort: status %d and no error, want the body cut short", status)
	}
	if status, _, err := do(t, "GET", srv.URL+"/fine"); err != nil || status != 200 {
		t.Errorf("GET /fine after the panics: %d %v", status, err)
	}
	srv.Close()
	got := lines(k.consume(t, 3))
	want := []string{
		`GET "GET /boom" 500 0B panicked=true`,
		`GET "GET /abort" 200 7B panicked=true`,
		`GET "GET /fine" 200 0B panicked=false`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got  %q\n want %q", got, want)
	}
	logged := serverLog.String()
	if !strings.Contains(logged, "panic serving") || !strings.Contains(logged, "boom") || !strings.Contains(logged, "middleware_test.go") {
		t.Errorf("net/http did not log the panic with the handler's stack:\n%s", logged)
	}
	if strings.Contains(logged, "abort") {
		t.Errorf("net/http logged http.ErrAbortHandler, which it keeps silent unless the value was changed:\n%s", logged)
	}
}

// The panic value reaches the caller identical, whatever its type.
func TestPanicValueUnchanged(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	type custom struct{ n int }
	values := []any{"boom", http.ErrAbortHandler, custom{7}, fmt.Errorf("wrapped: %w", io.EOF)}
	for _, v := range values {
		h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
			panic(v)
		}))
		got := func() (p any) {
			defer func() { p = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), "GET", "/", nil))
			return nil
		}()
		if got != v {
			t.Errorf("recovered %#v, want %#v", got, v)
		}
	}
	for _, r := range k.consume(t, len(values)) {
		if e := r.event(); e.Status != "418" || !e.Panicked || e.Route != httpmetrics.UnmatchedRoute {
			t.Errorf("event %v, want 418 panicked unmatched", r)
		}
	}
}

// The status and the size come from WriteHeader, Write, WriteString,
// ReadFrom, Flush and Hijack as the client sees them, through net/http's
// own ResponseWriter.
func TestStatusAndSize(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	big := strings.Repeat("0123456789", 10000)
	handlers := []struct {
		name       string
		h          http.HandlerFunc
		wantStatus int
		wantSize   int
	}{
		{"nothing", func(w http.ResponseWriter, r *http.Request) {}, 200, 0},
		{"write header", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }, 204, 0},
		{"write", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, 200, 5},
		{"early hints then 201", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("x"))
		}, 201, 1},
		{"superfluous WriteHeader", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "gone")
		}, 404, 4},
		{"write string", func(w http.ResponseWriter, r *http.Request) {
			if _, ok := w.(io.StringWriter); !ok {
				t.Error("the writer lost io.StringWriter")
			}
			io.WriteString(w, "abc")
		}, 200, 3},
		{"read from", func(w http.ResponseWriter, r *http.Request) {
			rf, ok := w.(io.ReaderFrom)
			if !ok {
				t.Fatal("the writer lost io.ReaderFrom")
			}
			w.WriteHeader(http.StatusAccepted)
			if n, err := rf.ReadFrom(io.LimitReader(strings.NewReader(big), int64(len(big)))); err != nil || n != int64(len(big)) {
				t.Errorf("ReadFrom = %d, %v", n, err)
			}
		}, 202, len(big)},
		{"flush", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "a")
			rc := http.NewResponseController(w)
			if err := rc.Flush(); err != nil {
				t.Errorf("ResponseController.Flush: %v", err)
			}
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Errorf("ResponseController.SetWriteDeadline (through Unwrap): %v", err)
			}
			w.(http.Flusher).Flush()
			io.WriteString(w, "bc")
		}, 200, 3},
		{"flush first", func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() }, 200, 0},
		{"hijack", func(w http.ResponseWriter, r *http.Request) {
			if _, ok := w.(http.Hijacker); !ok {
				t.Error("the writer lost http.Hijacker")
			}
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			buf.Flush()
		}, 101, 0},
		{"hijack then WriteHeader and Write", func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("Hijack: %v", err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
			buf.Flush()
			// Both fail (http.ErrHijacked) and must not change what is recorded.
			w.WriteHeader(http.StatusInternalServerError)
			if _, err := w.Write([]byte("late")); !errors.Is(err, http.ErrHijacked) {
				t.Errorf("Write after Hijack: %v, want http.ErrHijacked", err)
			}
		}, 101, 0},
	}
	mux := http.NewServeMux()
	for i, h := range handlers {
		mux.Handle(fmt.Sprintf("GET /%d", i), h.h)
	}
	srv := serve(t, mw.Wrap(mux))
	var want []string
	for i, h := range handlers {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", fmt.Sprintf("%s/%d", srv.URL, i), nil)
		if h.wantStatus == 101 {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "test")
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != h.wantStatus || len(body) != h.wantSize {
			t.Errorf("%s: the client got %d with %d bytes, want %d with %d", h.name, resp.StatusCode, len(body), h.wantStatus, h.wantSize)
		}
		want = append(want, fmt.Sprintf("GET %q %d %dB panicked=false", fmt.Sprintf("GET /%d", i), h.wantStatus, h.wantSize))
	}
	srv.Close()
	// A hijacking handler may return after the next request's: events are
	// matched by route.
	byRoute := map[string]string{}
	for _, r := range k.consume(t, len(handlers)) {
		byRoute[r.event().Route] = r.String()
	}
	for i := range want {
		if got := byRoute[fmt.Sprintf("GET /%d", i)]; got != want[i] {
			t.Errorf("%s: event %q, want %q", handlers[i].name, got, want[i])
		}
	}
}

// The wrapping writer hands ReadFrom to the server's writer, and reports
// what the server's writer cannot do (flush, hijack) as
// http.ErrNotSupported, as ResponseController does without it.
func TestWriterPassThrough(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	inner := &readFromWriter{ResponseWriter: plainWriter{httptest.NewRecorder()}}
	mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, err := io.Copy(w, io.LimitReader(strings.NewReader("0123456789"), 10)); n != 10 || err != nil {
			t.Errorf("io.Copy = %d, %v", n, err)
		}
		rc := http.NewResponseController(w)
		if err := rc.Flush(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Flush on a writer that cannot flush: %v, want http.ErrNotSupported", err)
		}
		if _, _, err := rc.Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack on a writer that cannot hijack: %v, want http.ErrNotSupported", err)
		}
		if err := rc.EnableFullDuplex(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("EnableFullDuplex: %v, want http.ErrNotSupported", err)
		}
	})).ServeHTTP(inner, httptest.NewRequestWithContext(t.Context(), "GET", "/", nil))
	if inner.readFrom != 1 {
		t.Errorf("the server writer's ReadFrom ran %d times, want 1", inner.readFrom)
	}
	got := lines(k.consume(t, 1))
	if want := `GET "unmatched" 200 10B panicked=false`; len(got) != 1 || got[0] != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

// plainWriter is a ResponseWriter with nothing but its three methods.
type plainWriter struct{ rec *httptest.ResponseRecorder }

func (w plainWriter) Header() http.Header         { return w.rec.Header() }
func (w plainWriter) Write(p []byte) (int, error) { return w.rec.Write(p) }
func (w plainWriter) WriteHeader(code int)        { w.rec.WriteHeader(code) }

// readFromWriter counts the calls of its ReadFrom.
type readFromWriter struct {
	http.ResponseWriter
	readFrom int
}

func (w *readFromWriter) ReadFrom(r io.Reader) (int64, error) {
	w.readFrom++
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, r)
}

// Concurrent requests each publish their own event (run with -race).
func TestConcurrentRequests(t *testing.T) {
	k := startKafka(t)
	mw := httpmetrics.New(k.publisher(t))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{n}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("n")) })
	mux.HandleFunc("POST /b", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	srv := serve(t, mw.Wrap(mux))
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				method, path := "GET", fmt.Sprintf("/a/%d", g*1000+i)
				switch i % 4 {
				case 1:
					method, path = "POST", "/b"
				case 2:
					path = "/missing"
				}
				if _, _, err := do(t, method, srv.URL+path); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	srv.Close()
	count := map[string]int{}
	for _, r := range k.consume(t, workers*each) {
		e := r.event()
		count[e.Method+" "+e.Route+" "+e.Status]++
	}
	want := map[string]int{
		"GET GET /a/{n} 200": workers * each / 2,
		"POST POST /b 202":   workers * each / 4,
		"GET unmatched 404":  workers * each / 4,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("events by method, route and status %v, want %v", count, want)
	}
}

// capabilities are the optional interfaces of a ResponseWriter that code
// checks by type assertion before using them.
type capabilities struct{ flusher, hijacker, readerFrom bool }

func capabilitiesOf(w http.ResponseWriter) capabilities {
	_, f := w.(http.Flusher)
	_, h := w.(http.Hijacker)
	_, r := w.(io.ReaderFrom)
	return capabilities{f, h, r}
}

// The handler's writer has exactly the optional interfaces of the
// server's: over HTTP/2, whose writer cannot hijack, w.(http.Hijacker) is
// false behind the middleware as without it (so code that checks before
// upgrading takes its HTTP/2 path), and ResponseController.Hijack reports
// http.ErrNotSupported; over HTTP/1.1 Hijack works (see TestStatusAndSize).
func TestWriterInterfacesOverHTTP2(t *testing.T) {
	_, p := mockPublisher(t)
	mw := httpmetrics.New(p)
	for _, tc := range []struct {
		proto string
		want  capabilities
	}{
		{"HTTP/1.1", capabilities{flusher: true, hijacker: true, readerFrom: true}},
		{"HTTP/2.0", capabilities{flusher: true}},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			type seen struct {
				server, wrapped capabilities
				hijackErr       error
			}
			saw := make(chan seen, 1)
			wrapped := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := seen{wrapped: capabilitiesOf(w)}
				s.server = capabilitiesOf(w.(interface{ Unwrap() http.ResponseWriter }).Unwrap())
				if !s.wrapped.hijacker {
					_, _, s.hijackErr = http.NewResponseController(w).Hijack()
				}
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("Flush: %v", err)
				}
				saw <- s
			}))
			srv := httptest.NewUnstartedServer(wrapped)
			srv.EnableHTTP2 = tc.proto == "HTTP/2.0"
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.StartTLS()
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Proto != tc.proto {
				t.Fatalf("the client spoke %s, want %s", resp.Proto, tc.proto)
			}
			s := <-saw
			if s.server != tc.want {
				t.Fatalf("the server's writer has %+v, want %+v (net/http changed?)", s.server, tc.want)
			}
			if s.wrapped != s.server {
				t.Errorf("the wrapped writer has %+v, the server's %+v: want the same", s.wrapped, s.server)
			}
			if !tc.want.hijacker && !errors.Is(s.hijackErr, http.ErrNotSupported) {
				t.Errorf("ResponseController.Hijack over %s: %v, want http.ErrNotSupported", tc.proto, s.hijackErr)
			}
		})
	}
}

// Every combination of the three optional interfaces is mirrored, no more
// and no less, and what is there works.
func TestWriterInterfacesMirrored(t *testing.T) {
	_, p := mockPublisher(t)
	mw := httpmetrics.New(p)
	for i := range 8 {
		want := capabilities{flusher: i&1 != 0, hijacker: i&2 != 0, readerFrom: i&4 != 0}
		t.Run(fmt.Sprintf("%+v", want), func(t *testing.T) {
			inner := newOptionalWriter(want)
			mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := capabilitiesOf(w); got != want {
					t.Errorf("the wrapped writer has %+v, want %+v", got, want)
				}
				if f, ok := w.(http.Flusher); ok {
					f.Flush()
				}
				if h, ok := w.(http.Hijacker); ok {
					if _, _, err := h.Hijack(); err != nil {
						t.Errorf("Hijack: %v", err)
					}
				}
				if rf, ok := w.(io.ReaderFrom); ok {
					if n, err := rf.ReadFrom(strings.NewReader("abc")); n != 3 || err != nil {
						t.Errorf("ReadFrom = %d, %v", n, err)
					}
				}
			})).ServeHTTP(inner, httptest.NewRequestWithContext(t.Context(), "GET", "/", nil))
			if got := inner.calls(); got != want {
				t.Errorf("the server writer's methods ran: %+v, want %+v", got, want)
			}
		})
	}
}

// optionalWriter is a ResponseWriter that counts the calls of its optional
// methods; newOptionalWriter returns it behind the interfaces asked for.
type optionalWriter struct {
	plainWriter
	flushed, hijacked, readFrom bool
}

func (w *optionalWriter) Flush() { w.flushed = true }
func (w *optionalWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return nil, nil, nil
}
func (w *optionalWriter) ReadFrom(r io.Reader) (int64, error) {
	w.readFrom = true
	return io.Copy(w.plainWriter.rec, r)
}
func (w *optionalWriter) calls() capabilities { return capabilities{w.flushed, w.hijacked, w.readFrom} }

func newOptionalWriter(c capabilities) interface {
	http.ResponseWriter
	calls() capabilities
} {
	w := &optionalWriter{plainWriter: plainWriter{httptest.NewRecorder()}}
	type (
		base = interface {
			http.ResponseWriter
			calls() capabilities
		}
		f = http.Flusher
		h = http.Hijacker
		r = io.ReaderFrom
	)
	switch c {
	case capabilities{}:
		return struct{ base }{w}
	case capabilities{flusher: true}:
		return struct {
			base
			f
		}{w, w}
	case capabilities{hijacker: true}:
		return struct {
			base
			h
		}{w, w}
	case capabilities{readerFrom: true}:
		return struct {
			base
			r
		}{w, w}
	case capabilities{flusher: true, hijacker: true}:
		return struct {
			base
			f
			h
		}{w, w, w}
	case capabilities{flusher: true, readerFrom: true}:
		return struct {
			base
			f
			r
		}{w, w, w}
	case capabilities{hijacker: true, readerFrom: true}:
		return struct {
			base
			h
			r
		}{w, w, w}
	}
	return w
}

// With METRICS_BLOCK_TIMEOUT set and the buffer full, the middleware never
// waits for room: each response leaves at once, and the events that do not
// fit are dropped and counted, as without the timeout.
func TestFullBufferNeverDelaysResponse(t *testing.T) {
	k := startKafka(t, func(c *config.Config) {
		c.Delivery.MaxBufferedEvents = 1
		c.Delivery.BlockTimeout = time.Hour
	})
	// The schema is never registered: the first event stays buffered and
	// fills the buffer.
	k.reg.SetDown(true)
	quiet := slog.New(slog.DiscardHandler) // the waits that Close ends would log ErrClosed
	h := httpmetrics.New(k.publisher(t), httpmetrics.WithLogger(quiet)).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	const requests = 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range requests {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), "GET", "/", nil))
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second): // a watchdog: the requests take milliseconds, a wait an hour
		_ = k.m.Close(t.Context()) // ends the waits
		<-done
		t.Fatal("the requests waited for room in the full buffer (METRICS_BLOCK_TIMEOUT)")
	}
	if st := k.m.Stats().Total; st.Published != 1 || st.Dropped != requests-1 {
		t.Errorf("stats %+v, want 1 event accepted and %d dropped", st, requests-1)
	}
}
