package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
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
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/internal/envfile"
)

// The compose stack is not run by the tests (no Docker); these tests check
// that its files parse and agree with each other, with the example and with
// the sources the native stack (stack/) runs too: stack/versions.env,
// stack/telegraf/ and stack/grafana/.

// repoRoot is the repository root, relative to this package.
var repoRoot = filepath.Join("..", "..")

// readEnvFile reads KEY=VALUE lines (# comments, blank lines) as the stack's
// env files are written.
func readEnvFile(t *testing.T, rel string) map[string]string {
	t.Helper()
	env, err := envfile.Read(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// versions are the pinned versions, stack/versions.env.
func versions(t *testing.T) map[string]string {
	t.Helper()
	return readEnvFile(t, filepath.Join("stack", "versions.env"))
}

// composeVar is a variable of docker-compose.yml as compose interpolates it:
// $$ (a literal $) or ${NAME}, ${NAME:?message}, ${NAME:-default}.
var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[?-][^}]*)?\}`)

// interpolate does what compose does with the variables of .env (the
// symlink to stack/versions.env), failing on a variable it does not define:
// every version the file uses comes from there.
func interpolate(t *testing.T, data []byte, vars map[string]string) []byte {
	t.Helper()
	return composeVar.ReplaceAllFunc(data, func(m []byte) []byte {
		if string(m) == "$$" {
			return []byte("$")
		}
		name := string(composeVar.FindSubmatch(m)[1])
		v, ok := vars[name]
		if !ok {
			t.Errorf("docker-compose.yml uses ${%s}, which stack/versions.env does not define", name)
		}
		return []byte(v)
	})
}

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
	data = interpolate(t, data, versions(t))
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

	// Every image is pinned by stack/versions.env, the native stack's versions.
	v := versions(t)
	images := map[string]string{
		"kafka":           "apache/kafka:" + v["KAFKA_VERSION"],
		"kafka-init":      "apache/kafka:" + v["KAFKA_VERSION"],
		"schema-registry": "confluentinc/cp-schema-registry:" + v["CONFLUENT_REGISTRY_VERSION"],
		"influxdb":        "influxdb:" + v["INFLUXDB_VERSION"],
		"telegraf":        "telegraf:" + v["TELEGRAF_VERSION"],
		"grafana":         "grafana/grafana:" + v["GRAFANA_VERSION"],
		"traffic":         "curlimages/curl:" + v["CURL_VERSION"],
	}
	for name, want := range images {
		if img := c.Services[name].Image; img != want || strings.HasSuffix(img, ":") {
			t.Errorf("%s: image %q, want %q (stack/versions.env)", name, img, want)
		}
	}
	if !strings.HasPrefix(v["INFLUXDB_VERSION"], "1.") {
		t.Errorf("INFLUXDB_VERSION=%s: Sasquatch's app metrics are in InfluxDB 1.x", v["INFLUXDB_VERSION"])
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
	// kafka-init creates the topics of the apps Telegraf consumes, as listed by the one
	// Telegraf source; the app's is one of them.
	initCmd := strings.Join(c.Services["kafka-init"].Command, " ")
	if !slices.Contains(c.Services["kafka-init"].Volumes, telegrafMount) || !strings.Contains(initCmd, "sh /stack/telegraf/render.sh topics") || !strings.Contains(initCmd, "--create") {
		t.Errorf("kafka-init: volumes %v command %q, want the topics of render.sh topics created", c.Services["kafka-init"].Volumes, initCmd)
	}
	if topics := renderTelegraf(t, "topics"); !slices.Contains(strings.Fields(topics), topicFromCompose(t, c)) {
		t.Errorf("stack/telegraf/apps has no app %s (topics %q)", topicFromCompose(t, c), topics)
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

// telegrafMount is where the compose services mount stack/telegraf, the one
// source of the Telegraf configuration.
const telegrafMount = "./stack/telegraf:/stack/telegraf:ro"

// renderTelegraf runs stack/telegraf/render.sh with args, as the native stack
// and the compose services do.
func renderTelegraf(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("sh", append([]string{filepath.Join(repoRoot, "stack", "telegraf", "render.sh")}, args...)...).Output()
	if err != nil {
		t.Fatalf("stack/telegraf/render.sh %v: %v", args, err)
	}
	return string(out)
}

// telegrafVar is a variable Telegraf substitutes from its environment.
var telegrafVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// loadTelegraf renders the Telegraf configuration and substitutes the
// variables with the compose telegraf service's environment, as Telegraf
// does at start: what the compose Telegraf runs.
func loadTelegraf(t *testing.T) (telegrafConfig, toml.MetaData) {
	t.Helper()
	env := loadCompose(t).Services["telegraf"].Environment
	text := telegrafVar.ReplaceAllStringFunc(renderTelegraf(t), func(m string) string {
		name := telegrafVar.FindStringSubmatch(m)[1]
		v, ok := env[name]
		if !ok {
			t.Errorf("the Telegraf configuration uses ${%s}, which the telegraf service does not set", name)
		}
		return v
	})
	var conf telegrafConfig
	md, err := toml.Decode(text, &conf)
	if err != nil {
		t.Fatalf("the rendered Telegraf configuration is not valid TOML: %v", err)
	}
	return conf, md
}

// telegrafApps reads stack/telegraf/apps: each app's name and its influxTags.
func telegrafApps(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "stack", "telegraf", "apps"))
	if err != nil {
		t.Fatal(err)
	}
	var apps [][]string
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "#")
		if f := strings.Fields(line); len(f) > 0 {
			apps = append(apps, f)
		}
	}
	return apps
}

// Telegraf is configured as Sasquatch's app-metrics Telegraf, pointed at the
// compose services, with one input per app of stack/telegraf/apps, the
// example's first.
func TestComposeTelegraf(t *testing.T) {
	c := loadCompose(t)
	conf, md := loadTelegraf(t)
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("the Telegraf configuration has sections the test does not know: %v", u)
	}
	tg := c.Services["telegraf"]
	cmd := strings.Join(tg.Command, " ")
	if !slices.Contains(tg.Volumes, telegrafMount) || !strings.Contains(cmd, "sh /stack/telegraf/render.sh >/tmp/telegraf.conf") || !strings.Contains(cmd, "--strict-env-handling --config /tmp/telegraf.conf") {
		t.Errorf("telegraf: volumes %v command %q, want stack/telegraf rendered and run", tg.Volumes, cmd)
	}
	if got, want := tg.Environment["TELEGRAF_KAFKA_VERSION"], versions(t)["TELEGRAF_KAFKA_VERSION"]; got != want || want == "" {
		t.Errorf("telegraf: TELEGRAF_KAFKA_VERSION=%q, want %q (stack/versions.env)", got, want)
	}
	app := c.Services["app"].Environment
	apps := telegrafApps(t)
	if len(conf.Inputs.KafkaConsumer) != len(apps) || len(apps) == 0 {
		t.Fatalf("%d kafka_consumer inputs for %d apps, want one per app", len(conf.Inputs.KafkaConsumer), len(apps))
	}
	for i, a := range apps {
		topic := app["METRICS_EVENTS_TOPIC_PREFIX"] + "." + a[0]
		want := map[string]any{
			"brokers":                  []any{app["KAFKA_BOOTSTRAP_SERVERS"]},
			"kafka_version":            "4.1.0",
			"consumer_group":           "telegraf-kafka-consumer-app-metrics",
			"data_format":              "avro",
			"avro_schema_registry":     app["SCHEMA_MANAGER_REGISTRY_URL"],
			"avro_timestamp":           timestampField,
			"avro_timestamp_format":    "unix_ns",
			"avro_union_mode":          "nullable",
			"avro_tags":                toAny(append([]string{"application"}, a[1:]...)),
			"topics":                   []any{topic},
			"max_processing_time":      "5s",
			"consumer_fetch_default":   "5MB",
			"max_undelivered_messages": int64(10000),
			"compression_codec":        int64(3),
		}
		if i == 0 {
			// The example's own input (TestTailMatchesTelegraf runs it): its tags are the tail's.
			if topic != topicFromCompose(t, c) {
				t.Errorf("the first app is %s, want the example's topic %s", topic, topicFromCompose(t, c))
			}
			want["avro_tags"] = toAny(sasquatchTags())
		}
		if got := conf.Inputs.KafkaConsumer[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("kafka_consumer for %s\n got  %v\n want %v", a[0], got, want)
		}
	}
	influx := c.Services["influxdb"].Environment["INFLUXDB_DB"]
	if len(conf.Outputs.InfluxDB) != 2 {
		t.Fatalf("%d influxdb outputs, want 2 (events, Telegraf's own metrics)", len(conf.Outputs.InfluxDB))
	}
	events := conf.Outputs.InfluxDB[0]
	if events.Database != influx || !slices.Equal(events.URLs, []string{"http://influxdb:8086"}) || !slices.Equal(events.NameDrop, []string{"telegraf_*"}) {
		t.Errorf("events output %+v, want database %s at http://influxdb:8086 without telegraf_*", events, influx)
	}
	if own := conf.Outputs.InfluxDB[1]; !slices.Equal(own.NamePass, []string{"telegraf_*"}) || own.Database == influx {
		t.Errorf("Telegraf's own metrics output %+v, want telegraf_* only, not into %s", own, influx)
	}
	if len(conf.Inputs.Internal) != 1 || conf.Inputs.Internal[0].NamePrefix != "telegraf_" {
		t.Errorf("inputs.internal %+v, want one, named telegraf_*", conf.Inputs.Internal)
	}
	if conf.Agent["omit_hostname"] != true || conf.Agent["flush_interval"] != "10s" {
		t.Errorf("agent: omit_hostname %v flush_interval %v, want true and 10s as in Sasquatch", conf.Agent["omit_hostname"], conf.Agent["flush_interval"])
	}
}

// stack/compose.env, the endpoints the stack tests read when run against
// docker-compose.yml, agrees with it and with the Telegraf configuration.
func TestComposeStackEnv(t *testing.T) {
	c := loadCompose(t)
	env := readEnvFile(t, filepath.Join("stack", "compose.env"))
	conf, _ := loadTelegraf(t)
	published := func(service, port string) string {
		for _, p := range c.Services[service].Ports {
			if host, ok := strings.CutSuffix(p, ":"+port); ok {
				return host
			}
		}
		t.Errorf("%s does not publish port %s", service, port)
		return ""
	}
	var topics []string
	for _, in := range conf.Inputs.KafkaConsumer {
		for _, tp := range in["topics"].([]any) {
			topics = append(topics, fmt.Sprint(tp))
		}
	}
	want := map[string]string{
		"KAFKA_BOOTSTRAP_SERVERS":        published("kafka", "29092"),
		"SCHEMA_MANAGER_REGISTRY_URL":    "http://" + published("schema-registry", "8081"),
		"INFLUXDB_URL":                   "http://" + published("influxdb", "8086"),
		"INFLUXDB_DATABASE":              c.Services["influxdb"].Environment["INFLUXDB_DB"],
		"METRICS_EVENTS_TOPIC_PREFIX":    c.Services["app"].Environment["METRICS_EVENTS_TOPIC_PREFIX"],
		"SASQUATCH_STACK_TOPICS":         strings.Join(topics, ","),
		"SASQUATCH_STACK_TELEGRAF_GROUP": fmt.Sprint(conf.Inputs.KafkaConsumer[0]["consumer_group"]),
		"SASQUATCH_STACK_KAFKA_CTL":      "compose-kafka.sh",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("stack/compose.env\n got  %v\n want %v", env, want)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, "stack", env["SASQUATCH_STACK_KAFKA_CTL"])); err != nil {
		t.Error(err)
	}
}

// The versions are pinned once, in stack/versions.env: docker-compose.yml
// interpolates every image tag from it, the Kafka pom takes the version from
// install.sh, and the go.mod files of the Go-built tools (which Go needs)
// say the same as it does (stack/lib.sh refuses to run otherwise).
func TestVersionsPinnedOnce(t *testing.T) {
	v := versions(t)
	for _, k := range []string{"KAFKA_VERSION", "TELEGRAF_KAFKA_VERSION", "TELEGRAF_VERSION", "AXONOPS_REGISTRY_VERSION",
		"CONFLUENT_REGISTRY_VERSION", "INFLUXDB_VERSION", "GRAFANA_VERSION", "CURL_VERSION"} {
		if v[k] == "" {
			t.Errorf("stack/versions.env: %s is missing", k)
		}
	}
	if target, err := os.Readlink(filepath.Join(repoRoot, ".env")); err != nil || target != filepath.Join("stack", "versions.env") {
		t.Errorf(".env -> %q (%v), want a symlink to stack/versions.env (compose reads .env)", target, err)
	}
	compose, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(compose)) {
		if _, img, ok := strings.Cut(line, "image: "); ok && !strings.Contains(img, ":${") {
			t.Errorf("docker-compose.yml: image %s has a tag of its own, not one of stack/versions.env", strings.TrimSpace(img))
		}
	}
	pom, err := os.ReadFile(filepath.Join(repoRoot, "stack", "kafka", "pom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pom), "<kafka.version>") || strings.Contains(string(pom), v["KAFKA_VERSION"]) {
		t.Errorf("stack/kafka/pom.xml pins Kafka itself; install.sh passes -Dkafka.version")
	}
	for _, tool := range []struct{ dir, module, version string }{
		{"telegraf", "github.com/influxdata/telegraf", v["TELEGRAF_VERSION"]},
		{"registry", "github.com/axonops/axonops-schema-registry", v["AXONOPS_REGISTRY_VERSION"]},
	} {
		gomod, err := os.ReadFile(filepath.Join(repoRoot, "stack", "tools", tool.dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		var got string // the version of the require line (as stack/lib.sh's tool_version reads it)
		for line := range strings.Lines(string(gomod)) {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == tool.module {
				got = f[1]
			}
		}
		if got != "v"+tool.version {
			t.Errorf("stack/tools/%s/go.mod requires %s %s, stack/versions.env says %s", tool.dir, tool.module, got, tool.version)
		}
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Grafana's datasource is the InfluxDB database, named after it as
// Sasquatch names it, and the home dashboard is the generated one.
func TestComposeGrafana(t *testing.T) {
	c := loadCompose(t)
	data, err := os.ReadFile(filepath.Join(repoRoot, "stack", "grafana", "provisioning", "datasources", "influxdb.yaml"))
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

	if source.Name != dashboards.DataSource {
		t.Errorf("datasource named %q, want %q: Sasquatch names the data source after the database, and the dashboard selects it by that name", source.Name, dashboards.DataSource)
	}
	if home := c.Services["grafana"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != "/var/lib/grafana/dashboards/"+composeDashboard {
		t.Errorf("grafana: home dashboard %q, want the generated %s", home, composeDashboard)
	}
}

// composeDashboard is the file of stack/grafana/dashboards that the compose
// stack's Grafana provisions: the example's starter dashboard.
const composeDashboard = "fastapiexample.json"

// TestComposeDashboard: the dashboard the compose stack provisions is the
// Grafana dashboard the SDK generates from the example's events
// (dashboards.New(...).GrafanaJSON()), so that it cannot drift from the
// code; go test -update rewrites it.
func TestComposeDashboard(t *testing.T) {
	_, m := newTestApp(t, testQueryTime)
	d, err := dashboards.New(m.Pipeline())
	if err != nil {
		t.Fatal(err)
	}
	js, err := d.GrafanaJSON()
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	path := filepath.Join(repoRoot, "stack", "grafana", "dashboards", composeDashboard)
	if update() {
		t.Logf("-update: rewriting %s", path)
		if err := os.WriteFile(path, js, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(js) {
		t.Errorf("%s differs from the dashboard generated from the example's events: run go test -update ./examples/fastapi-like-http/", path)
	}
	files, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Errorf("stack/grafana/dashboards holds %d files, want only the generated %s", len(files), composeDashboard)
	}
}
