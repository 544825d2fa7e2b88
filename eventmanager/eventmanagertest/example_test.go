package eventmanagertest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/eventmanager"
	"github.com/lsst-sqre/sasquatch-go/eventmanager/eventmanagertest"
)

// An application's test runs the manager in mock mode and checks what its
// handler published.
func ExamplePublished() {
	ctx := context.Background()
	m, _ := eventmanager.New(config.Config{AppName: "myapp", Mock: true, TopicPrefix: "lsst.square.metrics.events"})
	_ = m.Initialize(ctx)
	defer m.Close(ctx)
	q, _ := eventmanager.CreatePublisher[QueryEvent](ctx, m, "query")

	// The code under test:
	_ = q.Publish(ctx, QueryEvent{Type: "sync", Duration: 1500 * time.Millisecond})

	for _, e := range eventmanagertest.Published(q) {
		fmt.Println(e.Type, e.Duration)
	}
	// Output: sync 1.5s
}
