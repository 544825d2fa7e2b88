package registrytest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// A registry for a test: seed it through the fake, talk to it over HTTP,
// then simulate an outage.
func ExampleNewServer() {
	srv := registrytest.NewServer(registrytest.WithGlobalCompatibility("FULL"))
	defer srv.Close()

	srv.Fake().SeedSchema("lsst.square.metrics.events.myapp.query", 1, 42,
		sr.Schema{Schema: `{"type":"record","name":"query","fields":[]}`})

	get := func(path string) string {
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, body)
	}
	fmt.Print(get("/subjects"))
	fmt.Println(srv.Compatibility("lsst.square.metrics.events.myapp.query"))

	srv.SetDown(true)
	fmt.Print(get("/subjects"))
	fmt.Println("requests:", srv.Requests())

	// Output:
	// 200 ["lsst.square.metrics.events.myapp.query"]
	// FULL
	// 503 {"error_code":503,"message":"Service Unavailable (registrytest: server set down)"}
	// requests: 2
}
