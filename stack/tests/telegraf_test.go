//go:build stack

package tests_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
// references the zero eventmanager.TelegrafConfig renders: they are given the stack's endpoints.
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

// generatedTelegraf is what the SDK generates for m's application, for a Telegraf of its own
// beside the stack's: the zero TelegrafConfig (environment references, as deployed) with a
// consumer group unique to the test, so that the stack's Telegraf and its group are left alone.
func generatedTelegraf(m *eventmanager.Manager) string {
	return m.Pipeline().Telegraf(eventmanager.TelegrafConfig{ConsumerGroup: uniqueName("telegraf-test")})
}
