package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFigureLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fig  figure
		want string
		st   status
	}{
		{
			name: "pass at least",
			fig:  figure{kind: "RATIO", name: "sdk_vs_raw", target: atLeast(0.6), values: []float64{0.63, 0.58, 0.66}},
			want: "RATIO sdk_vs_raw 0.63 target>=0.60 PASS reps=3 spread=0.58-0.66",
			st:   statusPass,
		},
		{
			name: "fail at least",
			fig:  figure{kind: "RATIO", name: "sdk_vs_ck", target: atLeast(10), values: []float64{3, 4}},
			want: "RATIO sdk_vs_ck 3.50 target>=10.00 FAIL reps=2 spread=3.00-4.00",
			st:   statusFail,
		},
		{
			name: "at most judged on the printed value",
			fig:  figure{kind: "ALLOCS", name: "sdk_beyond_raw", target: atMost(1), values: []float64{1.0004}},
			want: "ALLOCS sdk_beyond_raw 1.00 target<=1.00 PASS reps=1 spread=1.00-1.00",
			st:   statusPass,
		},
		{
			name: "at most fails",
			fig:  figure{kind: "LATENCY", name: "publish_p99_us", target: atMost(15), values: []float64{16, 17, 30}},
			want: "LATENCY publish_p99_us 17.00 target<=15.00 FAIL reps=3 spread=16.00-30.00",
			st:   statusFail,
		},
		{
			name: "information",
			fig:  figure{kind: "RATE", name: "raw_snappy_rec_per_s", values: []float64{812345.4, 700000}},
			want: "RATE raw_snappy_rec_per_s 756173 target=none INFO reps=2 spread=700000-812345",
			st:   statusInfo,
		},
		{
			name: "skip",
			fig:  figure{kind: "RATIO", name: "sdk_vs_ck", target: atLeast(10), skip: "no cgo here"},
			want: "RATIO sdk_vs_ck SKIP reason=no_cgo_here",
			st:   statusSkip,
		},
		{
			name: "missing",
			fig:  figure{kind: "RATIO", name: "sdk_vs_hand", target: atLeast(1.3), missing: "hand_snappy: broker gone"},
			want: "RATIO sdk_vs_hand MISSING reason=hand_snappy:_broker_gone",
			st:   statusMissing,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.fig.status(); got != tt.st {
				t.Errorf("status = %s, want %s", got, tt.st)
			}
			if got := tt.fig.line(); got != tt.want {
				t.Errorf("line:\ngot  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestFigureAddIgnoresNaN(t *testing.T) {
	t.Parallel()
	f := figure{kind: "LATENCY", name: "p99"}
	f.add(nan())
	if f.status() != statusMissing {
		t.Errorf("status after NaN = %s, want MISSING", f.status())
	}
	f.add(2)
	if f.status() != statusInfo {
		t.Errorf("status = %s, want INFO", f.status())
	}
}

func TestReportExitCode(t *testing.T) {
	t.Parallel()
	pass := func() *figure { return &figure{kind: "RATIO", name: "a", target: atLeast(1), values: []float64{2}} }
	fail := func() *figure { return &figure{kind: "RATIO", name: "b", target: atLeast(1), values: []float64{0.5}} }
	skip := func() *figure { return &figure{kind: "RATIO", name: "c", skip: "why"} }
	missing := func() *figure { return &figure{kind: "RATIO", name: "d"} }
	tests := []struct {
		name         string
		figs         []*figure
		short, check bool
		want         int
		summary      string
	}{
		{"all pass", []*figure{pass(), skip()}, false, true, 0, "SUMMARY mode=full figures=2 pass=1 fail=0 skip=1 missing=0"},
		{"fail without check", []*figure{pass(), fail()}, false, false, 0, "fail=1"},
		{"fail with check", []*figure{pass(), fail()}, false, true, 1, "fail=1"},
		{"fail in short mode", []*figure{fail()}, true, true, 0, "SUMMARY mode=short"},
		{"missing in short mode", []*figure{pass(), missing()}, true, false, 2, "missing=1"},
		{"missing wins over fail", []*figure{fail(), missing()}, false, true, 2, "missing=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if got := report(&buf, tt.figs, tt.short, tt.check); got != tt.want {
				t.Errorf("exit code = %d, want %d", got, tt.want)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != len(tt.figs)+1 {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.figs)+1, buf.String())
			}
			if last := lines[len(lines)-1]; !strings.Contains(last, tt.summary) {
				t.Errorf("summary %q does not contain %q", last, tt.summary)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestLatencyQuantile(t *testing.T) {
	t.Parallel()
	l := newLatencies(100)
	for i := 100; i >= 1; i-- { // 1..100 us, recorded out of order
		l.record(durationUS(i))
	}
	tests := []struct {
		q    float64
		want float64
	}{
		{0.5, 50}, {0.99, 99}, {0.999, 100}, {0, 1},
	}
	for _, tt := range tests {
		if got := l.quantile(tt.q); got != tt.want {
			t.Errorf("quantile(%v) = %v us, want %v", tt.q, got, tt.want)
		}
	}
	l.record(durationUS(1000)) // beyond capacity: dropped
	if l.count() != 100 {
		t.Errorf("count = %d, want 100", l.count())
	}
}

func durationUS(us int) time.Duration { return time.Duration(us) * time.Microsecond }
