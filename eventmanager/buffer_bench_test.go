package eventmanager

import "testing"

// BenchmarkBufferAccount is one event's account: reserved by Publish,
// enrolled in the Flush epoch, finished and released by its promise.
func BenchmarkBufferAccount(b *testing.B) {
	buf := newBuffer(100_000, 64<<20, 0)
	for b.Loop() {
		if !buf.tryReserve(400) {
			b.Fatal("refused")
		}
		ep := buf.enroll()
		buf.finish(ep, outDelivered)
		buf.release(400)
	}
}
