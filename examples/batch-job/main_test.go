package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
)

const testApp = "batch_test_app"

// brokerEnv starts kfake (with the app's topic) and a registry and points
// the environment at them.
func brokerEnv(t *testing.T) (brokers []string, registryURL, topic string) {
	topic = "lsst.square.metrics.events." + testApp
	cluster, reg := fakes.Start(t, topic, 1)
	t.Setenv("METRICS_APP_NAME", testApp)
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", strings.Join(cluster.ListenAddrs(), ","))
	t.Setenv("SCHEMA_MANAGER_REGISTRY_URL", reg.URL())
	return cluster.ListenAddrs(), reg.URL(), topic
}

// TestBatchJob runs the job against kfake, once succeeding and once
// failing, and decodes each run's event from the topic.
func TestBatchJob(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		code    int
		success bool
		rows    int64
	}{
		{nil, 0, true, 1440},
		{[]string{"-fail", "-report", "weekly"}, 1, false, 12},
	} {
		t.Run(strings.Join(append([]string{"args"}, tc.args...), " "), func(t *testing.T) {
			brokers, registryURL, topic := brokerEnv(t)
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit code %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.code, &stdout, &stderr)
			}
			recs := testkit.Consume(t, topic, 1, kgo.SeedBrokers(brokers...))
			_, rec := testkit.Decode(t, registryURL, recs[0].Value)
			if rec["success"] != tc.success || rec["rows"] != tc.rows || rec["duration"].(float64) <= 0 || rec["application"] != testApp {
				t.Errorf("event %v, want success %v, rows %d, a duration", rec, tc.success, tc.rows)
			}
		})
	}
}

// TestBatchJobUndelivered points the job at a broker that is gone: exit
// code 3 (batch.ExitUndelivered) once -timeout ends.
func TestBatchJobUndelivered(t *testing.T) {
	brokerEnv(t)
	t.Setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1") // nothing listens there
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"-timeout", "300ms"}, &stdout, &stderr); code != 3 {
		t.Fatalf("exit code %d, want 3; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
}

// TestBatchJobEmbedded runs the job as `make demo` does, with no Kafka
// configured: it brings its own broker and registry and exits 0.
func TestBatchJobEmbedded(t *testing.T) {
	for _, k := range []string{"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOSTRAP_SERVERS", "SCHEMA_MANAGER_REGISTRY_URL", "KAFKA_SECURITY_PROTOCOL", "METRICS_APP_NAME", "METRICS_APPLICATION"} {
		t.Setenv(k, "")
	}
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "delivered 1 to topic lsst.square.metrics.events."+defaultAppName) {
		t.Errorf("stdout does not report the delivery:\n%s", &stdout)
	}
}
