package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

type flags struct {
	short       bool
	check       bool
	n           int
	ckN         int
	reps        int
	brokerBin   string
	ckBin       string
	ckSkip      string
	partitions  int
	linger      time.Duration
	rate        int
	latencyDur  time.Duration
	encodeDur   time.Duration
	minDuration time.Duration
	profileDir  string
	only        string
	sel         selection // parsed from only
	heapN       int
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("runner", flag.ContinueOnError)
	fs.BoolVar(&f.short, "short", false, "short mode: small n, 2 repetitions; checks that every figure is produced")
	fs.BoolVar(&f.check, "check", false, "exit 1 when a target is not met (full mode only)")
	fs.IntVar(&f.n, "n", 0, "events per producer run (0: 20000 in short mode, else calibrated so that raw runs >= -min-duration)")
	fs.IntVar(&f.ckN, "ck-n", 0, "events per confluent-kafka-go run (0: same as -n)")
	fs.IntVar(&f.reps, "reps", 0, "interleaved repetitions (0: 2 in short mode, else 5)")
	fs.StringVar(&f.brokerBin, "broker", "", "path of the bench/cmd/broker binary (required)")
	fs.StringVar(&f.ckBin, "ck", "", "path of the bench/ck producer binary built with -tags ck (empty: sdk_vs_ck is SKIP)")
	fs.StringVar(&f.ckSkip, "ck-skip", "", "why there is no -ck binary, printed in the SKIP line")
	fs.IntVar(&f.partitions, "partitions", 2, "partitions of the benchmark topic")
	fs.DurationVar(&f.linger, "linger", 10*time.Millisecond, "producer linger of every producer (franz-go's default)")
	fs.IntVar(&f.rate, "rate", 2000, "requests per second of the handler latency phase")
	fs.DurationVar(&f.latencyDur, "latency-duration", 0, "length of each latency phase (0: 500ms short, 3s full)")
	fs.DurationVar(&f.encodeDur, "encode-duration", 0, "minimum length of each encode timing (0: 20ms short, 300ms full)")
	fs.DurationVar(&f.minDuration, "min-duration", 1250*time.Millisecond, "calibration: raw's run length in full mode when -n is 0")
	fs.StringVar(&f.profileDir, "profile", "", "write a CPU profile (cpu-<run>.pprof) of each in-process run of the first repetition to this directory")
	fs.StringVar(&f.only, "only", "", "run only these comma-separated parts and report only their figures: "+strings.Join(parts(), ", ")+" (empty: all)")
	fs.IntVar(&f.heapN, "heap-n", 0, "events buffered during the outage of the heap part (0: 100000 in short mode, else 1000000)")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if f.brokerBin == "" {
		return f, errors.New("-broker is required: build ./bench/cmd/broker and pass its path (make bench does)")
	}
	def := func(p *int, short, full int) {
		if *p <= 0 {
			*p = full
			if f.short {
				*p = short
			}
		}
	}
	defDur := func(p *time.Duration, short, full time.Duration) {
		if *p <= 0 {
			*p = full
			if f.short {
				*p = short
			}
		}
	}
	def(&f.reps, 2, 5)
	def(&f.heapN, 100_000, 1_000_000)
	sel, err := parseOnly(f.only)
	if err != nil {
		return f, err
	}
	f.sel = sel
	defDur(&f.latencyDur, 500*time.Millisecond, 3*time.Second)
	defDur(&f.encodeDur, 20*time.Millisecond, 300*time.Millisecond)
	if f.short && f.n <= 0 {
		f.n = 20000
	}
	if f.rate <= 0 {
		return f, errors.New("-rate must be positive")
	}
	return f, nil
}

func main() {
	f, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, f, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

// step names one producer run of a repetition.
type step struct {
	producer string // raw, hand, sdk, ck
	comp     compression
	wl       string // a workload's name; empty for the 10-field event's runs
}

// String is the run's name in progress lines, figure names and profile
// files: raw_snappy, sdk_none, ... and, for a workload, mix_raw, mix_sdk.
func (s step) String() string {
	if s.wl != "" {
		return s.wl + "_" + s.producer
	}
	return s.producer + "_" + string(s.comp)
}

// steps is the order of the runs inside every repetition: the 10-field
// event's runs (part "base"), then raw, fresh, floor and sdk of each
// selected workload.
func steps(sel selection) []step {
	var out []step
	if sel.has("base") {
		out = append(out,
			step{producer: "raw", comp: snappy}, step{producer: "hand", comp: snappy},
			step{producer: "sdk", comp: snappy}, step{producer: "ck", comp: snappy},
			step{producer: "raw", comp: none}, step{producer: "sdk", comp: none})
	}
	for _, w := range workloads() {
		if sel.has(w.name) {
			out = append(out, step{producer: "raw", comp: snappy, wl: w.name},
				step{producer: "fresh", comp: snappy, wl: w.name}, step{producer: "floor", comp: snappy, wl: w.name},
				step{producer: "sdk", comp: snappy, wl: w.name})
		}
	}
	return out
}

// parts are what -only selects: the 10-field event's runs (base), the
// handler latency phase, the encode timing, the httpmetrics middleware
// timing (http), each workload and the outage heap measurement.
func parts() []string {
	out := []string{"base", "latency", "encode", "http"}
	for _, w := range workloads() {
		out = append(out, w.name)
	}
	return append(out, "heap")
}

// selection is the set of parts a run measures; nil is every part.
type selection map[string]bool

func (s selection) has(part string) bool { return s == nil || s[part] }

// parseOnly parses -only: empty selects every part.
func parseOnly(only string) (selection, error) {
	if strings.TrimSpace(only) == "" {
		return nil, nil
	}
	sel := selection{}
	for p := range strings.SplitSeq(only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(parts(), p) {
			return nil, fmt.Errorf("-only: unknown part %q: use a comma-separated list of %s", p, strings.Join(parts(), ", "))
		}
		sel[p] = true
	}
	return sel, nil
}

// run sets up the broker and the registry, runs the repetitions, prints the
// figures and returns the exit code.
func run(ctx context.Context, f flags, w io.Writer) (int, error) {
	b, err := startBroker(ctx, f.brokerBin, f.partitions)
	if err != nil {
		return 0, err
	}
	defer b.stop()
	reg := registrytest.NewServer()
	defer reg.Close()

	e, err := newEnv(ctx, b.addr, reg.URL(), f.linger)
	if err != nil {
		return 0, err
	}
	for _, wl := range workloads() {
		if f.sel.has(wl.name) {
			if err := e.prepare(ctx, wl); err != nil {
				return 0, err
			}
		}
	}
	mode := "full"
	if f.short {
		mode = "short"
	}

	// wlN is each workload's events per run: -n when given (or in short
	// mode), else calibrated on the workload's raw run like n.
	wlN := map[string]int{}
	for _, wl := range workloads() {
		wlN[wl.name] = f.n
	}
	if !f.short {
		// Warm every in-process producer once, and calibrate n on raw.
		fixedN := f.n > 0
		e.maxBuffered = 1 << 20
		const warm = 200_000
		calibrated := func(r result) int {
			n := int(r.rate() * f.minDuration.Seconds())
			return max(warm, (n+49_999)/50_000*50_000)
		}
		for _, s := range warmUps(f.sel) {
			r, err := runStep(ctx, f, e, s, warm)
			if err != nil {
				return 0, fmt.Errorf("warm-up %s: %w", s, err)
			}
			fmt.Fprintf(w, "# warm-up %s n=%d %.2fs %.0f rec/s\n", s, warm, r.elapsed.Seconds(), r.rate())
			if fixedN || s.producer != "raw" {
				continue
			}
			if s.wl == "" {
				f.n = calibrated(r)
			} else {
				wlN[s.wl] = calibrated(r)
			}
		}
	}
	if f.ckN <= 0 {
		f.ckN = f.n
	}
	e.maxBuffered = max(f.n, f.ckN) + 1000
	var wlInfo []string
	for _, wl := range workloads() {
		if f.sel.has(wl.name) {
			e.maxBuffered = max(e.maxBuffered, wlN[wl.name]+1000)
			wlInfo = append(wlInfo, fmt.Sprintf("%s_n=%d", wl.name, wlN[wl.name]))
		}
	}
	only := "all"
	if f.sel != nil {
		only = f.only
	}
	fmt.Fprintf(w, "# sasquatch-go bench mode=%s n=%d ck_n=%d reps=%d partitions=%d linger=%s rate=%d latency=%s %s GOMAXPROCS=%d NumCPU=%d\n",
		mode, f.n, f.ckN, f.reps, f.partitions, f.linger, f.rate, f.latencyDur,
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(w, "# only=%s %s heap_n=%d\n", token(only), strings.Join(wlInfo, " "), f.heapN)

	figs := newFigures(f)
	enc, err := newEncoders()
	if err != nil {
		return 0, err
	}
	for rep := 1; rep <= f.reps; rep++ {
		results := map[step]result{}
		errs := map[step]error{}
		for _, s := range steps(f.sel) {
			if s.producer == "ck" && f.ckBin == "" {
				continue
			}
			n := f.n
			switch {
			case s.wl != "":
				n = wlN[s.wl]
			case s.producer == "ck":
				n = f.ckN
			}
			var r result
			if f.profileDir != "" && rep == 1 && s.producer != "ck" {
				r, err = profileStep(ctx, f, e, s, n)
			} else {
				r, err = runStep(ctx, f, e, s, n)
			}
			if err != nil {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				errs[s] = err
				fmt.Fprintf(w, "# rep %d/%d %s ERROR %v\n", rep, f.reps, s, err)
				continue
			}
			results[s] = r
			fmt.Fprintf(w, "# rep %d/%d %-12s n=%d %6.2fs %9.0f rec/s cpu=%5.0f ns/ev allocs=%5.2f/ev\n",
				rep, f.reps, s, r.n, r.elapsed.Seconds(), r.rate(), r.cpuPerEvent(), r.allocsPerEvent())
		}
		figs.addThroughput(results, errs)

		if f.sel.has("latency") {
			lat, err := measureLatency(ctx, e, f.rate, f.latencyDur)
			if err != nil {
				fmt.Fprintf(w, "# rep %d/%d latency ERROR %v\n", rep, f.reps, err)
				figs.latencyFailed(err)
			} else {
				fmt.Fprintf(w, "# rep %d/%d latency publish p50=%.1fus p99=%.1fus p99.9=%.1fus (%d calls); raw produce p99=%.1fus\n",
					rep, f.reps, lat.sdk.quantile(0.50), lat.sdk.quantile(0.99), lat.sdk.quantile(0.999), lat.sdk.count(), lat.raw.quantile(0.99))
				figs.addLatency(lat)
			}
		}

		if f.sel.has("encode") {
			sdkNs, handNs := compare(f.encodeDur, 5, enc.sdk, enc.hand)
			fmt.Fprintf(w, "# rep %d/%d encode sdk=%.1f ns hand=%.1f ns\n", rep, f.reps, sdkNs, handNs)
			figs.addEncode(sdkNs, handNs)
		}

		if f.sel.has("http") {
			mw, err := measureMiddleware(ctx, e, f.encodeDur, 5)
			if err != nil {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				fmt.Fprintf(w, "# rep %d/%d http middleware ERROR %v\n", rep, f.reps, err)
				figs.middlewareFailed(err)
			} else {
				fmt.Fprintf(w, "# rep %d/%d http middleware %.0f ns/req (bare %.0f, publishing by hand %.0f), allocs %.2f/req (bare %.2f, publishing by hand %.2f)\n",
					rep, f.reps, mw.wrappedNs, mw.bareNs, mw.publishNs, mw.wrappedAllocs, mw.bareAllocs, mw.publishAllocs)
				figs.addMiddleware(mw)
			}
		}

		if f.sel.has("heap") {
			h, err := heapOutage(ctx, f, e, f.heapN)
			if err != nil {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				fmt.Fprintf(w, "# rep %d/%d heap ERROR %v\n", rep, f.reps, err)
				figs.heapFailed(err)
			} else {
				fmt.Fprintf(w, "# rep %d/%d heap per buffered event (outage, %d events of %d B) sdk=%.0f B raw=%.0f B\n",
					rep, f.reps, f.heapN, h.valueLen, h.sdk, h.raw)
				figs.addHeap(h)
			}
		}
	}
	if f.ckBin == "" {
		reason := f.ckSkip
		if reason == "" {
			reason = "no -ck binary (build bench/ck with CGO_ENABLED=1 go build -tags ck)"
		}
		figs.skipCK(reason)
	}
	return report(w, figs.all(), f.short, f.check), nil
}

// warmUps are the runs of the full mode's warm-up: every in-process
// producer of the selected parts once; each raw run calibrates n.
func warmUps(sel selection) []step {
	var out []step
	if sel.has("base") {
		out = append(out, step{producer: "hand", comp: snappy}, step{producer: "sdk", comp: snappy}, step{producer: "raw", comp: snappy})
	}
	for _, s := range steps(sel) {
		if s.wl != "" {
			out = append(out, s)
		}
	}
	return out
}

// runStep runs one producer once.
func runStep(ctx context.Context, f flags, e *env, s step, n int) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if s.wl != "" {
		w, ok := workloadNamed(s.wl)
		if !ok {
			return result{}, fmt.Errorf("unknown workload %q", s.wl)
		}
		switch s.producer {
		case "raw":
			return runWorkloadRaw(ctx, e, w, n, rawShared)
		case "fresh":
			return runWorkloadRaw(ctx, e, w, n, rawFresh)
		case "floor":
			return runWorkloadRaw(ctx, e, w, n, rawFloor)
		case "sdk":
			return runWorkloadSDK(ctx, e, w, n)
		}
		return result{}, fmt.Errorf("workload %s: unknown producer %q", s.wl, s.producer)
	}
	switch s.producer {
	case "raw":
		return runRaw(ctx, e, s.comp, n)
	case "hand":
		return runHand(ctx, e, s.comp, n)
	case "sdk":
		return runSDK(ctx, e, s.comp, n)
	case "ck":
		return runCK(ctx, f.ckBin, e, s.comp, n)
	}
	return result{}, fmt.Errorf("unknown producer %q", s.producer)
}
