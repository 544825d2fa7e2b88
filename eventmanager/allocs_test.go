package eventmanager_test

import (
	"testing"
	"time"
)

// TestPublishKeepsTheEventOnTheStack guards the hot path against a
// regression that once cost a heap allocation per event: the event passed
// to Publish must not escape (escape analysis decides per function, so a
// disabled-mode Publish, which allocates nothing else, shows it). Kafka
// mode's own allocations (pooled records, franz-go's batches) are measured
// by `make bench` (ALLOCS lines).
func TestPublishKeepsTheEventOnTheStack(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's runtime allocates on its own")
	}
	_, q := startPublisher[LoginEvent](t, disabledConfig(), "login")
	ctx := t.Context()
	client := "portal"
	ev := LoginEvent{Username: "ann", Attempts: 2, Client: &client, Elapsed: time.Second}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := q.Publish(ctx, ev); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Publish allocates %.2f times per event in disabled mode, want 0: does the event escape?", allocs)
	}
}
