package main

// The runs: the steps of a repetition (one producer run each), and run,
// which starts the broker and the registry, calibrates n, repeats the steps
// and the latency, encode, http and heap parts, and reports.

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

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
