package eventmanager_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// TestCheckOutageMessage: with publishers of many event types created while
// the registry is down, Check says the cause once, with the number of event
// types it affects, in a message of a few hundred bytes.
func TestCheckOutageMessage(t *testing.T) {
	env := newKafkaEnv(t, false)
	cfg := faultConfig(env.cfg.Kafka.BootstrapServers[0], env.registry.URL())
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()), fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(t.Context()) })
	ctx := t.Context()
	if err := m.Initialize(ctx); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	env.registry.SetDown(true)
	const n = 12
	for i := range n {
		if _, err := eventmanager.CreatePublisher[valueLong](ctx, m, fmt.Sprintf("event%02d", i)); err != nil {
			t.Fatalf("CreatePublisher with the registry down: %v", err)
		}
	}
	const cause = "registrytest: server set down"
	var msg string
	waitFor(t, "Check to name the outage", func() bool {
		err := m.Check(ctx)
		if err == nil {
			return false
		}
		msg = err.Error()
		return strings.Contains(msg, cause)
	})
	t.Logf("Check: %s (%d bytes)", msg, len(msg))
	if got := strings.Count(msg, cause); got != 1 {
		t.Errorf("Check mentions the cause %d times, want once: %s", got, msg)
	}
	if want := fmt.Sprintf("schema registry unreachable for %d event types", n); !strings.Contains(msg, want) {
		t.Errorf("Check = %q, want it to say %q", msg, want)
	}
	if !strings.Contains(msg, "event00") {
		t.Errorf("Check = %q, want it to name the first event type", msg)
	}
	if len(msg) > 400 {
		t.Errorf("Check's message is %d bytes, want at most 400: %s", len(msg), msg)
	}
}
