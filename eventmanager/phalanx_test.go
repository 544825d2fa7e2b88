//go:build phalanx

package eventmanager_test

// Render against the real Phalanx charts: with the build tag phalanx and
// PHALANX set to a clone of github.com/lsst-sqre/phalanx (a work tree or a
// bare mirror; PHALANX_REF, default HEAD, picks the commit), these tests
// execute the charts' templates with Go's text/template and the few Sprig
// and Helm functions they call, emulated below, and compare what they render
// for an application with Pipeline.Render's pieces:
//
//	go test -tags phalanx -run Phalanx ./eventmanager/ # PHALANX=~/src/phalanx
//
// No helm binary is needed; the emulation covers only what these templates
// use and fails on anything else (missingkey=error).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// phalanxFile returns the file path of the Phalanx clone at PHALANX_REF.
func phalanxFile(t *testing.T, path string) string {
	t.Helper()
	dir := os.Getenv("PHALANX")
	if dir == "" {
		t.Skip("PHALANX is not set: no Phalanx clone to render the charts from")
	}
	ref := os.Getenv("PHALANX_REF")
	if ref == "" {
		ref = "HEAD"
	}
	out, err := exec.Command("git", "-C", dir, "show", ref+":"+path).Output()
	if err != nil {
		t.Fatalf("git -C %s show %s:%s: %v", dir, ref, path, err)
	}
	return string(out)
}

// helm renders the template file of a chart (the chart's directory under
// Phalanx, the file under its templates/) with values, as helm template
// does: with the chart's _helpers.tpl and the named templates given by
// include, and the functions the templates use.
func helm(t *testing.T, chart, file string, values map[string]any, chartMeta map[string]any, alsoNamed ...string) string {
	t.Helper()
	root := template.New("root").Option("missingkey=error")
	root.Funcs(helmFuncs(root))
	parse := func(name string) {
		if _, err := root.New(name).Parse(phalanxFile(t, chart+"/"+name)); err != nil {
			t.Fatalf("parse %s/%s: %v", chart, name, err)
		}
	}
	parse("templates/_helpers.tpl")
	for _, n := range alsoNamed {
		parse(n)
	}
	parse("templates/" + file)
	data := map[string]any{
		"Values":   values,
		"Chart":    chartMeta,
		"Release":  map[string]any{"Name": "release", "Service": "Helm"},
		"Template": map[string]any{"BasePath": "templates"},
	}
	var b bytes.Buffer
	if err := root.ExecuteTemplate(&b, "templates/"+file, data); err != nil {
		t.Fatalf("execute %s/templates/%s: %v", chart, file, err)
	}
	return b.String()
}

// helmFuncs are the Sprig and Helm functions the templates call, with
// Sprig's semantics for the arguments they get.
func helmFuncs(root *template.Template) template.FuncMap {
	list := func(v any) []any {
		switch l := v.(type) {
		case nil:
			return nil
		case []any:
			return l
		case []string:
			out := make([]any, len(l))
			for i, s := range l {
				out[i] = s
			}
			return out
		}
		panic(fmt.Sprintf("not a list: %T", v))
	}
	empty := func(v any) bool {
		if v == nil {
			return true
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String, reflect.Slice, reflect.Map:
			return rv.Len() == 0
		case reflect.Bool:
			return !rv.Bool()
		}
		return rv.IsZero()
	}
	indent := func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	}
	return template.FuncMap{
		"quote": func(vs ...any) string {
			var out []string
			for _, v := range vs {
				if v != nil {
					out = append(out, fmt.Sprintf("%q", fmt.Sprint(v)))
				}
			}
			return strings.Join(out, " ")
		},
		"default": func(d any, given ...any) any {
			if len(given) == 0 || empty(given[0]) {
				return d
			}
			return given[0]
		},
		"dig": func(ps ...any) any { // keys..., default, dict
			d, m := ps[len(ps)-2], ps[len(ps)-1]
			for _, k := range ps[:len(ps)-2] {
				mm, ok := m.(map[string]any)
				if !ok {
					return d
				}
				if m, ok = mm[k.(string)]; !ok {
					return d
				}
			}
			return m
		},
		"list": func(vs ...any) []any { return vs },
		"concat": func(ls ...any) []any {
			var out []any
			for _, l := range ls {
				out = append(out, list(l)...)
			}
			return out
		},
		"append": func(l any, v any) []any { return append(list(l), v) },
		"join": func(sep string, l any) string {
			var out []string
			for _, v := range list(l) {
				out = append(out, fmt.Sprint(v))
			}
			return strings.Join(out, sep)
		},
		"include": func(name string, data any) (string, error) {
			var b bytes.Buffer
			err := root.ExecuteTemplate(&b, name, data)
			return b.String(), err
		},
		"indent":     indent,
		"nindent":    func(n int, s string) string { return "\n" + indent(n, s) },
		"replace":    func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"trunc":      func(n int, s string) string { return s[:min(n, len(s))] },
		"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
		"sha256sum":  func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) },
		"toYaml": func(v any) (string, error) {
			b, err := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n"), err
		},
	}
}

// chartValues reads a chart's values.yaml.
func chartValues(t *testing.T, chart string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal([]byte(phalanxFile(t, chart+"/values.yaml")), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// yamlDocs decodes every document of a rendered template.
func yamlDocs(t *testing.T, text string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				return docs
			}
			t.Fatalf("rendered YAML: %v\n%s", err, text)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

// reencode decodes v (decoded YAML) into out, through YAML.
func reencode(t *testing.T, v any, out any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// TestPhalanxAppMetricsChart: the app-metrics chart, given Render's
// globalAppConfig entry and app-metrics.apps, renders exactly Render's
// Telegraf input for the app, a KafkaTopic of the app's topic and the
// KafkaUser that Render's KafkaAccess names, allowed to write that topic.
func TestPhalanxAppMetricsChart(t *testing.T) {
	const chart = "applications/sasquatch/charts/app-metrics"
	for _, p := range []eventmanager.Pipeline{
		{App: "myapp", Topic: "lsst.square.metrics.events.myapp", Tags: []string{"method", "route"}},
		{App: "on", Topic: "lsst.square.metrics.events.on"},
	} {
		t.Run(p.App, func(t *testing.T) {
			out, err := p.Render(eventmanager.RenderConfig{})
			if err != nil {
				t.Fatal(err)
			}
			f := splitRendering(t, p.App, out)
			values := chartValues(t, chart)
			// Render's values, merged as Helm merges values files.
			var app struct {
				GlobalAppConfig map[string]any `yaml:"globalAppConfig"`
			}
			decodeYAML(t, valuesFile, f[valuesFile].body, &app)
			for k, v := range app.GlobalAppConfig {
				values["globalAppConfig"].(map[string]any)[k] = v
			}
			var env map[string]map[string]any
			decodeYAML(t, envValuesFile, f[envValuesFile].body, &env)
			values["apps"] = env["app-metrics"]["apps"]

			meta := map[string]any{"Name": "app-metrics"}
			docs := yamlDocs(t, helm(t, chart, "telegraf-configmap.yaml", values, meta))
			conf := docs[0]["data"].(map[string]any)["telegraf.conf"].(string)
			start := strings.Index(conf, "[[inputs.kafka_consumer]]\n")
			end := strings.Index(conf, "\n\n[[inputs.internal]]")
			if start < 0 || end < start {
				t.Fatalf("no kafka_consumer input in the chart's telegraf.conf:\n%s", conf)
			}
			compareLines(t, "Render's Telegraf input against the chart's", f[telegrafFile].body, conf[start:end+1])

			var access kafkaAccess
			decodeYAML(t, kafkaAccessFile(p.App), f[kafkaAccessFile(p.App)].body, &access)
			topics := yamlDocs(t, helm(t, chart, "kafka-topics.yaml", values, meta))
			if len(topics) != 1 || topics[0]["metadata"].(map[string]any)["name"] != p.Topic {
				t.Errorf("the chart's KafkaTopics %v, want one, %s", topics, p.Topic)
			}
			users := yamlDocs(t, helm(t, chart, "kafka-users.yaml", values, meta))
			if len(users) != 1 || users[0]["metadata"].(map[string]any)["name"] != access.Spec.User.Name {
				t.Fatalf("the chart's KafkaUsers %v, want one, %s (Render's KafkaAccess user)", users, access.Spec.User.Name)
			}
			var user struct {
				Spec struct {
					Authentication struct{ Type string }
					Authorization  struct {
						ACLs []struct {
							Resource   struct{ Type, Name string }
							Operations []string
						} `yaml:"acls"`
					}
				}
			}
			reencode(t, users[0], &user)
			writes := false
			for _, acl := range user.Spec.Authorization.ACLs {
				if acl.Resource.Type == "topic" && acl.Resource.Name == p.Topic && strings.Contains(strings.Join(acl.Operations, ","), "Write") {
					writes = true
				}
			}
			if user.Spec.Authentication.Type != "tls" || access.Spec.Kafka.Listener != "tls" || !writes {
				t.Errorf("the chart's KafkaUser %+v: want TLS authentication (Render's listener %s) and Write on %s", user.Spec, access.Spec.Kafka.Listener, p.Topic)
			}
		})
	}
}

// TestPhalanxHeraldChart: for the application herald, Render's KafkaAccess,
// container env, volume mounts and volume are what herald's chart renders
// with metrics enabled (its ConfigMap holding the METRICS_ and
// SCHEMA_MANAGER_ variables that Render puts in the env).
func TestPhalanxHeraldChart(t *testing.T) {
	const chart = "applications/herald"
	p := eventmanager.Pipeline{App: "herald", Topic: "lsst.square.metrics.events.herald", Tags: []string{"endpoint", "error_type"}}
	out, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	f := splitRendering(t, p.App, out)
	values := chartValues(t, chart)
	values["config"].(map[string]any)["metrics"].(map[string]any)["enabled"] = true
	meta := map[string]any{"Name": "herald", "Version": "1.0.0", "AppVersion": "0.3.0"}

	var ours, theirs kafkaAccess
	decodeYAML(t, kafkaAccessFile(p.App), f[kafkaAccessFile(p.App)].body, &ours)
	docs := yamlDocs(t, helm(t, chart, "kafka-access.yaml", values, meta))
	reencode(t, docs[0], &theirs)
	if ours != theirs {
		t.Errorf("KafkaAccess\n ours   %+v\n herald %+v", ours, theirs)
	}

	var spec podSpec
	decodeYAML(t, deploymentFile(p.App), f[deploymentFile(p.App)].body, &spec)
	deployment := yamlDocs(t, helm(t, chart, "deployment.yaml", values, meta, "templates/configmap.yaml"))
	var herald struct {
		Spec struct {
			Template struct {
				Spec podSpec
			}
		}
	}
	reencode(t, deployment[0], &herald)
	hs := herald.Spec.Template.Spec
	configMap := yamlDocs(t, helm(t, chart, "configmap.yaml", values, meta))[0]["data"].(map[string]any)

	render := func(env []envVar) map[string]string {
		m := map[string]string{}
		for _, e := range env {
			switch {
			case e.Value != nil:
				m[e.Name] = *e.Value
			case e.ValueFrom != nil:
				m[e.Name] = "secret " + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		return m
	}
	ourEnv, heraldEnv := render(spec.Containers[0].Env), render(hs.Containers[0].Env)
	for name, v := range ourEnv {
		if strings.HasPrefix(name, "KAFKA_") {
			if heraldEnv[name] != v {
				t.Errorf("env %s: ours %q, herald's %q", name, v, heraldEnv[name])
			}
		} else if configMap[name] != v {
			t.Errorf("env %s: ours %q, herald's ConfigMap %q", name, v, configMap[name])
		}
	}
	for name := range heraldEnv {
		if _, ok := ourEnv[name]; strings.HasPrefix(name, "KAFKA_") && !ok {
			t.Errorf("herald's env has %s, ours not", name)
		}
	}
	if !reflect.DeepEqual(spec.Containers[0].VolumeMounts, hs.Containers[0].VolumeMounts) || !reflect.DeepEqual(spec.Volumes, hs.Volumes) {
		t.Errorf("mounts and volumes\n ours   %+v %+v\n herald %+v %+v", spec.Containers[0].VolumeMounts, spec.Volumes, hs.Containers[0].VolumeMounts, hs.Volumes)
	}
}
