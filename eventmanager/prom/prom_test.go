package prom_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/prom"
)

type Color string

func (Color) Symbols() []string { return []string{"red", "blue"} }

type PaintEvent struct{ Color Color }

func TestCollector(t *testing.T) {
	ctx := context.Background()
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := eventmanager.CreatePublisher[PaintEvent](ctx, m, "paint")
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Publish(ctx, PaintEvent{Color: "red"})
	_ = p.Publish(ctx, PaintEvent{Color: "red"})
	_ = p.Publish(ctx, PaintEvent{Color: "green"}) // rejected

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(prom.NewCollector(m))
	want := `
# HELP sasquatch_events_published_total Events accepted by Publish.
# TYPE sasquatch_events_published_total counter
sasquatch_events_published_total{event="paint",topic="lsst.square.metrics.events.app"} 2
# HELP sasquatch_events_rejected_total Events refused by Publish because their value was invalid.
# TYPE sasquatch_events_rejected_total counter
sasquatch_events_rejected_total{event="paint",topic="lsst.square.metrics.events.app"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"sasquatch_events_published_total", "sasquatch_events_rejected_total"); err != nil {
		t.Error(err)
	}
	// Mock mode buffers nothing: both buffer gauges are 0.
	wantBuffer := `
# HELP sasquatch_events_buffered Events in the buffer of unsent events (its limit is METRICS_MAX_BUFFERED_EVENTS).
# TYPE sasquatch_events_buffered gauge
sasquatch_events_buffered{topic="lsst.square.metrics.events.app"} 0
# HELP sasquatch_events_buffered_bytes Memory held by the buffer of unsent events, in bytes (its limit is METRICS_MAX_BUFFERED_BYTES).
# TYPE sasquatch_events_buffered_bytes gauge
sasquatch_events_buffered_bytes{topic="lsst.square.metrics.events.app"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantBuffer),
		"sasquatch_events_buffered", "sasquatch_events_buffered_bytes"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 9 {
		t.Errorf("GatherAndCount = %d, %v; want 9 series (7 per event, 2 for the buffer)", n, err)
	}
}
