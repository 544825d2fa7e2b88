package eventmanager_test

import (
	"testing"
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
