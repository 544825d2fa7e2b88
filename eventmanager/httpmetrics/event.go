package httpmetrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is the payload of one request. Its Avro fields are method, route and
// status (InfluxDB tags, so that points can be grouped by them), duration,
// response_bytes and panicked. Publish it with New, or embed it in an event
// type of your own and use NewFunc.
//
// Telegraf's avro_tags applies to the whole application topic: another event
// of the same application with a plain field named method, route or status
// is refused by eventmanager.CreatePublisher.
type Event struct {
	Method        string        `influx:"tag" doc:"HTTP method of the request; _OTHER for a non-standard one"`
	Route         string        `influx:"tag" doc:"Route pattern that served the request, such as GET /items/{id}; unmatched when none did"`
	Status        string        `influx:"tag" doc:"HTTP status code of the response, such as 200"`
	Duration      time.Duration `doc:"Time from the request reaching the middleware to the handler's return"`
	ResponseBytes int64         `doc:"Bytes of response body the handler wrote"`
	Panicked      bool          `doc:"Whether the handler panicked, cutting the response short"`
}

// UnmatchedRoute is the route of a request that no ServeMux pattern served:
// a 404 or 405 answered by the mux, a CONNECT request it redirected (for
// /users/x under /users/{id}/), or a handler not behind a ServeMux (see
// WithRouteFunc). Pass it to WithExcludedRoutes to publish nothing for them.
const UnmatchedRoute = "unmatched"

// OtherMethod is the method of a request whose method is not one of the
// standard ones (RFC 9110 and PATCH): clients choose the method, and a tag
// must not take unbounded values. It is OpenTelemetry's value.
const OtherMethod = "_OTHER"

// method returns m when it is a standard method, else OtherMethod.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return OtherMethod
}

// statusCodes is "100101102...999": every three-digit status code, so that
// statusText slices it instead of allocating a string per request.
var statusCodes = func() string {
	var b strings.Builder
	for c := 100; c < 1000; c++ {
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}()

// statusText is code in decimal. net/http accepts codes 100 to 999 only.
func statusText(code int) string {
	if code < 100 || code > 999 {
		return strconv.Itoa(code)
	}
	i := (code - 100) * 3
	return statusCodes[i : i+3]
}
