package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

const testApp = "cli_test"

// binPath is the command built by TestCLI for its subtests.
var binPath string

// TestCLI builds the command once and runs it against kfake and the
// in-process registry in each subtest.
func TestCLI(t *testing.T) {
	binPath = proc.Build(t, ".")
	t.Run("inferred", testPublishInferred)
	t.Run("schema", testPublishSchema)
	t.Run("undelivered", testPublishUndelivered)
	t.Run("usage", testUsage)
}

// infra is a kfake broker with the app's topic and a registry.
type infra struct {
	brokers  []string
	registry string
	topic    string
}

func startInfra(t *testing.T) infra {
	topic := "lsst.square.metrics.events." + testApp
	cluster, reg := fakes.Start(t, topic, 1)
	return infra{brokers: cluster.ListenAddrs(), registry: reg.URL(), topic: topic}
}

// publish runs the binary against in and returns its exit code, stdout
// lines and stderr.
func publish(t *testing.T, in infra, args ...string) (int, []string, string) {
	t.Helper()
	env := proc.CleanEnv("METRICS_APP_NAME="+testApp,
		"KAFKA_BOOTSTRAP_SERVERS="+strings.Join(in.brokers, ","),
		"SCHEMA_MANAGER_REGISTRY_URL="+in.registry)
	p := proc.Start(t, binPath, env, args...)
	err := p.WaitExit(t)
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, p.Lines(), p.Stderr()
}

// testPublishInferred publishes with inferred types and decodes the record:
// the printed id is the event's, and each value has its inferred type.
func testPublishInferred(t *testing.T) {
	in := startInfra(t)
	code, lines, stderr := publish(t, in, "-event", "backup", "-f", "target=s3", "-f", "duration=12m3s",
		"-f", "bytes=1048576", "-f", "ratio=0.25", "-f", "success=true")
	if code != 0 || len(lines) != 1 {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, lines, stderr)
	}
	recs := testkit.Consume(t, in.topic, 1, kgo.SeedBrokers(in.brokers...))
	_, rec := testkit.Decode(t, in.registry, recs[0].Value)
	want := map[string]any{"id": lines[0], "application": testApp, "target": "s3", "duration": 723.0,
		"bytes": int64(1048576), "ratio": 0.25, "success": true}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %#v, want %#v", k, rec[k], v)
		}
	}
	// The same event with bytes as a string changes its InfluxDB type: the
	// SDK's guard refuses it (exit 2) and nothing is published.
	code, _, stderr = publish(t, in, "-event", "backup", "-f", "target=s3", "-f", "duration=1s",
		"-f", "bytes=lots", "-f", "ratio=0.5", "-f", "success=false")
	if code != 2 || !strings.Contains(stderr, `field "bytes" changes from integer to string`) {
		t.Errorf("changed field type: exit %d, stderr:\n%s", code, stderr)
	}
}

// testPublishSchema takes the types from an .avsc file: a long given as
// text that would infer as a double is refused, an optional field may be
// omitted, a duration may be given in seconds.
func testPublishSchema(t *testing.T) {
	in := startInfra(t)
	avsc := filepath.Join(t.TempDir(), "report.avsc")
	schema := `{"type":"record","name":"report","fields":[
		{"name":"report","type":"string","doc":"which report"},
		{"name":"rows","type":"long"},
		{"name":"code","type":"string"},
		{"name":"duration","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}},
		{"name":"note","type":["null","string"],"default":null}]}`
	if err := os.WriteFile(avsc, []byte(schema), 0o600); err != nil {
		t.Fatal(err)
	}
	code, lines, stderr := publish(t, in, "-event", "report", "-schema", avsc,
		"-f", "report=nightly", "-f", "rows=1440", "-f", "code=42", "-f", "duration=95.5")
	if code != 0 || len(lines) != 1 {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, lines, stderr)
	}
	recs := testkit.Consume(t, in.topic, 1, kgo.SeedBrokers(in.brokers...))
	_, rec := testkit.Decode(t, in.registry, recs[0].Value)
	if rec["id"] != lines[0] || rec["rows"] != int64(1440) || rec["code"] != "42" || rec["duration"] != 95.5 || rec["note"] != nil {
		t.Errorf("decoded %v", rec)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "report=x", "-f", "rows=1.5", "-f", "code=1", "-f", "duration=1s"}, `field "rows"`},
		{[]string{"-f", "report=x", "-f", "code=1", "-f", "duration=1s"}, `field "rows" (required`},
		{[]string{"-f", "report=x", "-f", "rows=1", "-f", "code=1", "-f", "duration=1s", "-f", "extra=1"}, `no field "extra"`},
	} {
		code, _, stderr := publish(t, in, append([]string{"-event", "report", "-schema", avsc}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// testPublishUndelivered points the command at a broker that is gone:
// exit 1 once -timeout ends, no id printed.
func testPublishUndelivered(t *testing.T) {
	in := startInfra(t)
	in.brokers = []string{"127.0.0.1:1"}
	code, lines, stderr := publish(t, in, "-event", "job", "-timeout", "500ms", "-f", "success=true")
	if code != 1 || len(lines) != 0 {
		t.Errorf("exit %d, stdout %q, stderr:\n%s; want 1 and no id", code, lines, stderr)
	}
}

// testUsage checks -help (exit 0, the examples) and usage errors (exit 2).
func testUsage(t *testing.T) {
	in := startInfra(t)
	if code, _, stderr := publish(t, in, "--help"); code != 0 || !strings.Contains(stderr, "Examples:") || !strings.Contains(stderr, "-> long") {
		t.Errorf("--help: exit %d, output:\n%s", code, stderr)
	}
	for _, args := range [][]string{{}, {"-event", "x", "-f", "novalue"}, {"-event", "x", "-f", "a=1", "-f", "a=2"}, {"-event", "bad-name", "-f", "a=1"}} {
		if code, _, stderr := publish(t, in, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2; stderr:\n%s", args, code, stderr)
		}
	}
}

// TestInferType is the inference rule, value by value.
func TestInferType(t *testing.T) {
	for text, want := range map[string]string{
		"1.5s": "time.Duration", "2h45m": "time.Duration", "42": "int64", "-7": "int64", "3.14": "float64",
		"1e3": "float64", "NaN": "string", "Inf": "string", "true": "bool", "false": "bool", "True": "string",
		"s3": "string", "": "string", "10": "int64", "0s": "time.Duration",
	} {
		if got := inferType(text).String(); got != want {
			t.Errorf("inferType(%q) = %s, want %s", text, got, want)
		}
	}
}
