package eventmanager

import (
	"log/slog"
	"sync"

	"github.com/lsst-sqre/sasquatch-go/config"
	"github.com/lsst-sqre/sasquatch-go/schemaregistry"
)

// core is the state a Manager shares with its publishers, owned once: the
// Manager embeds it and every Publisher points to it. It holds the resolved
// configuration, the mode, the lifecycle, the buffer of unsent events, the
// metadata stamper, the Kafka link and the registry client.
type core struct {
	manager *Manager      // for Publisher.Manager only
	cfg     config.Config // resolved by New
	mode    config.Mode   // cfg.Mode()
	topic   string        // cfg.Topic()
	log     *slog.Logger
	life    lifecycle // Initialize and Close
	stamp   stamper   // the metadata Publish adds (idsource.go)
	buf     *buffer   // the account of unsent events (buffer.go)
	kafka   kafkaLink // the Kafka client and what watches it (link.go)
	// registry is the schema registry client; Kafka mode only.
	registry *schemaregistry.Client
	// maxValue is the largest encoded event the Kafka client can send
	// (valueLimit); Kafka mode only.
	maxValue int
	// records pools *envelope (a record with a reusable Value buffer) for every
	// publisher of the manager: one pool, fed by every delivery, stays warm
	// when a service publishes several event types in turn (a pool per
	// publisher made each switch read cold memory and miss more often).
	records sync.Pool
}

// usable reports the lifecycle error, if any, for [CreatePublisher] and Publish.
func (e *core) usable() error {
	switch e.life.state.Load() {
	case stateNew:
		return ErrNotInitialized
	case stateClosed:
		return ErrClosed
	}
	return nil
}
