package eventmanagertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/recorder"
)

// Published returns a copy of the payloads p recorded, in publish order. It
// returns nil when p is nil or its manager is not in mock mode; the
// assertions fail the test then.
func Published[T any](p *eventmanager.Publisher[T]) []T {
	rec, _ := lookup(p)
	if rec == nil {
		return nil
	}
	return rec.Snapshot()
}

// Reset forgets what p recorded so far, for tests that share a publisher.
func Reset[T any](p *eventmanager.Publisher[T]) {
	if rec, _ := lookup(p); rec != nil {
		rec.Reset()
	}
}

// lookup returns p's recorder, nil outside mock mode, and its manager's mode.
func lookup[T any](p *eventmanager.Publisher[T]) (*recorder.Recorder[T], string) {
	if p == nil {
		return nil, ""
	}
	rec, mode := recorder.Lookup(p)
	r, _ := rec.(*recorder.Recorder[T])
	return r, mode
}

// begin starts an assertion: it returns the rules of opts over n wanted
// events and what p published. It fails tb (fatally) and returns false when p
// records nothing, being nil or not in mock mode (an assertion would
// otherwise pass whatever the code under test does), or when opts name a
// field T does not have.
func begin[T any](tb testing.TB, p *eventmanager.Publisher[T], n int, opts []MatchOption) (*matcher, []T, bool) {
	tb.Helper()
	if p == nil {
		tb.Fatalf("eventmanagertest: nil publisher")
		return nil, nil, false
	}
	rec, mode := lookup(p)
	if rec == nil {
		tb.Fatalf("eventmanagertest: publisher %q is not in mock mode (its manager runs in %s mode), so it records "+
			"nothing to assert on: run the manager in mock mode, with METRICS_ENABLED=false with METRICS_MOCK=true "+
			"in the environment (Safir's test setting) or config.Config{Mock: true}", p.Name(), mode)
		return nil, nil, false
	}
	m, ok := newMatcher[T](tb, n, opts)
	if !ok {
		return nil, nil, false
	}
	return m, rec.Snapshot(), true
}

// AssertPublished fails tb unless want appears in what p published as a
// consecutive run, in order (Safir's assert_published). It reports which
// wanted events were not published at all before checking the order, each
// with the closest published event and the first field that differs.
func AssertPublished[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	if m, got, ok := begin(tb, p, len(want), opts); ok {
		publishedRun(tb, m, want, got)
	}
}

// publishedRun fails tb unless want appears in got as a consecutive run, in
// order.
func publishedRun[T any](tb testing.TB, m *matcher, want, got []T) {
	tb.Helper()
	if !publishedAnyOrder(tb, m, want, got) {
		return
	}
	best, bestMatches := 0, -1
	for i := 0; i+len(want) <= len(got); i++ {
		matches := 0
		for j := range want {
			if match(m, j, want[j], got[i+j]) {
				matches++
			}
		}
		if matches == len(want) {
			return
		}
		if matches > bestMatches {
			best, bestMatches = i, matches
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wanted events were published, but not consecutively in this order; the closest run starts at published event %d:", best)
	for j := range want {
		if d := compare(m, j, want[j], got[best+j], false); len(d) > 0 {
			fmt.Fprintf(&b, "\n  wanted event %d, published event %d: %s", j, best+j, d[0])
		}
	}
	fail(tb, b.String(), want, got)
}

// AssertPublishedAnyOrder fails tb unless each wanted event matches a distinct
// published event, in any order (Safir's assert_published with any_order).
func AssertPublishedAnyOrder[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	if m, got, ok := begin(tb, p, len(want), opts); ok {
		publishedAnyOrder(tb, m, want, got)
	}
}

// AssertPublishedAllAnyOrder fails tb unless the published events are
// exactly want, in any order (Safir's assert_published_all with any_order).
func AssertPublishedAllAnyOrder[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	if m, got, ok := beginAll(tb, p, want, opts); ok {
		publishedAnyOrder(tb, m, want, got)
	}
}

// AssertPublishedAll fails tb unless the published events are exactly want,
// in order (Safir's assert_published_all).
func AssertPublishedAll[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts ...MatchOption) {
	tb.Helper()
	if m, got, ok := beginAll(tb, p, want, opts); ok {
		publishedRun(tb, m, want, got)
	}
}

// beginAll is begin for the assertions on the whole list: it also fails tb
// when p published another number of events than want has.
func beginAll[T any](tb testing.TB, p *eventmanager.Publisher[T], want []T, opts []MatchOption) (*matcher, []T, bool) {
	tb.Helper()
	m, got, ok := begin(tb, p, len(want), opts)
	if !ok {
		return nil, nil, false
	}
	if len(want) != len(got) {
		fail(tb, fmt.Sprintf("published %d events, want %d", len(got), len(want)), want, got)
		return nil, nil, false
	}
	return m, got, true
}

// publishedAnyOrder fails tb and returns false unless each wanted event
// matches a distinct published event.
func publishedAnyOrder[T any](tb testing.TB, m *matcher, want, got []T) bool {
	tb.Helper()
	if len(want) > len(got) {
		fail(tb, fmt.Sprintf("expected more events than were published (%d wanted, %d published)", len(want), len(got)), want, got)
		return false
	}
	missing := unmatched(m, want, got)
	if len(missing) == 0 {
		return true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d wanted events were not published:", len(missing))
	for _, i := range missing {
		fmt.Fprintf(&b, "\n  wanted event %d %s: ", i, formatEvent(want[i]))
		closest, diff := closestTo(m, i, want[i], got)
		switch {
		case closest < 0:
			b.WriteString("nothing was published")
		case len(diff) == 0:
			fmt.Fprintf(&b, "the published events it matches (first: published event %d) match other wanted events", closest)
		default:
			fmt.Fprintf(&b, "the closest is published event %d: %s", closest, diff[0])
		}
	}
	fail(tb, b.String(), want, got)
	return false
}

// closestTo returns the index of the published event that differs from
// want, the wanted event at index i, in the fewest fields (of equals, the one
// at index i, else the first), and those fields; -1 when nothing was
// published.
func closestTo[T any](m *matcher, i int, want T, got []T) (int, []difference) {
	best := -1
	var bestDiff []difference
	for j := range got {
		d := compare(m, i, want, got[j], true)
		if best < 0 || len(d) < len(bestDiff) || len(d) == len(bestDiff) && j == i {
			best, bestDiff = j, d
		}
	}
	return best, bestDiff
}

func fail[T any](tb testing.TB, msg string, want, got []T) {
	tb.Helper()
	tb.Errorf("eventmanagertest: %s\nwant: %s\ngot:  %s", msg, formatEvents(want), formatEvents(got))
}
