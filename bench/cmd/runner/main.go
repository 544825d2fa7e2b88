package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
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
