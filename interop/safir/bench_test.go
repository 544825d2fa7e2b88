//go:build safir

package safir_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// ratioTarget is the goal: the Go SDK publishes at least this many
// times more events per second than Safir on the same broker.
const ratioTarget = 100

// benchResult is a Go-versus-Safir throughput comparison: the medians of
// rounds that alternate Safir's loop and the Go loop on one broker.
type benchResult struct {
	safirVersion      string
	safirEvents       int
	goEvents          int
	safirEPS, goEPS   []float64 // per round: loop plus flush at close
	safirLoop, goLoop []float64 // per round: loop only
	goClose           []time.Duration
}

func (r benchResult) ratio() float64 { return median(r.goEPS) / median(r.safirEPS) }

// line is the RATIO line make bench-safir prints.
func (r benchResult) line() string {
	verdict := "PASS"
	if r.ratio() < ratioTarget {
		verdict = "FAIL"
	}
	return fmt.Sprintf("RATIO go_vs_safir %.1f target>=%d %s safir_eps=%.0f go_eps=%.0f safir=%s",
		r.ratio(), ratioTarget, verdict, median(r.safirEPS), median(r.goEPS), r.safirVersion)
}

func (r benchResult) details() string {
	return fmt.Sprintf("safir %s: %d events/round, events/s %s (loop only %s); go: %d events/round, events/s %s (loop only %s, Close %v); medians of %d rounds",
		r.safirVersion, r.safirEvents, rounded(r.safirEPS), rounded(r.safirLoop),
		r.goEvents, rounded(r.goEPS), rounded(r.goLoop), r.goClose, len(r.goEPS))
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounded(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 0, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// compareThroughput runs rounds of Safir's publish loop (publish.py --bench)
// followed by the Go SDK's Publish loop, each round on a fresh kfake broker
// and registry shared by both sides (kfake keeps every record in memory, which
// would slow later rounds down). Both sides time the same thing: after a
// warm-up of 100 events (connection, registration), publishing one QueryEvent
// repeatedly and then closing the manager, which waits until every event is
// delivered. Alternating the sides spreads the load of a shared machine over
// both.
func compareThroughput(tb testing.TB, python string, rounds, safirEvents, goEvents int) benchResult {
	tb.Helper()
	r := benchResult{safirEvents: safirEvents, goEvents: goEvents}
	for range rounds {
		env := newLiveEnv(tb)
		defer env.close()
		version, eps, loop := safirRound(tb, env, python, safirEvents)
		r.safirVersion = version
		r.safirEPS, r.safirLoop = append(r.safirEPS, eps), append(r.safirLoop, loop)
		eps, loop, closing := goRound(tb, env, goEvents)
		r.goEPS, r.goLoop, r.goClose = append(r.goEPS, eps), append(r.goLoop, loop), append(r.goClose, closing.Round(time.Millisecond))
		env.close()
	}
	return r
}

// safirRound runs publish.py --bench and returns Safir's version and its
// events per second, with and without the flush at close.
func safirRound(tb testing.TB, env *liveEnv, python string, events int) (version string, eps, loopEPS float64) {
	tb.Helper()
	out := env.runPython(tb, python, nil, "publish.py", "--bench", strconv.Itoa(events))
	n := 0
	for _, l := range lines(out) {
		key, val, _ := strings.Cut(l, " ")
		switch key {
		case "SAFIR_VERSION":
			version = val
		case "SAFIR_EVENTS":
			n, _ = strconv.Atoi(val)
		case "SAFIR_EPS":
			eps, _ = strconv.ParseFloat(val, 64)
		case "SAFIR_EPS_LOOP":
			loopEPS, _ = strconv.ParseFloat(val, 64)
		}
	}
	if version == "" || n != events || eps <= 0 || loopEPS <= 0 {
		tb.Fatalf("publish.py --bench %d printed %q", events, out)
	}
	return version, eps, loopEPS
}

// goRound times the Go SDK publishing events QueryEvents, with the SDK's
// defaults except that Publish waits for room (METRICS_BLOCK_TIMEOUT) instead
// of dropping when the buffer of unsent events is full: back-pressure, as
// Safir's awaited send has. It fails tb unless every event was delivered.
func goRound(tb testing.TB, env *liveEnv, events int) (eps, loopEPS float64, closing time.Duration) {
	tb.Helper()
	cfg := env.config(tb)
	cfg.Delivery.BlockTimeout = time.Minute
	ctx := context.Background()
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = m.Close(ctx)
		}
	}()
	if err := m.Initialize(ctx); err != nil {
		tb.Fatal(err)
	}
	p, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
	if err != nil {
		tb.Fatal(err)
	}
	ev := QueryEvent{Type: QuerySync, Duration: 1500 * time.Millisecond}
	const warmUp = 100
	for range warmUp {
		if err := p.Publish(ctx, ev); err != nil {
			tb.Fatal(err)
		}
	}
	start := time.Now()
	for range events {
		if err := p.Publish(ctx, ev); err != nil {
			tb.Fatalf("Publish: %v", err)
		}
	}
	loopDone := time.Now()
	closed = true
	if err := m.Close(ctx); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	end := time.Now()
	st := m.Stats().Total
	if want := uint64(events + warmUp); st.Delivered != want || st.Dropped != 0 || st.Failed != 0 || st.Rejected != 0 {
		tb.Fatalf("Go stats %+v, want %d delivered and nothing lost", st, want)
	}
	return float64(events) / end.Sub(start).Seconds(), float64(events) / loopDone.Sub(start).Seconds(), end.Sub(loopDone)
}

// envInt returns the integer in the environment variable name, or def.
func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// BenchmarkGoVsSafir prints the RATIO go_vs_safir line for each Safir
// version available (make bench-safir runs it once, with -benchtime 1x).
// Each iteration is one whole comparison: SAFIR_BENCH_ROUNDS rounds (default
// 3) of SAFIR_BENCH_EVENTS Safir events (default 30000) then
// SAFIR_BENCH_GO_EVENTS Go events (default 2000000), on one broker; the
// line gives the medians. Timing is noisy on a shared machine.
func BenchmarkGoVsSafir(b *testing.B) {
	pythons := safirPythons(b)
	rounds := envInt(b, "SAFIR_BENCH_ROUNDS", 3)
	safirN := envInt(b, "SAFIR_BENCH_EVENTS", 30000)
	goN := envInt(b, "SAFIR_BENCH_GO_EVENTS", 2000000)
	for _, py := range pythons {
		b.Run(py.label, func(b *testing.B) {
			var r benchResult
			for b.Loop() {
				r = compareThroughput(b, py.python, rounds, safirN, goN)
				fmt.Println(r.line())
				fmt.Println("#", r.details())
			}
			b.ReportMetric(median(r.safirEPS), "safir_events/s")
			b.ReportMetric(median(r.goEPS), "go_events/s")
			b.ReportMetric(r.ratio(), "go_vs_safir")
		})
	}
}

// TestBenchSmoke runs the comparison with few events, so that make
// test-safir keeps the harness working; it checks the output, not the ratio.
func TestBenchSmoke(t *testing.T) {
	py := safir9(t)
	r := compareThroughput(t, py, 1, 300, 3000)
	l := r.line()
	if !strings.HasPrefix(l, "RATIO go_vs_safir ") || !strings.HasSuffix(l, " safir="+r.safirVersion) || r.ratio() <= 0 {
		t.Errorf("RATIO line %q", l)
	}
	t.Log(l)
	t.Log(r.details())
}
