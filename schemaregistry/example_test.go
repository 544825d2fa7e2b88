package schemaregistry_test

import (
	"context"
	"crypto/x509"
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

// A service resolves its configuration once with config.Config.Load and
// hands the registry's part down: the settings, and the pool that Load
// built from SCHEMA_MANAGER_CA_PATH, so that New reads no file. Here an
// https registry with a self-signed certificate stands in, trusted through
// that pool only.
func ExampleWithRootCAs() {
	srv := registrytest.NewServer(registrytest.WithTLS())
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate()) // what config.Loaded.RegistryCAs holds

	c, err := schemaregistry.New(config.Registry{URL: srv.URL()}, schemaregistry.WithRootCAs(pool))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("trusted:", c.Check(context.Background()) == nil)
	// Output:
	// trusted: true
}
