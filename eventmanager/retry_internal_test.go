package eventmanager

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// TestRetryLaterOneRule checks the one rule of both start-up steps
// (Initialize's checks and a publisher's registration): a failure is left
// to the background retrier unless it is a refusal, METRICS_RAISE_ON_ERROR
// is set or the caller's ctx ended.
func TestRetryLaterOneRule(t *testing.T) {
	unavailable := &schemaregistry.UnavailableError{Op: "register", Subject: "s", Cause: "connection refused", Err: errors.New("dial")}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"registry unavailable", unavailable, true},
		{"registry unavailable, wrapped", fmt.Errorf("eventmanager: initialize: %w", unavailable), true},
		{"reference not read: registry unavailable", &schemaregistry.ReferenceError{Subject: "s", Reference: schemaregistry.Reference{Subject: "r", Version: 1}, Err: unavailable}, true},
		{"reference not parsable", &schemaregistry.ReferenceError{Subject: "s", Reference: schemaregistry.Reference{Subject: "r", Version: 1}, Err: errors.New("not Avro")}, true},
		{"kafka metadata error", fmt.Errorf("eventmanager: initialize: kafka metadata: %w", kerr.NotLeaderForPartition), true},
		{"kafka no answer", fmt.Errorf("eventmanager: initialize: kafka: no answer: %w", context.DeadlineExceeded), true},
		{"registry refused the request", &schemaregistry.RequestError{Op: "register", Subject: "s", Status: 401, Err: errors.New("unauthorized")}, false},
		{"registry refused the schema", &schemaregistry.IncompatibleError{Subject: "s", Message: "incompatible"}, false},
		{"field type changed", &FieldTypeChangedError{Event: "e", Subject: "s"}, false},
		{"topic missing", &TopicError{Topic: "t", Reason: "does not exist"}, false},
		{"credentials refused", &SecurityError{Kind: ErrAuthentication, Reason: "bad password"}, false},
		{"certificate refused", fmt.Errorf("wrapped: %w", &SecurityError{Kind: ErrTLS, Reason: "unknown CA"}), false},
	}
	live := context.Background()
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &Manager{}
			if got := m.retryLater(live, tc.err); got != tc.want {
				t.Errorf("retryLater(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if m.retryLater(ended, tc.err) {
				t.Errorf("retryLater with an ended ctx = true, want false (the caller gave up)")
			}
			m.cfg = config.Config{RaiseOnError: true}
			if m.retryLater(live, tc.err) {
				t.Errorf("retryLater with METRICS_RAISE_ON_ERROR = true, want false")
			}
		})
	}
}
