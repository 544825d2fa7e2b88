package testkit

import (
	"fmt"
	"time"
)

// RequestBase is the base struct of the base-model events (SPEC section 7),
// the Go twin of interop/safir's safir_events.RequestBase, the base model
// that ApiCall and ApiError subclass. Its fields are InfluxDB tags.
type RequestBase struct {
	Method string `influx:"tag"`
	Route  string `influx:"tag"`
}

// APICall is the event "api_call" (safir_events.ApiCall): the embedded
// RequestBase is flattened in place, first, as pydantic puts a base model's
// fields first.
type APICall struct {
	RequestBase
	Status   int64
	Duration time.Duration
	Size     *int64
}

// APIError is the event "api_error" (safir_events.ApiError).
type APIError struct {
	RequestBase
	Code    string
	Retried bool
}

// APICallPayloads returns the n api_call payloads of
// interop/safir/publish.py --base n (its payloads("api_call", n)): the i-th
// has method GET for even i and POST for odd i, route "/items/{id}", status
// 200+i, duration (i+1)*0.25 s, and size nil when i%3 == 0, else 100*i.
func APICallPayloads(n int) []APICall {
	out := make([]APICall, n)
	for i := range out {
		method := "GET"
		if i%2 == 1 {
			method = "POST"
		}
		var size *int64
		if i%3 != 0 {
			s := int64(100 * i)
			size = &s
		}
		out[i] = APICall{
			RequestBase: RequestBase{Method: method, Route: "/items/{id}"},
			Status:      int64(200 + i),
			Duration:    time.Duration(i+1) * 250 * time.Millisecond,
			Size:        size,
		}
	}
	return out
}

// APIErrorPayloads returns the n api_error payloads of publish.py --base n:
// the i-th has method DELETE, route "/items/{id}", code "E<i>" and retried
// i%2 == 1.
func APIErrorPayloads(n int) []APIError {
	out := make([]APIError, n)
	for i := range out {
		out[i] = APIError{
			RequestBase: RequestBase{Method: "DELETE", Route: "/items/{id}"},
			Code:        fmt.Sprintf("E%d", i),
			Retried:     i%2 == 1,
		}
	}
	return out
}
