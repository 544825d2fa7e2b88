// Package proc builds a main package and runs it as a child process for the
// repository's end-to-end tests: Build compiles it once per test, Start runs
// it with a chosen environment and follows what it prints, and the test's
// cleanup kills it if it still runs and logs its output if the test failed.
package proc

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// Timeout bounds each wait of Process: the binary may be built with the
// race detector and run on a busy machine.
const Timeout = 90 * time.Second

// Build builds the main package pkg (an import path, or a directory
// relative to the test's working directory such as ".") into t.TempDir()
// and returns the binary's path. It builds with the race detector when the
// test runs with it, and fails the test if the go command is missing or the
// build fails.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building %s needs the go command: %v", pkg, err)
	}
	name := filepath.Base(pkg)
	if abs, err := filepath.Abs(pkg); err == nil && strings.HasPrefix(pkg, ".") {
		name = filepath.Base(abs) // "." builds the package of the working directory
	}
	bin := filepath.Join(t.TempDir(), name)
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	started := time.Now()
	if out, err := exec.Command(gobin, append(args, pkg)...).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	t.Logf("built %s in %v", name, time.Since(started).Round(time.Millisecond))
	return bin
}

// CleanEnv is this process's environment without any variable the SDK or
// the example service reads (METRICS_*, KAFKA_*, SCHEMA_MANAGER_*,
// HTTP_ADDR), followed by extra ("NAME=value"): a child started with it
// sees only the settings the test chose.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KAFKA_") || strings.HasPrefix(name, "SCHEMA_MANAGER_") ||
			strings.HasPrefix(name, "METRICS_") || name == "HTTP_ADDR" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// Process is a running child process and what it printed: its stdout line
// by line, its stderr as text. Its methods are safe for concurrent use.
type Process struct {
	cmd    *exec.Cmd
	stderr testkit.Buffer
	exited chan struct{}
	err    error // cmd.Wait's result, set before exited is closed

	mu      sync.Mutex
	lines   []string      // stdout lines so far
	eof     bool          // stdout is closed
	changed chan struct{} // closed and replaced when lines or eof change
}

// Start starts bin with args and the environment env (exactly: nothing is
// inherited; see CleanEnv). The test's cleanup kills the process if it
// still runs, waits for it, and logs its stdout and stderr if the test
// failed.
func Start(t testing.TB, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(bin, args...), exited: make(chan struct{}), changed: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stderr = &p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.update(func() { p.lines = append(p.lines, sc.Text()) })
		}
		p.update(func() { p.eof = true })
		p.err = p.cmd.Wait() // after every read from the pipe, as os/exec requires
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(p.Lines(), "\n"), p.Stderr())
		}
	})
	return p
}

func (p *Process) update(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	close(p.changed)
	p.changed = make(chan struct{})
}

// Lines returns a copy of the stdout lines printed so far.
func (p *Process) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Stderr returns what the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Pid returns the process id (to read /proc/<pid>, say).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig to the process.
func (p *Process) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// WaitLines waits until done accepts the stdout lines printed so far, and
// returns them. It fails the test, naming what, if the process closes its
// stdout first or Timeout passes.
func (p *Process) WaitLines(t testing.TB, what string, done func([]string) bool) []string {
	t.Helper()
	timeout := time.NewTimer(Timeout)
	defer timeout.Stop()
	for {
		p.mu.Lock()
		lines, eof, changed := append([]string(nil), p.lines...), p.eof, p.changed
		p.mu.Unlock()
		if done(lines) {
			return lines
		}
		if eof {
			t.Fatalf("the process exited before printing %s", what)
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("the process did not print %s within %v", what, Timeout)
		}
	}
}

// WaitPrefix waits for a stdout line that starts with prefix and returns
// the rest of the first such line, as WaitLines.
func (p *Process) WaitPrefix(t testing.TB, prefix string) string {
	t.Helper()
	var rest string
	p.WaitLines(t, "a line "+strings.TrimSpace(prefix)+"...", func(lines []string) bool {
		for _, l := range lines {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				rest = v
				return true
			}
		}
		return false
	})
	return rest
}

// WaitExit waits for the process to exit and returns cmd.Wait's error (an
// *exec.ExitError for a non-zero status). It fails the test if Timeout
// passes first.
func (p *Process) WaitExit(t testing.TB) error {
	t.Helper()
	select {
	case <-p.exited:
		return p.err
	case <-time.After(Timeout):
		t.Fatalf("the process did not exit within %v", Timeout)
		return nil
	}
}
