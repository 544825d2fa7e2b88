package eventmanagertest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

// update reports whether the test binary runs with -update, the flag
// package eventmanagertest defines (TestUpdateFlagDefined).
func update() bool { f := flag.Lookup("update"); return f != nil && f.Value.String() == "true" }

type pipeBase struct {
	Site string `influx:"tag"`
}

type pipeQuery struct {
	pipeBase
	Kind     string `influx:"tag"`
	Duration float64
}

type pipeLogin struct {
	pipeBase
	Scopes int
}

// newPipelineManager returns a mock-mode manager of app "app" with the
// events query and login (tags kind and site) and, with extra, a third
// event whose tag service is not in the golden file.
func newPipelineManager(t *testing.T, extra bool) *eventmanager.Manager {
	t.Helper()
	m, err := eventmanager.New(config.Config{AppName: "app", Mock: true, TopicPrefix: "lsst.square.metrics.events"},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	if err := m.Initialize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[pipeQuery](t.Context(), m, "query"); err != nil {
		t.Fatal(err)
	}
	if _, err := eventmanager.CreatePublisher[pipeLogin](t.Context(), m, "login"); err != nil {
		t.Fatal(err)
	}
	if extra {
		type serviceEvent struct {
			Service string `influx:"tag"`
		}
		if _, err := eventmanager.CreatePublisher[serviceEvent](t.Context(), m, "service"); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestAssertPipelineGolden is the helper's intended use: the committed
// golden file matches the events' pipeline.
func TestAssertPipelineGolden(t *testing.T) {
	eventmanagertest.AssertPipeline(t, newPipelineManager(t, false), filepath.Join("testdata", "pipeline.golden"))
}

// TestAssertPipelineMismatch: a tag the golden file lacks fails the test,
// at the caller's line, with the first differing line and the way to update.
func TestAssertPipelineMismatch(t *testing.T) {
	if update() {
		t.Skip("-update given: AssertPipeline rewrites instead of comparing")
	}
	rec := newRecordingTB(t)
	m := newPipelineManager(t, true)
	// A copy of the committed golden file, which -update must not rewrite
	// with this test's extra event.
	b, err := os.ReadFile(filepath.Join("testdata", "pipeline.golden"))
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(t.TempDir(), "pipeline.golden")
	if err := os.WriteFile(golden, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, file, line, _ := runtime.Caller(0)
	eventmanagertest.AssertPipeline(rec, m, golden) // the line after Caller's
	if len(rec.errors) != 1 || rec.fatal {
		t.Fatalf("AssertPipeline on a drifted pipeline: errors %q (fatal %v), want one non-fatal error", rec.errors, rec.fatal)
	}
	msg := rec.errors[0]
	for _, want := range []string{golden, "line 5", "want \"\"", `got  "#   lsst.square.metrics.events.app.service"`, `- "service"`, "-update"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if want := fmt.Sprintf("%s:%d", filepath.Base(file), line+1); rec.where[0] != want {
		t.Errorf("failure reported at %s, want the caller's line %s", rec.where[0], want)
	}
}

// TestAssertPipelineMissing: a golden file that does not exist fails the
// test fatally and says how to write it.
func TestAssertPipelineMissing(t *testing.T) {
	if update() {
		t.Skip("-update given: AssertPipeline writes the file instead")
	}
	rec := newRecordingTB(t)
	eventmanagertest.AssertPipeline(rec, newPipelineManager(t, false), filepath.Join(t.TempDir(), "none.golden"))
	if !rec.fatal || len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "-update") {
		t.Fatalf("AssertPipeline without a golden file: errors %q (fatal %v), want one fatal error naming -update", rec.errors, rec.fatal)
	}
}

// TestAssertPipelineUpdate: with the -update flag or SASQUATCH_UPDATE_GOLDEN=1
// the helper rewrites a stale golden file (creating its directory) and
// passes; the rewritten file then passes without the switch. Not parallel:
// it sets the process's flag and environment.
func TestAssertPipelineUpdate(t *testing.T) {
	for _, sw := range []string{"flag", "env"} {
		t.Run(sw, func(t *testing.T) {
			if update() {
				t.Skip("-update given: the switch is on already")
			}
			golden := filepath.Join(t.TempDir(), "testdata", "pipeline.golden")
			m := newPipelineManager(t, true)
			switch sw {
			case "flag":
				if err := flag.Set("update", "true"); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = flag.Set("update", "false") })
			case "env":
				t.Setenv(eventmanagertest.UpdateEnv, "1")
			}
			rec := newRecordingTB(t)
			eventmanagertest.AssertPipeline(rec, m, golden)
			if len(rec.errors) != 0 {
				t.Fatalf("AssertPipeline with the update switch: %q", rec.errors)
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.Pipeline().Render(eventmanager.RenderConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != want {
				t.Fatalf("rewritten golden file =\n%s\nwant\n%s", b, want)
			}
			_ = flag.Set("update", "false")
			os.Unsetenv(eventmanagertest.UpdateEnv)
			rec = newRecordingTB(t)
			eventmanagertest.AssertPipeline(rec, m, golden)
			if len(rec.errors) != 0 {
				t.Fatalf("AssertPipeline after the update, without the switch: %q", rec.errors)
			}
		})
	}
}

// TestComparePipeline: the error-returning comparison behind AssertPipeline
// says nil for the committed golden file, and otherwise why: a drift (the
// first differing line), a missing file (fs.ErrNotExist), an application
// name Sasquatch cannot deploy (config.ErrNotDeployable, which
// AssertPipeline reports fatally).
func TestComparePipeline(t *testing.T) {
	if update() {
		t.Skip("-update given: ComparePipeline rewrites instead of comparing")
	}
	golden := filepath.Join("testdata", "pipeline.golden")
	if err := eventmanagertest.ComparePipeline(newPipelineManager(t, false), golden); err != nil {
		t.Errorf("ComparePipeline with the committed golden file: %v", err)
	}
	if err := eventmanagertest.ComparePipeline(newPipelineManager(t, true), golden); err == nil || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("ComparePipeline of a drifted pipeline: %v, want the first differing line, 5", err)
	}
	if err := eventmanagertest.ComparePipeline(newPipelineManager(t, false), filepath.Join(t.TempDir(), "none.golden")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ComparePipeline without a golden file: %v, want fs.ErrNotExist", err)
	}
	if err := eventmanagertest.ComparePipeline(nil, golden); err == nil {
		t.Error("ComparePipeline(nil manager) = nil")
	}

	m, err := eventmanager.New(config.Config{AppName: "my_app", Mock: true},
		eventmanager.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	err = eventmanagertest.ComparePipeline(m, golden)
	if !errors.Is(err, config.ErrNotDeployable) || !strings.Contains(err.Error(), `"myapp" would work`) {
		t.Errorf("ComparePipeline of app my_app: %v, want config.ErrNotDeployable suggesting myapp", err)
	}
	rec := newRecordingTB(t)
	eventmanagertest.AssertPipeline(rec, m, golden)
	if !rec.fatal || len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "my_app") {
		t.Errorf("AssertPipeline of app my_app: errors %q (fatal %v), want one fatal error naming it", rec.errors, rec.fatal)
	}
}

// envUpdateChild makes TestUpdateFlagChild run: it names the golden file the
// child test binary, started with -update, must write.
const envUpdateChild = "EVENTMANAGERTEST_UPDATE_CHILD"

// TestUpdateFlagDefined: this test package declares no -update flag, as an
// application's need not; the test binary is run again with -update (as go
// test -update runs it) and its AssertPipeline writes the golden file. The
// flag package would refuse the run ("flag provided but not defined") if
// eventmanagertest did not define the flag.
func TestUpdateFlagDefined(t *testing.T) {
	if os.Getenv(envUpdateChild) != "" {
		t.Skip("in the child")
	}
	if flag.Lookup("update") == nil {
		t.Fatal("no -update flag: eventmanagertest did not define it")
	}
	golden := filepath.Join(t.TempDir(), "testdata", "pipeline.golden")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestUpdateFlagChild$", "-test.count=1", "-update")
	cmd.Env = append(os.Environ(), envUpdateChild+"="+golden, eventmanagertest.UpdateEnv+"=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test binary with -update: %v\n%s", err, out)
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("the child did not write the golden file: %v\n%s", err, out)
	}
	want, err := newPipelineManager(t, true).Pipeline().Render(eventmanager.RenderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("golden file written with -update =\n%s\nwant\n%s", b, want)
	}
}

// TestUpdateFlagChild is TestUpdateFlagDefined's child: run with -update, it
// rewrites the golden file named by envUpdateChild.
func TestUpdateFlagChild(t *testing.T) {
	path := os.Getenv(envUpdateChild)
	if path == "" {
		t.Skip("run by TestUpdateFlagDefined")
	}
	if !update() {
		t.Fatal("-update is not set in the child")
	}
	eventmanagertest.AssertPipeline(t, newPipelineManager(t, true), path)
}
