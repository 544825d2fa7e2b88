package eventmanager_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// The events of one application published by two programs: a service
// (mergeRequest) and a CronJob (mergeReport); mergeClash makes a plain
// field of the service's tag.
type (
	mergeRequest struct {
		User     string `influx:"tag"`
		Duration float64
	}
	mergeReport struct {
		Report string `influx:"tag"`
		Rows   int64
	}
	mergeClash struct {
		User string
	}
	mergeRequestV2 struct {
		User     string `influx:"tag"`
		Duration float64
		Bytes    int64
	}
	// mergeRequestTyped has mergeRequest's fields, duration a time.Duration.
	mergeRequestTyped struct {
		User     string `influx:"tag"`
		Duration time.Duration
	}
)

// programPipeline returns the pipeline of a mock-mode manager of app
// (topic prefix prefix, "" for the default) after register ran on it.
func programPipeline(t *testing.T, app, prefix string, register func(context.Context, *eventmanager.Manager) error) eventmanager.Pipeline {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: app, TopicPrefix: prefix, Mock: true}, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := register(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return m.Pipeline()
}

// create is a register function creating a publisher of T named name.
func create[T any](name string) func(context.Context, *eventmanager.Manager) error {
	return func(ctx context.Context, m *eventmanager.Manager) error {
		_, err := eventmanager.CreatePublisher[T](ctx, m, name)
		return err
	}
}

// TestMergePipelines: the pipelines of a service and of its CronJob merge
// into the application's: every event once, the tag list of all of them,
// and the result survives JSON (the form sasquatch-publish prints).
func TestMergePipelines(t *testing.T) {
	t.Parallel()
	service := programPipeline(t, "myapp", "", create[mergeRequest]("request"))
	job := programPipeline(t, "myapp", "", create[mergeReport]("report"))
	both := programPipeline(t, "myapp", "", func(ctx context.Context, m *eventmanager.Manager) error {
		if err := create[mergeRequest]("request")(ctx, m); err != nil {
			return err
		}
		return create[mergeReport]("report")(ctx, m)
	})

	got, err := eventmanager.MergePipelines(service, job, service) // an event seen twice, the same: once
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, both) {
		t.Errorf("merged pipeline\n%+v\nwant the pipeline of one program with both events\n%+v", got, both)
	}
	if want := []string{"report", "user"}; !slices.Equal(got.Tags, want) {
		t.Errorf("Tags = %q, want %q", got.Tags, want)
	}
	want := []eventmanager.PipelineEvent{
		{Name: "report", Measurement: "lsst.square.metrics.events.myapp.report", Tags: []string{"report"}, Fields: []string{"rows"},
			FieldTypes: map[string]eventmanager.FieldType{"rows": eventmanager.FieldInteger}},
		{Name: "request", Measurement: "lsst.square.metrics.events.myapp.request", Tags: []string{"user"}, Fields: []string{"duration"},
			FieldTypes: map[string]eventmanager.FieldType{"duration": eventmanager.FieldFloat}},
	}
	if !reflect.DeepEqual(got.Events, want) {
		t.Errorf("Events = %+v, want %+v", got.Events, want)
	}

	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var decoded eventmanager.Pipeline
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if again, err := eventmanager.MergePipelines(service, decoded); err != nil || !reflect.DeepEqual(again, both) {
		t.Errorf("merge with the job's pipeline read back from JSON %s = %+v, %v; want %+v", b, again, err, both)
	}
	if p, err := eventmanager.MergePipelines(); err != nil || !reflect.DeepEqual(p, eventmanager.Pipeline{}) {
		t.Errorf("MergePipelines() = %+v, %v; want the zero Pipeline", p, err)
	}
}

// TestMergePipelinesRefuses: what one manager refuses at CreatePublisher
// (a tag conflict) is refused across programs too, and so are pipelines of
// different applications and an event declared differently by two programs.
func TestMergePipelinesRefuses(t *testing.T) {
	t.Parallel()
	service := programPipeline(t, "myapp", "", create[mergeRequest]("request"))
	tests := []struct {
		name  string
		other eventmanager.Pipeline
		want  []string
		tag   bool // a *TagConflictError
	}{
		{"tag in one program, plain field in another", programPipeline(t, "myapp", "", create[mergeClash]("clash")),
			[]string{`field "user" is an InfluxDB tag in event "request" but a plain field in event "clash"`}, true},
		{"another application", programPipeline(t, "otherapp", "", create[mergeReport]("report")),
			[]string{`app "otherapp"`, `app "myapp"`, "METRICS_APPLICATION"}, false},
		{"another topic prefix", programPipeline(t, "myapp", "dev.metrics", create[mergeReport]("report")),
			[]string{`topic "dev.metrics.myapp"`, `topic "lsst.square.metrics.events.myapp"`}, false},
		{"one event declared differently", programPipeline(t, "myapp", "", create[mergeRequestV2]("request")),
			[]string{`event "request" is declared twice, differently`, "fields [duration:float]", "fields [bytes:integer duration:float]", "declare the application's events once"}, false},
		{"one field of another type", programPipeline(t, "myapp", "", create[mergeRequestTyped]("request")),
			[]string{`event "request" is declared twice, differently`, "fields [duration:float]", "fields [duration:duration]"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eventmanager.MergePipelines(service, tt.other)
			if !errors.Is(err, eventmanager.ErrPipelineMerge) {
				t.Fatalf("MergePipelines() error = %v, want ErrPipelineMerge", err)
			}
			var tc *eventmanager.TagConflictError
			if tt.tag != errors.As(err, &tc) {
				t.Errorf("error %v: errors.As(*TagConflictError) = %t, want %t", err, !tt.tag, tt.tag)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
