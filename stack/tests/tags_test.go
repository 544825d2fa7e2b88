//go:build stack

package tests_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/proc"
)

// TestTagsThroughTelegraf runs the real Telegraf with the [[inputs.kafka_consumer]] block the SDK
// generates for an application (Manager.Pipeline().Telegraf) and checks in InfluxDB, with
// InfluxQL, that two events sharing a base struct become points whose influx:"tag" fields are
// tags (SHOW TAG KEYS: application, method, route) and whose other fields are fields of the
// right types (SHOW FIELD KEYS), with the values published. When Safir is installed (make
// test-safir creates it; CI requires it), Safir's events of the same payloads
// (interop/safir/publish.py --base) go through the same block into the same measurements and
// must become the same points.
func TestTagsThroughTelegraf(t *testing.T) {
	s := loadStack(t)
	ctx := t.Context()
	app := uniqueApp("tags")
	s.createAppTopic(t, app)
	stamps := newStamps()
	m := newManager(t, s, app, nil, stamps.options()...)
	calls, err := eventmanager.CreatePublisher[testkit.APICall](ctx, m, "api_call")
	if err != nil {
		t.Fatal(err)
	}
	errs, err := eventmanager.CreatePublisher[testkit.APIError](ctx, m, "api_error")
	if err != nil {
		t.Fatal(err)
	}
	if tags := m.Pipeline().Tags; !slices.Equal(tags, []string{"method", "route"}) {
		t.Fatalf("Pipeline().Tags = %q, want [method route]", tags)
	}
	block := generatedTelegraf(t, m)
	if !strings.Contains(block, `avro_tags = [ "application", "method", "route" ]`) {
		t.Fatalf("generated block lacks the tags:\n%s", block)
	}

	const n = 6
	callPayloads, errorPayloads := testkit.APICallPayloads(n), testkit.APIErrorPayloads(n)
	for i := range n {
		if err := calls.Publish(ctx, callPayloads[i]); err != nil {
			t.Fatal(err)
		}
		if err := errs.Publish(ctx, errorPayloads[i]); err != nil {
			t.Fatal(err)
		}
	}
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goIDs := make(map[string]bool)
	for _, id := range stamps.issued() {
		goIDs[id.String()] = true
	}

	safir := safirBase(t, s, app, n)
	copies := 1
	if safir {
		copies = 2
	}

	s.startTelegraf(t, block)
	topic := s.Topic(app)
	wantFieldTypes := map[string]map[string]string{
		"api_call":  {"id": "string", "timestamp_ns": "integer", "status": "integer", "duration": "float", "size": "integer"},
		"api_error": {"id": "string", "timestamp_ns": "integer", "code": "string", "retried": "boolean"},
	}
	for _, event := range []string{"api_call", "api_error"} {
		want := make(map[string]int) // point without id and time -> how many
		for i := range n {
			var tags map[string]string
			var fields map[string]any
			if event == "api_call" {
				e := callPayloads[i]
				tags = map[string]string{"application": app, "method": e.Method, "route": e.Route}
				fields = map[string]any{"status": num(e.Status), "duration": num(e.Duration.Seconds())}
				if e.Size != nil {
					fields["size"] = num(*e.Size)
				}
			} else {
				e := errorPayloads[i]
				tags = map[string]string{"application": app, "method": e.Method, "route": e.Route}
				fields = map[string]any{"code": e.Code, "retried": e.Retried}
			}
			want[pointKey(tags, fields)] += copies
		}
		measurement := topic + "." + event
		got := s.WaitForMeasurement(t, measurement, pipelineTimeout, func(m Measurement) error {
			if len(m.Points) != n*copies {
				return fmt.Errorf("%d point(s), want %d", len(m.Points), n*copies)
			}
			have := make(map[string]int)
			goPoints := 0
			for _, p := range m.Points {
				id, _ := p.Fields["id"].(string)
				if goIDs[id] {
					goPoints++
				}
				fields := maps.Clone(p.Fields)
				delete(fields, "id")
				delete(fields, "timestamp_ns")
				have[pointKey(p.Tags, fields)]++
			}
			if goPoints != n {
				return fmt.Errorf("%d point(s) carry the ids of Go's events, want %d", goPoints, n)
			}
			if !maps.Equal(have, want) {
				return fmt.Errorf("points (without id and time, with their count):\n%s\nwant:\n%s", keys(have), keys(want))
			}
			if !maps.Equal(m.FieldTypes, wantFieldTypes[event]) {
				return fmt.Errorf("field types %v, want %v", m.FieldTypes, wantFieldTypes[event])
			}
			return nil
		})
		qr, err := s.Query(ctx, "SHOW TAG KEYS FROM "+quoteIdent(measurement))
		if err != nil {
			t.Fatal(err)
		}
		var tagKeys []string
		for _, r := range qr.Results {
			for _, ser := range r.Series {
				for _, row := range ser.Values {
					k, _ := row[0].(string)
					tagKeys = append(tagKeys, k)
				}
			}
		}
		if !slices.Equal(tagKeys, []string{"application", "method", "route"}) {
			t.Errorf("SHOW TAG KEYS FROM %s = %q, want [application method route]", measurement, tagKeys)
		}
		t.Logf("%s: %d points (%d from Go, %d from Safir), tags %q, fields %v", event, len(got.Points), n, len(got.Points)-n, tagKeys, got.FieldTypes)
	}
}

// pointKey renders a point's tags and fields (JSON with sorted keys) for comparing points as
// a multiset.
func pointKey(tags map[string]string, fields map[string]any) string {
	b, _ := json.Marshal(struct {
		Tags   map[string]string `json:"tags"`
		Fields map[string]any    `json:"fields"`
	}{tags, fields})
	return string(b)
}

// keys lists a multiset of point keys, sorted, one per line.
func keys(m map[string]int) string {
	var lines []string
	for k, n := range m {
		lines = append(lines, fmt.Sprintf("  %dx %s", n, k))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// safirBase publishes n api_call and n api_error events of app through Safir's real
// KafkaEventManager (interop/safir/publish.py --base n, with the Safir interpreter that
// stack/test.sh passes in SAFIR_VENV_PYTHON) to the stack's broker and registry. It reports
// whether Safir ran: without SAFIR_VENV_PYTHON the Safir half is skipped, except on CI.
func safirBase(t *testing.T, s *Stack, app string, n int) bool {
	t.Helper()
	py := os.Getenv("SAFIR_VENV_PYTHON")
	if py == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("SAFIR_VENV_PYTHON is not set (stack/test.sh sets it from interop/safir/setup.sh)")
		}
		t.Log("SAFIR_VENV_PYTHON is not set: Safir's half of the comparison is skipped (make test-stack sets it)")
		return false
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "publish.py", "--base", strconv.Itoa(n))
	cmd.Dir = filepath.Join(repoRoot, "interop", "safir")
	cmd.Env = proc.CleanEnv(
		"METRICS_APPLICATION="+app,
		"METRICS_EVENTS_TOPIC_PREFIX="+s.TopicPrefix,
		"KAFKA_BOOTSTRAP_SERVERS="+s.KafkaBrokers,
		"KAFKA_SECURITY_PROTOCOL=PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL="+s.RegistryURL,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("Safir's publish.py --base %d: %v\n%s", n, err, out)
	}
	t.Logf("Safir published %d api_call and %d api_error events:\n%s", n, n, out)
	return true
}
