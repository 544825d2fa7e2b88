package eventmanager

import (
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// TestStallWarning is issue 24's trap "a broker outage logs nothing for 2
// minutes": with events waiting and none delivered or failed, the watch
// warns once after stallAfter, again only after METRICS_LOG_INTERVAL, and
// says once when deliveries resume; an idle manager never warns.
func TestStallWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log, logs := testkit.NewLogger(slog.LevelInfo)
		b := newBuffer(100, 1<<20, 0)
		w := newStallWatch(b, log, time.Minute, nil)
		w.start()
		defer w.end()
		count := func(msg string) int { return strings.Count(logs.String(), msg) }
		const stalled, resumed = "metrics deliveries stalled", "metrics deliveries resumed"
		wantLines := func(when string, warnings, resumes int) {
			t.Helper()
			synctest.Wait()
			if count(stalled) != warnings || count(resumed) != resumes {
				t.Fatalf("%s: %d warnings and %d resume lines, want %d and %d; log:\n%s", when, count(stalled), count(resumed), warnings, resumes, logs)
			}
		}
		time.Sleep(5 * stallAfter)
		wantLines("idle", 0, 0)
		if !b.tryReserve(400) {
			t.Fatal("refused")
		}
		time.Sleep(stallAfter / 2)
		wantLines("an event waiting stallAfter/2", 0, 0)
		time.Sleep(stallAfter)
		wantLines("an event waiting 1.5 stallAfter", 1, 0)
		if !strings.Contains(logs.String(), "waiting=1") {
			t.Errorf("the warning does not say how many events wait:\n%s", logs)
		}
		time.Sleep(40 * time.Second) // the warning is 15-40 s old: within the interval
		wantLines("within the log interval", 1, 0)
		time.Sleep(time.Minute)
		wantLines("after the log interval", 2, 0)
		b.release(400)
		time.Sleep(stallAfter)
		wantLines("delivered", 2, 1)
		time.Sleep(5 * stallAfter)
		wantLines("idle again", 2, 1)
	})
}
