//go:build long

package eventmanager_test

import (
	"testing"
	"time"
)

// The long fault tests of the reliability contract, run by .ci/run with
// `go test -tags long -run Long ./eventmanager/`.

// TestLongBrokerDown30s: broker down 30 s while publishing about 1000
// events/s; after recovery every accepted event is in the topic once.
func TestLongBrokerDown30s(t *testing.T) {
	testBrokerRestart(t, 1000, 30*time.Second)
}

// TestLongCloseMillion: Close with 1 000 000 accepted events delivers all.
func TestLongCloseMillion(t *testing.T) {
	testCloseDelivers(t, 1_000_000)
}

// TestLongRegistryDown5s: registry down at start, up 5 s later; every event
// arrives with the registered schema id.
func TestLongRegistryDown5s(t *testing.T) {
	testRegistryDown(t, 5*time.Second)
}
