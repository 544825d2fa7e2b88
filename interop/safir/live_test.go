//go:build safir

package safir_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/internal/testkit/fakes"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// liveEnv is a kfake broker with the app's topic (one partition, so the
// records of both sides keep their publish order) and an in-process registry,
// both on 127.0.0.1.
type liveEnv struct {
	brokers  []string
	cluster  *kfake.Cluster
	registry *registrytest.Server
}

// newLiveEnv starts the broker and the registry; both stop at t's cleanup or
// at close, whichever comes first.
func newLiveEnv(t testing.TB) *liveEnv {
	t.Helper()
	cluster, reg := fakes.Start(t, topic, 1)
	return &liveEnv{brokers: cluster.ListenAddrs(), cluster: cluster, registry: reg}
}

// close stops the broker (freeing the records it keeps in memory) and the
// registry. It is idempotent.
func (e *liveEnv) close() {
	e.cluster.Close()
	e.registry.Close()
}

// config returns the Go SDK's Kafka-mode configuration for env.
func (e *liveEnv) config(t testing.TB) config.Config {
	t.Helper()
	cfg, err := config.Config{
		AppName:      app,
		TopicPrefix:  prefix,
		RaiseOnError: true,
		Kafka:        config.Kafka{BootstrapServers: e.brokers, SecurityProtocol: config.Plaintext},
		Registry:     config.Registry{URL: e.registry.URL(), Compatibility: "NONE", Timeout: 10 * time.Second},
	}.Resolve()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// runPython runs one of the interop scripts with the venv's interpreter,
// Safir's settings pointing at env (any METRICS_, KAFKA_ or SCHEMA_MANAGER_
// variable of the caller's environment is dropped), and returns its stdout.
func (e *liveEnv) runPython(t testing.TB, python string, stdin io.Reader, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "METRICS_") && !strings.HasPrefix(kv, "KAFKA_") && !strings.HasPrefix(kv, "SCHEMA_MANAGER_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"METRICS_APPLICATION="+app,
		"METRICS_EVENTS_TOPIC_PREFIX="+prefix,
		"KAFKA_BOOTSTRAP_SERVERS="+strings.Join(e.brokers, ","),
		"KAFKA_SECURITY_PROTOCOL=PLAINTEXT",
		"SCHEMA_MANAGER_REGISTRY_URL="+e.registry.URL(),
		"PYTHONDONTWRITEBYTECODE=1",
	)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", python, strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// sideInfo is what one side used for one event.
type sideInfo struct {
	Event     string `json:"event"`
	Subject   string `json:"subject"`
	Topic     string `json:"topic"`
	SchemaID  int    `json:"schema_id"`
	Published int    `json:"published"`
}

// eventSet is a group of interop events that publish.py publishes in one
// mode, n payloads of each event in turn, and the Go SDK publishes with the
// same payloads (goPublish, expectedPayload).
type eventSet struct {
	name   string   // subtest name
	mode   string   // publish.py's flag, followed by n
	events []string // in publish order
	tags   []string // the app's InfluxDB tags, as the Go twins declare them
}

var (
	// defaultSet is publish.py --count: one event of each kind of field.
	defaultSet = eventSet{name: "events", mode: "--count", events: eventNames}
	// baseSet is publish.py --base: two events whose Safir payloads subclass
	// one base model, and whose Go twins embed one base struct.
	baseSet = eventSet{name: "base", mode: "--base", events: baseEventNames, tags: []string{"method", "route"}}
)

// publishSafir runs publish.py with set's mode and returns Safir's subject,
// topic and schema id per event.
func (e *liveEnv) publishSafir(t testing.TB, python string, set eventSet, n int) map[string]sideInfo {
	t.Helper()
	out := e.runPython(t, python, nil, "publish.py", set.mode, fmt.Sprint(n))
	infos := map[string]sideInfo{}
	for _, line := range lines(out) {
		var info sideInfo
		if err := json.Unmarshal([]byte(line), &info); err != nil {
			t.Fatalf("publish.py output %q: %v", line, err)
		}
		if info.Published != n {
			t.Errorf("publish.py %s: %d published, want %d", info.Event, info.Published, n)
		}
		infos[info.Event] = info
	}
	if len(infos) != len(set.events) {
		t.Fatalf("publish.py %s reported events %v, want %v", set.mode, infos, set.events)
	}
	return infos
}

// goPublish publishes n payloads of one event with the Go SDK, the same as
// publish.py's payloads(name, n).
var goPublish = map[string]func(t testing.TB, m *eventmanager.Manager, n int) sideInfo{
	"query": func(t testing.TB, m *eventmanager.Manager, n int) sideInfo {
		return publishAll(t, m, "query", queryPayloads(n))
	},
	"rich": func(t testing.TB, m *eventmanager.Manager, n int) sideInfo {
		return publishAll(t, m, "rich", richPayloads(n))
	},
	"empty": func(t testing.TB, m *eventmanager.Manager, n int) sideInfo {
		return publishAll(t, m, "empty", emptyPayloads(n))
	},
	"api_call": func(t testing.TB, m *eventmanager.Manager, n int) sideInfo {
		return publishAll(t, m, "api_call", apiCallPayloads(n))
	},
	"api_error": func(t testing.TB, m *eventmanager.Manager, n int) sideInfo {
		return publishAll(t, m, "api_error", apiErrorPayloads(n))
	},
}

// publishGo publishes the same n payloads of each event of set with the Go
// SDK and returns what it used, after Close has delivered everything, and the
// manager's pipeline description.
func (e *liveEnv) publishGo(t testing.TB, set eventSet, n int, opts ...eventmanager.Option) (map[string]sideInfo, eventmanager.Pipeline) {
	t.Helper()
	ctx := t.Context()
	opts = append([]eventmanager.Option{eventmanager.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	m, err := eventmanager.New(e.config(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			_ = m.Close(context.Background())
		}
	})
	if err := m.Initialize(ctx); err != nil {
		t.Fatalf("Initialize: %v", err)
	}
	infos := map[string]sideInfo{}
	for _, ev := range set.events {
		infos[ev] = goPublish[ev](t, m, n)
	}
	pipeline := m.Pipeline()
	closed = true
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st, want := m.Stats().Total, uint64(len(set.events)*n); st.Delivered != want || st.Pending() != 0 {
		t.Fatalf("Go stats after Close: %+v, want %d delivered", st, want)
	}
	return infos, pipeline
}

func publishAll[T any](t testing.TB, m *eventmanager.Manager, name string, events []T) sideInfo {
	t.Helper()
	p, err := eventmanager.CreatePublisher[T](t.Context(), m, name)
	if err != nil {
		t.Fatalf("CreatePublisher %s: %v", name, err)
	}
	for _, ev := range events {
		if err := p.Publish(t.Context(), ev); err != nil {
			t.Fatalf("Publish %s: %v", name, err)
		}
	}
	return sideInfo{Event: name, Subject: p.Subject(), Topic: m.Topic(), SchemaID: int(p.SchemaID()), Published: len(events)}
}

// consumeAll reads exactly n records from the start of the topic.
func (e *liveEnv) consumeAll(t testing.TB, n int) []*kgo.Record {
	t.Helper()
	return testkit.Consume(t, topic, n, kgo.SeedBrokers(e.brokers...))
}

// registryGet decodes the JSON answer of GET path on the registry into v.
func (e *liveEnv) registryGet(t testing.TB, path string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.registry.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// schemas fetches and parses registry schemas by id, once each.
type schemas struct {
	t      testing.TB
	client *schemaregistry.Client
	mu     sync.Mutex
	text   map[int]string
	parsed map[int]avro.Schema
}

func newSchemas(t testing.TB, e *liveEnv) *schemas {
	t.Helper()
	c, err := schemaregistry.New(config.Registry{URL: e.registry.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return &schemas{t: t, client: c, text: map[int]string{}, parsed: map[int]avro.Schema{}}
}

func (s *schemas) byID(id int) (string, avro.Schema) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parsed[id]; ok {
		return s.text[id], p
	}
	text, err := s.client.SchemaByID(s.t.Context(), uint32(id))
	if err != nil {
		s.t.Fatalf("SchemaByID(%d): %v", id, err)
	}
	s.text[id], s.parsed[id] = text, parseSchema(s.t, fmt.Sprintf("registry id %d", id), text)
	return text, s.parsed[id]
}

// TestLive runs Safir's KafkaEventManager (publish.py) and the Go SDK against
// one kfake broker and one registry, each side in turn, then reads every
// record back: same subjects and topic, each side's records decode with the
// other side's schema, same payloads, and Safir's own serializer and models
// accept the Go records.
//
// Two event sets: publish.py --count (query, rich, empty) and publish.py
// --base (api_call, api_error: Safir payloads that subclass a base model,
// Go twins that embed a base struct with influx:"tag" fields). Two runs per
// set and Safir version: Safir first with the Go SDK's defaults (snappy
// batches, which the aiokafka installed with Safir cannot read, so Safir
// decodes the values handed over on stdin), and Go first without batch
// compression, read back by Safir through aiokafka.
func TestLive(t *testing.T) {
	for _, py := range safirPythons(t) {
		for _, set := range []eventSet{defaultSet, baseSet} {
			t.Run(py.label+"/"+set.name+"/safir_first", func(t *testing.T) { runLive(t, py.python, set, true) })
			t.Run(py.label+"/"+set.name+"/go_first_uncompressed", func(t *testing.T) { runLive(t, py.python, set, false) })
		}
	}
}

func runLive(t *testing.T, python string, set eventSet, safirFirst bool) {
	const n = 6 // per event; rich and api_call have nulls at 0 and 3
	perSide := len(set.events) * n
	env := newLiveEnv(t)
	var safirInfo, goInfo map[string]sideInfo
	var pipeline eventmanager.Pipeline
	goCodec := uint8(2) // snappy, franz-go's default
	if safirFirst {
		safirInfo = env.publishSafir(t, python, set, n)
		goInfo, pipeline = env.publishGo(t, set, n)
	} else {
		goCodec = 0
		goInfo, pipeline = env.publishGo(t, set, n, eventmanager.WithKafkaOptions(kgo.ProducerBatchCompression(kgo.NoCompression())))
		safirInfo = env.publishSafir(t, python, set, n)
	}

	// Names: the same subject and topic for every event.
	for _, ev := range set.events {
		s, g := safirInfo[ev], goInfo[ev]
		if s.Subject != g.Subject || s.Topic != g.Topic || g.Topic != topic {
			t.Errorf("%s: Safir subject %q topic %q, Go subject %q topic %q", ev, s.Subject, s.Topic, g.Subject, g.Topic)
		}
	}

	// Registry: exactly these subjects; both schemas under each, equal in
	// canonical form and compatible both ways.
	reg := newSchemas(t, env)
	checkRegistry(t, env, reg, set, safirInfo, goInfo)
	checkPipeline(t, reg, set, safirInfo, pipeline)

	// Records: the first side's, then the other's, each in publish order.
	recs := env.consumeAll(t, 2*perSide)
	first, second := recs[:perSide], recs[perSide:]
	safirRecs, goRecs := first, second
	if !safirFirst {
		safirRecs, goRecs = second, first
	}
	checkRecords(t, "Safir", set, safirRecs, safirInfo, goInfo, reg, n)
	checkRecords(t, "Go", set, goRecs, goInfo, safirInfo, reg, n)
	checkTransport(t, safirRecs, goRecs, goCodec)

	// Safir's own serializer and pydantic models decode both sides' records
	// to the same payloads.
	var out []byte
	if safirFirst {
		var hexValues strings.Builder
		for _, r := range recs {
			fmt.Fprintf(&hexValues, "%x\n", r.Value)
		}
		out = env.runPython(t, python, strings.NewReader(hexValues.String()), "publish.py", "--decode")
	} else {
		out = env.runPython(t, python, nil, "publish.py", "--consume", fmt.Sprint(2*perSide))
	}
	checkSafirDecodes(t, out, set, safirFirst, safirInfo, goInfo, n)
}

func checkRegistry(t *testing.T, env *liveEnv, reg *schemas, set eventSet, safirInfo, goInfo map[string]sideInfo) {
	t.Helper()
	var subjects []string
	env.registryGet(t, "/subjects", &subjects)
	var want []string
	for _, ev := range set.events {
		want = append(want, goInfo[ev].Subject)
	}
	if !sameSet(subjects, want) {
		t.Errorf("registry subjects %v, want %v", subjects, want)
	}
	compat := avro.NewSchemaCompatibility()
	for _, ev := range set.events {
		s, g := safirInfo[ev], goInfo[ev]
		var versions []int
		env.registryGet(t, "/subjects/"+url.PathEscape(g.Subject)+"/versions", &versions)
		sText, sSchema := reg.byID(s.SchemaID)
		gText, gSchema := reg.byID(g.SchemaID)
		if s.SchemaID == g.SchemaID {
			t.Logf("%s: both sides use schema id %d (versions %v)", ev, s.SchemaID, versions)
		} else {
			// Expected: the texts differ (Safir's metadata docs and
			// pydantic-class), and the registry compares texts.
			t.Logf("%s: Safir id %d, Go id %d, versions %v (raw texts differ: %d vs %d bytes)", ev, s.SchemaID, g.SchemaID, versions, len(sText), len(gText))
			if len(versions) != 2 {
				t.Errorf("%s: subject versions %v, want two (one per side)", ev, versions)
			}
		}
		if sSchema.String() != gSchema.String() {
			t.Errorf("%s: registered schemas differ in canonical form:\nSafir %s\nGo    %s", ev, sSchema, gSchema)
		}
		if err := compat.Compatible(sSchema, gSchema); err != nil {
			t.Errorf("%s: Safir's schema cannot read Go's: %v", ev, err)
		}
		if err := compat.Compatible(gSchema, sSchema); err != nil {
			t.Errorf("%s: Go's schema cannot read Safir's: %v", ev, err)
		}
	}
}

// checkPipeline checks that the Go manager's pipeline description (the
// Telegraf block and Phalanx tags that Sasquatch would deploy for the app)
// applies to Safir's records as it does to Go's: one measurement per event,
// <topic>.<event>, equal to Safir's subject, and each of the app's tags a
// field of every one of Safir's registered schemas, of a kind that Telegraf
// can write as a tag (string, enum or boolean, possibly nullable).
func checkPipeline(t *testing.T, reg *schemas, set eventSet, safirInfo map[string]sideInfo, p eventmanager.Pipeline) {
	t.Helper()
	var measurements []string
	for _, ev := range set.events {
		measurements = append(measurements, safirInfo[ev].Subject)
	}
	if !sameSet(p.Measurements, measurements) {
		t.Errorf("Go pipeline measurements %v, want Safir's subjects %v", p.Measurements, measurements)
	}
	if !slices.Equal(p.Tags, set.tags) {
		t.Errorf("Go pipeline tags %v, want %v", p.Tags, set.tags)
	}
	for _, ev := range set.events {
		_, schema := reg.byID(safirInfo[ev].SchemaID)
		rs, ok := schema.(*avro.RecordSchema)
		if !ok {
			t.Fatalf("%s: Safir's schema is %s, want a record", ev, schema.Type())
		}
		for _, tag := range p.Tags {
			if kind := tagKind(rs, tag); kind == "" {
				t.Errorf("%s: tag %q is not a string, enum or boolean field of Safir's schema %s", ev, tag, rs)
			}
		}
	}
}

// tagKind returns the Avro type of field name in rs when Telegraf can write
// it as a tag (string, enum, boolean, or a nullable one), else "".
func tagKind(rs *avro.RecordSchema, name string) avro.Type {
	for _, f := range rs.Fields() {
		if f.Name() != name {
			continue
		}
		s := f.Type()
		if u, ok := s.(*avro.UnionSchema); ok {
			if !u.Nullable() {
				return ""
			}
			for _, b := range u.Types() {
				if b.Type() != avro.Null {
					s = b
				}
			}
		}
		switch s.Type() {
		case avro.String, avro.Enum, avro.Boolean:
			return s.Type()
		}
	}
	return ""
}

// checkRecords checks the records one side published (n of each event of
// set, in turn): framing, writer schema id, metadata, and that each decodes
// with the other side's schema (hamba and goavro) to the deterministic
// payloads both sides publish.
func checkRecords(t *testing.T, side string, set eventSet, recs []*kgo.Record, own, other map[string]sideInfo, reg *schemas, n int) {
	t.Helper()
	roundedUp := 0
	for i, r := range recs {
		ev := set.events[i/n]
		idx := i % n
		body := framedBody(t, r.Value, uint32(own[ev].SchemaID))
		if r.Key != nil {
			t.Errorf("%s record %d: key %x, want none", side, i, r.Key)
		}
		_, writer := reg.byID(own[ev].SchemaID)
		if rs, ok := writer.(*avro.RecordSchema); !ok || rs.Name() != ev {
			t.Errorf("%s record %d: writer schema %s, want record %q", side, i, writer, ev)
		}
		otherText, otherSchema := reg.byID(other[ev].SchemaID)
		decoded := decodeHamba(t, writer, body)
		for _, alt := range []map[string]any{decodeHamba(t, otherSchema, body), decodeGoavro(t, otherText, body)} {
			if diff := diffRecord(decoded, alt); diff != "" {
				t.Errorf("%s record %d (%s) with the other side's schema: %s", side, i, ev, diff)
			}
		}
		// Metadata.
		id, err := uuid.Parse(fmt.Sprint(decoded["id"]))
		if err != nil || id.Version() != 4 || id.Variant() != uuid.RFC4122 {
			t.Errorf("%s record %d: id %v is not a random (v4) UUID: %v", side, i, decoded["id"], err)
		}
		if decoded["application"] != app {
			t.Errorf("%s record %d: application %v", side, i, decoded["application"])
		}
		ns, _ := decoded["timestamp_ns"].(int64)
		ms, _ := decoded["timestamp"].(int64)
		if age := time.Since(time.Unix(0, ns)); age < 0 || age > 5*time.Minute {
			t.Errorf("%s record %d: timestamp_ns %d is not recent", side, i, ns)
		}
		switch {
		case ms == ns/1e6:
		case side == "Safir" && ms == ns/1e6+1:
			roundedUp++ // Safir's float rounding (NOTES, difference 2)
		default:
			t.Errorf("%s record %d: timestamp %d ms for timestamp_ns %d", side, i, ms, ns)
		}
		// Payload.
		want := expectedPayload(ev, idx, n)
		got := map[string]any{}
		for k, v := range decoded {
			if k != "id" && k != "application" && k != "timestamp" && k != "timestamp_ns" {
				got[k] = v
			}
		}
		if diff := diffRecord(want, got); diff != "" {
			t.Errorf("%s record %d (%s #%d): %s", side, i, ev, idx, diff)
		}
	}
	if roundedUp > 0 {
		t.Logf("%s: %d records with timestamp rounded up from timestamp_ns", side, roundedUp)
	}
}

// expectedPayload is payload number i of event ev in decoded form.
func expectedPayload(ev string, i, n int) map[string]any {
	switch ev {
	case "query":
		p := queryPayloads(n)[i]
		return map[string]any{"type": string(p.Type), "duration": float64(p.Duration) / 1e9}
	case "rich":
		p := richPayloads(n)[i]
		var note any
		if p.Note != nil {
			note = *p.Note
		}
		return map[string]any{"count": p.Count, "ok": p.Ok, "ratio": p.Ratio, "note": note, "elapsed": float64(p.Elapsed) / 1e9}
	case "api_call":
		p := apiCallPayloads(n)[i]
		var size any
		if p.Size != nil {
			size = *p.Size
		}
		return map[string]any{"method": p.Method, "route": p.Route, "status": p.Status, "duration": float64(p.Duration) / 1e9, "size": size}
	case "api_error":
		p := apiErrorPayloads(n)[i]
		return map[string]any{"method": p.Method, "route": p.Route, "code": p.Code, "retried": p.Retried}
	}
	return map[string]any{}
}

// checkTransport checks what differs below the value (NOTES, difference 4):
// Safir (FastStream) adds two headers and sends uncompressed batches; the Go
// SDK sends no header and batches compressed with goCodec (Kafka's codec
// number: 0 none, 2 snappy). Neither sets a key.
func checkTransport(t *testing.T, safirRecs, goRecs []*kgo.Record, goCodec uint8) {
	t.Helper()
	for i, r := range goRecs {
		if len(r.Headers) != 0 {
			t.Errorf("Go record %d: headers %v, want none", i, r.Headers)
		}
		if got := r.Attrs.CompressionType(); got != goCodec {
			t.Errorf("Go record %d: batch codec %d, want %d", i, got, goCodec)
		}
	}
	for i, r := range safirRecs {
		var keys []string
		for _, h := range r.Headers {
			keys = append(keys, h.Key)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"content-type", "correlation_id"}) {
			t.Errorf("Safir record %d: header keys %v, want content-type and correlation_id", i, keys)
		}
		if got := r.Attrs.CompressionType(); got != 0 {
			t.Errorf("Safir record %d: batch codec %d, want 0 (none)", i, got)
		}
	}
}

// consumed is one line of publish.py --consume.
type consumed struct {
	Event    string         `json:"event"`
	SchemaID int            `json:"schema_id"`
	Key      *string        `json:"key"`
	Metadata map[string]any `json:"metadata"`
	Payload  map[string]any `json:"payload"`
}

// checkSafirDecodes checks the output of publish.py --consume or --decode:
// Safir's serializer decoded every record with the writer schema from the
// registry and validated it with Safir's models, and the Go records gave the
// same model_dump as Safir's own.
func checkSafirDecodes(t *testing.T, out []byte, set eventSet, safirFirst bool, safirInfo, goInfo map[string]sideInfo, n int) {
	t.Helper()
	var all []consumed
	for _, line := range lines(out) {
		var c consumed
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("publish.py --consume line %q: %v", line, err)
		}
		all = append(all, c)
	}
	perSide := len(set.events) * n
	if len(all) != 2*perSide {
		t.Fatalf("Safir decoded %d records, want %d", len(all), 2*perSide)
	}
	safirSide, goSide := all[:perSide], all[perSide:]
	if !safirFirst {
		safirSide, goSide = goSide, safirSide
	}
	for i := range perSide {
		ev := set.events[i/n]
		s, g := safirSide[i], goSide[i]
		if s.Event != ev || g.Event != ev {
			t.Errorf("record %d: Safir read events %q (Safir) and %q (Go), want %q", i, s.Event, g.Event, ev)
		}
		if s.SchemaID != safirInfo[ev].SchemaID || g.SchemaID != goInfo[ev].SchemaID {
			t.Errorf("record %d: schema ids %d (Safir) %d (Go), want %d and %d", i, s.SchemaID, g.SchemaID, safirInfo[ev].SchemaID, goInfo[ev].SchemaID)
		}
		if !reflect.DeepEqual(s.Payload, g.Payload) {
			t.Errorf("record %d (%s): Safir's model_dump of the Go record %v, of its own %v", i, ev, g.Payload, s.Payload)
		}
		if g.Metadata["application"] != app {
			t.Errorf("record %d: Safir read application %v from the Go record", i, g.Metadata["application"])
		}
	}
}

func lines(out []byte) []string {
	var ls []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			ls = append(ls, l)
		}
	}
	return ls
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
