package eventmanager

import (
	"bufio"
	"crypto/rand"
	"sync"

	"github.com/google/uuid"
)

// randomIDs is the default event id source: version 4 UUIDs from
// crypto/rand, read 4 KiB (256 ids) at a time instead of one system call per
// event. It belongs to one Manager (no package state, unlike
// uuid.EnableRandPool) and is safe for concurrent use.
type randomIDs struct {
	mu sync.Mutex
	r  *bufio.Reader
}

func newRandomIDs() *randomIDs {
	return &randomIDs{r: bufio.NewReaderSize(rand.Reader, 4096)}
}

// next returns a fresh random UUID. crypto/rand never fails on supported
// platforms; should it, uuid.New's own fallback (which panics only when the
// system's randomness is broken) is used.
func (s *randomIDs) next() uuid.UUID {
	s.mu.Lock()
	id, err := uuid.NewRandomFromReader(s.r)
	s.mu.Unlock()
	if err != nil {
		return uuid.New()
	}
	return id
}
