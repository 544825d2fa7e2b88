package main

import "fmt"

// figures are every line of the report.
type figures struct {
	sel   selection
	steps []step // the selected runs
	// informational, per producer
	rate, cpu, allocs map[step]*figure
	p50, p999, rawP99 *figure
	encSDK, encHand   *figure
	// with targets
	sdkRawSnappy, sdkRawNone, sdkHand, sdkCK *figure
	cpuSDKRaw, allocsBeyondRaw, p99, encode  *figure
	// the httpmetrics middleware against the bare handler
	httpBare, httpPublish, httpWrapped, httpRatio *figure
	httpAllocsFull, httpOverhead, httpAllocs      *figure
	// the workloads (issue 17), in workloads() order
	wls []*wlFigures
	// heap per buffered event during an outage
	heapSDK, heapRaw, heapRatio *figure
}

// wlFigures are a workload's figures beyond its runs' RATE, CPU and ALLOCS.
type wlFigures struct {
	w   workload
	sdk *figure // RATIO <name>_sdk_vs_raw: events/s, with the workload's target
	cpu *figure // RATIO cpu_per_event_<name>_sdk_vs_raw: information
	// RATIO <name>_fresh_vs_raw and <name>_sdk_vs_fresh: information, raw
	// with a value of its own per event (runWorkloadRaw with rawFresh) against raw, and
	// the SDK against it: how much of the gap a value per event is.
	fresh, sdkFresh *figure
	// RATIO <name>_floor_vs_raw and <name>_sdk_vs_floor: information, the
	// floor run (runWorkloadRaw with rawFloor: hand-written encoding and
	// metadata, no accounting) against raw, and the SDK against it: whether
	// any producer that encodes per event reaches the target here, and what
	// the SDK's own work (checks, plan, accounting, statistics) costs.
	floor, sdkFloor *figure
}

func newFigures(f flags) *figures {
	fs := &figures{
		sel: f.sel, steps: steps(f.sel),
		rate: map[step]*figure{}, cpu: map[step]*figure{}, allocs: map[step]*figure{},
		p50:             &figure{kind: "LATENCY", name: "publish_p50_us"},
		p999:            &figure{kind: "LATENCY", name: "publish_p999_us"},
		rawP99:          &figure{kind: "LATENCY", name: "raw_produce_p99_us"},
		encSDK:          &figure{kind: "ENCODE", name: "sdk_append_ns"},
		encHand:         &figure{kind: "ENCODE", name: "hand_append_ns"},
		sdkRawSnappy:    &figure{kind: "RATIO", name: "sdk_vs_raw_snappy", target: atLeast(0.60)},
		sdkRawNone:      &figure{kind: "RATIO", name: "sdk_vs_raw_none", target: atLeast(0.75)},
		sdkHand:         &figure{kind: "RATIO", name: "sdk_vs_hand", target: atLeast(1.3)},
		sdkCK:           &figure{kind: "RATIO", name: "sdk_vs_ck", target: atLeast(10)},
		cpuSDKRaw:       &figure{kind: "RATIO", name: "cpu_per_event_sdk_vs_raw"},
		allocsBeyondRaw: &figure{kind: "ALLOCS", name: "sdk_beyond_raw_per_publish", target: atMost(1)},
		p99:             &figure{kind: "LATENCY", name: "publish_p99_us", target: atMost(15)},
		encode:          &figure{kind: "RATIO", name: "encode_sdk_vs_hand", target: atMost(1.5)},
		httpBare:        &figure{kind: "HTTP", name: "bare_handler_ns"},
		httpPublish:     &figure{kind: "HTTP", name: "publishing_handler_ns"},
		httpWrapped:     &figure{kind: "HTTP", name: "middleware_handler_ns"},
		httpRatio:       &figure{kind: "RATIO", name: "http_middleware_vs_bare"},
		httpAllocsFull:  &figure{kind: "ALLOCS", name: "http_middleware_beyond_bare_with_delivery_per_request"},
		httpOverhead:    &figure{kind: "OVERHEAD", name: "http_middleware_ns_per_request", target: atMost(2000)},
		httpAllocs:      &figure{kind: "ALLOCS", name: "http_middleware_beyond_publish_per_request", target: atMost(1)},
		heapSDK:         &figure{kind: "HEAP", name: "sdk_bytes_per_buffered_event"},
		heapRaw:         &figure{kind: "HEAP", name: "raw_bytes_per_buffered_event"},
		heapRatio:       &figure{kind: "RATIO", name: "heap_per_buffered_event_sdk_vs_raw", target: atMost(1.1)},
	}
	for _, w := range workloads() {
		if f.sel.has(w.name) {
			fs.wls = append(fs.wls, &wlFigures{
				w:        w,
				sdk:      &figure{kind: "RATIO", name: w.name + "_sdk_vs_raw", target: atLeast(w.target)},
				cpu:      &figure{kind: "RATIO", name: "cpu_per_event_" + w.name + "_sdk_vs_raw"},
				fresh:    &figure{kind: "RATIO", name: w.name + "_fresh_vs_raw"},
				sdkFresh: &figure{kind: "RATIO", name: w.name + "_sdk_vs_fresh"},
				floor:    &figure{kind: "RATIO", name: w.name + "_floor_vs_raw"},
				sdkFloor: &figure{kind: "RATIO", name: w.name + "_sdk_vs_floor"},
			})
		}
	}
	for _, s := range fs.steps {
		fs.rate[s] = &figure{kind: "RATE", name: s.String() + "_rec_per_s"}
		fs.cpu[s] = &figure{kind: "CPU", name: s.String() + "_ns_per_event"}
		fs.allocs[s] = &figure{kind: "ALLOCS", name: s.String() + "_per_event"}
	}
	return fs
}

// all lists the figures of the selected parts in report order: the runs'
// information first, then the 10-field event's figures (targets last), then
// the workloads' and the heap's (information first).
func (fs *figures) all() []*figure {
	var out []*figure
	for _, m := range []map[step]*figure{fs.rate, fs.cpu, fs.allocs} {
		for _, s := range fs.steps {
			if m[s].kind == "ALLOCS" && s.producer == "ck" {
				continue // cgo allocations are invisible to the Go runtime
			}
			out = append(out, m[s])
		}
	}
	if fs.sel.has("latency") {
		out = append(out, fs.p50, fs.p999, fs.rawP99)
	}
	if fs.sel.has("encode") {
		out = append(out, fs.encSDK, fs.encHand)
	}
	if fs.sel.has("http") {
		out = append(out, fs.httpBare, fs.httpPublish, fs.httpWrapped, fs.httpRatio, fs.httpAllocsFull)
	}
	if fs.sel.has("base") {
		out = append(out, fs.sdkRawSnappy, fs.sdkRawNone, fs.sdkHand, fs.sdkCK, fs.cpuSDKRaw, fs.allocsBeyondRaw)
	}
	if fs.sel.has("latency") {
		out = append(out, fs.p99)
	}
	if fs.sel.has("encode") {
		out = append(out, fs.encode)
	}
	if fs.sel.has("http") {
		out = append(out, fs.httpOverhead, fs.httpAllocs)
	}
	for _, wf := range fs.wls {
		out = append(out, wf.cpu, wf.fresh, wf.sdkFresh, wf.floor, wf.sdkFloor)
	}
	if fs.sel.has("heap") {
		out = append(out, fs.heapSDK, fs.heapRaw)
	}
	for _, wf := range fs.wls {
		out = append(out, wf.sdk)
	}
	if fs.sel.has("heap") {
		out = append(out, fs.heapRatio)
	}
	return out
}

// addThroughput adds one repetition's runs.
func (fs *figures) addThroughput(res map[step]result, errs map[step]error) {
	get := func(s step) (result, error) {
		if r, ok := res[s]; ok {
			return r, nil
		}
		if err := errs[s]; err != nil {
			return result{}, fmt.Errorf("%s: %w", s, err)
		}
		return result{}, fmt.Errorf("%s: not run", s)
	}
	for _, s := range fs.steps {
		r, err := get(s)
		if err != nil {
			fs.rate[s].fail(err.Error())
			fs.cpu[s].fail(err.Error())
			fs.allocs[s].fail(err.Error())
			continue
		}
		fs.rate[s].add(r.rate())
		fs.cpu[s].add(r.cpuPerEvent())
		fs.allocs[s].add(r.allocsPerEvent())
	}
	pair := func(fig *figure, a, b step, v func(a, b result) float64) {
		ra, err := get(a)
		if err == nil {
			var rb result
			if rb, err = get(b); err == nil {
				fig.add(v(ra, rb))
				return
			}
		}
		fig.fail(err.Error())
	}
	ratio := func(a, b result) float64 { return a.rate() / b.rate() }
	cpuRatio := func(a, b result) float64 { return a.cpuPerEvent() / b.cpuPerEvent() }
	for _, wf := range fs.wls {
		sdk, raw := step{producer: "sdk", comp: snappy, wl: wf.w.name}, step{producer: "raw", comp: snappy, wl: wf.w.name}
		fresh := step{producer: "fresh", comp: snappy, wl: wf.w.name}
		pair(wf.sdk, sdk, raw, ratio)
		pair(wf.cpu, sdk, raw, cpuRatio)
		pair(wf.fresh, fresh, raw, ratio)
		pair(wf.sdkFresh, sdk, fresh, ratio)
		floor := step{producer: "floor", comp: snappy, wl: wf.w.name}
		pair(wf.floor, floor, raw, ratio)
		pair(wf.sdkFloor, sdk, floor, ratio)
	}
	if !fs.sel.has("base") {
		return
	}
	sdkS, sdkN := step{producer: "sdk", comp: snappy}, step{producer: "sdk", comp: none}
	rawS, rawN := step{producer: "raw", comp: snappy}, step{producer: "raw", comp: none}
	pair(fs.sdkRawSnappy, sdkS, rawS, ratio)
	pair(fs.sdkRawNone, sdkN, rawN, ratio)
	pair(fs.sdkHand, sdkS, step{producer: "hand", comp: snappy}, ratio)
	pair(fs.sdkCK, sdkS, step{producer: "ck", comp: snappy}, ratio)
	pair(fs.cpuSDKRaw, sdkS, rawS, cpuRatio)
	pair(fs.allocsBeyondRaw, sdkS, rawS, func(a, b result) float64 { return a.allocsPerEvent() - b.allocsPerEvent() })
}

// addHeap adds one repetition's outage heap measurement.
func (fs *figures) addHeap(h heapResult) {
	fs.heapSDK.add(h.sdk)
	fs.heapRaw.add(h.raw)
	if h.raw <= 0 {
		fs.heapRatio.fail("raw's heap per buffered event measured as 0")
		return
	}
	fs.heapRatio.add(h.sdk / h.raw)
}

// heapFailed records why a repetition has no heap figures.
func (fs *figures) heapFailed(err error) {
	for _, f := range []*figure{fs.heapSDK, fs.heapRaw, fs.heapRatio} {
		f.fail(err.Error())
	}
}

func (fs *figures) addLatency(l latencyResult) {
	fs.p50.add(l.sdk.quantile(0.50))
	fs.p99.add(l.sdk.quantile(0.99))
	fs.p999.add(l.sdk.quantile(0.999))
	fs.rawP99.add(l.raw.quantile(0.99))
}

func (fs *figures) latencyFailed(err error) {
	for _, f := range []*figure{fs.p50, fs.p99, fs.p999, fs.rawP99} {
		f.fail(err.Error())
	}
}

func (fs *figures) addEncode(sdkNs, handNs float64) {
	fs.encSDK.add(sdkNs)
	fs.encHand.add(handNs)
	fs.encode.add(sdkNs / handNs)
}

// addMiddleware adds one repetition's middleware timing. The overhead is
// the wrapped handler's time minus the bare one's, measured in the same
// alternating rounds; it includes Publish. The allocations with a target
// are the wrapped handler's minus those of the handler that publishes the
// same event by hand: what franz-go allocates to deliver any event (ALLOCS
// raw_*_per_event) is left out, as in sdk_beyond_raw_per_publish; the line
// without a target keeps it in.
func (fs *figures) addMiddleware(r middlewareResult) {
	fs.httpBare.add(r.bareNs)
	fs.httpPublish.add(r.publishNs)
	fs.httpWrapped.add(r.wrappedNs)
	fs.httpRatio.add(r.wrappedNs / r.bareNs)
	fs.httpAllocsFull.add(r.wrappedAllocs - r.bareAllocs)
	fs.httpOverhead.add(r.wrappedNs - r.bareNs)
	fs.httpAllocs.add(r.wrappedAllocs - r.publishAllocs)
}

func (fs *figures) middlewareFailed(err error) {
	for _, f := range []*figure{fs.httpBare, fs.httpPublish, fs.httpWrapped, fs.httpRatio, fs.httpAllocsFull, fs.httpOverhead, fs.httpAllocs} {
		f.fail(err.Error())
	}
}

// skipCK marks every figure of the confluent-kafka-go producer SKIP.
func (fs *figures) skipCK(reason string) {
	for _, s := range fs.steps {
		if s.producer == "ck" {
			fs.rate[s].skip = reason
			fs.cpu[s].skip = reason
			fs.allocs[s].skip = reason
		}
	}
	fs.sdkCK.skip = reason
}
