// Command sasquatch-publish publishes one Sasquatch metrics event from the
// command line, for batch steps written in shell (Argo workflows,
// Kubernetes CronJobs). It is configured like any program using the SDK
// (config.FromEnv: METRICS_APP_NAME, KAFKA_*, SCHEMA_MANAGER_*), registers
// the event's schema with the SDK's subject naming and field-type guard,
// prints the event id, and exits 0 when the event was delivered within
// -timeout, 3 when it was not, 2 on a usage error: the exit codes of the
// SDK's batch.Run. Run it with -help for the details.
//
//	go install github.com/lsst-sqre/sasquatch-go/cmd/sasquatch-publish@latest
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/batch"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// Exit codes: the convention of package eventmanager/batch, so that a code
// means the same for a job in Go and one in shell (0 ok, 1 the job failed,
// 2 usage, 3 metrics not delivered); this program has no job of its own to
// fail, so it never exits 1.
const (
	exitOK          = batch.ExitOK
	exitUsage       = batch.ExitUsage       // bad flags, fields, schema file or configuration
	exitUndelivered = batch.ExitUndelivered // not delivered within -timeout, or refused by Kafka or the registry
)

const usage = `Usage: sasquatch-publish -event NAME [-schema FILE.avsc] [-tag NAME ...] [-timeout D] -f name=value ...
       sasquatch-publish -pipeline|-pipeline-json -event NAME [-tag NAME ...] [-merge FILE.json ...] -f name=value ...

Publishes one metrics event to Sasquatch (Kafka + schema registry) and waits
for its delivery. Prints the event id on stdout. Exit status, as for a Go
job run by the SDK's batch.Run: 0 delivered; 2 usage error (flags, fields,
schema file, configuration); 3 not delivered within -timeout (or refused
by Kafka or the registry). 1 is left to the job that runs this program.

Configuration comes from the environment, exactly as for a service using
the sasquatch-go SDK: METRICS_APP_NAME (or METRICS_APPLICATION, as Phalanx sets it; required), KAFKA_BOOTSTRAP_SERVERS,
KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_*_PATH, SCHEMA_MANAGER_REGISTRY_URL,
SCHEMA_MANAGER_SUFFIX, METRICS_EVENTS_TOPIC_PREFIX, ... (see
https://github.com/lsst-sqre/sasquatch-go/blob/main/docs/configuration.md). METRICS_ENABLED=false (disabled; with
METRICS_MOCK=true, mock, as in Safir) only validates the event. The event goes to the topic <prefix>.<app>, which must
exist; its schema is registered under <prefix>.<app>.<event><suffix>, and a
field whose InfluxDB type differs from the latest registered schema's is
refused, as in the SDK.

Field types. With -schema, each field's type comes from the .avsc file (a
record schema; its name and namespace are ignored, the metadata fields id,
application, timestamp and timestamp_ns are skipped): "string", "boolean",
"int", "long", "float", "double", {"type":"double","logicalType":
"dataclasses-avroschema-timedelta"} (a duration: value as a Go duration
like 1m30s, or seconds), {"type":"string","logicalType":"uuid"}, and
["null", T] (optional: may be omitted). Enums are not supported. Every
non-optional field needs a -f; a -f for a field the file lacks is an error.
Without -schema, each value's type is inferred, in this order:
  Go duration (1.5s, 2m, 1h30m)      -> duration (double seconds, as the SDK
                                        maps time.Duration)
  integer (42, -7)                   -> long
  float (3.14, 1e3; finite)          -> double
  true / false                       -> boolean
  anything else                      -> string
Inference looks only at the text: to send 42 as a string, give a schema.
Field names must match [A-Za-z_][A-Za-z0-9_]*.

Tags. -tag NAME (repeatable, or comma-separated) declares a field an
InfluxDB tag, as influx:"tag" does in Go: Sasquatch's Telegraf then stores it
as a tag (the app's avro_tags, one list per app topic, so every program of
an app must agree). A tag's value is a string unless it is true or false.

One app, several programs. A service, its CronJobs and its scripts publish
under one app name to one topic. -pipeline prints what Sasquatch needs for
this event (the Phalanx values, the app chart's pieces and the Telegraf
block), -pipeline-json the same as JSON, for eventmanager.MergePipelines
or for -merge; both publish nothing and need no Kafka or registry.
-merge FILE.json (repeatable) merges the pipelines of the app's other
programs (-pipeline-json output, or a Go program's Manager.Pipeline as JSON)
into the printed one, and refuses tags that conflict.

Examples:
  # at the end of an Argo step
  sasquatch-publish -event backup -f target=s3 -f duration=12m3s -f success=true -f bytes=1048576

  # types from a schema file, 10 s to deliver
  sasquatch-publish -event report -schema report.avsc -timeout 10s \
      -f report=nightly -f rows=1440 -f duration=95.2 -f success=true

  # in a shell step, time a command and report its outcome
  start=$(date +%s.%N); ./job.sh; rc=$?
  sasquatch-publish -event job -f name=job.sh -f success=$([ $rc = 0 ] && echo true || echo false) \
      -f duration=$(echo "$(date +%s.%N) - $start" | bc)s

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// fieldFlags collects repeated -f name=value flags in order.
type fieldFlags []string

func (f *fieldFlags) String() string     { return fmt.Sprint(*f) }
func (f *fieldFlags) Set(v string) error { *f = append(*f, v); return nil }

// run is the command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sasquatch-publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	event := fs.String("event", "", "event `name` (the Avro record name and the last part of the subject); required")
	schemaFile := fs.String("schema", "", "`file` (.avsc) giving the fields' types; default: inferred from the values")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for delivery (and for start-up: topic check, registration)")
	var fields, tagFlags, merges fieldFlags
	fs.Var(&fields, "f", "a field, `name=value`; repeat for each field")
	fs.Var(&tagFlags, "tag", "declare field `name` an InfluxDB tag (repeatable, or comma-separated)")
	pipelineText := fs.Bool("pipeline", false, "print what Sasquatch needs for this event instead of publishing it")
	pipelineJSON := fs.Bool("pipeline-json", false, "print the event's pipeline as JSON instead of publishing it")
	fs.Var(&merges, "merge", "with -pipeline or -pipeline-json: merge the pipeline in `file` (JSON) into the printed one (repeatable)")
	fs.Usage = func() {
		_, _ = io.WriteString(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "sasquatch-publish: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected arguments %q: give fields as -f name=value", fs.Args())
	}
	if *event == "" {
		return fail(exitUsage, "-event is required (see -help)")
	}
	values, err := parseFields(fields)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	tags := map[string]bool{}
	for _, t := range tagFlags {
		for name := range strings.SplitSeq(t, ",") {
			if name = strings.TrimSpace(name); name != "" {
				tags[name] = true
			}
		}
	}
	var specs []fieldSpec
	if *schemaFile != "" {
		specs, err = schemaSpecs(*schemaFile, values)
	} else {
		specs = inferSpecs(values, tags)
	}
	if err == nil {
		err = markTags(specs, tags)
	}
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if len(merges) > 0 && !*pipelineText && !*pipelineJSON {
		return fail(exitUsage, "-merge needs -pipeline or -pipeline-json")
	}
	typ, rec, err := buildRecord(specs, values)
	if err != nil {
		return fail(exitUsage, "event %q: %v", *event, err)
	}

	if *pipelineText || *pipelineJSON {
		out, err := printPipeline(ctx, *event, typ, merges, *pipelineJSON)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		_, _ = io.WriteString(stdout, out)
		return exitOK
	}

	cfg, err := config.FromEnv()
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	id := uuid.New()
	m, err := eventmanager.New(cfg,
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		eventmanager.WithIDSource(func() uuid.UUID { return id }))
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	deadline, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	defer func() {
		// Flush has delivered the event or given up: Close has nothing to
		// wait for beyond a moment.
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = m.Close(closeCtx)
	}()
	if err := m.Initialize(deadline); err != nil {
		return fail(exitUndelivered, "%v", err)
	}
	p, err := eventmanager.CreateRecordPublisher(deadline, m, *event, typ)
	if err != nil {
		var unsupported *payload.UnsupportedError
		var nameErr *payload.NameError
		var changed *eventmanager.FieldTypeChangedError
		if errors.As(err, &changed) {
			return fail(exitUsage, "%v%s", err, changeHints(specs, changed))
		}
		if errors.As(err, &unsupported) || errors.As(err, &nameErr) || errors.As(err, new(*eventmanager.TagConflictError)) {
			return fail(exitUsage, "%v", err)
		}
		return fail(exitUndelivered, "%v", err)
	}
	if err := p.Publish(deadline, rec); err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := m.Flush(deadline); err != nil {
		return fail(exitUndelivered, "event %s not delivered within -timeout %v: %v", id, *timeout, err)
	}
	if st := m.Stats().Total; st.Delivered != 1 && cfg.Mode() == config.ModeKafka {
		return fail(exitUndelivered, "event %s not delivered: %+v", id, st)
	}
	fmt.Fprintln(stdout, id)
	return exitOK
}
