//go:build cluster

package cluster_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

// Environment of the test, set by stack/cluster/test.sh from stack/lib.sh.
const (
	envKafkaLibs   = "SASQUATCH_CLUSTER_KAFKA_LIBS"   // the Kafka jars (stack/install.sh)
	envRegistryBin = "SASQUATCH_CLUSTER_REGISTRY_BIN" // the AxonOps registry binary
	envKeep        = "SASQUATCH_CLUSTER_KEEP"         // 1: keep the cluster's dir (logs)
)

// jvmOptions are each node's JVM options.
var jvmOptions = []string{"-Xms128m", "-Xmx512m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
	"-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"}

// readyTimeout bounds every wait for the cluster (JVMs start slowly on a busy 2-core machine).
const readyTimeout = 2 * time.Minute

// node is one combined broker+controller of the cluster.
type node struct {
	id             int
	port, ctrlPort int
	dir            string // the node's dir: server.properties, data/, server.log
	p              *proc.Process
}

func (n *node) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// Cluster is three Kafka nodes in KRaft mode, each a broker and a controller, on loopback
// ports the OS picked, with data and logs in a temp dir. Its methods are called from the
// test's goroutine (or its subtests', one at a time).
type Cluster struct {
	t        *testing.T // the top-level test: it owns the JVMs
	java     string
	libs     string
	dir      string
	stackctl string
	nodes    []*node
	// Bootstrap is every node's PLAINTEXT address, comma-separated.
	Bootstrap string
	adm       *kadm.Client

	mu     sync.Mutex
	topics []string // the topics created so far (isr-wait checks them all)
}

// startCluster formats and starts the three nodes and waits until they all answer and a
// controller is elected. It returns how long that took (formatting included). The test's
// cleanup kills the nodes that still run.
func startCluster(t *testing.T) (*Cluster, time.Duration) {
	t.Helper()
	libs := os.Getenv(envKafkaLibs)
	if libs == "" {
		t.Fatalf("%s is not set: run make test-cluster (stack/cluster/test.sh)", envKafkaLibs)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("java (17+) is needed to run Kafka: %v", err)
	}
	c := &Cluster{t: t, java: java, libs: libs, dir: tempDir(t, "kafka")}
	c.stackctl = proc.Build(t, "github.com/lsst-sqre/sasquatch-go/stack/stackctl")

	tmpl, err := os.ReadFile("server.properties.in")
	if err != nil {
		t.Fatal(err)
	}
	ports := freePorts(t, 6)
	var voters []string
	for i := range 3 {
		n := &node{id: i + 1, port: ports[2*i], ctrlPort: ports[2*i+1], dir: filepath.Join(c.dir, fmt.Sprintf("node%d", i+1))}
		c.nodes = append(c.nodes, n)
		voters = append(voters, fmt.Sprintf("%d@127.0.0.1:%d", n.id, n.ctrlPort))
	}
	var addrs []string
	for _, n := range c.nodes {
		conf := strings.NewReplacer("@NODE_ID@", strconv.Itoa(n.id), "@PORT@", strconv.Itoa(n.port),
			"@CONTROLLER_PORT@", strconv.Itoa(n.ctrlPort), "@VOTERS@", strings.Join(voters, ","),
			"@DATA@", filepath.Join(n.dir, "data")).Replace(string(tmpl))
		if err := os.MkdirAll(n.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(n.dir, "server.properties"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, n.addr())
	}
	c.Bootstrap = strings.Join(addrs, ",")

	started := time.Now()
	// A cluster id is 16 random bytes in unpadded URL-safe base64 (as stack/kafka-restart.sh);
	// it may start with '-', hence --cluster-id=.
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	clusterID := base64.RawURLEncoding.EncodeToString(id)
	var formats []*proc.Process
	for _, n := range c.nodes {
		formats = append(formats, proc.Start(t, c.java, os.Environ(), c.javaArgs(n, "kafka.tools.StorageTool", "format",
			"--cluster-id="+clusterID, "--config="+filepath.Join(n.dir, "server.properties"))...))
	}
	for i, f := range formats {
		if err := f.WaitExit(t); err != nil {
			t.Fatalf("format node %d: %v\n%s", i+1, err, f.Stderr())
		}
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.MetadataMinAge(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	c.adm = kadm.NewClient(cl)
	c.WaitReady(t)
	up := time.Since(started)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.nodes {
				t.Logf("node %d log: %s", n.id, filepath.Join(n.dir, "server.log"))
			}
		}
	})
	return c, up
}

// javaArgs are the arguments of a JVM running class main of the Kafka jars for node n.
func (c *Cluster) javaArgs(n *node, main string, args ...string) []string {
	out := append([]string(nil), jvmOptions...)
	out = append(out, "-Dkafka.logs.dir="+n.dir, "-Dlog4j2.configurationFile="+absPath(c.t, "log4j2.properties"),
		"-cp", filepath.Join(c.libs, "*"), main)
	return append(out, args...)
}

// start starts node n (its JVM only: see WaitReady).
func (c *Cluster) start(n *node) {
	n.p = proc.Start(c.t, c.java, os.Environ(), c.javaArgs(n, "kafka.Kafka", filepath.Join(n.dir, "server.properties"))...)
}

// Start starts node n again (same ports, same data) and waits until it has rejoined:
// WaitReady.
func (c *Cluster) Start(t *testing.T, n *node) time.Duration {
	t.Helper()
	t0 := time.Now()
	c.start(n)
	c.WaitReady(t)
	d := time.Since(t0)
	t.Logf("node %d restarted and in sync in %v", n.id, d.Round(time.Millisecond))
	return d
}

// Kill sends SIGKILL to node n and waits for its JVM to exit.
func (c *Cluster) Kill(t *testing.T, n *node) {
	t.Helper()
	if err := n.p.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node %d: %v", n.id, err)
	}
	_ = n.p.WaitExit(t) // "signal: killed"
	t.Logf("node %d killed (SIGKILL)", n.id)
}

// Stop sends SIGTERM to node n (a controlled shutdown: its partitions' leadership moves
// first) and waits for its JVM to exit.
func (c *Cluster) Stop(t *testing.T, n *node) time.Duration {
	t.Helper()
	t0 := time.Now()
	if err := n.p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM node %d: %v", n.id, err)
	}
	if err := n.p.WaitExit(t); err != nil {
		t.Logf("node %d exited: %v", n.id, err)
	}
	d := time.Since(t0)
	t.Logf("node %d stopped (SIGTERM) in %v", n.id, d.Round(time.Millisecond))
	return d
}

// WaitReady waits until every node answers a metadata request listing the three nodes as live
// brokers and an elected controller (asking each node itself: a node that stayed up while the
// quorum was lost answers from its stale view), and every partition of the topics created so
// far has a leader and all its replicas in sync.
func (c *Cluster) WaitReady(t *testing.T) {
	t.Helper()
	c.ctl(t, "kafka-wait", "-count", "3", "-each")
	c.mu.Lock()
	topics := strings.Join(c.topics, ",")
	c.mu.Unlock()
	if topics != "" {
		c.ctl(t, "isr-wait", "-topics", topics)
	}
}

// CreateTopic creates topic with one partition, replication factor 3 and
// min.insync.replicas=2, and waits until its replicas are in sync.
func (c *Cluster) CreateTopic(t *testing.T, topic string) {
	t.Helper()
	c.ctl(t, "topics", "-topics", topic, "-partitions", "1", "-replication-factor", "3", "-config", "min.insync.replicas=2")
	c.ctl(t, "isr-wait", "-topics", topic)
	c.mu.Lock()
	c.topics = append(c.topics, topic)
	c.mu.Unlock()
}

// ctl runs stackctl cmd against the cluster.
func (c *Cluster) ctl(t *testing.T, cmd string, args ...string) {
	t.Helper()
	args = append([]string{cmd, "-brokers", c.Bootstrap, "-timeout", readyTimeout.String()}, args...)
	out, err := exec.CommandContext(t.Context(), c.stackctl, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("stackctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Leader returns the node leading topic's partition 0.
func (c *Cluster) Leader(t *testing.T, topic string) *node {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	p, ok := md.Topics[topic].Partitions[0]
	if !ok || p.Leader < 0 {
		t.Fatalf("%s/0 has no leader: %+v", topic, md.Topics[topic])
	}
	return c.nodes[p.Leader-1]
}

// Others returns the nodes other than except.
func (c *Cluster) Others(except ...*node) []*node {
	var out []*node
	for _, n := range c.nodes {
		skip := false
		for _, e := range except {
			skip = skip || e == n
		}
		if !skip {
			out = append(out, n)
		}
	}
	return out
}

// RSS returns the resident set size of each node's JVM, in MiB (0 for a node that is down).
func (c *Cluster) RSS() []int {
	var out []int
	for _, n := range c.nodes {
		out = append(out, rssMiB(n.p.Pid()))
	}
	return out
}

// rssMiB reads VmRSS of process pid from /proc (0 when it is gone).
func rssMiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return kb / 1024
		}
	}
	return 0
}

// freePorts returns n distinct free loopback ports (all listeners stay open until every port
// is chosen).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out
}

// tempDir is a fresh dir for name, removed at cleanup unless SASQUATCH_CLUSTER_KEEP=1 or the
// test failed (then its logs are kept and named).
func tempDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sasquatch-cluster-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv(envKeep) == "1" {
			t.Logf("kept %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
