package eventmanager

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PipelineEvent is one event of an application as Sasquatch's pipeline
// sees it: an InfluxDB measurement whose tags and fields come from the
// event's payload fields (the metadata fields are not listed).
type PipelineEvent struct {
	// Name is the event name, the Avro record name.
	Name string `json:"name"`
	// Measurement is the InfluxDB measurement, <topic>.<name>.
	Measurement string `json:"measurement"`
	// Tags are the payload fields declared influx:"tag", sorted.
	Tags []string `json:"tags"`
	// Fields are the other payload fields, sorted.
	Fields []string `json:"fields"`
	// FieldTypes gives the type InfluxDB stores each of Fields as (a
	// duration is told apart from other floats), by field name.
	FieldTypes map[string]FieldType `json:"field_types"`
}

// ErrPipelineMerge is matched (with errors.Is) by every error of
// [MergePipelines]: the pipelines are not those of one application, or its
// programs declare its events inconsistently. For a tag conflict errors.As
// also finds its [*TagConflictError].
var ErrPipelineMerge = errors.New("eventmanager: pipelines cannot be merged")

// MergePipelines combines the pipelines of the programs of one application
// (a service, its CronJobs, its scripts publishing with sasquatch-publish):
// they publish under one application name to one topic, and Telegraf's
// avro_tags is one list per topic, so the application's tag list and the
// tag-conflict check must cover the events of all of them. The result
// lists every event once, and its Measurements and Tags are recomputed.
//
// It returns an error (errors.Is ErrPipelineMerge) when the pipelines name
// different applications or topics, when an event appears in two of them
// with different tags or fields or a field of another type, or when a field is a tag in one event and
// a plain field in another (errors.As also finds its
// [*TagConflictError]). With no pipeline it returns the zero Pipeline.
func MergePipelines(ps ...Pipeline) (Pipeline, error) {
	if len(ps) == 0 {
		return Pipeline{}, nil
	}
	app, topic := ps[0].App, ps[0].Topic
	shapes := map[string]shape{}
	for i, p := range ps {
		if p.App != app || p.Topic != topic {
			return Pipeline{}, fmt.Errorf("%w: pipeline %d is app %q on topic %q, pipeline 1 app %q on topic %q: "+
				"every program of an application must publish under one application name (METRICS_APPLICATION) to one topic",
				ErrPipelineMerge, i+1, p.App, p.Topic, app, topic)
		}
		for _, e := range p.Events {
			sh := newShape(e.Tags, append(slices.Clone(e.Tags), e.Fields...), e.FieldTypes)
			if old, ok := shapes[e.Name]; ok && !old.equal(sh) {
				return Pipeline{}, fmt.Errorf("%w: event %q is declared twice, differently: tags [%s] fields [%s] in one program, "+
					"tags [%s] fields [%s] in pipeline %d; declare the application's events once (one Go package every program uses)",
					ErrPipelineMerge, e.Name, strings.Join(old.sortedTags(), " "), strings.Join(old.typedFields(), " "),
					strings.Join(sh.sortedTags(), " "), strings.Join(sh.typedFields(), " "), i+1)
			}
			if err := sh.conflict(e.Name, shapes); err != nil {
				return Pipeline{}, fmt.Errorf("%w: %w", ErrPipelineMerge, err)
			}
			shapes[e.Name] = sh
		}
	}
	return pipelineOf(app, topic, shapes), nil
}

// pipeline returns the pipeline of the registered events.
func (t *eventTable) pipeline(app, topic string) Pipeline {
	t.mu.Lock()
	defer t.mu.Unlock()
	return pipelineOf(app, topic, t.shapes)
}

// pipelineOf builds the pipeline of the events of shapes: the one place
// where measurements and the application's tag list are derived.
func pipelineOf(app, topic string, shapes map[string]shape) Pipeline {
	p := Pipeline{App: app, Topic: topic, Measurements: []string{}, Tags: []string{}, Events: []PipelineEvent{}}
	tags := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(shapes)) {
		sh := shapes[name]
		e := PipelineEvent{Name: name, Measurement: topic + "." + name, Tags: sh.sortedTags(), Fields: sh.sortedFields(),
			FieldTypes: maps.Clone(sh.types)}
		e.Tags = slices.DeleteFunc(e.Tags, func(t string) bool { return t == applicationTag })
		p.Events = append(p.Events, e)
		p.Measurements = append(p.Measurements, e.Measurement)
		for _, t := range e.Tags {
			tags[t] = true
		}
	}
	p.Tags = append(p.Tags, slices.Sorted(maps.Keys(tags))...)
	return p
}
