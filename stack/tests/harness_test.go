//go:build stack

package tests_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/envfile"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// pollInterval is how often a bounded wait asks again.
const pollInterval = 100 * time.Millisecond

// pipelineTimeout bounds the wait for an event to travel Kafka -> Telegraf -> InfluxDB
// (Telegraf flushes every second in the stack; after a broker restart its consumer needs a
// few seconds to reconnect).
const pipelineTimeout = 60 * time.Second

// Stack is a running local stack, as described by its stack.env.
type Stack struct {
	KafkaBrokers  string            // KAFKA_BOOTSTRAP_SERVERS: 127.0.0.1:port
	RegistryURL   string            // SCHEMA_MANAGER_REGISTRY_URL
	InfluxURL     string            // INFLUXDB_URL
	InfluxDB      string            // INFLUXDB_DATABASE: lsst.square.metrics
	TopicPrefix   string            // METRICS_EVENTS_TOPIC_PREFIX
	Topics        []string          // topics created at start-up and consumed by Telegraf
	TelegrafGroup string            // Telegraf's consumer group
	Dir           string            // the state dir (logs in Dir/logs)
	kafkaCtl      string            // stack/kafka-restart.sh
	env           map[string]string // every KEY=VALUE of stack.env
}

// stackEnvPath says where stack.env is.
func stackEnvPath() string {
	if p := os.Getenv("SASQUATCH_STACK_ENV"); p != "" {
		return p
	}
	dir := os.Getenv("SASQUATCH_STACK_DIR")
	if dir == "" {
		dir = "/tmp/sasquatch-stack"
	}
	return filepath.Join(dir, "stack.env")
}

// loadStack reads stack.env and checks that InfluxDB answers; it fails the test when the stack
// is not up.
func loadStack(t testing.TB) *Stack {
	t.Helper()
	path := stackEnvPath()
	env, err := envfile.Read(path)
	if err != nil {
		t.Fatalf("stack not up (run make stack-up, or make test-stack): %v", err)
	}
	s := &Stack{
		KafkaBrokers:  env["KAFKA_BOOTSTRAP_SERVERS"],
		RegistryURL:   env["SCHEMA_MANAGER_REGISTRY_URL"],
		InfluxURL:     env["INFLUXDB_URL"],
		InfluxDB:      env["INFLUXDB_DATABASE"],
		TopicPrefix:   env["METRICS_EVENTS_TOPIC_PREFIX"],
		Topics:        strings.Split(env["SASQUATCH_STACK_TOPICS"], ","),
		TelegrafGroup: env["SASQUATCH_STACK_TELEGRAF_GROUP"],
		Dir:           env["SASQUATCH_STACK_DIR"],
		kafkaCtl:      env["SASQUATCH_STACK_KAFKA_CTL"],
		env:           env,
	}
	if s.kafkaCtl != "" && !filepath.IsAbs(s.kafkaCtl) {
		s.kafkaCtl = filepath.Join(filepath.Dir(path), s.kafkaCtl)
	}
	for k, v := range map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS":     s.KafkaBrokers,
		"SCHEMA_MANAGER_REGISTRY_URL": s.RegistryURL,
		"INFLUXDB_URL":                s.InfluxURL,
		"INFLUXDB_DATABASE":           s.InfluxDB,
	} {
		if v == "" {
			t.Fatalf("%s: %s is missing", path, k)
		}
	}
	resp, err := http.Get(s.InfluxURL + "/ping")
	if err != nil {
		t.Fatalf("stack.env names InfluxDB at %s but it does not answer (stale stack? run make stack-down stack-up): %v", s.InfluxURL, err)
	}
	resp.Body.Close()
	return s
}

// Setenv sets the SDK's environment (Kafka mode, the stack's Kafka and registry, app name
// app) for the rest of the test. Tests that call it cannot run in parallel.
func (s *Stack) Setenv(t *testing.T, app string) {
	t.Helper()
	t.Setenv("METRICS_APP_NAME", app)
	t.Setenv("METRICS_ENABLED", "true")
	t.Setenv("METRICS_MOCK", "false")
	t.Setenv("METRICS_EVENTS_TOPIC_PREFIX", s.TopicPrefix)
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", s.KafkaBrokers)
	t.Setenv("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
	t.Setenv("SCHEMA_MANAGER_REGISTRY_URL", s.RegistryURL)
}

// Topic is the topic of app: <prefix>.<app>.
func (s *Stack) Topic(app string) string { return s.TopicPrefix + "." + app }

// KafkaStop stops the broker (SIGTERM, graceful) and waits until it has exited.
func (s *Stack) KafkaStop(t testing.TB) { t.Helper(); s.kafka(t, "stop") }

// KafkaStart starts the broker again on the same port and waits until it answers metadata.
func (s *Stack) KafkaStart(t testing.TB) { t.Helper(); s.kafka(t, "start") }

// KafkaRestart is KafkaStop then KafkaStart.
func (s *Stack) KafkaRestart(t testing.TB) { t.Helper(); s.kafka(t, "restart") }

func (s *Stack) kafka(t testing.TB, action string) {
	t.Helper()
	if s.kafkaCtl == "" {
		t.Fatal("stack.env has no SASQUATCH_STACK_KAFKA_CTL")
	}
	start := time.Now()
	cmd := exec.CommandContext(t.Context(), "bash", s.kafkaCtl, action)
	cmd.Env = os.Environ()
	if s.Dir != "" {
		cmd.Env = append(cmd.Env, "SASQUATCH_STACK_DIR="+s.Dir)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kafka %s: %v\n%s", action, err, out)
	}
	t.Logf("kafka %s took %v", action, time.Since(start).Round(time.Millisecond))
}

// Point is one InfluxDB point as read back with InfluxQL. Fields holds only the fields the
// point has: InfluxDB has no null, so a field absent from the point is absent here.
type Point struct {
	Time   int64             // ns since the epoch
	Tags   map[string]string // e.g. application
	Fields map[string]any    // string, bool or json.Number
}

// queryResponse is InfluxDB 1.x's /query answer.
type queryResponse struct {
	Results []struct {
		Series []struct {
			Name    string            `json:"name"`
			Tags    map[string]string `json:"tags"`
			Columns []string          `json:"columns"`
			Values  [][]any           `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// Query runs one InfluxQL statement against the stack's database, with times in ns.
func (s *Stack) Query(ctx context.Context, q string) (*queryResponse, error) {
	form := url.Values{"db": {s.InfluxDB}, "epoch": {"ns"}, "q": {q}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.InfluxURL+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var qr queryResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&qr); err != nil {
		return nil, fmt.Errorf("influxdb %s: %s", resp.Status, body)
	}
	if qr.Error != "" {
		return nil, fmt.Errorf("influxdb: %s", qr.Error)
	}
	for _, r := range qr.Results {
		if r.Error != "" {
			return nil, fmt.Errorf("influxdb: %s", r.Error)
		}
	}
	return &qr, nil
}

// Points reads every point of measurement, tags in Tags (GROUP BY *), oldest first.
func (s *Stack) Points(ctx context.Context, measurement string) ([]Point, error) {
	qr, err := s.Query(ctx, "SELECT * FROM "+quoteIdent(measurement)+" GROUP BY *")
	if err != nil {
		return nil, err
	}
	var pts []Point
	for _, r := range qr.Results {
		for _, ser := range r.Series {
			for _, row := range ser.Values {
				p := Point{Tags: ser.Tags, Fields: make(map[string]any)}
				for i, col := range ser.Columns {
					switch {
					case col == "time":
						n, ok := row[i].(json.Number)
						if !ok {
							return nil, fmt.Errorf("time column is %T, want a number", row[i])
						}
						if p.Time, err = n.Int64(); err != nil {
							return nil, err
						}
					case row[i] != nil:
						p.Fields[col] = row[i]
					}
				}
				pts = append(pts, p)
			}
		}
	}
	return pts, nil
}

// FieldTypes reads measurement's field types as InfluxDB stores them: "float", "integer",
// "string" or "boolean". (JSON cannot tell 2.0 from 2, so types come from here.)
func (s *Stack) FieldTypes(ctx context.Context, measurement string) (map[string]string, error) {
	qr, err := s.Query(ctx, "SHOW FIELD KEYS FROM "+quoteIdent(measurement))
	if err != nil {
		return nil, err
	}
	types := make(map[string]string)
	for _, r := range qr.Results {
		for _, ser := range r.Series {
			for _, row := range ser.Values {
				k, _ := row[0].(string)
				v, _ := row[1].(string)
				types[k] = v
			}
		}
	}
	return types, nil
}

// Measurement is what InfluxDB holds for one measurement.
type Measurement struct {
	Name       string
	Points     []Point           // oldest first
	FieldTypes map[string]string // field name -> "float", "integer", "string" or "boolean"
}

// ReadMeasurement reads measurement's points and field types.
func (s *Stack) ReadMeasurement(ctx context.Context, name string) (Measurement, error) {
	pts, err := s.Points(ctx, name)
	if err != nil {
		return Measurement{}, err
	}
	types, err := s.FieldTypes(ctx, name)
	if err != nil {
		return Measurement{}, err
	}
	return Measurement{Name: name, Points: pts, FieldTypes: types}, nil
}

// WaitForMeasurement reads measurement until check accepts it, for at most timeout, and
// returns what check accepted. On timeout it fails the test with check's last complaint.
//
// Compare inside check rather than after a point count: InfluxDB 1.x can return a freshly
// written point before every one of its fields is listed (seen: a SELECT * without the "id"
// column right after the write), so only "eventually equal" is a sound assertion.
func (s *Stack) WaitForMeasurement(t testing.TB, name string, timeout time.Duration, check func(Measurement) error) Measurement {
	t.Helper()
	var got Measurement
	waitFor(t, timeout, "measurement "+name, func(ctx context.Context) (bool, error) {
		m, err := s.ReadMeasurement(ctx, name)
		if err != nil {
			return false, err
		}
		if err := check(m); err != nil {
			return false, err
		}
		got = m
		return true, nil
	})
	return got
}

// WaitForPoints waits, at most timeout, until measurement holds at least n points and returns
// them. Use it when the exact content is checked elsewhere; otherwise WaitForMeasurement.
func (s *Stack) WaitForPoints(t testing.TB, measurement string, n int, timeout time.Duration) []Point {
	t.Helper()
	return s.WaitForMeasurement(t, measurement, timeout, func(m Measurement) error {
		if len(m.Points) < n {
			return fmt.Errorf("%d point(s) so far, want %d: %v", len(m.Points), n, m.Points)
		}
		return nil
	}).Points
}

// waitFor calls cond every pollInterval until it reports done, for at most timeout. On timeout
// it fails the test with what and the last error cond gave.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	start := time.Now()
	var last error // cond's last complaint made before the deadline cut it short
	for {
		done, err := cond(ctx)
		if done {
			t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if err != nil && ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			t.Fatalf("timed out after %v waiting for %s: %v", timeout, what, last)
		case <-tick.C:
		}
	}
}

// quoteIdent quotes an InfluxQL identifier (measurement names contain dots).
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// uniqueName returns prefix plus a suffix unique to this run, valid in Avro names, so that
// reruns against a stack that is still up do not collide with earlier subjects or points.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}

// registryCall sends a JSON request to the stack's registry (testkit.RegistryCall): a non-2xx
// answer is a *registryError.
func (s *Stack) registryCall(ctx context.Context, method, path string, in, out any) error {
	return testkit.RegistryCall(ctx, s.RegistryURL, method, path, in, out)
}

// registryError is a non-2xx answer of the registry.
type registryError = testkit.RegistryError

// asRegistryError unwraps err to *registryError.
func asRegistryError(err error) (*registryError, bool) {
	var re *registryError
	ok := errors.As(err, &re)
	return re, ok
}
