package schemaregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxAnswerBytes bounds the body of each registry answer that the client
// reads: a schema registry's answers (schemas, ids, levels) are far
// smaller, and a larger one (a wrong URL serving a large file, a hostile
// server) is refused instead of being read into memory.
const maxAnswerBytes = 8 << 20 // 8 MiB

// errAnswerTooLarge is the cause of an answer larger than maxAnswerBytes.
var errAnswerTooLarge = fmt.Errorf("the answer is larger than %d MiB", maxAnswerBytes>>20)

// errRedirect is the cause of a redirect that checkRedirect refuses.
var errRedirect = errors.New("redirect refused")

// checkRedirect is the http.Client's redirect policy for a registry at
// base: a redirect is followed only within base's origin (the same scheme,
// host and port), at most 10 times. Credentials therefore never leave https
// nor go to another host (net/http would forward the basic-auth header to
// any port of the same host name, over http too), and no answer from
// elsewhere is taken for the registry's.
func checkRedirect(base *url.URL) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("%w: stopped after 10 redirects", errRedirect)
		}
		if !sameOrigin(base, req.URL) {
			return fmt.Errorf("%w: the registry redirected to %s, outside SCHEMA_MANAGER_REGISTRY_URL's scheme and host (%s://%s); credentials are sent only there: set SCHEMA_MANAGER_REGISTRY_URL to the URL that serves the registry",
				errRedirect, req.URL.Redacted(), base.Scheme, base.Host)
		}
		return nil
	}
}

// sameOrigin reports whether a and b have the same scheme, host and port
// (the scheme's default port when none is given).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// port returns the port of u, or its scheme's default.
func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

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
	// the body (it always does). srclient reads bodies whole: bound them.
	resp.Body = &cancelBody{ReadCloser: &limitedBody{ReadCloser: resp.Body, left: maxAnswerBytes}, cancel: cancel}
	return resp, nil
}

// limitedBody reads at most left more bytes of a body, and fails with
// errAnswerTooLarge when the body has more.
type limitedBody struct {
	io.ReadCloser
	left int64
}

// Read reads from the body, up to the limit.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Everything allowed was read: the body must end here.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n > 0 {
			return 0, errAnswerTooLarge
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
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
