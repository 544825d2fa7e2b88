package schemaregistry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/riferrei/srclient"
)

// ErrUnavailable is matched (errors.Is) by errors that a later retry may
// cure: network errors, timeouts (Config.Timeout), HTTP 5xx, 408 and 429.
// The error also wraps its cause. A [*RequestError] never matches it.
var ErrUnavailable = errors.New("schemaregistry: registry unavailable")

// UnavailableError reports that the registry did not answer a request, or
// answered that it cannot serve it now (HTTP 5xx, 408, 429): a later retry
// may succeed. It matches [ErrUnavailable].
type UnavailableError struct {
	Op      string // as in RequestError.Op
	Subject string // subject, suffix included; empty for "schema by id" and "check"
	Status  int    // HTTP status; 0 if no response was received
	Cause   string // what went wrong, without the operation, subject or URL: the same for every request an outage fails
	Err     error  // the underlying error (a *url.Error) when no response was received; else nil
}

// Error names the operation and subject, then the cause.
func (e *UnavailableError) Error() string {
	return "schemaregistry: registry unavailable: " + describe(e.Op, e.Subject) + ": " + e.Cause
}

// Is reports whether target is [ErrUnavailable].
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns Err.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ReferenceError reports that a schema reference (a named type defined by
// a version of another subject) of the latest schema of Subject could not
// be read. It wraps the registry's error, so it matches [ErrUnavailable]
// when a retry may cure it.
type ReferenceError struct {
	Subject   string    // subject whose schema holds the reference (directly or through another reference)
	Reference Reference // the reference that could not be read
	Err       error
}

// Error names the subject, the reference and, unless the registry is only
// unavailable, the fix.
func (e *ReferenceError) Error() string {
	msg := fmt.Sprintf("schemaregistry: subject %q: reference %q (version %d of subject %q) cannot be read: %v",
		e.Subject, e.Reference.Name, e.Reference.Version, e.Reference.Subject, e.Err)
	if errors.Is(e.Err, ErrUnavailable) {
		return msg
	}
	return msg + fmt.Sprintf("; register version %d of subject %q again (or let these credentials read it), or register a version of subject %q without the reference",
		e.Reference.Version, e.Reference.Subject, e.Subject)
}

// Unwrap returns Err.
func (e *ReferenceError) Unwrap() error { return e.Err }

// IncompatibleError reports that the registry refused a schema because it
// breaks the subject's compatibility level (HTTP 409). Match it with
// errors.As. Retrying does not help.
type IncompatibleError struct {
	Subject       string               // subject, suffix included
	Compatibility config.Compatibility // the level the client set on the subject
	Message       string               // the registry's explanation
}

// Error says which subject and level refused the schema and how to fix it.
func (e *IncompatibleError) Error() string {
	return fmt.Sprintf("schemaregistry: the new schema for subject %q is incompatible with its earlier versions under compatibility %s (%s); "+
		"make the change compatible (e.g. give added fields a default, keep fields without defaults), "+
		"or change SCHEMA_MANAGER_COMPATIBILITY (NONE disables the check)",
		e.Subject, e.Compatibility, e.Message)
}

// RequestError reports a request the registry (or the TLS handshake)
// refused for a reason a retry does not cure: 401/403 (credentials), 404,
// 422 (invalid schema), a certificate the trusted CAs (SCHEMA_MANAGER_CA_PATH or the system's)
// do not trust, or an answer
// that is not the registry's JSON (wrong URL?).
type RequestError struct {
	Op      string // "set compatibility", "lookup", "register", "latest schema", "check", "schema by id N" or "referenced schema version N"
	Subject string // subject, suffix included; empty for "schema by id" and "check"
	Status  int    // HTTP status; 0 if no response was received
	Code    int    // Confluent error_code; 0 if the answer carried none
	Err     error  // the registry's message or the underlying error
}

// Error names the operation, subject and status, and hints at the fix.
func (e *RequestError) Error() string {
	var b strings.Builder
	b.WriteString("schemaregistry: ")
	b.WriteString(describe(e.Op, e.Subject))
	if e.Status != 0 {
		fmt.Fprintf(&b, ": registry answered HTTP %d%s", e.Status, codeText(e.Code))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		b.WriteString("; check SCHEMA_MANAGER_USERNAME and SCHEMA_MANAGER_PASSWORD and the user's permissions")
	case e.Status == http.StatusNotFound && (e.Subject != "" || e.Op == opCheck):
		b.WriteString("; check SCHEMA_MANAGER_REGISTRY_URL")
	case e.Status == 0 && isCertificateError(e.Err):
		b.WriteString("; check SCHEMA_MANAGER_REGISTRY_URL and SCHEMA_MANAGER_CA_PATH (config.Registry.CAPath): the registry's certificate must be signed by that CA (by the system's without it) and name the URL's host")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *RequestError) Unwrap() error { return e.Err }

// codeText renders a Confluent error_code for messages ("" for none).
func codeText(code int) string {
	if code == 0 {
		return ""
	}
	return " (error code " + strconv.Itoa(code) + ")"
}

// describe renders an operation and its subject for messages.
func describe(op, subject string) string {
	if subject == "" {
		return op
	}
	return fmt.Sprintf("%s subject %q", op, subject)
}

// classify turns an error from an srclient call into ours. status is the
// HTTP status of the last response the call received (0 if none).
func (c *Client) classify(ctx context.Context, op, subject string, status int, err error) error {
	if ctx.Err() != nil {
		// The caller gave up; neither the registry's fault nor ours.
		return fmt.Errorf("schemaregistry: %s: %w", describe(op, subject), context.Cause(ctx))
	}
	var se srclient.Error
	if errors.As(err, &se) {
		return c.fromResponse(op, subject, status, se.Code, se.Message)
	}
	if errors.Is(err, errAnswerTooLarge) {
		return &RequestError{Op: op, Subject: subject, Status: status,
			Err: fmt.Errorf("%w (is SCHEMA_MANAGER_REGISTRY_URL a schema registry?)", errAnswerTooLarge)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if errors.Is(ue.Err, errRedirect) {
			return &RequestError{Op: op, Subject: subject, Status: status, Err: ue.Err}
		}
		if isCertificateError(ue.Err) {
			return &RequestError{Op: op, Subject: subject, Err: ue}
		}
		if errors.Is(ue.Err, context.DeadlineExceeded) {
			return &UnavailableError{Op: op, Subject: subject, Cause: fmt.Sprintf("no answer within %s: %v", c.cfg.Timeout, ue.Err), Err: ue}
		}
		return &UnavailableError{Op: op, Subject: subject, Cause: ue.Err.Error(), Err: ue}
	}
	if status < 200 || status > 299 {
		// srclient could not decode the error body and returned only
		// resp.Status, e.g. a proxy's HTML page.
		msg := http.StatusText(status)
		if msg == "" {
			msg = err.Error()
		}
		return c.fromResponse(op, subject, status, 0, msg)
	}
	// A 2xx answer srclient could not decode: not a registry at this URL?
	return &RequestError{Op: op, Subject: subject, Status: status,
		Err: fmt.Errorf("unexpected answer (is SCHEMA_MANAGER_REGISTRY_URL a schema registry?): %w", err)}
}

// fromResponse classifies a non-2xx answer.
func (c *Client) fromResponse(op, subject string, status, code int, msg string) error {
	switch {
	case status == http.StatusConflict && op == opRegister:
		return &IncompatibleError{Subject: subject, Compatibility: c.cfg.Compatibility, Message: msg}
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return &UnavailableError{Op: op, Subject: subject, Status: status,
			Cause: fmt.Sprintf("registry answered HTTP %d%s: %s", status, codeText(code), msg)}
	}
	return &RequestError{Op: op, Subject: subject, Status: status, Code: code, Err: errors.New(msg)}
}

// isCertificateError reports whether err is a TLS certificate verification
// failure, which retrying does not cure.
func isCertificateError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) ||
		errors.As(err, &hostname) || errors.As(err, &invalid)
}
