package httpmetrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter passes everything to the server's writer and notes the
// status code and the bytes written. The handler gets it inside one of the
// wrappers that wrap builds, which add exactly the optional interfaces the
// server's writer has (see wrap). Itself it has the ResponseWriter methods,
// io.StringWriter, and Unwrap, so that http.ResponseController reaches the
// rest (deadlines, full duplex). io.StringWriter is always there: it claims
// no capability (io.WriteString does the same without it), it only spares
// a copy when the server's writer has it too, as net/http's do.
type responseWriter struct {
	w        http.ResponseWriter
	status   int   // the final status written, 0 until then
	size     int64 // body bytes written
	hijacked bool
}

// code is the status to record: the one written; else 101 when the
// connection was hijacked (it left HTTP, as a WebSocket upgrade does); else
// 500 when the handler panicked (net/http aborts the response, a recovering
// middleware above answers 500); else 200, which net/http sends for a
// handler that wrote nothing.
func (rw *responseWriter) code(panicked bool) int {
	switch {
	case rw.status != 0:
		return rw.status
	case rw.hijacked:
		return http.StatusSwitchingProtocols
	case panicked:
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

// implicit200 notes the 200 that net/http sends when the body or a flush
// comes before any WriteHeader.
func (rw *responseWriter) implicit200() {
	if rw.status == 0 && !rw.hijacked {
		rw.status = http.StatusOK
	}
}

// Header implements http.ResponseWriter.
func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader implements http.ResponseWriter. The first final status is
// recorded: 1xx informational answers (103 Early Hints) other than 101 come
// before it, and net/http ignores later calls, and every call once the
// connection is hijacked (the client got what the hijacker wrote).
func (rw *responseWriter) WriteHeader(code int) {
	rw.w.WriteHeader(code) // panics on a code outside 100-999: nothing to record
	if rw.status == 0 && !rw.hijacked && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
	}
}

// Write implements http.ResponseWriter.
func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.implicit200()
	n, err := rw.w.Write(p)
	rw.size += int64(n)
	return n, err
}

// WriteString implements io.StringWriter, as net/http's writer does, so that
// io.WriteString does not copy s.
func (rw *responseWriter) WriteString(s string) (int, error) {
	rw.implicit200()
	n, err := io.WriteString(rw.w, s)
	rw.size += int64(n)
	return n, err
}

// Unwrap returns the server's writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// The optional interfaces, each a view of the responseWriter it points to
// (in the same allocation as the wrapper that embeds it), valid only when
// the server's writer has the interface.
type (
	flusher    struct{ rw *responseWriter }
	hijacker   struct{ rw *responseWriter }
	readerFrom struct{ rw *responseWriter }
)

// FlushError flushes the server's writer, with its error when the writer
// reports one (net/http's do), for http.ResponseController.
func (f flusher) FlushError() error {
	f.rw.implicit200()
	return http.NewResponseController(f.rw.w).Flush()
}

// Flush implements http.Flusher.
func (f flusher) Flush() { _ = f.FlushError() }

// Hijack implements http.Hijacker. After a successful Hijack the status
// recorded no longer changes.
func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := h.rw.w.(http.Hijacker).Hijack()
	if err == nil {
		h.rw.hijacked = true
	}
	return conn, buf, err
}

// ReadFrom implements io.ReaderFrom with the server's writer's (net/http's
// uses sendfile for an *os.File), so that io.Copy to the wrapped writer is
// as fast as to the server's.
func (r readerFrom) ReadFrom(src io.Reader) (int64, error) {
	r.rw.implicit200()
	n, err := r.rw.w.(io.ReaderFrom).ReadFrom(src)
	r.rw.size += n
	return n, err
}

// The wrappers, one per combination of the optional interfaces (F: Flusher,
// H: Hijacker, R: ReaderFrom); with none of them the handler gets the
// *responseWriter itself.
type (
	writerF struct {
		responseWriter
		flusher
	}
	writerH struct {
		responseWriter
		hijacker
	}
	writerR struct {
		responseWriter
		readerFrom
	}
	writerFH struct {
		responseWriter
		flusher
		hijacker
	}
	writerFR struct {
		responseWriter
		flusher
		readerFrom
	}
	writerHR struct {
		responseWriter
		hijacker
		readerFrom
	}
	writerFHR struct {
		responseWriter
		flusher
		hijacker
		readerFrom
	}
)

// wrap returns the writer the handler gets in place of w, and the
// responseWriter inside it that records the status and the size. The
// writer has http.Flusher, http.Hijacker and io.ReaderFrom exactly when w
// has them, as promhttp's and httpsnoop's wrappers do: code that checks
// w.(http.Hijacker) before upgrading a connection gets the same answer
// behind the middleware as without it (false over HTTP/2), and
// http.ResponseController, which tries the wrapper's methods before
// unwrapping it, answers as for w. One allocation, whatever the combination.
func wrap(w http.ResponseWriter) (http.ResponseWriter, *responseWriter) {
	_, f := w.(http.Flusher)
	_, h := w.(http.Hijacker)
	_, r := w.(io.ReaderFrom)
	switch {
	case f && h && r: // net/http's HTTP/1 writer
		x := &writerFHR{responseWriter: responseWriter{w: w}}
		x.flusher.rw, x.hijacker.rw, x.readerFrom.rw = &x.responseWriter, &x.responseWriter, &x.responseWriter
		return x, &x.responseWriter
	case f && h:
		x := &writerFH{responseWriter: responseWriter{w: w}}
		x.flusher.rw, x.hijacker.rw = &x.responseWriter, &x.responseWriter
		return x, &x.responseWriter
	case f && r:
		x := &writerFR{responseWriter: responseWriter{w: w}}
		x.flusher.rw, x.readerFrom.rw = &x.responseWriter, &x.responseWriter
		return x, &x.responseWriter
	case h && r:
		x := &writerHR{responseWriter: responseWriter{w: w}}
		x.hijacker.rw, x.readerFrom.rw = &x.responseWriter, &x.responseWriter
		return x, &x.responseWriter
	case f: // net/http's HTTP/2 writer, httptest.ResponseRecorder
		x := &writerF{responseWriter: responseWriter{w: w}}
		x.flusher.rw = &x.responseWriter
		return x, &x.responseWriter
	case h:
		x := &writerH{responseWriter: responseWriter{w: w}}
		x.hijacker.rw = &x.responseWriter
		return x, &x.responseWriter
	case r:
		x := &writerR{responseWriter: responseWriter{w: w}}
		x.readerFrom.rw = &x.responseWriter
		return x, &x.responseWriter
	}
	x := &responseWriter{w: w}
	return x, x
}
