package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/lsst-sqre/sasquatch-go/bench/event"
)

// broker is the kfake broker process (bench/cmd/broker).
type broker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startBroker starts the broker binary and waits for its ADDR line.
func startBroker(ctx context.Context, bin string, partitions int) (*broker, error) {
	cmd := exec.Command(bin, "-partitions", strconv.Itoa(partitions))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start broker %s: %w", bin, err)
	}
	b := &broker{cmd: cmd, stdin: stdin}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr <- a
				break
			}
		}
		close(addr)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a, ok := <-addr:
		if ok {
			b.addr = a
			return b, nil
		}
		b.stop()
		return nil, fmt.Errorf("broker exited before it was ready: %s", strings.TrimSpace(stderr.String()))
	case <-time.After(30 * time.Second):
		b.stop()
		return nil, errors.New("broker not ready after 30s")
	case <-ctx.Done():
		b.stop()
		return nil, ctx.Err()
	}
}

// stop closes the broker's stdin, which makes it exit, and waits for it.
func (b *broker) stop() {
	_ = b.stdin.Close()
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}

// ckResult is the JSON line the confluent-kafka-go producer prints after
// "RESULT ": its own measurement of the timed window.
type ckResult struct {
	N         int   `json:"n"`
	ElapsedNS int64 `json:"elapsed_ns"`
	CPUNS     int64 `json:"cpu_ns"`
	Mallocs   int64 `json:"mallocs"`
}

// runCK runs the confluent-kafka-go producer (bench/ck) once, in its own
// process: it sets up, sends n events, waits for every delivery report and
// reports the time between its first send and its last report.
func runCK(ctx context.Context, bin string, e *env, c compression, n int) (result, error) {
	cmd := exec.CommandContext(ctx, bin,
		"-brokers", e.broker,
		"-registry", e.registryURL,
		"-topic", event.Topic,
		"-subject", event.Subject,
		"-n", strconv.Itoa(n),
		"-compression", string(c),
		"-linger", e.linger.String(),
		"-max-buffered", strconv.Itoa(e.maxBuffered),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("ck producer: %w: %s", err, lastLine(stderr.String()))
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		js, ok := strings.CutPrefix(line, "RESULT ")
		if !ok {
			continue
		}
		var r ckResult
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			return result{}, fmt.Errorf("ck producer: bad RESULT line %q: %w", line, err)
		}
		if r.N != n || r.ElapsedNS <= 0 {
			return result{}, fmt.Errorf("ck producer: delivered %d of %d events in %d ns", r.N, n, r.ElapsedNS)
		}
		return result{n: r.N, elapsed: time.Duration(r.ElapsedNS), cpu: time.Duration(r.CPUNS), mallocs: uint64(r.Mallocs)}, nil
	}
	return result{}, fmt.Errorf("ck producer printed no RESULT line: %s", lastLine(stderr.String()))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
