//go:build stack

package tests_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

// repoRoot is the repository's root, seen from this package's directory (go test's working
// directory).
const repoRoot = "../.."

// telegraf is a Telegraf process a test started with a configuration of its own.
type telegraf struct {
	*proc.Process
	Config string // the configuration it runs
}

// startTelegraf runs the stack's Telegraf binary with Sasquatch's agent and outputs
// (stack/telegraf/telegraf.conf.in, the stack's own) followed by inputs, the blocks under test,
// e.g. what eventmanager.Pipeline.Telegraf generates. The blocks may use the environment
// references of stackTelegraf: they are given the stack's endpoints.
// The process stops at the test's cleanup (its output is logged if the test failed).
func (s *Stack) startTelegraf(t *testing.T, inputs ...string) *telegraf {
	t.Helper()
	bin := s.env["SASQUATCH_STACK_TELEGRAF_BIN"]
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("stack.env has no SASQUATCH_STACK_TELEGRAF_BIN (a stack started by an older stack/up.sh: make stack-down stack-up)")
		}
		t.Skip("needs the native stack's Telegraf binary (SASQUATCH_STACK_TELEGRAF_BIN in stack.env; not in compose.env)")
	}
	base, err := os.ReadFile(filepath.Join(repoRoot, "stack", "telegraf", "telegraf.conf.in"))
	if err != nil {
		t.Fatal(err)
	}
	conf := string(base) + "\n" + strings.Join(inputs, "\n")
	path := filepath.Join(t.TempDir(), "telegraf.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	flush := s.env["SASQUATCH_STACK_TELEGRAF_FLUSH"]
	if flush == "" {
		flush = "1s"
	}
	env := proc.CleanEnv(
		"TELEGRAF_INFLUXDB_URL="+s.InfluxURL,
		"TELEGRAF_KAFKA_BROKERS="+s.KafkaBrokers,
		"TELEGRAF_SCHEMA_REGISTRY_URL="+s.RegistryURL,
		"TELEGRAF_KAFKA_VERSION="+s.env["SASQUATCH_STACK_TELEGRAF_KAFKA_VERSION"],
		"TELEGRAF_FLUSH_INTERVAL="+flush,
	)
	p := proc.Start(t, bin, env, "--strict-env-handling", "--config", path)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("telegraf configuration:\n%s", conf)
		}
	})
	return &telegraf{Process: p, Config: conf}
}

// stackTelegraf is the TelegrafConfig of this stack's Telegraf (stack/telegraf/kafka_consumer.conf.in,
// which eventmanager's TestTelegrafMatchesStack compares with it): the environment references that
// startTelegraf gives the stack's endpoints, and no SASL (the PLAINTEXT listener).
func stackTelegraf() eventmanager.TelegrafConfig {
	return eventmanager.TelegrafConfig{
		Brokers:      []string{"${TELEGRAF_KAFKA_BROKERS}"},
		RegistryURL:  "${TELEGRAF_SCHEMA_REGISTRY_URL}",
		KafkaVersion: "${TELEGRAF_KAFKA_VERSION}",
		SASL:         &eventmanager.TelegrafSASL{},
	}
}

// generatedTelegraf is what the SDK generates for m's application, for a Telegraf of its own
// beside the stack's: the stack's settings (stackTelegraf) with a consumer group unique to the
// test, so that the stack's Telegraf and its group are left alone.
func generatedTelegraf(t *testing.T, m *eventmanager.Manager) string {
	t.Helper()
	c := stackTelegraf()
	c.ConsumerGroup = uniqueName("telegraf-test")
	block, err := m.Pipeline().Telegraf(c)
	if err != nil {
		t.Fatalf("Pipeline().Telegraf: %v", err)
	}
	return block
}

// uniqueApp returns an application name that starts with prefix ([a-z][a-z0-9]*), unique to the
// run and deployable on Sasquatch, which the SDK's pipeline rendering requires (uniqueName's '_'
// is refused there).
func uniqueApp(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, time.Now().UnixNano())
}
