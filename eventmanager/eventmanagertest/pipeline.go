package eventmanagertest

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
)

// UpdateEnv is the environment variable that makes AssertPipeline rewrite
// its golden file when set to 1, for test binaries that declare no -update
// flag.
const UpdateEnv = "SASQUATCH_UPDATE_GOLDEN"

// AssertPipeline fails tb unless the file at goldenPath holds m's pipeline as
// Sasquatch deploys it: m.Pipeline().Phalanx(), a blank line, then
// m.Pipeline().Telegraf with the zero TelegrafConfig (environment references
// for brokers, registry and Kafka version, so the file does not depend on
// where the test runs). Call it after creating every publisher, with a path
// under testdata/; an application's CI then fails when its events' tags or
// names drift from the configuration deployed in Phalanx.
//
// It rewrites the file instead (creating its directory) when the test binary
// has a boolean -update flag set to true (declare it in your test package,
// the usual var update = flag.Bool("update", false, "rewrite golden files"),
// and run go test -update) or when SASQUATCH_UPDATE_GOLDEN=1 is set. This
// package declares no flag itself: a second "update" flag in the same binary
// would panic. It fails tb when the file is missing or cannot be written,
// and on a mismatch prints the first differing line, want and got.
func AssertPipeline(tb testing.TB, m *eventmanager.Manager, goldenPath string) {
	tb.Helper()
	if m == nil {
		tb.Fatalf("eventmanagertest: nil manager")
		return
	}
	p := m.Pipeline()
	got := p.Phalanx() + "\n" + p.Telegraf(eventmanager.TelegrafConfig{})
	if updating() {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			tb.Fatalf("eventmanagertest: update golden file: %v", err)
			return
		}
		if err := os.WriteFile(goldenPath, []byte(got), 0o644); err != nil {
			tb.Fatalf("eventmanagertest: update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if errors.Is(err, fs.ErrNotExist) {
		tb.Fatalf("eventmanagertest: golden file %s does not exist: run the test with -update (or %s=1) to write it", goldenPath, UpdateEnv)
		return
	}
	if err != nil {
		tb.Fatalf("eventmanagertest: read golden file: %v", err)
		return
	}
	if string(want) == got {
		return
	}
	line, w, g := firstDiff(string(want), got)
	tb.Errorf("eventmanagertest: the pipeline of app %q differs from %s at line %d:\n\twant %q\n\tgot  %q\n"+
		"update the deployed configuration (Phalanx influxTags, Telegraf avro_tags) and rerun with -update (or %s=1) "+
		"if the change is intended.\nwant:\n%s\ngot:\n%s", p.App, goldenPath, line, w, g, UpdateEnv, want, got)
}

// updating reports whether the golden file should be rewritten: the test
// binary's -update flag is true, or UpdateEnv is 1.
func updating() bool {
	if os.Getenv(UpdateEnv) == "1" {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// firstDiff returns the 1-based number of the first line where want and got
// differ, and those lines ("" past the end of either).
func firstDiff(want, got string) (int, string, string) {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; ; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return i + 1, w, g
		}
	}
}
