package eventmanagertest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/golden"
)

// UpdateEnv is the environment variable that makes AssertPipeline rewrite
// its golden file when set to 1, for test binaries that declare no -update
// flag.
const UpdateEnv = golden.UpdateEnv

// AssertPipeline fails tb unless the file at goldenPath holds m's pipeline as
// Sasquatch deploys it, m.Pipeline().Render with the zero RenderConfig: every
// piece of Phalanx configuration the application needs, each labelled with
// the file it goes in, and the Telegraf input the chart renders for it. Call
// it after creating every publisher, with a path under testdata/; an
// application's CI then fails when its events' tags or names drift from the
// configuration deployed in Phalanx.
//
// It rewrites the file instead (creating its directory) when the test runs
// with -update (go test -run TestPipeline -update) or with
// SASQUATCH_UPDATE_GOLDEN=1 set. The -update flag needs no declaration:
// this package defines it when the test binary starts, unless a package
// initialized earlier did (then that one is the switch). So do not define
// an "update" flag in a test package that imports this one (the flag
// package panics on a second definition): read the switch with
// flag.Lookup("update") if your own golden files need it. On a mismatch it reports, without stopping the test, the
// first differing line, want and got; it stops the test (tb.Fatal) when the
// pipeline cannot be rendered (an application name Sasquatch cannot deploy)
// or the file is missing or cannot be read or written. It is a thin wrapper
// around ComparePipeline.
func AssertPipeline(tb testing.TB, m *eventmanager.Manager, goldenPath string) {
	tb.Helper()
	err := ComparePipeline(m, goldenPath)
	var mismatch *mismatchError
	switch {
	case err == nil:
	case errors.As(err, &mismatch):
		tb.Errorf("%v", err)
	default:
		tb.Fatalf("%v", err)
	}
}

// ComparePipeline returns nil when the file at goldenPath holds m's pipeline
// as AssertPipeline describes it, and otherwise an error that says why: the
// pipeline cannot be rendered (errors.Is config.ErrNotDeployable for an
// application name Sasquatch cannot deploy), the file is missing
// (errors.Is fs.ErrNotExist) or unreadable, or it differs (the message names
// the first differing line, want and got, and how to update the file). With
// the update switch of AssertPipeline set it rewrites the file instead and
// returns nil, or the error of writing it. Use it where a testing.TB is not
// at hand, as prometheus's testutil.CollectAndCompare.
func ComparePipeline(m *eventmanager.Manager, goldenPath string) error {
	if m == nil {
		return errors.New("eventmanagertest: nil manager")
	}
	p := m.Pipeline()
	got, err := p.Render(eventmanager.RenderConfig{})
	if err != nil {
		return fmt.Errorf("eventmanagertest: the pipeline of app %q: %w", p.App, err)
	}
	err = golden.Compare("eventmanagertest", got, goldenPath)
	var mismatch *golden.MismatchError
	if errors.As(err, &mismatch) {
		return &mismatchError{app: p.App, m: mismatch}
	}
	return err
}

// mismatchError is ComparePipeline's error when the golden file differs
// from the pipeline; AssertPipeline reports it without stopping the test.
type mismatchError struct {
	app string
	m   *golden.MismatchError
}

func (e *mismatchError) Error() string {
	line, w, g := e.m.FirstDiff()
	return fmt.Sprintf("eventmanagertest: the pipeline of app %q differs from %s at line %d:\n\twant %q\n\tgot  %q\n"+
		"update the deployed configuration (Phalanx's app-metrics influxTags, the app's chart) and rerun with -update (or %s=1) "+
		"if the change is intended.\nwant:\n%s\ngot:\n%s", e.app, e.m.Path, line, w, g, UpdateEnv, e.m.Want, e.m.Got)
}
