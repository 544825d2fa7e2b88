package eventmanager_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/pki"
)

// The files Render labels its pieces with (Phalanx's layout).
const (
	valuesFile    = "applications/sasquatch/charts/app-metrics/values.yaml"
	envValuesFile = "applications/sasquatch/values-<env>.yaml"
	telegrafFile  = "applications/sasquatch/charts/app-metrics/templates/telegraf-configmap.yaml"
)

func kafkaAccessFile(app string) string {
	return "applications/" + app + "/templates/kafka-access.yaml"
}
func deploymentFile(app string) string { return "applications/" + app + "/templates/deployment.yaml" }

// renderFiles is the order of Render's pieces, "" the header.
func renderFiles(app string) []string {
	return []string{"", valuesFile, envValuesFile, kafkaAccessFile(app), deploymentFile(app), telegrafFile}
}

// fragment is one piece of Render's output: its label (comment lines) and
// its body (the rest).
type fragment struct{ label, body string }

// splitRendering splits Render's output into its pieces, keyed by the file
// named at the start of the first label line ("" for the header, which is
// all comment), and fails t unless they come in renderFiles' order, one
// blank line apart, each labelled.
func splitRendering(t *testing.T, app, out string) map[string]fragment {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
		t.Fatalf("Render's output does not end with exactly one newline:\n%s", out)
	}
	pieces := strings.Split(out, "\n\n")
	f := make(map[string]fragment, len(pieces))
	var order []string
	for i, piece := range pieces {
		if i < len(pieces)-1 {
			piece += "\n" // the newline that ends its last line
		}
		var fr fragment
		for line := range strings.Lines(piece) {
			if strings.HasPrefix(line, "#") && fr.body == "" {
				fr.label += line
			} else {
				fr.body += line
			}
		}
		key := ""
		if i > 0 {
			first, _, _ := strings.Cut(fr.label, "\n")
			path, _, ok := strings.Cut(strings.TrimPrefix(first, "# "), ":")
			if !ok || fr.body == "" {
				t.Fatalf("piece %d has no label naming its file, or no body:\n%s", i, piece)
			}
			key = path
		}
		if fr.label == "" {
			t.Fatalf("piece %d has no label:\n%s", i, piece)
		}
		f[key] = fr
		order = append(order, key)
	}
	if want := renderFiles(app); !slices.Equal(order, want) {
		t.Fatalf("Render's pieces are labelled %q, want %q in that order:\n%s", order, want, out)
	}
	return f
}

// decodeYAML decodes a fragment with yaml.v3, refusing keys v lacks, and
// returns its node tree for the quoting checks.
func decodeYAML(t *testing.T, what, text string, v any) *yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not the YAML expected: %v\n%s", what, err, text)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// checkQuoted fails t unless every string scalar of n is double-quoted, as
// herald's chart writes them, except the values of apiVersion and kind: a
// plain on, yes or null is a boolean or null in the YAML 1.1 that Helm reads
// (yaml.v3 alone would not tell).
func checkQuoted(t *testing.T, what string, n *yaml.Node) {
	t.Helper()
	var walk func(n *yaml.Node, key string)
	walk = func(n *yaml.Node, key string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, "")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				// Keys of the chart's own schema are plain, as in its values;
				// a key that is a name (the app's) must be quoted.
				if k.Style != yaml.DoubleQuotedStyle && !schemaKeys[k.Value] {
					t.Errorf("%s: key %q (line %d) is not double-quoted", what, k.Value, k.Line)
				}
				walk(n.Content[i+1], k.Value)
			}
		case yaml.ScalarNode:
			if n.Tag == "!!bool" && (key == "enabled" || key == "readOnly") {
				return
			}
			if key != "apiVersion" && key != "kind" && (n.Style != yaml.DoubleQuotedStyle || n.Tag != "!!str") {
				t.Errorf("%s: value %q of %s (line %d) is not a double-quoted string (tag %s)", what, n.Value, key, n.Line, n.Tag)
			}
		}
	}
	walk(n, "")
}

// schemaKeys are the keys of Kubernetes' and the charts' schemas that the
// rendering writes plain, as the charts do.
var schemaKeys = map[string]bool{
	"globalAppConfig": true, "influxTags": true, "app-metrics": true, "enabled": true, "apps": true,
	"apiVersion": true, "kind": true, "metadata": true, "name": true, "spec": true, "kafka": true,
	"namespace": true, "listener": true, "user": true, "apiGroup": true,
	"containers": true, "env": true, "value": true, "valueFrom": true, "secretKeyRef": true, "key": true,
	"volumeMounts": true, "mountPath": true, "readOnly": true, "subPath": true,
	"volumes": true, "secret": true, "secretName": true,
}

// The YAML pieces, as the charts read them.
type (
	influxTagsValues struct {
		GlobalAppConfig map[string]struct {
			InfluxTags []string `yaml:"influxTags"`
		} `yaml:"globalAppConfig"`
	}
	appMetricsValues struct {
		AppMetrics struct {
			Enabled bool
			Apps    []string
		} `yaml:"app-metrics"`
	}
	kafkaAccess struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string
		Metadata   struct{ Name string }
		Spec       struct {
			Kafka struct{ Name, Namespace, Listener string }
			User  struct {
				Kind      string
				APIGroup  string `yaml:"apiGroup"`
				Name      string
				Namespace string
			}
		}
	}
	envVar struct {
		Name      string
		Value     *string
		ValueFrom *struct {
			SecretKeyRef struct{ Name, Key string } `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	}
	volumeMount struct {
		Name      string
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
		SubPath   string `yaml:"subPath"`
	}
	podSpec struct {
		Containers []struct {
			Name         string
			Env          []envVar
			VolumeMounts []volumeMount `yaml:"volumeMounts"`
		}
		Volumes []struct {
			Name   string
			Secret struct {
				SecretName string `yaml:"secretName"`
			}
		}
	}
)

// telegrafInputs decodes a Telegraf configuration's kafka_consumer inputs.
func telegrafInputs(t *testing.T, text string) []map[string]any {
	t.Helper()
	var conf struct {
		Inputs struct {
			KafkaConsumer []map[string]any `toml:"kafka_consumer"`
		} `toml:"inputs"`
	}
	md, err := toml.Decode(text, &conf)
	if err != nil {
		t.Fatalf("not valid TOML: %v\n%s", err, text)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("TOML with keys outside inputs.kafka_consumer: %v\n%s", u, text)
	}
	return conf.Inputs.KafkaConsumer
}

// chartTelegrafInput is the kafka_consumer input Phalanx's app-metrics
// chart (650a0ef) configures for app with influxTags tags, as decoded TOML.
func chartTelegrafInput(app string, tags []string) map[string]any {
	avroTags := []any{"application"}
	for _, tag := range tags {
		avroTags = append(avroTags, tag)
	}
	return map[string]any{
		"brokers":                  []any{"sasquatch-kafka-brokers.sasquatch:9092"},
		"kafka_version":            "4.1.0",
		"consumer_group":           "telegraf-kafka-consumer-app-metrics",
		"sasl_mechanism":           "SCRAM-SHA-512",
		"sasl_password":            "$TELEGRAF_PASSWORD",
		"sasl_username":            "telegraf",
		"data_format":              "avro",
		"avro_schema_registry":     "http://sasquatch-schema-registry.sasquatch:8081",
		"avro_timestamp":           "timestamp_ns",
		"avro_timestamp_format":    "unix_ns",
		"avro_union_mode":          "nullable",
		"avro_tags":                avroTags,
		"topics":                   []any{"lsst.square.metrics.events." + app},
		"max_processing_time":      "5s",
		"consumer_fetch_default":   "5MB",
		"max_undelivered_messages": int64(10000),
		"compression_codec":        int64(3),
	}
}

// chartTelegrafBlock is, line for line, what telegraf-configmap.yaml
// (650a0ef) puts in telegraf.conf for app with influxTags tags, emulated by
// hand: the body of its range over apps once the ConfigMap's block scalar
// is de-indented, with kafka_version from the chart's values.yaml and
// avro_tags as its helpers.toTomlArray makes them from globalInfluxTags
// ["application"] and the tags: "[ " + the quoted items joined by ", " + " ]".
func chartTelegrafBlock(app string, tags []string) string {
	items := []string{`"application"`}
	for _, tag := range tags {
		items = append(items, `"`+tag+`"`)
	}
	return `[[inputs.kafka_consumer]]
  brokers = [
    "sasquatch-kafka-brokers.sasquatch:9092"
  ]
  kafka_version = "4.1.0"
  consumer_group = "telegraf-kafka-consumer-app-metrics"
  sasl_mechanism = "SCRAM-SHA-512"
  sasl_password = "$TELEGRAF_PASSWORD"
  sasl_username = "telegraf"
  data_format = "avro"
  avro_schema_registry = "http://sasquatch-schema-registry.sasquatch:8081"
  avro_timestamp = "timestamp_ns"
  avro_timestamp_format = "unix_ns"
  avro_union_mode = "nullable"
  avro_tags = [ ` + strings.Join(items, ", ") + ` ]
  topics = [
    "lsst.square.metrics.events.` + app + `",
  ]
  max_processing_time = "5s"
  consumer_fetch_default = "5MB"
  max_undelivered_messages = 10000
  compression_codec = 3
`
}

// compareLines fails t at the first line where got differs from want.
func compareLines(t *testing.T, what, got, want string) {
	t.Helper()
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w || i >= len(gl) || i >= len(wl) {
			t.Errorf("%s differs at line %d:\n\tgot  %q\n\twant %q\ngot:\n%s\nwant:\n%s", what, i+1, g, w, got, want)
			return
		}
	}
}

// TestRenderPieces: every piece of Render's output, parsed with a real YAML
// or TOML parser, says exactly what Phalanx's charts (650a0ef) need for the
// application, field by field, and sits under the label of its file.
func TestRenderPieces(t *testing.T) {
	t.Parallel()
	p := newPipelineManager(t).Pipeline()
	app, secret := p.App, p.App+"-kafka"
	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f := splitRendering(t, app, out)

	t.Run("header", func(t *testing.T) {
		h := f[""].label
		for _, want := range append([]string{`application "` + app + `"`, "Topic " + p.Topic + ";"}, p.Measurements...) {
			if !strings.Contains(h, want) {
				t.Errorf("header lacks %q:\n%s", want, h)
			}
		}
		if strings.Contains(h, "WARNING") {
			t.Errorf("header warns with the default topic prefix:\n%s", h)
		}
	})

	t.Run("globalAppConfig", func(t *testing.T) {
		var v influxTagsValues
		checkQuoted(t, valuesFile, decodeYAML(t, valuesFile, f[valuesFile].body, &v))
		want := map[string][]string{app: {"kind", "service", "site"}}
		got := map[string][]string{}
		for k, c := range v.GlobalAppConfig {
			got[k] = c.InfluxTags
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("globalAppConfig = %v, want %v (the tags without application)", got, want)
		}
	})

	t.Run("values-env", func(t *testing.T) {
		var v appMetricsValues
		checkQuoted(t, envValuesFile, decodeYAML(t, envValuesFile, f[envValuesFile].body, &v))
		if !v.AppMetrics.Enabled || !slices.Equal(v.AppMetrics.Apps, []string{app}) {
			t.Errorf("app-metrics = %+v, want enabled with apps [%s]", v.AppMetrics, app)
		}
	})

	t.Run("KafkaAccess", func(t *testing.T) {
		var got kafkaAccess
		checkQuoted(t, kafkaAccessFile(app), decodeYAML(t, kafkaAccessFile(app), f[kafkaAccessFile(app)].body, &got))
		var want kafkaAccess
		want.APIVersion, want.Kind, want.Metadata.Name = "access.strimzi.io/v1alpha1", "KafkaAccess", secret
		want.Spec.Kafka.Name, want.Spec.Kafka.Namespace, want.Spec.Kafka.Listener = "sasquatch", "sasquatch", "tls"
		want.Spec.User.Kind, want.Spec.User.APIGroup = "KafkaUser", "kafka.strimzi.io"
		want.Spec.User.Name, want.Spec.User.Namespace = "app-metrics-"+app, "sasquatch"
		if got != want {
			t.Errorf("KafkaAccess = %+v\nwant %+v", got, want)
		}
	})

	t.Run("Deployment", func(t *testing.T) {
		var spec podSpec
		checkQuoted(t, deploymentFile(app), decodeYAML(t, deploymentFile(app), f[deploymentFile(app)].body, &spec))
		if len(spec.Containers) != 1 || spec.Containers[0].Name != app {
			t.Fatalf("containers = %+v, want the app's container %s", spec.Containers, app)
		}
		c := spec.Containers[0]
		fromSecret := map[string]string{}
		values := map[string]string{}
		for _, e := range c.Env {
			switch {
			case e.Value != nil && e.ValueFrom == nil:
				values[e.Name] = *e.Value
			case e.Value == nil && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == secret:
				fromSecret[e.Name] = e.ValueFrom.SecretKeyRef.Key
			default:
				t.Errorf("env %s: %+v, want a value or a key of the secret %s", e.Name, e, secret)
			}
		}
		dir := "/etc/" + secret + "/"
		if want := map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "bootstrapServers", "KAFKA_SECURITY_PROTOCOL": "securityProtocol"}; !reflect.DeepEqual(fromSecret, want) {
			t.Errorf("env from the secret %s = %v, want %v", secret, fromSecret, want)
		}
		if want := map[string]string{
			"KAFKA_CLUSTER_CA_PATH":       dir + "ca.crt",
			"KAFKA_CLIENT_CERT_PATH":      dir + "user.crt",
			"KAFKA_CLIENT_KEY_PATH":       dir + "user.key",
			"METRICS_APPLICATION":         app,
			"METRICS_ENABLED":             "true",
			"SCHEMA_MANAGER_REGISTRY_URL": "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081",
		}; !reflect.DeepEqual(values, want) {
			t.Errorf("env values = %v\nwant %v", values, want)
		}
		if len(c.Env) != len(fromSecret)+len(values) {
			t.Errorf("env has %d entries, some twice: %+v", len(c.Env), c.Env)
		}
		wantMounts := []volumeMount{
			{"kafka", dir + "ca.crt", true, "ssl.truststore.crt"},
			{"kafka", dir + "user.crt", true, "ssl.keystore.crt"},
			{"kafka", dir + "user.key", true, "ssl.keystore.key"},
		}
		if !slices.Equal(c.VolumeMounts, wantMounts) {
			t.Errorf("volumeMounts = %+v\nwant %+v", c.VolumeMounts, wantMounts)
		}
		if len(spec.Volumes) != 1 || spec.Volumes[0].Name != "kafka" || spec.Volumes[0].Secret.SecretName != secret {
			t.Errorf("volumes = %+v, want kafka of the secret %s", spec.Volumes, secret)
		}
	})

	t.Run("Telegraf", func(t *testing.T) {
		fr := f[telegrafFile]
		if !strings.Contains(fr.label, "nothing to paste") {
			t.Errorf("the Telegraf label does not say the chart renders it:\n%s", fr.label)
		}
		inputs := telegrafInputs(t, fr.body)
		if want := chartTelegrafInput(app, p.Tags); len(inputs) != 1 || !reflect.DeepEqual(inputs[0], want) {
			t.Errorf("Telegraf inputs = %v\nwant [%v]", inputs, want)
		}
		block, err := p.Telegraf(eventmanager.TelegrafConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if block != fr.body {
			t.Errorf("Render's Telegraf piece differs from Telegraf(zero config):\n%s\n---\n%s", fr.body, block)
		}
		compareLines(t, "Telegraf(zero config) against the chart's template", block, chartTelegrafBlock(app, p.Tags))
	})
}

// TestRenderChartTemplate: for tag lists of every length, Telegraf with the
// zero config is line for line what the chart's template renders.
func TestRenderChartTemplate(t *testing.T) {
	t.Parallel()
	for _, tags := range [][]string{nil, {"username"}, {"username", "queue"}, {"b", "a", "c"}} {
		p := eventmanager.Pipeline{App: "qservkafka", Topic: "lsst.square.metrics.events.qservkafka", Tags: tags}
		got, err := p.Telegraf(eventmanager.TelegrafConfig{})
		if err != nil {
			t.Fatal(err)
		}
		compareLines(t, "Telegraf(zero config)", got, chartTelegrafBlock(p.App, tags))
	}
}

// TestRenderYAMLNames: application names that YAML 1.1 (Helm's) reads as
// booleans or null are deployable ([a-z][a-z0-9]*) and come out of every
// YAML piece as those strings, double-quoted; the TOML topic too.
func TestRenderYAMLNames(t *testing.T) {
	t.Parallel()
	for _, app := range []string{"yes", "on", "null", "true", "off", "no", "y", "n"} {
		t.Run(app, func(t *testing.T) {
			t.Parallel()
			p := eventmanager.Pipeline{App: app, Topic: "lsst.square.metrics.events." + app, Tags: []string{"kind"}}
			out, err := p.Render(eventmanager.RenderConfig{})
			if err != nil {
				t.Fatalf("Render(%q): %v", app, err)
			}
			f := splitRendering(t, app, out)
			var values influxTagsValues
			checkQuoted(t, valuesFile, decodeYAML(t, valuesFile, f[valuesFile].body, &values))
			if _, ok := values.GlobalAppConfig[app]; !ok || len(values.GlobalAppConfig) != 1 {
				t.Errorf("globalAppConfig = %v, want the key %q", values.GlobalAppConfig, app)
			}
			var anyValues map[string]map[string]any
			decodeYAML(t, valuesFile, f[valuesFile].body, &anyValues)
			if _, ok := anyValues["globalAppConfig"][app]; !ok {
				t.Errorf("globalAppConfig decoded untyped = %v, want the string key %q", anyValues["globalAppConfig"], app)
			}
			var env appMetricsValues
			checkQuoted(t, envValuesFile, decodeYAML(t, envValuesFile, f[envValuesFile].body, &env))
			if !slices.Equal(env.AppMetrics.Apps, []string{app}) {
				t.Errorf("app-metrics.apps = %q, want [%q]", env.AppMetrics.Apps, app)
			}
			var untyped map[string]map[string]any
			decodeYAML(t, envValuesFile, f[envValuesFile].body, &untyped)
			if apps, _ := untyped["app-metrics"]["apps"].([]any); len(apps) != 1 || apps[0] != app {
				t.Errorf("app-metrics.apps decoded untyped = %#v, want the string %q", apps, app)
			}
			var access kafkaAccess
			checkQuoted(t, kafkaAccessFile(app), decodeYAML(t, kafkaAccessFile(app), f[kafkaAccessFile(app)].body, &access))
			var spec podSpec
			checkQuoted(t, deploymentFile(app), decodeYAML(t, deploymentFile(app), f[deploymentFile(app)].body, &spec))
			for _, e := range spec.Containers[0].Env {
				if e.Name == "METRICS_APPLICATION" && (e.Value == nil || *e.Value != app) {
					t.Errorf("METRICS_APPLICATION = %v, want %q", e.Value, app)
				}
			}
			if in := telegrafInputs(t, f[telegrafFile].body); !reflect.DeepEqual(in[0]["topics"], []any{p.Topic}) {
				t.Errorf("Telegraf topics = %v, want [%s]", in[0]["topics"], p.Topic)
			}
		})
	}
}

// TestRenderTopicPrefixWarning: a topic prefix other than the one the chart
// hard-codes is rendered, with a warning that names both topics and the
// variable to unset; the Telegraf input reads the app's real topic.
func TestRenderTopicPrefixWarning(t *testing.T) {
	t.Parallel()
	cfg := mockConfig()
	cfg.TopicPrefix = "lsst.square.metrics.dev"
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	p := m.Pipeline()
	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f := splitRendering(t, p.App, out)
	h := f[""].label
	for _, want := range []string{"WARNING", "lsst.square.metrics.dev." + testApp, "lsst.square.metrics.events." + testApp,
		"KafkaTopic", "app-metrics-" + testApp, "METRICS_EVENTS_TOPIC_PREFIX"} {
		if !strings.Contains(h, want) {
			t.Errorf("header lacks %q:\n%s", want, h)
		}
	}
	if in := telegrafInputs(t, f[telegrafFile].body); !reflect.DeepEqual(in[0]["topics"], []any{"lsst.square.metrics.dev." + testApp}) {
		t.Errorf("Telegraf topics = %v, want the app's topic", in[0]["topics"])
	}
}

// TestRenderRefusesName: an application name Sasquatch cannot deploy is
// refused by Render and Telegraf with config's error, which names the rule
// and a name that would work.
func TestRenderRefusesName(t *testing.T) {
	t.Parallel()
	cfg := mockConfig()
	cfg.AppName = "fastapi_example"
	m, err := eventmanager.New(cfg, eventmanager.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	p := m.Pipeline()
	out, err := p.Render(eventmanager.RenderConfig{})
	block, terr := p.Telegraf(eventmanager.TelegrafConfig{Brokers: []string{"127.0.0.1:9092"}})
	for what, e := range map[string]error{"Render": err, "Telegraf": terr} {
		if !errors.Is(e, config.ErrNotDeployable) {
			t.Errorf("%s(fastapi_example): err = %v, want config.ErrNotDeployable", what, e)
			continue
		}
		for _, want := range []string{`"fastapi_example"`, config.SasquatchAppPattern, `"fastapiexample" would work`} {
			if !strings.Contains(e.Error(), want) {
				t.Errorf("%s's error lacks %q: %v", what, want, e)
			}
		}
	}
	if out != "" || block != "" {
		t.Errorf("Render and Telegraf rendered something with the error: %q, %q", out, block)
	}
}

// stackTelegraf is the TelegrafConfig of the local stack (stack/telegraf):
// environment references Telegraf substitutes, no SASL. The stack's tests
// (stack/tests generatedTelegraf) use it with a consumer group of their own.
func stackTelegraf() eventmanager.TelegrafConfig {
	return eventmanager.TelegrafConfig{
		Brokers:      []string{"${TELEGRAF_KAFKA_BROKERS}"},
		RegistryURL:  "${TELEGRAF_SCHEMA_REGISTRY_URL}",
		KafkaVersion: "${TELEGRAF_KAFKA_VERSION}",
		SASL:         &eventmanager.TelegrafSASL{},
	}
}

// TestTelegrafMatchesStack: with the stack's settings, the block means what
// stack/telegraf/render.sh makes of kafka_consumer.conf.in for the app, the
// input the end-to-end stack runs Telegraf with.
func TestTelegrafMatchesStack(t *testing.T) {
	t.Parallel()
	p := newPipelineManager(t).Pipeline()
	tmpl, err := os.ReadFile("../stack/telegraf/kafka_consumer.conf.in")
	if err != nil {
		t.Fatal(err)
	}
	app := strings.TrimPrefix(p.Topic, "lsst.square.metrics.events.")
	want := telegrafInputs(t, strings.NewReplacer("@APP@", app, "@AVRO_TAGS@", `"application", "kind", "service", "site"`).Replace(string(tmpl)))
	block, err := p.Telegraf(stackTelegraf())
	if err != nil {
		t.Fatal(err)
	}
	if got := telegrafInputs(t, block); !reflect.DeepEqual(got, want) {
		t.Errorf("Telegraf(stack config) =\n%v\nwant (stack/telegraf/kafka_consumer.conf.in)\n%v\n%s", got, want, block)
	}
}

// TestTelegrafConfig: each setting replaces the chart's, alone; the Render
// label then says the block is not the chart's; contradictory SASL settings
// and an empty broker are errors.
func TestTelegrafConfig(t *testing.T) {
	t.Parallel()
	p := eventmanager.Pipeline{App: "myapp", Topic: "lsst.square.metrics.events.myapp", Tags: []string{"route"}}
	base := chartTelegrafInput(p.App, p.Tags)
	with := func(kv ...any) map[string]any {
		m := make(map[string]any, len(base))
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		c    eventmanager.TelegrafConfig
		want map[string]any
	}{
		{"brokers", eventmanager.TelegrafConfig{Brokers: []string{"b1:9092", "b2:9092"}}, with("brokers", []any{"b1:9092", "b2:9092"})},
		{"registry", eventmanager.TelegrafConfig{RegistryURL: "http://sr:8081"}, with("avro_schema_registry", "http://sr:8081")},
		{"version", eventmanager.TelegrafConfig{KafkaVersion: "3.9.0"}, with("kafka_version", "3.9.0")},
		{"group", eventmanager.TelegrafConfig{ConsumerGroup: "g1"}, with("consumer_group", "g1")},
		{"no SASL", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{}},
			with("sasl_mechanism", nil, "sasl_username", nil, "sasl_password", nil)},
		{"SASL", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{Mechanism: "PLAIN", Username: "u", Password: "${P}"}},
			with("sasl_mechanism", "PLAIN", "sasl_username", "u", "sasl_password", "${P}")},
		{"SASL default mechanism", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{Username: "u", Password: "$P"}},
			with("sasl_username", "u", "sasl_password", "$P")},
		{"escaped", eventmanager.TelegrafConfig{RegistryURL: "http://a\"b\\c\x01"}, with("avro_schema_registry", "http://a\"b\\c\x01")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block, err := p.Telegraf(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if got := telegrafInputs(t, block); len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Errorf("Telegraf(%+v) = %v\nwant %v", tc.c, got, tc.want)
			}
			out, err := p.Render(eventmanager.RenderConfig{Telegraf: tc.c})
			if err != nil {
				t.Fatal(err)
			}
			fr := splitRendering(t, p.App, out)[telegrafFile]
			if fr.body != block || !strings.Contains(fr.label, "RenderConfig.Telegraf") || strings.Contains(fr.label, "nothing to paste") {
				t.Errorf("Render's Telegraf piece with %+v:\n%s%s\nwant the block, labelled as not the chart's", tc.c, fr.label, fr.body)
			}
		})
	}
	for _, tc := range []struct {
		name string
		c    eventmanager.TelegrafConfig
		want string
	}{
		{"password without user", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{Password: "$P"}}, "no username"},
		{"mechanism without user", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{Mechanism: "PLAIN"}}, "no username"},
		{"user without password", eventmanager.TelegrafConfig{SASL: &eventmanager.TelegrafSASL{Username: "u"}}, `user "u" but no password`},
		{"empty broker", eventmanager.TelegrafConfig{Brokers: []string{"b1:9092", ""}}, "empty address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block, err := p.Telegraf(tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || block != "" {
				t.Errorf("Telegraf(%+v) = %q, %v; want an error with %q", tc.c, block, err, tc.want)
			}
			if out, rerr := p.Render(eventmanager.RenderConfig{Telegraf: tc.c}); rerr == nil || out != "" {
				t.Errorf("Render with %+v = %q, %v; want the error", tc.c, out, rerr)
			}
		})
	}
}

// TestRenderedEnvConfiguresSDK plays the kubelet: the env and mounts of the
// Deployment piece, with the KafkaAccess secret's keys given values and its
// files (a CA, a Strimzi-like user certificate and key), configure the SDK
// in Kafka mode for the app over mutual TLS with Sasquatch's registry. Not
// parallel: it sets the environment.
func TestRenderedEnvConfiguresSDK(t *testing.T) {
	p := newPipelineManager(t).Pipeline()
	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var spec podSpec
	decodeYAML(t, "deployment", splitRendering(t, p.App, out)[deploymentFile(p.App)].body, &spec)

	ca := pki.New(t)
	secretName := spec.Volumes[0].Secret.SecretName
	secret := map[string]string{ // the keys Strimzi's access operator writes
		"bootstrapServers":   "sasquatch-kafka-bootstrap.sasquatch:9093",
		"securityProtocol":   "SSL",
		"ssl.truststore.crt": ca.CA,
		"ssl.keystore.crt":   ca.NoAKICert,
		"ssl.keystore.key":   ca.NoAKIKey,
	}
	c := spec.Containers[0]
	files := map[string]string{} // mount path -> the file it shows
	for _, vm := range c.VolumeMounts {
		if vm.Name != spec.Volumes[0].Name {
			t.Fatalf("mount %+v is not of the volume %s", vm, spec.Volumes[0].Name)
		}
		files[vm.MountPath] = secret[vm.SubPath]
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef.Name == secretName:
			env[e.Name] = secret[e.ValueFrom.SecretKeyRef.Key]
		case e.Value != nil && strings.HasPrefix(*e.Value, "/"):
			env[e.Name] = files[*e.Value] // empty unless mounted
		case e.Value != nil:
			env[e.Name] = *e.Value
		}
	}
	cfg := secureFromEnv(t, env)
	if cfg.Mode() != config.ModeKafka || cfg.AppName != p.App || cfg.Topic() != p.Topic {
		t.Errorf("config: mode %v app %q topic %q, want Kafka mode, %q, %q", cfg.Mode(), cfg.AppName, cfg.Topic(), p.App, p.Topic)
	}
	if cfg.Kafka.SecurityProtocol != config.SSL || !slices.Equal(cfg.Kafka.BootstrapServers, []string{secret["bootstrapServers"]}) {
		t.Errorf("config.Kafka = %+v, want SSL to %s", cfg.Kafka, secret["bootstrapServers"])
	}
	if cfg.Registry.URL != "http://sasquatch-schema-registry.sasquatch.svc.cluster.local:8081" {
		t.Errorf("registry %q, want Sasquatch's", cfg.Registry.URL)
	}
	tc, err := cfg.Kafka.TLSConfig()
	if err != nil || tc == nil || len(tc.Certificates) != 1 || tc.RootCAs == nil {
		t.Fatalf("TLS from the mounted files: %+v, %v; want a client certificate and the cluster CA", tc, err)
	}
	want, err := tls.LoadX509KeyPair(ca.NoAKICert, ca.NoAKIKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tc.Certificates[0].Certificate[0], want.Certificate[0]) {
		t.Error("the client certificate is not the one mounted from ssl.keystore.crt")
	}
}
