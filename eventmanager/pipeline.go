package eventmanager

import "slices"

// Pipeline describes what the publishers of one application need from
// Sasquatch's side of the pipeline (Telegraf and InfluxDB). Manager.Pipeline
// returns it; [Pipeline.Render] renders it as the deployment configuration
// Phalanx needs, so that an application's tests can compare code and deployed
// configuration (see eventmanagertest.AssertPipeline).
type Pipeline struct {
	// App is the application name, METRICS_APP_NAME.
	App string
	// Topic is the Kafka topic of every event of the application.
	Topic string
	// Measurements are the InfluxDB measurements of the application's
	// events, <topic>.<event name>, sorted.
	Measurements []string
	// Tags are the fields declared influx:"tag" in any event of the
	// application, sorted, without "application": Telegraf's avro_tags
	// always lists it first.
	Tags []string
}

// Pipeline returns the description of what the publishers created so far
// need: the application, its topic, each event's measurement and the
// application's tag list, in a stable order. It is the same in every mode,
// does no I/O and is safe for concurrent use; each call returns new slices.
func (m *Manager) Pipeline() Pipeline {
	return Pipeline{App: m.cfg.AppName, Topic: m.topic, Measurements: m.events.measurements(m.topic), Tags: m.events.tags()}
}

// measurements returns the measurement of every registered event, sorted.
func (t *eventTable) measurements(topic string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ms := make([]string, 0, len(t.shapes))
	for name := range t.shapes {
		ms = append(ms, topic+"."+name)
	}
	slices.Sort(ms)
	return ms
}

// tags returns the union of the registered events' tags, sorted, without
// the metadata tag application.
func (t *eventTable) tags() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var tags []string
	for _, sh := range t.shapes {
		for tag := range sh.tags {
			if tag != applicationTag && !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
		}
	}
	slices.Sort(tags)
	return tags
}

// applicationTag is the metadata field every event carries, which
// Sasquatch's Telegraf always stores as a tag.
const applicationTag = "application"
