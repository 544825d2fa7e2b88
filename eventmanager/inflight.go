package eventmanager

import (
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// keyProduce is the Kafka API key of Produce requests.
const keyProduce int16 = 0

// wireCount is a franz-go hook on the client the manager builds: it counts
// the Produce requests written to a broker and the responses read back. When
// Close has to close the client with records left, the two tell whether any
// of them can be in the topic: if every request written was answered, the
// records the client fails were never sent (Failed); otherwise some may
// have been written by the broker without the answer reaching us (Unknown).
type wireCount struct {
	written, answered atomic.Int64
}

var (
	_ kgo.HookBrokerWrite = (*wireCount)(nil)
	_ kgo.HookBrokerRead  = (*wireCount)(nil)
)

// OnBrokerWrite implements kgo.HookBrokerWrite.
func (w *wireCount) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == keyProduce && err == nil {
		w.written.Add(1)
	}
}

// OnBrokerRead implements kgo.HookBrokerRead.
func (w *wireCount) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == keyProduce && err == nil {
		w.answered.Add(1)
	}
}

// unanswered reports whether a Produce request may have reached a broker
// without its answer reaching the client. A nil wireCount (a client passed
// with WithKafkaClient) cannot tell, and says so.
func (w *wireCount) unanswered() bool {
	return w == nil || w.written.Load() != w.answered.Load()
}
