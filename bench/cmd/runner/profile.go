package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// profileStep runs one in-process producer under the CPU profiler and writes
// the profile to cpu-<step>.pprof in f.profileDir. The broker runs in another
// process, so the profile holds only the producer's side (the loop, franz-go's
// batching, compression and I/O, the GC). Read it with
//
//	go tool pprof -top cpu-sdk_snappy.pprof
//
// For allocation sites use the runner's BenchmarkPublish with -memprofile.
func profileStep(ctx context.Context, f flags, e *env, s step, n int) (res result, err error) {
	if err := os.MkdirAll(f.profileDir, 0o755); err != nil {
		return result{}, err
	}
	out, err := os.Create(filepath.Join(f.profileDir, "cpu-"+s.String()+".pprof"))
	if err != nil {
		return result{}, err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	if err := pprof.StartCPUProfile(out); err != nil {
		return result{}, err
	}
	defer pprof.StopCPUProfile()
	return runStep(ctx, f, e, s, n)
}
