package schemaregistry_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry/registrytest"
)

// Register a schema with an in-process registry, as the SDK does once per
// event type, then see the cache and compatibility enforcement at work.
func Example() {
	srv := registrytest.NewServer() // Confluent's default global level: BACKWARD
	defer srv.Close()
	ctx := context.Background()

	c, err := schemaregistry.New(config.Registry{URL: srv.URL(), Suffix: "_dev"})
	if err != nil {
		fmt.Println(err)
		return
	}
	const name = "lsst.square.metrics.events.myapp.query"
	v1 := `{"type":"record","name":"query","namespace":"lsst.square.metrics.events.myapp",
		"fields":[{"name":"duration","type":"double"}]}`
	id, err := c.Register(ctx, name, v1)
	if err != nil {
		fmt.Println(err)
		return
	}
	subject := c.Subject(name)
	fmt.Println("subject:", subject)
	fmt.Println("id:", id)
	fmt.Println("compatibility:", srv.Compatibility(subject)) // set by the client (default NONE)

	before := srv.Requests()
	again, _ := c.Register(ctx, name, v1)
	fmt.Println("cached:", again == id, "requests:", srv.Requests()-before)

	// Under BACKWARD, adding a field without a default is refused.
	strict, _ := schemaregistry.New(config.Registry{URL: srv.URL(), Suffix: "_dev", Compatibility: "BACKWARD"})
	v2 := `{"type":"record","name":"query","namespace":"lsst.square.metrics.events.myapp",
		"fields":[{"name":"duration","type":"double"},{"name":"rows","type":"long"}]}`
	_, err = strict.Register(ctx, name, v2)
	fmt.Println("incompatible:", errors.As(err, new(*schemaregistry.IncompatibleError)))

	// Output:
	// subject: lsst.square.metrics.events.myapp.query_dev
	// id: 1
	// compatibility: NONE
	// cached: true requests: 0
	// incompatible: true
}
