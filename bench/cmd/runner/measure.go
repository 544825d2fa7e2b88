package main

import (
	"runtime"
	"syscall"
	"time"
)

// result is what one producer run measured between the first send and the
// last delivery.
type result struct {
	n       int           // events sent (and delivered)
	elapsed time.Duration // wall time
	cpu     time.Duration // process CPU, user + system
	mallocs uint64        // heap allocations of the process
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r result) cpuPerEvent() float64 { return float64(r.cpu.Nanoseconds()) / float64(r.n) }

func (r result) allocsPerEvent() float64 { return float64(r.mallocs) / float64(r.n) }

// measure runs fn, which sends n events and waits for their delivery, and
// measures it. It collects garbage first so that every run starts from the
// same heap.
func measure(n int, fn func() error) (result, error) {
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	t0 := time.Now()
	err := fn()
	elapsed := time.Since(t0)
	cpu1 := processCPU()
	runtime.ReadMemStats(&ms1)
	return result{n: n, elapsed: elapsed, cpu: cpu1 - cpu0, mallocs: ms1.Mallocs - ms0.Mallocs}, err
}

// processCPU is the user + system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
