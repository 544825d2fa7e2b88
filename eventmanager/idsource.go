package eventmanager

import (
	"crypto/rand"
	"sync"

	"github.com/google/uuid"
)

// idBlockSize is how many ids one read from crypto/rand provides.
const idBlockSize = 256

// randomIDs is the default event id source: version 4 UUIDs from
// crypto/rand, read 4 KiB (idBlockSize ids) at a time instead of one read
// per event. It belongs to one Manager (no package state, unlike
// uuid.EnableRandPool) and is safe for concurrent use: blocks live in a
// sync.Pool, so concurrent Publish calls take ids without a shared lock, and
// an id is copied out of a block, never through an io.Reader (which makes
// uuid.NewRandomFromReader's array escape: one heap allocation per event).
type randomIDs struct{ blocks sync.Pool }

type idBlock struct {
	buf [idBlockSize * 16]byte
	pos int
}

func newRandomIDs() *randomIDs {
	s := &randomIDs{}
	s.blocks.New = func() any { return &idBlock{pos: idBlockSize * 16} }
	return s
}

// next returns a fresh random version 4 UUID.
func (s *randomIDs) next() uuid.UUID {
	b := s.blocks.Get().(*idBlock)
	if b.pos == len(b.buf) {
		// crypto/rand.Read never returns an error (Go 1.24+): it crashes
		// the program if the system's randomness is broken.
		_, _ = rand.Read(b.buf[:])
		b.pos = 0
	}
	var id uuid.UUID
	copy(id[:], b.buf[b.pos:b.pos+16])
	b.pos += 16
	s.blocks.Put(b)
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // variant 10xx (RFC 4122/9562)
	return id
}
