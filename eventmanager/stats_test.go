package eventmanager_test

import (
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// TestDisabledModeNothingPending: disabled mode accepts nothing for
// delivery, so nothing is Published and nothing stays Pending; invalid
// events are still Rejected (issue 24, item 16: Pending and
// sasquatch_events_pending climbed forever).
func TestDisabledModeNothingPending(t *testing.T) {
	m, q := startQueries(t, disabledConfig())
	for range 100 {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Publish(t.Context(), QueryEvent{Type: "bogus"}); err == nil {
		t.Fatal("an enum value outside its symbols was accepted")
	}
	st := m.Stats().Total
	if st.Published != 0 || st.Pending() != 0 || st.Rejected != 1 {
		t.Errorf("disabled mode stats %+v (pending %d): want nothing published or pending, 1 rejected", st, st.Pending())
	}
}

// TestStatsBuffered: Stats.Buffered counts the events accepted and not yet
// delivered, and their bytes, while the broker is gone; it is back to zero
// once they are delivered, and always zero in mock mode.
func TestStatsBuffered(t *testing.T) {
	env := newKafkaEnv(t, false)
	m, q := startQueries(t, env.cfg)
	if err := m.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if b := m.Stats().Buffered; b != (eventmanager.BufferStats{}) {
		t.Fatalf("Buffered %+v before any event, want zero", b)
	}
	env.cluster.Close()
	for range 5 {
		if err := q.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
			t.Fatal(err)
		}
	}
	st := m.Stats()
	if st.Buffered.Events != 5 || st.Buffered.Bytes <= 5*320 {
		t.Errorf("Buffered %+v with the broker gone, want 5 events of more than 320 bytes each", st.Buffered)
	}
	if st.Buffered.Events != int64(st.Total.Pending()) {
		t.Errorf("Buffered.Events %d, Pending %d: want the same events", st.Buffered.Events, st.Total.Pending())
	}

	mm, mq := startQueries(t, mockConfig())
	if err := mq.Publish(t.Context(), QueryEvent{Type: QuerySync}); err != nil {
		t.Fatal(err)
	}
	if b := mm.Stats().Buffered; b != (eventmanager.BufferStats{}) {
		t.Errorf("mock mode Buffered %+v, want zero", b)
	}
}
