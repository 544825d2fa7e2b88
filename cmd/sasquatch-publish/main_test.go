package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

const testApp = "clitest"

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
	t.Run("tags and pipelines", testTagsAndPipelines)
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
	// Each refused field says what it was inferred as, and how to send the
	// registered type.
	code, _, stderr = publish(t, in, "-event", "backup", "-f", "target=s3", "-f", "duration=12",
		"-f", "bytes=lots", "-f", "ratio=0.5", "-f", "success=false")
	for _, want := range []string{
		`field "bytes" changes from integer to string`,
		`field "duration" was inferred as long from "12" but is float in the registered schema: to send float, write 12.0 (a double) or 12s (a duration), or give the types with -schema FILE`,
		`field "bytes" was inferred as string from "lots" but is integer in the registered schema: to send integer, write an integer such as 42, or give the types with -schema FILE`,
	} {
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("changed field types: exit %d, want 2 and %q in stderr:\n%s", code, want, stderr)
		}
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
// exit 3 (batch.ExitUndelivered) once -timeout ends, no id printed.
func testPublishUndelivered(t *testing.T) {
	in := startInfra(t)
	in.brokers = []string{"127.0.0.1:1"}
	code, lines, stderr := publish(t, in, "-event", "job", "-timeout", "500ms", "-f", "success=true")
	if code != 3 || len(lines) != 0 {
		t.Errorf("exit %d, stdout %q, stderr:\n%s; want 3 and no id", code, lines, stderr)
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

// testTagsAndPipelines: -tag declares tags (their values are strings
// unless boolean), -pipeline-json prints the event's pipeline without
// publishing, -merge merges another program's and refuses a tag conflict,
// -pipeline renders the Phalanx values and the Telegraf block.
func testTagsAndPipelines(t *testing.T) {
	in := startInfra(t)
	code, lines, stderr := publish(t, in, "-event", "backup", "-tag", "target,code", "-tag", "ok",
		"-f", "target=s3", "-f", "code=42", "-f", "ok=true", "-f", "bytes=5")
	if code != 0 || len(lines) != 1 {
		t.Fatalf("publish with tags: exit %d, stdout %q, stderr:\n%s", code, lines, stderr)
	}
	recs := testkit.Consume(t, in.topic, 1, kgo.SeedBrokers(in.brokers...))
	if _, rec := testkit.Decode(t, in.registry, recs[0].Value); rec["code"] != "42" || rec["ok"] != true || rec["bytes"] != int64(5) {
		t.Errorf("decoded %v: want the tag code as the string \"42\", ok a boolean, bytes a long", rec)
	}

	pipelineJSON := func(args ...string) (int, eventmanager.Pipeline, string) {
		t.Helper()
		code, lines, stderr := publish(t, in, append([]string{"-pipeline-json"}, args...)...)
		var p eventmanager.Pipeline
		if code == 0 {
			if err := json.Unmarshal([]byte(strings.Join(lines, "\n")), &p); err != nil {
				t.Fatalf("-pipeline-json printed no pipeline: %v\n%s", err, lines)
			}
		}
		return code, p, stderr
	}
	code, job, stderr := pipelineJSON("-event", "job", "-tag", "target", "-f", "target=s3", "-f", "rows=1")
	want := eventmanager.PipelineEvent{Name: "job", Measurement: in.topic + ".job", Tags: []string{"target"}, Fields: []string{"rows"},
		FieldTypes: map[string]eventmanager.FieldType{"rows": eventmanager.FieldInteger}}
	if code != 0 || job.App != testApp || job.Topic != in.topic || len(job.Events) != 1 || !reflect.DeepEqual(job.Events[0], want) {
		t.Fatalf("-pipeline-json: exit %d, pipeline %+v, want the event %+v; stderr:\n%s", code, job, want, stderr)
	}
	jobFile := filepath.Join(t.TempDir(), "job.json")
	b, _ := json.Marshal(job)
	if err := os.WriteFile(jobFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, merged, stderr := pipelineJSON("-event", "restore", "-tag", "target", "-f", "target=gs", "-f", "bytes=3", "-merge", jobFile)
	if code != 0 || len(merged.Events) != 2 || !slices.Equal(merged.Tags, []string{"target"}) {
		t.Errorf("-merge: exit %d, pipeline %+v, want events job and restore with the tag target; stderr:\n%s", code, merged, stderr)
	}
	// target is a tag of job but a plain field here: refused.
	if code, _, stderr := publish(t, in, "-pipeline-json", "-event", "restore", "-f", "target=gs", "-merge", jobFile); code != 2 ||
		!strings.Contains(stderr, `field "target" is an InfluxDB tag in event "job" but a plain field in event "restore"`) {
		t.Errorf("-merge with a tag conflict: exit %d, want 2; stderr:\n%s", code, stderr)
	}
	code, lines, stderr = publish(t, in, "-pipeline", "-event", "job", "-tag", "target", "-f", "target=s3")
	text := strings.Join(lines, "\n")
	if code != 0 || !strings.Contains(text, `avro_tags = [ "application", "target" ]`) && !strings.Contains(text, `avro_tags = ["application", "target"]`) {
		t.Errorf("-pipeline: exit %d, stdout:\n%s\nstderr:\n%s", code, text, stderr)
	}
	for _, args := range [][]string{
		{"-event", "x", "-tag", "nosuch", "-f", "a=1"},
		{"-event", "x", "-merge", jobFile, "-f", "a=1"},
		{"-pipeline-json", "-event", "x", "-merge", filepath.Join(t.TempDir(), "missing.json"), "-f", "a=1"},
	} {
		if code, _, stderr := publish(t, in, args...); code != 2 {
			t.Errorf("%q: exit %d, want 2; stderr:\n%s", args, code, stderr)
		}
	}
}

// TestRefusedInput: what the command cannot publish faithfully is refused
// (exit 2) before anything is sent: a field name that is not an Avro name
// (issue 24, item 8: "-" was silently dropped, "" published as f0) and
// durations a time.Duration cannot hold (item 9: NaN, Inf, 1e300 and 1e12
// seconds were sent as -9.22e9 s).
func TestRefusedInput(t *testing.T) {
	dir := t.TempDir()
	avsc := func(name, fieldJSON string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(`{"type":"record","name":"x","fields":[`+fieldJSON+`]}`), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dash := avsc("dash.avsc", `{"name":"-","type":"long"}`)
	empty := avsc("empty.avsc", `{"name":"a","type":"long"},{"name":"","type":["null","string"],"default":null}`)
	dur := avsc("dur.avsc", `{"name":"d","type":{"type":"double","logicalType":"dataclasses-avroschema-timedelta"}}`)
	for _, tc := range []struct {
		fields []string
		schema string
		want   string
	}{
		{[]string{"-=5"}, "", `field name "-" must match`},
		{[]string{"a b=5"}, "", `field name "a b" must match`},
		{[]string{"-=5"}, dash, `field name "-" must match`},
		{[]string{"a=1"}, empty, `field name "" must match`},
		{[]string{"d=NaN"}, dur, "not a duration"},
		{[]string{"d=Inf"}, dur, "not a duration"},
		{[]string{"d=-Inf"}, dur, "not a duration"},
		{[]string{"d=1e300"}, dur, "not a duration"},
		{[]string{"d=1e12"}, dur, "not a duration"},
	} {
		values, err := parseFields(tc.fields)
		var specs []fieldSpec
		if err == nil && tc.schema != "" {
			specs, err = schemaSpecs(tc.schema, values)
		} else if err == nil {
			specs = inferSpecs(values, nil)
		}
		if err == nil {
			_, _, err = buildRecord(specs, values)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q with schema %q: error %v, want one saying %q", tc.fields, filepath.Base(tc.schema), err, tc.want)
		}
	}
	// The largest durations that fit are accepted.
	values, _ := parseFields([]string{"d=9e9"})
	specs, err := schemaSpecs(dur, values)
	if err == nil {
		_, _, err = buildRecord(specs, values)
	}
	if err != nil {
		t.Errorf("9e9 seconds: %v, want accepted", err)
	}
}

// TestSchemaFileTooLarge: -schema is read with a bound (maxSchemaBytes), not
// whatever the file holds (issue 24): a larger file is refused with a clear
// error and exit 2, before anything is read past the bound.
func TestSchemaFileTooLarge(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.avsc")
	pad := strings.Repeat(" ", maxSchemaBytes)
	if err := os.WriteFile(big, []byte(`{"type":"record","name":"x","fields":[{"name":"a","type":"long"}]}`+pad), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := run(t.Context(), []string{"-event", "x", "-schema", big, "-f", "a=1", "-pipeline"}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "larger than") || !strings.Contains(stderr.String(), "1 MiB") {
		t.Errorf("exit %d, stderr %q: want %d and an error saying the file is larger than 1 MiB", code, stderr.String(), exitUsage)
	}
}
