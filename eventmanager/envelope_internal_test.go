package eventmanager

import (
	"context"
	"testing"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestEnvelopeSize keeps what every buffered event holds beside its
// kgo.Record within 32 bytes (the 192-byte size class): make bench's heap
// per buffered event against raw franz-go (target <= 1.10) depends on it.
// A field added to envelope must replace one, or say why in the figure's
// target.
func TestEnvelopeSize(t *testing.T) {
	if got, rec := unsafe.Sizeof(envelope{}), unsafe.Sizeof(kgo.Record{}); got > rec+32 {
		t.Fatalf("envelope is %d bytes, kgo.Record %d: more than 32 bytes per buffered event beside the record", got, rec)
	}
}

// TestEnvelopeContext: the envelope is its record's context, never
// cancelled, found through contexts derived from it (hooks such as kotel
// derive one), and carries no other value.
func TestEnvelopeContext(t *testing.T) {
	e := newEnvelope()
	if e.rec.Context != e || envelopeOf(&e.rec) != e {
		t.Fatal("a new envelope is not its record's context")
	}
	if _, ok := e.Deadline(); ok || e.Done() != nil || e.Err() != nil {
		t.Fatal("an envelope has a deadline or can be cancelled")
	}
	if v := e.Value("other key"); v != nil {
		t.Fatalf("Value(other) = %v, want nil", v)
	}
	type k struct{}
	derived := &kgo.Record{Context: context.WithValue(e, k{}, 1)}
	if envelopeOf(derived) != e {
		t.Fatal("the envelope is not found through a derived context")
	}
	e.reset()
	if e.rec.Context != e {
		t.Fatal("reset lost the record's context")
	}
}
