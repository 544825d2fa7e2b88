package eventmanager_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// The whole lifecycle, in mock mode so that it runs anywhere. In production
// the configuration comes from config.FromEnv and the mode is Kafka.
func Example() {
	ctx := context.Background()
	cfg := config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"}

	m, err := eventmanager.New(cfg)
	if err != nil {
		panic(err)
	}
	if err := m.Initialize(ctx); err != nil {
		panic(err)
	}
	queries, err := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")
	if err != nil {
		panic(err)
	}

	_ = queries.Publish(ctx, QueryEvent{Type: QuerySync, Duration: 1500 * time.Millisecond})
	err = queries.Publish(ctx, QueryEvent{Type: "weird"})
	fmt.Println("enum outside its symbols:", errors.Is(err, payload.ErrInvalidValue))

	if err := m.Close(ctx); err != nil {
		panic(err)
	}
	fmt.Println("subject:", queries.Subject())
	fmt.Printf("recorded: %+v\n", eventmanagertest.Published(queries))
	fmt.Printf("stats: %+v\n", m.Stats().Total)
	// Output:
	// enum outside its symbols: true
	// subject: lsst.square.metrics.events.myapp.query
	// recorded: [{Type:sync Duration:1.5s}]
	// stats: {Published:1 Delivered:1 Failed:0 Unknown:0 Dropped:0 Rejected:1}
}

// CreatePublisher rejects payload types the pipeline cannot carry, listing
// every bad field at once.
func ExampleCreatePublisher_unsupported() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)

	_, err := eventmanager.CreatePublisher[NestedEvent](ctx, m, "nested")
	var unsupported *payload.UnsupportedError
	if errors.As(err, &unsupported) {
		for _, f := range unsupported.Fields {
			fmt.Println(f.Path)
		}
	}
	// Output:
	// NestedEvent.Inner
	// NestedEvent.Tags
	// NestedEvent.When
}
