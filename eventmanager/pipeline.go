package eventmanager

// Pipeline describes what the publishers of one application need from
// Sasquatch's side of the pipeline (Telegraf and InfluxDB). [Manager.Pipeline]
// returns it; [Pipeline.Render] renders it as the deployment configuration
// Phalanx needs, so that an application's tests can compare code and deployed
// configuration (see eventmanagertest.AssertPipeline).
type Pipeline struct {
	// App is the application name (METRICS_APPLICATION, as Phalanx sets it,
	// or METRICS_APP_NAME).
	App string `json:"app"`
	// Topic is the Kafka topic of every event of the application.
	Topic string `json:"topic"`
	// Measurements are the InfluxDB measurements of the application's
	// events, <topic>.<event name>, sorted.
	Measurements []string `json:"measurements"`
	// Tags are the fields declared influx:"tag" in any event of the
	// application, sorted, without "application": Telegraf's avro_tags
	// always lists it first.
	Tags []string `json:"tags"`
	// Events describe each event of the application, sorted by name: what
	// [MergePipelines] needs to check the programs of one application
	// together.
	Events []PipelineEvent `json:"events"`
}

// Pipeline returns the description of what the publishers created so far
// need: the application, its topic, each event's measurement, tags and
// fields, and the application's tag list, in a stable order. It is the same
// in every mode, does no I/O and is safe for concurrent use; each call
// returns new slices. An application whose programs (a service, its
// CronJobs, its scripts) each create only some of its events combines their
// pipelines with [MergePipelines].
func (m *Manager) Pipeline() Pipeline {
	return m.events.pipeline(m.cfg.AppName, m.topic)
}

// applicationTag is the metadata field every event carries, which
// Sasquatch's Telegraf always stores as a tag.
const applicationTag = "application"
