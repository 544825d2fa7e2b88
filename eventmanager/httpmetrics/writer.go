package httpmetrics

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
)

// responseWriter is the http.ResponseWriter the wrapped handler gets: it
// passes everything to the server's writer and notes the status code and the
// bytes written. Besides the ResponseWriter methods it has those net/http's
// own writer has and code reaches by type assertion (io.StringWriter,
// io.ReaderFrom for sendfile, http.Flusher, http.Hijacker), and Unwrap, so
// that http.ResponseController reaches the rest (deadlines, full duplex).
// Flush and Hijack go through http.ResponseController too: when the server's
// writer cannot do them, Hijack returns an error matching
// http.ErrNotSupported, and Flush does nothing (FlushError, which
// ResponseController calls, returns that error).
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

// ReadFrom implements io.ReaderFrom, as net/http's writer does (it uses
// sendfile for an *os.File), so that io.Copy to the wrapped writer is as
// fast as to the server's.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	rw.implicit200()
	n, err := io.Copy(rw.w, src) // the server's ReadFrom when it has one
	rw.size += n
	return n, err
}

// FlushError flushes the server's writer through http.ResponseController;
// it returns an error matching http.ErrNotSupported when that cannot flush.
func (rw *responseWriter) FlushError() error {
	err := http.NewResponseController(rw.w).Flush()
	if !errors.Is(err, http.ErrNotSupported) {
		rw.implicit200()
	}
	return err
}

// Flush implements http.Flusher; see FlushError.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// Hijack implements http.Hijacker through http.ResponseController: an
// error matching http.ErrNotSupported when the server's writer cannot
// hijack (HTTP/2).
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return conn, buf, err
}

// Unwrap returns the server's writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }
