package payload_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// TaskState is an enum: a string type that lists its symbols.
type TaskState string

// Symbols implements payload.Enum.
func (TaskState) Symbols() []string { return []string{"queued", "done", "failed"} }

// TaskEvent is a payload: a flat struct of supported field types.
type TaskEvent struct {
	State    TaskState     `doc:"Final state of the task"`
	Duration time.Duration `doc:"Wall-clock time"`
	Retries  int
	Worker   *string `avro:"worker_name"` // optional
}

func Example() {
	codec, err := payload.NewCodec[TaskEvent]("task", "lsst.square.metrics.events.myapp")
	if err != nil {
		fmt.Println(err)
		return
	}
	md := &payload.Metadata{
		ID:          uuid.MustParse("12345678-1234-4678-9234-567812345678"),
		Application: "myapp",
		TimestampNS: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano(),
	}
	value, err := codec.Encode(42, md, &TaskEvent{State: "done", Duration: 2 * time.Second, Retries: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(codec.FullName())
	fmt.Printf("%d bytes, frame %x, body starts %x\n", len(value), value[:5], value[5:6])

	_, err = codec.Encode(42, md, &TaskEvent{State: "lost"})
	fmt.Println(errors.Is(err, payload.ErrInvalidValue))
	// Output:
	// lsst.square.metrics.events.myapp.task
	// 74 bytes, frame 000000002a, body starts 48
	// true
}

func ExampleNewCodec_unsupported() {
	type Bad struct {
		When   time.Time
		Labels map[string]string
	}
	_, err := payload.NewCodec[Bad]("bad", "lsst.square.metrics.events.myapp")
	var ue *payload.UnsupportedError
	if errors.As(err, &ue) {
		for _, f := range ue.Fields {
			fmt.Println(f.Path, "-", f.Reason)
		}
	}
	// Output:
	// Bad.When - time.Time: Telegraf silently drops it; use an int64 field holding unix nanoseconds (t.UnixNano())
	// Bad.Labels - map: not supported (Telegraf writes flat fields); use one field per key
}
