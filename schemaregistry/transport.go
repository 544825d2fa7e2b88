package schemaregistry

import (
	"context"
	"io"
	"net/http"
	"time"
)

// callTransport carries one Client call's context into srclient's requests.
// srclient builds its requests with http.NewRequest (no context), so each
// call gets its own srclient and http.Client with this transport, which
// replaces the request's context with the caller's, bounded by the
// per-request timeout. Cancelling the caller's ctx therefore aborts the
// request in flight at once, and no goroutine outlives the call.
type callTransport struct {
	ctx     context.Context
	timeout time.Duration
	base    http.RoundTripper

	// status is the HTTP status of the last response. srclient's error for
	// a non-2xx answer carries only the body's error_code, not the status.
	// A call's requests run one after another on the caller's goroutine.
	status int
}

// RoundTrip implements http.RoundTripper.
func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	t.status = resp.StatusCode
	// The timeout covers reading the body; release it when srclient closes
	// the body (it always does).
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody cancels the request's context once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

// Close closes the body and releases its context.
func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
