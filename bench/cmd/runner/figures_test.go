package main

import (
	"bytes"
	"errors"
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

// names returns the figure names of figs, in order.
func names(figs []*figure) []string {
	out := make([]string, len(figs))
	for i, f := range figs {
		out[i] = f.kind + " " + f.name
	}
	return out
}

// The report keeps every figure of the 10-field event under its name and in
// its order, and adds the workloads' and the heap's after them.
func TestFigureNames(t *testing.T) {
	t.Parallel()
	f, err := parseFlags([]string{"-broker", "b"})
	if err != nil {
		t.Fatal(err)
	}
	got := names(newFigures(f).all())
	var want []string
	for _, kind := range []string{"RATE", "CPU", "ALLOCS"} {
		for _, s := range []string{"raw_snappy", "hand_snappy", "sdk_snappy", "ck_snappy", "raw_none", "sdk_none",
			"mix_raw", "mix_fresh", "mix_floor", "mix_sdk", "wide_raw", "wide_fresh", "wide_floor", "wide_sdk",
			"types100_raw", "types100_fresh", "types100_floor", "types100_sdk", "str1k_raw", "str1k_fresh", "str1k_floor", "str1k_sdk"} {
			switch {
			case kind == "ALLOCS" && s == "ck_snappy":
				continue
			case kind == "RATE":
				want = append(want, kind+" "+s+"_rec_per_s")
			case kind == "CPU":
				want = append(want, kind+" "+s+"_ns_per_event")
			default:
				want = append(want, kind+" "+s+"_per_event")
			}
		}
	}
	want = append(want,
		"LATENCY publish_p50_us", "LATENCY publish_p999_us", "LATENCY raw_produce_p99_us",
		"ENCODE sdk_append_ns", "ENCODE hand_append_ns",
		"HTTP bare_handler_ns", "HTTP publishing_handler_ns", "HTTP middleware_handler_ns",
		"RATIO http_middleware_vs_bare", "ALLOCS http_middleware_beyond_bare_with_delivery_per_request",
		"RATIO sdk_vs_raw_snappy", "RATIO sdk_vs_raw_none", "RATIO sdk_vs_hand", "RATIO sdk_vs_ck",
		"RATIO cpu_per_event_sdk_vs_raw", "ALLOCS sdk_beyond_raw_per_publish",
		"LATENCY publish_p99_us", "RATIO encode_sdk_vs_hand",
		"OVERHEAD http_middleware_ns_per_request", "ALLOCS http_middleware_beyond_publish_per_request",
		"RATIO cpu_per_event_mix_sdk_vs_raw", "RATIO mix_fresh_vs_raw", "RATIO mix_sdk_vs_fresh", "RATIO mix_floor_vs_raw", "RATIO mix_sdk_vs_floor",
		"RATIO cpu_per_event_wide_sdk_vs_raw", "RATIO wide_fresh_vs_raw", "RATIO wide_sdk_vs_fresh", "RATIO wide_floor_vs_raw", "RATIO wide_sdk_vs_floor",
		"RATIO cpu_per_event_types100_sdk_vs_raw", "RATIO types100_fresh_vs_raw", "RATIO types100_sdk_vs_fresh", "RATIO types100_floor_vs_raw", "RATIO types100_sdk_vs_floor",
		"RATIO cpu_per_event_str1k_sdk_vs_raw", "RATIO str1k_fresh_vs_raw", "RATIO str1k_sdk_vs_fresh", "RATIO str1k_floor_vs_raw", "RATIO str1k_sdk_vs_floor",
		"HEAP sdk_bytes_per_buffered_event", "HEAP raw_bytes_per_buffered_event",
		"RATIO mix_sdk_vs_raw", "RATIO wide_sdk_vs_raw", "RATIO types100_sdk_vs_raw", "RATIO str1k_sdk_vs_raw",
		"RATIO heap_per_buffered_event_sdk_vs_raw")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("figures:\ngot  %q\nwant %q", got, want)
	}
}

// The workloads' targets are issue 17's.
func TestWorkloadTargets(t *testing.T) {
	t.Parallel()
	fs := newFigures(flags{})
	want := map[string]string{
		"mix_sdk_vs_raw": "target>=0.75", "wide_sdk_vs_raw": "target>=0.60",
		"types100_sdk_vs_raw": "target>=0.70", "str1k_sdk_vs_raw": "target>=0.75",
		"heap_per_buffered_event_sdk_vs_raw": "target<=1.10",
	}
	for _, f := range fs.all() {
		if w, ok := want[f.name]; ok {
			if got := f.target.String(); got != w {
				t.Errorf("%s: %s, want %s", f.name, got, w)
			}
			delete(want, f.name)
		}
	}
	if len(want) > 0 {
		t.Errorf("figures not reported: %v", want)
	}
}

func TestOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		only  string
		steps []string
		figs  []string
	}{
		{
			only:  "mix, heap",
			steps: []string{"mix_raw", "mix_fresh", "mix_floor", "mix_sdk"},
			figs: []string{"RATE mix_raw_rec_per_s", "RATE mix_fresh_rec_per_s", "RATE mix_floor_rec_per_s", "RATE mix_sdk_rec_per_s",
				"CPU mix_raw_ns_per_event", "CPU mix_fresh_ns_per_event", "CPU mix_floor_ns_per_event", "CPU mix_sdk_ns_per_event",
				"ALLOCS mix_raw_per_event", "ALLOCS mix_fresh_per_event", "ALLOCS mix_floor_per_event", "ALLOCS mix_sdk_per_event",
				"RATIO cpu_per_event_mix_sdk_vs_raw", "RATIO mix_fresh_vs_raw", "RATIO mix_sdk_vs_fresh", "RATIO mix_floor_vs_raw", "RATIO mix_sdk_vs_floor",
				"HEAP sdk_bytes_per_buffered_event", "HEAP raw_bytes_per_buffered_event",
				"RATIO mix_sdk_vs_raw", "RATIO heap_per_buffered_event_sdk_vs_raw"},
		},
		{
			only: "latency,encode",
			figs: []string{"LATENCY publish_p50_us", "LATENCY publish_p999_us", "LATENCY raw_produce_p99_us",
				"ENCODE sdk_append_ns", "ENCODE hand_append_ns", "LATENCY publish_p99_us", "RATIO encode_sdk_vs_hand"},
		},
		{
			only: "http",
			figs: []string{"HTTP bare_handler_ns", "HTTP publishing_handler_ns", "HTTP middleware_handler_ns",
				"RATIO http_middleware_vs_bare", "ALLOCS http_middleware_beyond_bare_with_delivery_per_request",
				"OVERHEAD http_middleware_ns_per_request", "ALLOCS http_middleware_beyond_publish_per_request"},
		},
		{
			only:  "str1k",
			steps: []string{"str1k_raw", "str1k_fresh", "str1k_floor", "str1k_sdk"},
			figs: []string{"RATE str1k_raw_rec_per_s", "RATE str1k_fresh_rec_per_s", "RATE str1k_floor_rec_per_s", "RATE str1k_sdk_rec_per_s",
				"CPU str1k_raw_ns_per_event", "CPU str1k_fresh_ns_per_event", "CPU str1k_floor_ns_per_event", "CPU str1k_sdk_ns_per_event",
				"ALLOCS str1k_raw_per_event", "ALLOCS str1k_fresh_per_event", "ALLOCS str1k_floor_per_event", "ALLOCS str1k_sdk_per_event",
				"RATIO cpu_per_event_str1k_sdk_vs_raw", "RATIO str1k_fresh_vs_raw", "RATIO str1k_sdk_vs_fresh", "RATIO str1k_floor_vs_raw", "RATIO str1k_sdk_vs_floor", "RATIO str1k_sdk_vs_raw"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.only, func(t *testing.T) {
			t.Parallel()
			f, err := parseFlags([]string{"-broker", "b", "-only", tt.only})
			if err != nil {
				t.Fatal(err)
			}
			var gotSteps []string
			for _, s := range steps(f.sel) {
				gotSteps = append(gotSteps, s.String())
			}
			if strings.Join(gotSteps, " ") != strings.Join(tt.steps, " ") {
				t.Errorf("steps %q, want %q", gotSteps, tt.steps)
			}
			fs := newFigures(f)
			fs.skipCK("no ck") // as run does: must not touch unselected figures
			if got := names(fs.all()); strings.Join(got, "\n") != strings.Join(tt.figs, "\n") {
				t.Errorf("figures:\ngot  %q\nwant %q", got, tt.figs)
			}
		})
	}
	if _, err := parseFlags([]string{"-broker", "b", "-only", "mix,bogus"}); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("-only bogus: error %v, want one naming the part", err)
	}
}

// A workload's ratios pair its sdk and raw runs of the same repetition; a
// failed run leaves its figures MISSING with the reason, not the others'.
func TestWorkloadFigures(t *testing.T) {
	t.Parallel()
	f, err := parseFlags([]string{"-broker", "b", "-only", "mix,wide,base"})
	if err != nil {
		t.Fatal(err)
	}
	fs := newFigures(f)
	run := func(n int, rate, cpuNs float64) result {
		el := time.Duration(float64(n) / rate * float64(time.Second))
		return result{n: n, elapsed: el, cpu: time.Duration(cpuNs * float64(n))}
	}
	mixRaw, mixSDK := step{producer: "raw", comp: snappy, wl: "mix"}, step{producer: "sdk", comp: snappy, wl: "mix"}
	wideRaw, wideSDK := step{producer: "raw", comp: snappy, wl: "wide"}, step{producer: "sdk", comp: snappy, wl: "wide"}
	for _, r := range []struct{ mix, wide float64 }{{0.8, 0.5}, {0.7, 0.7}, {0.9, 0.6}} {
		fs.addThroughput(map[step]result{
			mixRaw: run(1000, 1e6, 500), mixSDK: run(1000, r.mix*1e6, 1000),
			wideRaw: run(1000, 1e6, 400), wideSDK: run(1000, r.wide*1e6, 600),
		}, nil)
	}
	lines := map[string]string{}
	for _, fig := range fs.all() {
		lines[fig.name] = fig.line()
	}
	for name, want := range map[string]string{
		"mix_sdk_vs_raw":               "RATIO mix_sdk_vs_raw 0.80 target>=0.75 PASS reps=3 spread=0.70-0.90",
		"wide_sdk_vs_raw":              "RATIO wide_sdk_vs_raw 0.60 target>=0.60 PASS reps=3 spread=0.50-0.70",
		"cpu_per_event_mix_sdk_vs_raw": "RATIO cpu_per_event_mix_sdk_vs_raw 2.00 target=none INFO reps=3 spread=2.00-2.00",
		"mix_sdk_rec_per_s":            "RATE mix_sdk_rec_per_s 800000 target=none INFO reps=3 spread=700000-900000",
		"sdk_vs_raw_snappy":            "RATIO sdk_vs_raw_snappy MISSING reason=sdk_snappy:_not_run",
	} {
		if lines[name] != want {
			t.Errorf("got  %s\nwant %s", lines[name], want)
		}
	}

	// A repetition whose wide_sdk run failed.
	fs.addThroughput(map[step]result{mixRaw: run(1000, 1e6, 500), mixSDK: run(1000, 0.1e6, 1000), wideRaw: run(1000, 1e6, 400)},
		map[step]error{wideSDK: errors.New("broker gone")})
	if got, want := fs.wls[0].sdk.line(), "RATIO mix_sdk_vs_raw 0.75 target>=0.75 PASS reps=4 spread=0.10-0.90"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := fs.wls[1].sdk; len(got.values) != 3 || got.missing != "wide_sdk: broker gone" {
		t.Errorf("wide after a failed run: values %v, missing %q", got.values, got.missing)
	}
}

func TestHeapFigures(t *testing.T) {
	t.Parallel()
	f, err := parseFlags([]string{"-broker", "b", "-only", "heap"})
	if err != nil {
		t.Fatal(err)
	}
	fs := newFigures(f)
	fs.addHeap(heapResult{sdk: 385, raw: 350})
	fs.addHeap(heapResult{sdk: 420, raw: 350})
	fs.addHeap(heapResult{sdk: 400, raw: 0}) // a broken measurement: no ratio
	var buf bytes.Buffer
	if code := report(&buf, fs.all(), false, true); code != 1 {
		t.Errorf("exit code %d, want 1 (the ratio misses its target)", code)
	}
	want := "HEAP sdk_bytes_per_buffered_event 400.0 target=none INFO reps=3 spread=385.0-420.0\n" +
		"HEAP raw_bytes_per_buffered_event 350.0 target=none INFO reps=3 spread=0-350.0\n" +
		"RATIO heap_per_buffered_event_sdk_vs_raw 1.15 target<=1.10 FAIL reps=2 spread=1.10-1.20\n"
	if got := buf.String(); !strings.HasPrefix(got, want) {
		t.Errorf("report:\n%s\nwant it to start with\n%s", got, want)
	}
	fs.heapFailed(errors.New("broker did not start"))
	if fs.heapRatio.missing != "raw's heap per buffered event measured as 0" {
		t.Errorf("first failure reason not kept: %q", fs.heapRatio.missing)
	}
}
