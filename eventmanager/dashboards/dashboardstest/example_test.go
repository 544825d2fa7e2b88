package dashboardstest_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/dashboards/dashboardstest"
)

// An application's CI compares its deployment and dashboards with the
// golden file committed with its code (in a test: AssertPipeline(t, m,
// "testdata/pipeline.golden"), rewritten with go test -update).
func ExampleComparePipeline() {
	dir, err := os.MkdirTemp("", "golden")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pipeline.golden")

	m := newManager(nil, "myapp", "job")
	defer m.Close(context.Background())
	committed, err := dashboards.RenderPipeline(m.Pipeline())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(committed), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println(dashboardstest.ComparePipeline(m, path))

	// The code gains an event: the golden file, and the deployment, are stale.
	grown := newManager(nil, "myapp", "job", "other")
	defer grown.Close(context.Background())
	err = dashboardstest.ComparePipeline(grown, path)
	fmt.Println(strings.Contains(err.Error(), "at line 4"))
	// Output:
	// <nil>
	// true
}
