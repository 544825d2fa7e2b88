//go:build cluster

package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

// Registry is the stack's AxonOps Schema Registry (memory storage) behind a loopback TCP
// proxy, so that it can be stopped and started again at the same URL with its schemas: Stop
// copies the schemas, closes the proxy (clients get "connection refused") and stops the
// process (SIGTERM); Start starts a new process, imports the schemas under their ids and
// versions (the registry's IMPORT mode), and only then opens the proxy again. A production
// registry keeps its schemas (Confluent's in a Kafka topic); the AxonOps registry's only
// local storage is memory, so the import stands in for its durable storage.
type Registry struct {
	// URL is the registry's address for clients (the proxy's), constant across restarts.
	URL string

	owner    *testing.T // the top-level test: it owns the processes
	bin, dir string
	proxy    *proxy
	p        *proc.Process
	backend  string // the process's own address
	saved    []savedSchema
}

type savedSchema struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
	ID      int    `json:"id"`
	Schema  string `json:"schema"`
}

// startRegistry starts the registry and its proxy. The test's cleanup stops both (and the
// processes Start starts later, from subtests).
func startRegistry(t *testing.T) *Registry {
	t.Helper()
	bin := os.Getenv(envRegistryBin)
	if bin == "" {
		t.Fatalf("%s is not set: run make test-cluster (stack/cluster/test.sh)", envRegistryBin)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Registry{URL: "http://" + ln.Addr().String(), owner: t, bin: bin, dir: tempDir(t, "registry"), proxy: &proxy{conns: map[net.Conn]bool{}}}
	t.Cleanup(r.proxy.close)
	r.startProcess(t)
	r.proxy.serve(ln, r.backend)
	return r
}

func (r *Registry) startProcess(t *testing.T) {
	t.Helper()
	port := freePorts(t, 1)[0]
	conf := filepath.Join(r.dir, "config.yaml")
	yaml := fmt.Sprintf("server:\n  host: 127.0.0.1\n  port: %d\nstorage:\n  type: memory\ncompatibility:\n  default_level: BACKWARD\n", port)
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SCHEMA_REGISTRY_HOST=127.0.0.1", "SCHEMA_REGISTRY_PORT="+strconv.Itoa(port),
		"SCHEMA_REGISTRY_STORAGE_TYPE=memory")
	r.p = proc.Start(r.owner, r.bin, env, "-config", conf)
	r.backend = "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(readyTimeout)
	for {
		if err := r.call(t.Context(), http.MethodGet, "/subjects", nil, nil); err == nil {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("registry did not answer within %v: %v\n%s", readyTimeout, err, r.p.Stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop saves the registry's schemas, closes its URL and stops the process.
func (r *Registry) Stop(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	var subjects []string
	if err := r.call(ctx, http.MethodGet, "/subjects", nil, &subjects); err != nil {
		t.Fatal(err)
	}
	r.saved = r.saved[:0]
	for _, s := range subjects {
		var versions []int
		if err := r.call(ctx, http.MethodGet, "/subjects/"+s+"/versions", nil, &versions); err != nil {
			t.Fatal(err)
		}
		for _, v := range versions {
			var ss savedSchema
			if err := r.call(ctx, http.MethodGet, fmt.Sprintf("/subjects/%s/versions/%d", s, v), nil, &ss); err != nil {
				t.Fatal(err)
			}
			r.saved = append(r.saved, ss)
		}
	}
	r.proxy.close()
	if err := r.p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := r.p.WaitExit(t); err != nil {
		t.Logf("registry exited: %v", err)
	}
	t.Logf("registry stopped (%d schema(s) saved)", len(r.saved))
}

// Start starts a new registry process, imports the saved schemas and opens the URL again.
func (r *Registry) Start(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	r.startProcess(t)
	if len(r.saved) > 0 {
		if err := r.call(ctx, http.MethodPut, "/mode", map[string]string{"mode": "IMPORT"}, nil); err != nil {
			t.Fatalf("registry IMPORT mode: %v", err)
		}
		for _, s := range r.saved {
			body := map[string]any{"schema": s.Schema, "id": s.ID, "version": s.Version}
			var got struct{ ID int }
			if err := r.call(ctx, http.MethodPost, "/subjects/"+s.Subject+"/versions", body, &got); err != nil {
				t.Fatalf("import %s v%d (id %d): %v", s.Subject, s.Version, s.ID, err)
			}
			if got.ID != s.ID {
				t.Fatalf("import %s v%d: id %d, want %d", s.Subject, s.Version, got.ID, s.ID)
			}
		}
		if err := r.call(ctx, http.MethodPut, "/mode", map[string]string{"mode": "READWRITE"}, nil); err != nil {
			t.Fatalf("registry READWRITE mode: %v", err)
		}
	}
	ln, err := net.Listen("tcp", r.URL[len("http://"):])
	if err != nil {
		t.Fatalf("reopen the registry's address: %v", err)
	}
	r.proxy.serve(ln, r.backend)
	t.Logf("registry started again (%d schema(s) imported)", len(r.saved))
}

// Schema returns the schema with id, as the registry's clients see it (through the proxy).
func (r *Registry) Schema(ctx context.Context, id int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/schemas/ids/%d", r.URL, id), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Schema string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("schema %d: HTTP %d (%v)", id, resp.StatusCode, err)
	}
	return out.Schema, nil
}

// call sends a JSON request to the registry process itself (not through the proxy) and
// decodes a 2xx answer into out (when not nil).
func (r *Registry) call(ctx context.Context, method, path string, in, out any) error {
	return testkit.RegistryCall(ctx, "http://"+r.backend, method, path, in, out)
}

// proxy forwards the TCP connections of one listener to a backend address. Hand-written
// (40 lines): no library in the module does this.
type proxy struct {
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func (p *proxy) serve(ln net.Listener, backend string) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			if !p.track(c, b) {
				return
			}
			p.wg.Add(2)
			go p.pipe(c, b)
			go p.pipe(b, c)
		}
	}()
}

// track records the pair of connections, or closes them and says false when the proxy was
// closed meanwhile.
func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// close closes the listener and every connection, and waits for the goroutines (a no-op when
// closed already).
func (p *proxy) close() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
