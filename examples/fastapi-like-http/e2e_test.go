package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

const (
	testTopic = "lsst.square.metrics.events." + defaultAppName
	testApp   = defaultAppName
)

// printed returns the value of the first "# KEY=value" line.
func printed(lines []string, key string) string {
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "# "+key+"="); ok {
			return v
		}
	}
	return ""
}

// eventLines returns the lines that are not comments: the tail's events.
func eventLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// httpGet sends a GET request and returns the status and the body.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// TestEmbedded runs the binary as `make run` does, on a free port: it calls
// every endpoint, reads /metrics, checks the events the tail prints and the
// records on the topic, then stops it with SIGINT.
func TestEmbedded(t *testing.T) {
	t.Parallel()
	p := proc.Start(t, proc.Build(t, "."), proc.CleanEnv(), "-addr", "127.0.0.1:0")
	base := p.WaitPrefix(t, "# listening on ")
	lines := p.Lines()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") || strings.HasSuffix(base, ":8080") {
		t.Fatalf("listening on %q, want a free port on 127.0.0.1", base)
	}
	brokers, registryURL := printed(lines, "KAFKA_BOOTSTRAP_SERVERS"), printed(lines, "SCHEMA_MANAGER_REGISTRY_URL")
	if !strings.HasPrefix(brokers, "127.0.0.1:") || !strings.HasPrefix(registryURL, "http://127.0.0.1:") {
		t.Fatalf("printed env: KAFKA_BOOTSTRAP_SERVERS=%q SCHEMA_MANAGER_REGISTRY_URL=%q, want loopback addresses", brokers, registryURL)
	}
	if got := printed(lines, "METRICS_APP_NAME"); got != testApp {
		t.Errorf("printed METRICS_APP_NAME=%q, want the default %q", got, testApp)
	}

	requests := []struct {
		path   string
		status int
	}{
		{"/health/live", http.StatusOK},
		{"/health/ready", http.StatusOK},
		{"/query?type=sync", http.StatusOK},
		{"/query?type=async", http.StatusAccepted},
		{"/query?type=nope", http.StatusBadRequest},
		{"/query", http.StatusBadRequest},
		{"/login?user=ann&scope=read:tap&service=portal", http.StatusOK},
		{"/login?user=bob", http.StatusOK},
		{"/login", http.StatusBadRequest},
	}
	for _, r := range requests {
		if status, body := httpGet(t, base+r.path); status != r.status {
			t.Errorf("GET %s = %d %s, want %d", r.path, status, body, r.status)
		}
	}

	// The tail prints the four events of the handlers and the seven
	// http_request events of the middleware (health checks excluded),
	// decoded with the registry's schemas.
	p.WaitLines(t, "11 events", func(l []string) bool { return len(eventLines(l)) >= 11 })

	// /metrics: the SDK's counters, franz-go's client metrics, the runtime.
	status, metrics := httpGet(t, base+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, want := range []string{
		`sasquatch_events_published_total{event="query",topic="` + testTopic + `"} 2`,
		`sasquatch_events_published_total{event="login",topic="` + testTopic + `"} 2`,
		// /metrics's own event is published after its answer is written.
		`sasquatch_events_published_total{event="http_request",topic="` + testTopic + `"} 7`,
		`sasquatch_events_rejected_total{event="query",topic="` + testTopic + `"} 0`,
		"sasquatch_kafka_connects_total{",
		"sasquatch_kafka_write_bytes_total{",
		"sasquatch_kafka_buffered_produce_records_total ",
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	lines = p.WaitLines(t, "12 events", func(l []string) bool { return len(eventLines(l)) >= 12 })
	points := map[string]point{} // by event id
	count := map[string]int{}
	routes := map[string]int{}
	for _, l := range eventLines(lines) {
		pt := parsePoint(t, l)
		points[unquote(t, pt.fields["id"])] = pt
		count[pt.measurement]++
		if pt.measurement == testTopic+".http_request" {
			routes[pt.tags["route"]+" "+pt.tags["status"]]++
		}
		checkPoint(t, pt)
	}
	wantCount := map[string]int{testTopic + ".query": 2, testTopic + ".login": 2, testTopic + ".http_request": 8}
	if !reflect.DeepEqual(count, wantCount) {
		t.Errorf("events by measurement %v, want %v", count, wantCount)
	}
	wantRoutes := map[string]int{
		`GET\ /query 200`: 1, `GET\ /query 202`: 1, `GET\ /query 400`: 2,
		`GET\ /login 200`: 2, `GET\ /login 400`: 1, `GET\ /metrics 200`: 1,
	}
	if !reflect.DeepEqual(routes, wantRoutes) {
		t.Errorf("http_request events by route and status %v, want %v", routes, wantRoutes)
	}

	// The records themselves: Confluent framing, the registered schemas
	// (the query schema is SPEC's golden one), the same values as printed.
	checkTopic(t, strings.Split(brokers, ","), registryURL, points)

	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitExit(t); err != nil {
		t.Errorf("exit after SIGINT: %v, want status 0", err)
	}
	if strings.Contains(p.Stderr(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", p.Stderr())
	}
}

func hasPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestDemo runs `make demo`'s command: it must exit 0 after its events were
// seen on the topic and delivered.
func TestDemo(t *testing.T) {
	t.Parallel()
	p := proc.Start(t, proc.Build(t, "."), proc.CleanEnv(), "-demo")
	if err := p.WaitExit(t); err != nil {
		t.Fatalf("-demo: %v, want exit status 0", err)
	}
	lines := p.Lines()
	if !hasPrefix(lines, "# demo: 10 events published, 10 delivered, 0 failed, 0 dropped, 10 seen on the topic") || !hasPrefix(lines, "# demo: ok") {
		t.Errorf("no successful summary in:\n%s", strings.Join(lines, "\n"))
	}
	if got := len(eventLines(lines)); got != 10 {
		t.Errorf("%d event lines, want 10", got)
	}
	for _, l := range eventLines(lines) {
		checkPoint(t, parsePoint(t, l))
	}
}

// Runs that must not start the service.
func TestStartFailures(t *testing.T) {
	t.Parallel()
	bin := proc.Build(t, ".")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"bad app name", []string{"METRICS_APP_NAME=not-a-name"}, nil, "METRICS_APP_NAME"},
		{"unknown flag", nil, []string{"-nope"}, "flag provided but not defined"},
		{"address in use", nil, []string{"-addr", busy.Addr().String()}, "listen on " + busy.Addr().String()},
		{"address in use from HTTP_ADDR", []string{"HTTP_ADDR=" + busy.Addr().String()}, nil, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := proc.Start(t, bin, proc.CleanEnv(tt.env...), tt.args...)
			err := p.WaitExit(t)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a failure status", err)
			}
			if !strings.Contains(p.Stderr(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, p.Stderr())
			}
		})
	}
}

// In mock mode (METRICS_ENABLED=false with METRICS_MOCK=true) the same service runs without sending
// anything: no tail, the demo still passes.
func TestDemoMockMode(t *testing.T) {
	t.Parallel()
	p := proc.Start(t, proc.Build(t, "."), proc.CleanEnv("METRICS_ENABLED=false", "METRICS_MOCK=true"), "-demo")
	if err := p.WaitExit(t); err != nil {
		t.Fatalf("-demo in mock mode: %v, want exit status 0", err)
	}
	lines := p.Lines()
	if !hasPrefix(lines, "# metrics mode mock") || !hasPrefix(lines, "# demo: 10 events published, 10 delivered, 0 failed, 0 dropped, not tailed") {
		t.Errorf("unexpected output:\n%s", strings.Join(lines, "\n"))
	}
	if got := eventLines(lines); len(got) != 0 {
		t.Errorf("event lines in mock mode: %q", got)
	}
}

// point is one parsed line protocol line; field values stay as written.
type point struct {
	measurement string
	tags        map[string]string
	fields      map[string]string
	time        int64
}

// parsePoint parses a line of the example's output (no escapes in names).
func parsePoint(t *testing.T, line string) point {
	t.Helper()
	parts := splitUnquoted(line, ' ')
	if len(parts) != 3 {
		t.Fatalf("line %q: %d space-separated parts, want 3", line, len(parts))
	}
	key := strings.Split(parts[0], ",")
	pt := point{measurement: key[0], tags: map[string]string{}, fields: map[string]string{}}
	for _, kv := range key[1:] {
		k, v, _ := strings.Cut(kv, "=")
		pt.tags[k] = v
	}
	for _, kv := range splitUnquoted(parts[1], ',') {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("line %q: field %q", line, kv)
		}
		pt.fields[k] = v
	}
	var err error
	if pt.time, err = strconv.ParseInt(parts[2], 10, 64); err != nil {
		t.Fatalf("line %q: time: %v", line, err)
	}
	return pt
}

// splitUnquoted splits s at sep outside double quotes.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func unquote(t *testing.T, v string) string {
	t.Helper()
	s, err := strconv.Unquote(v)
	if err != nil {
		t.Fatalf("field value %s is not a quoted string: %v", v, err)
	}
	return s
}

// checkPoint checks one printed event against Sasquatch's Telegraf mapping.
func checkPoint(t *testing.T, pt point) {
	t.Helper()
	if pt.measurement != testTopic+".http_request" && !reflect.DeepEqual(pt.tags, map[string]string{"application": testApp}) {
		t.Errorf("%s: tags %v, want only application=%s", pt.measurement, pt.tags, testApp)
	}
	if _, err := uuid.Parse(unquote(t, pt.fields["id"])); err != nil {
		t.Errorf("%s: id %s: %v", pt.measurement, pt.fields["id"], err)
	}
	if pt.fields["timestamp_ns"] != strconv.FormatInt(pt.time, 10)+"i" {
		t.Errorf("%s: timestamp_ns=%s, point time %d: want the same integer", pt.measurement, pt.fields["timestamp_ns"], pt.time)
	}
	if age := time.Since(time.Unix(0, pt.time)); age < 0 || age > time.Hour {
		t.Errorf("%s: point time %d is not a recent unix-ns time", pt.measurement, pt.time)
	}
	if _, ok := pt.fields["timestamp"]; ok {
		t.Errorf("%s: field timestamp present; Telegraf drops the timestamp-millis field", pt.measurement)
	}
	var want []string
	switch pt.measurement {
	case testTopic + ".query":
		want = []string{"id", "timestamp_ns", "type", "duration"}
		if typ := pt.fields["type"]; typ != `"sync"` && typ != `"async"` {
			t.Errorf("query: type=%s, want \"sync\" or \"async\"", typ)
		}
		if d, err := strconv.ParseFloat(pt.fields["duration"], 64); err != nil || d <= 0 || d > 10 || strings.HasSuffix(pt.fields["duration"], "i") {
			t.Errorf("query: duration=%s, want float seconds", pt.fields["duration"])
		}
	case testTopic + ".login":
		want = []string{"id", "timestamp_ns", "username", "scopes"}
		if _, ok := pt.fields["service"]; ok {
			want = append(want, "service")
		}
		if !strings.HasSuffix(pt.fields["scopes"], "i") {
			t.Errorf("login: scopes=%s, want an integer", pt.fields["scopes"])
		}
	case testTopic + ".http_request":
		// Tags: the method, the route pattern (spaces escaped in line
		// protocol), the status; never a raw path.
		want = []string{"id", "timestamp_ns", "duration", "response_bytes", "panicked"}
		if len(pt.tags) != 4 || pt.tags["application"] != testApp || pt.tags["method"] != "GET" ||
			!strings.HasPrefix(pt.tags["route"], `GET\ /`) || strings.Contains(pt.tags["route"], "?") || len(pt.tags["status"]) != 3 {
			t.Errorf("http_request: tags %v, want application, method GET, a route pattern and a status", pt.tags)
		}
		if pt.fields["panicked"] != "false" || !strings.HasSuffix(pt.fields["response_bytes"], "i") {
			t.Errorf("http_request: panicked=%s response_bytes=%s, want false and an integer", pt.fields["panicked"], pt.fields["response_bytes"])
		}
	default:
		t.Fatalf("unexpected measurement %q", pt.measurement)
	}
	if len(pt.fields) != len(want) {
		t.Errorf("%s: fields %v, want exactly %v", pt.measurement, pt.fields, want)
	}
}

// checkTopic consumes the topic from the start and checks each record
// against the point the tail printed for the same event id.
func checkTopic(t *testing.T, brokers []string, registryURL string, points map[string]point) {
	t.Helper()
	records := testkit.Consume(t, testTopic, len(points), kgo.SeedBrokers(brokers...))
	reg, err := schemaregistry.New(config.Registry{URL: registryURL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), proc.Timeout)
	defer cancel()
	api := avro.Config{}.Freeze()
	for _, r := range records {
		if len(r.Key) != 0 || len(r.Value) < 5 || r.Value[0] != 0 {
			t.Fatalf("record at offset %d: key %q, value % x...: want no key and Confluent framing", r.Offset, r.Key, r.Value[:min(len(r.Value), 5)])
		}
		id := binary.BigEndian.Uint32(r.Value[1:5])
		text, err := reg.SchemaByID(ctx, id)
		if err != nil {
			t.Fatalf("schema %d: %v", id, err)
		}
		schema := parseRecord(t, text)
		if schema.FullName() == testTopic+".query" {
			checkQuerySchema(t, text)
		}
		var rec map[string]any
		if err := api.Unmarshal(schema, r.Value[5:], &rec); err != nil {
			t.Fatalf("decode record at offset %d: %v", r.Offset, err)
		}
		pt, ok := points[fmt.Sprint(rec["id"])]
		if !ok {
			t.Errorf("record %v was not printed by the tail", rec["id"])
			continue
		}
		if pt.measurement != schema.FullName() || pt.time != rec["timestamp_ns"] || pt.tags["application"] != rec["application"] {
			t.Errorf("record %v: %s/%v/%v, printed %s/%v/%v", rec["id"], schema.FullName(), rec["timestamp_ns"], rec["application"],
				pt.measurement, pt.time, pt.tags["application"])
		}
	}
}

// checkQuerySchema compares the registered query schema with SPEC's golden
// testdata/query.avsc (whose namespace is app myapp's topic).
func checkQuerySchema(t *testing.T, registered string) {
	t.Helper()
	golden, err := os.ReadFile(filepath.Join("..", "..", "testdata", "query.avsc"))
	if err != nil {
		t.Fatal(err)
	}
	wantText := strings.Replace(string(golden), "lsst.square.metrics.events.myapp", testTopic, 1)
	var got, want any
	if err := json.Unmarshal([]byte(registered), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(wantText), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("registered query schema\n got  %s\n want %s", registered, wantText)
	}
}

// TestTailMatchesTelegraf runs a real Telegraf with the compose stack's
// kafka_consumer input (stack/telegraf/, rendered) pointed at the
// embedded broker and registry, and checks that it produces exactly the
// points the tail printed, as a line protocol parser reads them (floats by
// value: Telegraf writes 0.00004, the tail 4e-05; strings without control
// characters: the tail escapes them, Telegraf writes most of them raw). Telegraf is not installed on a fresh machine: set
// TELEGRAF_BIN (make stack-install builds one) to run it.
func TestTailMatchesTelegraf(t *testing.T) {
	telegraf := os.Getenv("TELEGRAF_BIN")
	if telegraf == "" {
		t.Skip("TELEGRAF_BIN is not set: nothing to compare the tail with")
	}
	t.Parallel()
	p := proc.Start(t, proc.Build(t, "."), proc.CleanEnv(), "-addr", "127.0.0.1:0")
	base := p.WaitPrefix(t, "# listening on ")
	for _, path := range []string{
		"/query?type=sync", "/query?type=async",
		"/login?user=ann&scope=a&service=po%20r,t%3Dal", "/login?user=b%22o%5Cb",
	} {
		if status, body := httpGet(t, base+path); status >= 300 {
			t.Fatalf("GET %s = %d %s", path, status, body)
		}
	}
	lines := p.WaitLines(t, "8 events", func(l []string) bool { return len(eventLines(l)) >= 8 })
	tailed := map[any]storedPoint{} // by event id
	for _, l := range eventLines(lines) {
		pt := readLine(t, l)
		tailed[pt.fields["id"]] = pt
	}

	conf, _ := loadTelegraf(t)
	input := conf.Inputs.KafkaConsumer[0]
	input["brokers"] = strings.Split(printed(lines, "KAFKA_BOOTSTRAP_SERVERS"), ",")
	input["avro_schema_registry"] = printed(lines, "SCHEMA_MANAGER_REGISTRY_URL")
	gen := map[string]any{
		"agent":   map[string]any{"omit_hostname": true, "interval": "1s", "flush_interval": "1s"},
		"outputs": map[string]any{"file": []map[string]any{{"files": []string{"stdout"}, "data_format": "influx"}}},
		"inputs":  map[string]any{"kafka_consumer": []map[string]any{input}},
	}
	path := filepath.Join(t.TempDir(), "telegraf.conf")
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(gen); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	tg := proc.Start(t, telegraf, os.Environ(), "--config", path)
	written := tg.WaitLines(t, "8 points", func(l []string) bool { return len(eventLines(l)) >= 8 })
	if len(eventLines(written)) != len(tailed) {
		t.Fatalf("telegraf wrote %d points, the tail printed %d", len(eventLines(written)), len(tailed))
	}
	for _, l := range eventLines(written) {
		got := readLine(t, l)
		want, ok := tailed[got.fields["id"]]
		if !ok {
			t.Errorf("telegraf wrote a point the tail did not print: %s", l)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("telegraf and the tail differ\n telegraf %+v\n tail     %+v", got, want)
		}
	}
}

// TestMakeRun is a trap of issue 13: `make run` prints only the service's
// output (no echoed command), and killing make (SIGTERM to its pid, as
// `kill <pid of make run>` does) stops the service gracefully instead of
// leaving it running.
func TestMakeRun(t *testing.T) {
	t.Parallel()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	p := proc.Start(t, makeBin, proc.CleanEnv("RUN_BIN="+filepath.Join(t.TempDir(), "svc")), "-C", root, "--no-print-directory", "run", "ARGS=-addr 127.0.0.1:0")
	base := p.WaitPrefix(t, "# listening on ")
	for _, l := range p.Lines() {
		if !strings.HasPrefix(l, "# ") {
			t.Errorf("stdout line %q before the first event: want only the service's '# ' lines", l)
		}
	}
	if resp, err := http.Get(base + "/health/live"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(proc.Timeout)
	for {
		resp, err := http.Get(base + "/health/live")
		if err != nil {
			break // the service is gone
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the service still answers %v after make was killed", proc.Timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
