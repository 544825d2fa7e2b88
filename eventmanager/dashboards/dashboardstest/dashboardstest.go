// Package dashboardstest helps an application's tests keep its deployed
// configuration and dashboards in step with its code: AssertPipeline is
// eventmanagertest.AssertPipeline with the starter dashboards (the
// GrafanaDashboard resource and the Chronograf dashboard) after the Phalanx
// pieces, in one golden file: [dashboards.RenderPipeline], what an
// example's -pipeline prints. It is apart from eventmanagertest so
// that the tests of an application without dashboards do not compile the
// Grafana SDK.
package dashboardstest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/internal/golden"
)

// AssertPipeline fails tb unless the file at goldenPath holds dashboards.RenderPipeline of
// m's pipeline and extend, and rewrites the file instead with -update or
// SASQUATCH_UPDATE_GOLDEN=1, as eventmanagertest.AssertPipeline does (the
// -update flag needs no declaration: this package defines it too). A difference is
// reported without stopping the test (first differing line, want, got);
// a rendering error or a missing or unreadable file stops it. It is a thin
// wrapper around ComparePipeline.
func AssertPipeline(tb testing.TB, m *eventmanager.Manager, goldenPath string, extend ...func(*dashboards.Dashboard)) {
	tb.Helper()
	err := ComparePipeline(m, goldenPath, extend...)
	var mismatch *golden.MismatchError
	switch {
	case err == nil:
	case errors.As(err, &mismatch):
		tb.Errorf("%v", err)
	default:
		tb.Fatalf("%v", err)
	}
}

// ComparePipeline returns nil when the file at goldenPath holds
// dashboards.RenderPipeline of m's pipeline and extend; otherwise an error that says why: the
// rendering failed (errors.Is config.ErrNotDeployable for an app name
// Sasquatch cannot deploy), the file is missing (errors.Is fs.ErrNotExist)
// or unreadable, or it differs (the message names the first differing
// line, want and got, and how to update it). With the update switch it rewrites the file and returns nil or the
// error of writing.
func ComparePipeline(m *eventmanager.Manager, goldenPath string, extend ...func(*dashboards.Dashboard)) error {
	if m == nil {
		return errors.New("dashboardstest: nil manager")
	}
	p := m.Pipeline()
	got, err := dashboards.RenderPipeline(p, extend...)
	if err != nil {
		return fmt.Errorf("dashboardstest: the pipeline of app %q: %w", p.App, err)
	}
	if err := golden.Compare("dashboardstest", got, goldenPath); err != nil {
		var mismatch *golden.MismatchError
		if errors.As(err, &mismatch) {
			line, w, g := mismatch.FirstDiff()
			return fmt.Errorf("dashboardstest: the pipeline and dashboards of app %q differ from %s at line %d:\n\twant %q\n\tgot  %q\n"+
				"update the deployed configuration (Phalanx's app-metrics influxTags, the app's chart and its GrafanaDashboard) "+
				"and rerun with -update (or %s=1) if the change is intended: %w", p.App, goldenPath, line, w, g, golden.UpdateEnv, err)
		}
		return err
	}
	return nil
}
