// Package prom exports an event manager's delivery counters to Prometheus
// (github.com/prometheus/client_golang). Register the collector next to
// franz-go's own client metrics (github.com/twmb/franz-go/plugin/kprom):
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(prom.NewCollector(m))
package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// Collector is a prometheus.Collector that reads Manager.Stats at scrape
// time; it adds nothing to the publish path.
type Collector struct {
	m         *eventmanager.Manager
	published *prometheus.Desc
	delivered *prometheus.Desc
	failed    *prometheus.Desc
	unknown   *prometheus.Desc
	dropped   *prometheus.Desc
	rejected  *prometheus.Desc
	pending   *prometheus.Desc
	bufEvents *prometheus.Desc
	bufBytes  *prometheus.Desc
}

// NewCollector returns a collector of m's counters, labelled by event name
// (and, as every series here, by the topic):
// sasquatch_events_published_total, _delivered_total, _failed_total,
// _unknown_total, _dropped_total, _rejected_total and the gauge
// sasquatch_events_pending; and of the occupancy of m's buffer of unsent
// events (Stats.Buffered), without the event label: the gauges
// sasquatch_events_buffered and sasquatch_events_buffered_bytes.
func NewCollector(m *eventmanager.Manager) *Collector {
	constLabels := prometheus.Labels{"topic": m.Topic()}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("sasquatch_events_"+name, help, []string{"event"}, constLabels)
	}
	return &Collector{
		m:         m,
		published: desc("published_total", "Events accepted by Publish."),
		delivered: desc("delivered_total", "Accepted events acknowledged by the broker."),
		failed:    desc("failed_total", "Accepted events certainly not written: failed after the Kafka client's retries, or never registered."),
		unknown:   desc("unknown_total", "Accepted events in flight or buffered when Close had to close the Kafka client: they may or may not be in the topic."),
		dropped:   desc("dropped_total", "Events dropped because the buffer of unsent events was full."),
		rejected:  desc("rejected_total", "Events refused by Publish because their value was invalid."),
		pending:   desc("pending", "Accepted events whose outcome is not known yet."),
		bufEvents: prometheus.NewDesc("sasquatch_events_buffered",
			"Events in the buffer of unsent events (its limit is METRICS_MAX_BUFFERED_EVENTS).", nil, constLabels),
		bufBytes: prometheus.NewDesc("sasquatch_events_buffered_bytes",
			"Memory held by the buffer of unsent events, in bytes (its limit is METRICS_MAX_BUFFERED_BYTES).", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.published, c.delivered, c.failed, c.unknown, c.dropped, c.rejected, c.pending, c.bufEvents, c.bufBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.m.Stats()
	ch <- prometheus.MustNewConstMetric(c.bufEvents, prometheus.GaugeValue, float64(st.Buffered.Events))
	ch <- prometheus.MustNewConstMetric(c.bufBytes, prometheus.GaugeValue, float64(st.Buffered.Bytes))
	for name, s := range st.Events {
		ch <- prometheus.MustNewConstMetric(c.published, prometheus.CounterValue, float64(s.Published), name)
		ch <- prometheus.MustNewConstMetric(c.delivered, prometheus.CounterValue, float64(s.Delivered), name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.Failed), name)
		ch <- prometheus.MustNewConstMetric(c.unknown, prometheus.CounterValue, float64(s.Unknown), name)
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(s.Dropped), name)
		ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(s.Rejected), name)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending()), name)
	}
}
