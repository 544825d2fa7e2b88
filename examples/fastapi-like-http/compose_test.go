package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// The compose stack is not run by the tests (no Docker); these tests check
// that its files parse and agree with each other and with the example.

// repoRoot is the repository root, relative to this package.
var repoRoot = filepath.Join("..", "..")

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       *composeBuild                `yaml:"build"`
	DependsOn   map[string]composeDependency `yaml:"depends_on"`
	Environment map[string]string            `yaml:"environment"`
	Command     []string                     `yaml:"command"`
	Entrypoint  []string                     `yaml:"entrypoint"`
	Ports       []string                     `yaml:"ports"`
	Volumes     []string                     `yaml:"volumes"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
	Restart string `yaml:"restart"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

type composeDependency struct {
	Condition string `yaml:"condition"`
}

// loadCompose decodes docker-compose.yml strictly: an unknown (misspelt)
// key is an error.
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	var names []string
	for name := range c.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{"app", "grafana", "influxdb", "kafka", "kafka-init", "schema-registry", "telegraf", "traffic"}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}

	images := map[string]string{
		"kafka":           "apache/kafka:",
		"kafka-init":      "apache/kafka:",
		"schema-registry": "confluentinc/cp-schema-registry:",
		"influxdb":        "influxdb:1.",
		"telegraf":        "telegraf:",
		"grafana":         "grafana/grafana:",
	}
	for name, prefix := range images {
		if img := c.Services[name].Image; !strings.HasPrefix(img, prefix) {
			t.Errorf("%s: image %q, want %s...", name, img, prefix)
		}
	}

	// Kafka in KRaft mode, one listener for containers, one for the host.
	kafka := c.Services["kafka"].Environment
	if roles := kafka["KAFKA_PROCESS_ROLES"]; roles != "broker,controller" || kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "" {
		t.Errorf("kafka: KAFKA_PROCESS_ROLES=%q KAFKA_CONTROLLER_QUORUM_VOTERS=%q, want a KRaft combined node", roles, kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"])
	}
	for k := range kafka {
		if strings.Contains(k, "ZOOKEEPER") {
			t.Errorf("kafka: %s: KRaft mode needs no ZooKeeper", k)
		}
	}
	if adv := kafka["KAFKA_ADVERTISED_LISTENERS"]; !strings.Contains(adv, "//kafka:9092") || !strings.Contains(adv, "//127.0.0.1:29092") {
		t.Errorf("kafka: advertised listeners %q, want kafka:9092 and 127.0.0.1:29092", adv)
	}
	if kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] != "false" {
		t.Errorf("kafka: topics must be created explicitly, as in Sasquatch")
	}
	if got := c.Services["schema-registry"].Environment["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"]; got != "PLAINTEXT://kafka:9092" {
		t.Errorf("schema-registry: kafkastore %q, want PLAINTEXT://kafka:9092", got)
	}
	if db := c.Services["influxdb"].Environment["INFLUXDB_DB"]; db != "lsst.square.metrics" {
		t.Errorf("influxdb: INFLUXDB_DB=%q, want lsst.square.metrics", db)
	}

	// Ports: published on loopback only, the ones docs/development.md names.
	var hostPorts []string
	for name, s := range c.Services {
		for _, p := range s.Ports {
			host, ok := strings.CutPrefix(p, "127.0.0.1:")
			if !ok {
				t.Errorf("%s: port %q is not bound to 127.0.0.1", name, p)
				continue
			}
			hostPort, _, _ := strings.Cut(host, ":")
			hostPorts = append(hostPorts, name+"="+hostPort)
		}
	}
	sort.Strings(hostPorts)
	wantPorts := []string{"app=8080", "grafana=3000", "influxdb=8086", "kafka=29092", "schema-registry=8081"}
	if !slices.Equal(hostPorts, wantPorts) {
		t.Errorf("host ports %v, want %v", hostPorts, wantPorts)
	}

	// Dependencies name services, with conditions those services support.
	for name, s := range c.Services {
		for dep, d := range s.DependsOn {
			target, ok := c.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s depends on unknown service %s", name, dep)
			case d.Condition == "service_healthy" && target.Healthcheck == nil:
				t.Errorf("%s waits for %s to be healthy, but it has no healthcheck", name, dep)
			case !slices.Contains([]string{"service_started", "service_healthy", "service_completed_successfully"}, d.Condition):
				t.Errorf("%s: depends_on %s: condition %q", name, dep, d.Condition)
			}
		}
	}
	for _, name := range []string{"app", "telegraf"} {
		if c.Services[name].DependsOn["kafka-init"].Condition != "service_completed_successfully" {
			t.Errorf("%s must start after the topic exists (kafka-init completed)", name)
		}
	}
	if !slices.Contains(c.Services["kafka-init"].Command, topicFromCompose(t, c)) {
		t.Errorf("kafka-init does not create topic %s: %q", topicFromCompose(t, c), c.Services["kafka-init"].Command)
	}

	// Mounted files exist; named volumes are declared.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
					t.Errorf("%s: volume %q: %v", name, v, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: named volume %q is not declared", name, src)
			}
		}
	}
}

// topicFromCompose is the app service's topic, <prefix>.<app name>.
func topicFromCompose(t *testing.T, c composeFile) string {
	t.Helper()
	env := c.Services["app"].Environment
	return env["METRICS_EVENTS_TOPIC_PREFIX"] + "." + env["METRICS_APP_NAME"]
}

// The app service's environment is a valid Kafka-mode configuration for the
// SDK, and its image builds this example.
func TestComposeApp(t *testing.T) {
	c := loadCompose(t)
	app := c.Services["app"]
	if app.Build == nil || app.Build.Context != "." {
		t.Fatalf("app: build %+v, want the repository root as context", app.Build)
	}
	dockerfile, err := os.ReadFile(filepath.Join(repoRoot, app.Build.Dockerfile))
	if err != nil {
		t.Fatalf("app: dockerfile: %v", err)
	}
	if !strings.Contains(string(dockerfile), "go build") || !strings.Contains(string(dockerfile), "./examples/fastapi-like-http") {
		t.Errorf("app: %s does not build ./examples/fastapi-like-http", app.Build.Dockerfile)
	}
	if got := app.Environment["HTTP_ADDR"]; got != "0.0.0.0:8080" || !slices.Contains(app.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("app: HTTP_ADDR=%q ports %v, want 0.0.0.0:8080 published on 127.0.0.1:8080", got, app.Ports)
	}
	if app.Environment["METRICS_APP_NAME"] != defaultAppName {
		t.Errorf("app: METRICS_APP_NAME=%q, want %q (the dashboard's measurements)", app.Environment["METRICS_APP_NAME"], defaultAppName)
	}

	// config.FromEnv, the SDK's only reader of the environment, accepts it.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "METRICS_") || strings.HasPrefix(name, "KAFKA_") || strings.HasPrefix(name, "SCHEMA_MANAGER_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	for k, v := range app.Environment {
		t.Setenv(k, v)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatalf("config.FromEnv with the app service's environment: %v", err)
	}
	if cfg.Mode() != config.ModeKafka || cfg.Topic() != topicFromCompose(t, c) {
		t.Errorf("config: mode %s topic %s, want Kafka mode on %s", cfg.Mode(), cfg.Topic(), topicFromCompose(t, c))
	}
}

// telegrafConfig is the part of telegraf.conf the tests read.
type telegrafConfig struct {
	Agent   map[string]any `toml:"agent"`
	Outputs struct {
		InfluxDB []struct {
			URLs     []string `toml:"urls"`
			Database string   `toml:"database"`
			NameDrop []string `toml:"namedrop"`
			NamePass []string `toml:"namepass"`
		} `toml:"influxdb"`
	} `toml:"outputs"`
	Inputs struct {
		KafkaConsumer []map[string]any `toml:"kafka_consumer"`
		Internal      []struct {
			NamePrefix      string            `toml:"name_prefix"`
			CollectMemstats bool              `toml:"collect_memstats"`
			Tags            map[string]string `toml:"tags"`
		} `toml:"internal"`
	} `toml:"inputs"`
}

func loadTelegraf(t *testing.T) (telegrafConfig, toml.MetaData) {
	t.Helper()
	var conf telegrafConfig
	md, err := toml.DecodeFile(filepath.Join(repoRoot, "deploy", "telegraf", "telegraf.conf"), &conf)
	if err != nil {
		t.Fatalf("telegraf.conf is not valid TOML: %v", err)
	}
	return conf, md
}

// Telegraf is configured as Sasquatch's app-metrics Telegraf, pointed at the
// compose services and the app's topic.
func TestComposeTelegraf(t *testing.T) {
	c := loadCompose(t)
	conf, md := loadTelegraf(t)
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("telegraf.conf has sections the test does not know: %v", u)
	}
	tg := c.Services["telegraf"]
	if !slices.Contains(tg.Volumes, "./deploy/telegraf/telegraf.conf:/etc/telegraf/telegraf.conf:ro") {
		t.Errorf("telegraf: volumes %v do not mount deploy/telegraf/telegraf.conf", tg.Volumes)
	}
	app := c.Services["app"].Environment
	if len(conf.Inputs.KafkaConsumer) != 1 {
		t.Fatalf("%d kafka_consumer inputs, want 1 (one per app)", len(conf.Inputs.KafkaConsumer))
	}
	want := map[string]any{
		"brokers":                  []any{app["KAFKA_BOOTSTRAP_SERVERS"]},
		"kafka_version":            "4.1.0",
		"consumer_group":           "telegraf-kafka-consumer-app-metrics",
		"data_format":              "avro",
		"avro_schema_registry":     app["SCHEMA_MANAGER_REGISTRY_URL"],
		"avro_timestamp":           timestampField,
		"avro_timestamp_format":    "unix_ns",
		"avro_union_mode":          "nullable",
		"avro_tags":                toAny(sasquatchTags()),
		"topics":                   []any{topicFromCompose(t, c)},
		"max_processing_time":      "5s",
		"consumer_fetch_default":   "5MB",
		"max_undelivered_messages": int64(10000),
		"compression_codec":        int64(3),
	}
	if got := conf.Inputs.KafkaConsumer[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("kafka_consumer\n got  %v\n want %v", got, want)
	}
	influx := c.Services["influxdb"].Environment["INFLUXDB_DB"]
	if len(conf.Outputs.InfluxDB) != 2 {
		t.Fatalf("%d influxdb outputs, want 2 (events, Telegraf's own metrics)", len(conf.Outputs.InfluxDB))
	}
	events := conf.Outputs.InfluxDB[0]
	if events.Database != influx || !slices.Equal(events.URLs, []string{"http://influxdb:8086"}) || !slices.Equal(events.NameDrop, []string{"telegraf_*"}) {
		t.Errorf("events output %+v, want database %s at http://influxdb:8086 without telegraf_*", events, influx)
	}
	if conf.Agent["omit_hostname"] != true {
		t.Errorf("agent: omit_hostname %v, want true as in Sasquatch (no host tag)", conf.Agent["omit_hostname"])
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Grafana's datasource points at the InfluxDB database, and the dashboard
// queries the example's measurements and fields only.
func TestComposeGrafana(t *testing.T) {
	c := loadCompose(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "grafana", "provisioning", "datasources", "influxdb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name, UID, Type, Access, URL string
			IsDefault                    bool           `yaml:"isDefault"`
			JSONData                     map[string]any `yaml:"jsonData"`
			Editable                     bool
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(data, &ds); err != nil {
		t.Fatalf("datasource: %v", err)
	}
	if len(ds.Datasources) != 1 {
		t.Fatalf("%d datasources, want 1", len(ds.Datasources))
	}
	source := ds.Datasources[0]
	if source.Type != "influxdb" || source.URL != "http://influxdb:8086" || source.JSONData["dbName"] != c.Services["influxdb"].Environment["INFLUXDB_DB"] {
		t.Errorf("datasource %+v, want InfluxQL on http://influxdb:8086, database %s", source, c.Services["influxdb"].Environment["INFLUXDB_DB"])
	}

	data, err = os.ReadFile(filepath.Join(repoRoot, "deploy", "grafana", "dashboards", "fastapi-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Datasource struct{ UID string } `json:"datasource"`
				Query      string               `json:"query"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if !strings.HasSuffix(c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"], "/fastapi-example.json") {
		t.Errorf("grafana: home dashboard is not fastapi-example.json")
	}

	topic := topicFromCompose(t, c)
	fields := map[string][]string{
		topic + "." + queryEventName: avroFields[QueryEvent](t, queryEventName, topic),
		topic + "." + loginEventName: avroFields[LoginEvent](t, loginEventName, topic),
	}
	from := regexp.MustCompile(`FROM "([^"]+)"`)
	ident := regexp.MustCompile(`"([^"]+)"`)
	queried := map[string]bool{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != source.UID {
				t.Errorf("panel %q: datasource %q, want %q", p.Title, tg.Datasource.UID, source.UID)
			}
			m := from.FindStringSubmatch(tg.Query)
			if m == nil {
				t.Errorf("panel %q: no FROM \"measurement\" in %q", p.Title, tg.Query)
				continue
			}
			known, ok := fields[m[1]]
			if !ok {
				t.Errorf("panel %q: measurement %q is not one of the example's events", p.Title, m[1])
				continue
			}
			queried[m[1]] = true
			for _, id := range ident.FindAllStringSubmatch(tg.Query, -1) {
				if id[1] != m[1] && !slices.Contains(known, id[1]) {
					t.Errorf("panel %q: %q is not a field of %s (fields: %v)", p.Title, id[1], m[1], known)
				}
			}
		}
	}
	if len(queried) != len(fields) {
		t.Errorf("the dashboard queries %v, want every event of the example", queried)
	}
}

// avroFields returns the field names of T's Avro record.
func avroFields[T any](t *testing.T, name, topic string) []string {
	t.Helper()
	codec, err := payload.NewCodec[T](name, topic)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Fields []struct{ Name string } `json:"fields"`
	}
	if err := json.Unmarshal([]byte(codec.SchemaJSON()), &schema); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range schema.Fields {
		names = append(names, f.Name)
	}
	return names
}
