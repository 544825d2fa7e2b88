package eventmanager

// The pending path of a Publisher: events accepted while its schema is not
// registered yet wait here, encoded with schema id 0, and are patched and
// sent once the background registration succeeds (or failed at Close).

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// publishSlow handles an accepted record encoded while the schema was not
// registered: it waits in pending (patched and sent once registered), or is
// patched and sent now if the registration completed meanwhile.
func (p *Publisher[T]) publishSlow(r *kgo.Record) {
	p.mu.Lock()
	if p.state.Load() == pubPending {
		p.pending = append(p.pending, r)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	binary.BigEndian.PutUint32(r.Value[1:5], p.schemaID.Load())
	p.core.kafka.produce(r, p.promise)
}

// registerPending is the background task of a publisher created while the
// registry was unreachable. Every error is returned, to be retried with
// backoff until Close: a registry behind an ingress can answer a 404 page, a
// 401 or garbage while it restarts, and an incompatible schema (or a field
// whose type changed against the latest registered one) can be fixed on the
// registry's side. Meanwhile the events wait within the buffer's
// bounds, and [Manager.Check] names the error.
func (p *Publisher[T]) registerPending(ctx context.Context) error {
	id, err := p.register(ctx) // the field-type guard, then Register
	if err != nil {
		return err
	}
	p.schemaID.Store(id)
	// The waiting events (up to METRICS_MAX_BUFFERED_EVENTS of them) are
	// handed to the Kafka client outside p.mu, a batch at a time: a Publish
	// meanwhile (publishSlow) holds p.mu only to append its event to the next
	// batch, instead of waiting for the whole backlog to be sent. The state
	// turns ready under the lock once no event waits, so order is kept.
	for {
		p.mu.Lock()
		batch := p.pending
		p.pending = nil
		if len(batch) == 0 {
			p.state.Store(pubReady)
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		for _, r := range batch {
			binary.BigEndian.PutUint32(r.Value[1:5], uint32(id))
			p.core.kafka.produce(r, p.promise)
		}
	}
}

// lastRegistration gives a publisher whose schema is still not registered at
// Close one last attempt, and fails what still waits. It returns the number
// of events lost.
func (p *Publisher[T]) lastRegistration(ctx context.Context) int64 {
	if p.state.Load() != pubPending {
		return 0
	}
	err := p.registerPending(ctx)
	if err == nil {
		return 0
	}
	p.mu.Lock()
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	err = fmt.Errorf("schema not registered before close: %w", err)
	for _, r := range pending {
		p.fail(r, err)
	}
	return int64(len(pending))
}
