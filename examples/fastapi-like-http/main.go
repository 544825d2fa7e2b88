package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/plugin/kprom"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/prom"
	"github.com/lsst-sqre/sasquatch-go/examples/appevents"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal starts the graceful shutdown, a second one
	// kills the process the default way.
	context.AfterFunc(ctx, stop)
	stopWithParent()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fastapi-like-http:", err)
		os.Exit(1)
	}
}

// run is the whole service, from start-up to shutdown, like a FastAPI
// lifespan: configuration, event manager, publishers, HTTP server; then, when
// ctx ends (SIGINT, SIGTERM) or the demo is over, the reverse.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	useEmbedded := embeddedMode()
	fs := flag.NewFlagSet("fastapi-like-http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("HTTP_ADDR", "127.0.0.1:8080"), "listen `address` host:port (port 0: any free port); default $HTTP_ADDR, with -demo 127.0.0.1:0")
	demo := fs.Bool("demo", false, "send a few requests to the service itself, check their events, print a summary and exit")
	tailTopic := fs.Bool("tail", useEmbedded, "print each event on the topic as InfluxDB line protocol; on when the broker is embedded (KAFKA_BOOTSTRAP_SERVERS unset)")
	pipeline := fs.Bool("pipeline", false, "print everything a Sasquatch deployment of this service's events needs (Phalanx values, the app chart's KafkaAccess, env and mounts, the Telegraf input), and exit")
	grace := fs.Duration("shutdown-timeout", 10*time.Second, "bound of the graceful shutdown (HTTP requests, async queries, event delivery)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if os.Getenv("METRICS_APP_NAME") == "" && os.Getenv("METRICS_APPLICATION") == "" {
		if err := os.Setenv("METRICS_APP_NAME", defaultAppName); err != nil {
			return err
		}
	}
	if *pipeline {
		return printPipeline(ctx, stdout)
	}
	if *demo && !flagSet(fs, "addr") && os.Getenv("HTTP_ADDR") == "" {
		*addr = "127.0.0.1:0" // the demo talks to itself: any free port will do
	}

	// Bind first: a port in use fails at once, before anything starts.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s (-addr, HTTP_ADDR): %w", *addr, err)
	}
	defer ln.Close() // on the error paths; Shutdown closes it otherwise

	log := slog.New(slog.NewTextHandler(stderr, nil))
	out := &console{w: stdout}

	// Configuration comes from the environment only (config.FromEnv). In
	// embedded mode the broker and registry are started first and the
	// environment points at them.
	var emb *embedded
	if useEmbedded {
		if emb, err = startEmbedded(); err != nil {
			return err
		}
		defer emb.Close()
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	printConfig(out, cfg, emb != nil)

	// One Prometheus registry for everything /metrics shows: the process,
	// the SDK's event counters and franz-go's client metrics (kprom registers
	// them here when the manager builds its Kafka client).
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	kafkaMetrics := kprom.NewMetrics("sasquatch_kafka", kprom.Registry(reg))

	opts := []eventmanager.Option{
		eventmanager.WithLogger(log),
		eventmanager.WithKafkaOptions(kgo.WithHooks(kafkaMetrics)),
	}
	if emb != nil {
		// Local development only: production topics are created by Sasquatch.
		opts = append(opts, eventmanager.WithTopicCreation(1))
	}
	m, err := eventmanager.New(cfg, opts...)
	if err != nil {
		return err
	}
	// On the error paths below; the normal path closes m in shutdown, and
	// Close runs once.
	defer closeOnError(&err, m, *grace)

	if err := m.Initialize(ctx); err != nil {
		return fmt.Errorf("initialize metrics events: %w", err)
	}
	reg.MustRegister(prom.NewCollector(m))
	events, err := appevents.Register(ctx, m)
	if err != nil {
		return fmt.Errorf("create event publishers: %w", err)
	}

	var t *tail
	if *tailTopic && cfg.Mode() == config.ModeKafka {
		if t, err = newTail(cfg, sasquatchTags(), out, log, time.Now()); err != nil {
			return err
		}
		defer t.Close()
	}

	a := newApp(events, m.Check, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), log, nil)
	srv := newServer(a.routes(), log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	out.Printf("# listening on %s\n", base)

	var runErr error
	want := 0
	if *demo {
		want, runErr = runDemo(ctx, base, t, out)
	} else {
		out.Printf("# try: curl '%s/query?type=sync'   (Ctrl-C to stop)\n", base)
		select {
		case <-ctx.Done():
			log.Info("shutting down")
		case runErr = <-served:
			served <- runErr
		}
	}

	stopErr := shutdown(srv, a, m, t, *grace, log)
	<-served // Serve has returned: no goroutine left behind
	if err := errors.Join(runErr, stopErr); err != nil {
		return err
	}
	if *demo {
		return demoSummary(out, m, cfg, t, want)
	}
	return nil
}

// newServer returns the service's HTTP server for h, its errors logged to
// log at warning level. Its timeouts are those a production server needs:
// without them a client that sends slowly, reads slowly or keeps an idle
// connection holds a connection (and its goroutine) open for as long as it
// likes. WriteTimeout must exceed the slowest response (here a sync query,
// at most 50 ms, and the readiness check, at most readyTimeout).
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,  // a client that sends its headers slowly (Slowloris)
		ReadTimeout:       30 * time.Second, // the whole request, body included
		WriteTimeout:      60 * time.Second, // from the end of the headers to the end of the response
		IdleTimeout:       2 * time.Minute,  // a kept-alive connection between requests
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// shutdown stops the service in dependency order within timeout: stop
// accepting requests and finish those in flight, let async queries finish
// and publish, then close the manager, which delivers every accepted event.
func shutdown(srv *http.Server, a *app, m *eventmanager.Manager, t *tail, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("http shutdown: %w", err))
	}
	if err := a.Wait(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := m.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close metrics events: %w", err))
	}
	if t != nil {
		// Let the tail print what was just delivered before it stops.
		if err := t.WaitFor(ctx, int(m.Stats().Total.Delivered)); err != nil {
			log.Warn("tail stopped early", "error", err)
		}
	}
	return errors.Join(errs...)
}

// closeOnError closes m when run fails after building it.
func closeOnError(err *error, m *eventmanager.Manager, timeout time.Duration) {
	if *err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = m.Close(ctx)
}

// printConfig prints the settings the service runs with, as comment lines;
// in embedded mode they are what another process needs to reach the
// in-process broker and registry. Secrets are never printed.
func printConfig(out *console, cfg config.Config, embedded bool) {
	if embedded {
		out.Printf("# embedded mode: Kafka broker (kfake) and schema registry run in this process; nothing is installed or kept\n")
	}
	out.Printf("# METRICS_APP_NAME=%s\n", cfg.AppName)
	out.Printf("# METRICS_EVENTS_TOPIC_PREFIX=%s\n", cfg.TopicPrefix)
	if cfg.Mode() == config.ModeKafka {
		out.Printf("# KAFKA_BOOTSTRAP_SERVERS=%s\n", strings.Join(cfg.Kafka.BootstrapServers, ","))
		out.Printf("# KAFKA_SECURITY_PROTOCOL=%s\n", cfg.Kafka.SecurityProtocol)
		out.Printf("# SCHEMA_MANAGER_REGISTRY_URL=%s\n", cfg.Registry.URL)
	}
	out.Printf("# metrics mode %s, topic %s\n", cfg.Mode(), cfg.Topic())
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
