package eventmanager

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/payload"
)

// newRandomID is the default event id source: a version 4 UUID whose 122
// random bits come from math/rand/v2's top-level generator, which is the Go
// runtime's per-thread ChaCha8 stream seeded from the operating system. It
// takes no lock, keeps no state of ours and costs a few nanoseconds, where
// uuid.New reads crypto/rand for every id (about a tenth of Publish's CPU
// time in the benchmark profile). Event ids need to be unique, not secret.
func newRandomID() uuid.UUID {
	var id uuid.UUID
	binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // variant 10xx (RFC 9562)
	return id
}

// stamper makes the metadata Publish adds to each event.
type stamper struct {
	app   string
	now   func() time.Time
	newID func() uuid.UUID
	// wall is true when now is time.Now (no [WithClock]): Publish then stamps
	// the Kafka record with the time it already read, sparing franz-go a
	// second clock read per event.
	wall bool
}

// stamp makes an event's metadata: a new id, the application name and the
// time, which it also returns as a time.Time (for the Kafka record).
func (s *stamper) stamp() (payload.Metadata, time.Time) {
	now := s.now()
	return payload.Metadata{ID: s.newID(), Application: s.app, TimestampNS: now.UnixNano()}, now
}
