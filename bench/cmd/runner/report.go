package main

// The report: a figure per line, with its verdict against its target, and
// report, which prints them with a summary and returns the exit code.

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// status is the verdict of one figure.
type status string

const (
	statusPass    status = "PASS"
	statusFail    status = "FAIL"
	statusInfo    status = "INFO"    // a figure without a target
	statusSkip    status = "SKIP"    // not measurable here, with a reason
	statusMissing status = "MISSING" // should have been measured but was not
)

// target is a bound a figure must meet: value >= bound (atLeast) or
// value <= bound.
type target struct {
	atLeast bool
	bound   float64
}

func atLeast(v float64) *target { return &target{atLeast: true, bound: v} }
func atMost(v float64) *target  { return &target{bound: v} }

func (t *target) String() string {
	if t == nil {
		return "target=none"
	}
	op := "<="
	if t.atLeast {
		op = ">="
	}
	return "target" + op + formatValue(t.bound)
}

func (t *target) met(v float64) bool {
	if t.atLeast {
		return v >= t.bound
	}
	return v <= t.bound
}

// figure is one line of the report: a named value measured once per
// repetition; the reported value is the median over the repetitions and the
// spread their range.
type figure struct {
	kind   string // RATIO, ALLOCS, LATENCY
	name   string
	target *target
	values []float64
	// skip is why the figure cannot be measured here (SKIP); missing is
	// why it should have been but was not (MISSING).
	skip, missing string
}

func (f *figure) add(v float64) {
	if !math.IsNaN(v) && !math.IsInf(v, 0) {
		f.values = append(f.values, v)
	}
}

// fail records why a repetition produced no value; the first reason is kept.
func (f *figure) fail(reason string) {
	if f.missing == "" {
		f.missing = reason
	}
}

func (f *figure) status() status {
	switch {
	case f.skip != "":
		return statusSkip
	case len(f.values) == 0:
		return statusMissing
	case f.target == nil:
		return statusInfo
	case f.target.met(shown(median(f.values))):
		// Judged on the printed value: an allocation count of 1.0004 is 1.
		return statusPass
	default:
		return statusFail
	}
}

// line renders the figure, e.g.
// "RATIO sdk_vs_raw_snappy 0.63 target>=0.6 PASS reps=7 spread=0.58-0.66".
func (f *figure) line() string {
	switch st := f.status(); st {
	case statusSkip:
		return fmt.Sprintf("%s %s SKIP reason=%s", f.kind, f.name, token(f.skip))
	case statusMissing:
		reason := f.missing
		if reason == "" {
			reason = "not measured"
		}
		return fmt.Sprintf("%s %s MISSING reason=%s", f.kind, f.name, token(reason))
	default:
		lo, hi := slices.Min(f.values), slices.Max(f.values)
		return fmt.Sprintf("%s %s %s %s %s reps=%d spread=%s-%s",
			f.kind, f.name, formatValue(median(f.values)), f.target, st,
			len(f.values), formatValue(lo), formatValue(hi))
	}
}

// token makes s one whitespace-free token, so lines stay machine-readable.
func token(s string) string {
	return strings.Join(strings.Fields(s), "_")
}

// formatValue prints 3 significant digits, without exponent for the usual
// magnitudes.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.01:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// shown is v as printed by formatValue.
func shown(v float64) float64 {
	s, err := strconv.ParseFloat(formatValue(v), 64)
	if err != nil {
		return v
	}
	return s
}

// median of vs (not modified); NaN when empty.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func nan() float64 { return math.NaN() }

// report prints every figure and returns the process exit code: 2 if a
// figure is missing; with check and not short, 1 if a target failed; else 0.
func report(w io.Writer, figs []*figure, short, check bool) int {
	var pass, fail, skip, missing int
	for _, f := range figs {
		fmt.Fprintln(w, f.line())
		switch f.status() {
		case statusPass:
			pass++
		case statusFail:
			fail++
		case statusSkip:
			skip++
		case statusMissing:
			missing++
		}
	}
	mode := "full"
	if short {
		mode = "short"
	}
	fmt.Fprintf(w, "SUMMARY mode=%s figures=%d pass=%d fail=%d skip=%d missing=%d\n",
		mode, len(figs), pass, fail, skip, missing)
	switch {
	case missing > 0:
		return 2
	case check && !short && fail > 0:
		return 1
	}
	return 0
}
