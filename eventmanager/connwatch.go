package eventmanager

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka API keys of the requests that open a connection.
const (
	keySASLHandshake    int16 = 17
	keyAPIVersions      int16 = 18
	keySASLAuthenticate int16 = 36
)

// saslCutLimit is how many SASL exchanges the brokers must cut short during
// one start-up check before it stops and reports an authentication failure.
// One could be a broker restarting; a wrong password fails every time.
const saslCutLimit = 2

// errSASLCut is the cause of a start-up check cancelled by the connWatch.
var errSASLCut = errors.New("sasl exchange cut short by the broker")

// connWatch is a franz-go hook on the client the manager builds. During a
// start-up check (watch) it records how the connections it opens fail.
// Brokers answer bad SASL credentials by closing the connection (kfake,
// and real brokers on some paths); franz-go sees only a retryable EOF and
// retries until the check's deadline, then reports a bare EOF. The watch
// stops the check after saslCutLimit such failures and keeps what the
// manager needs to say why.
type connWatch struct {
	mu       sync.Mutex
	cancel   context.CancelCauseFunc // of the check in progress; nil between checks
	saslCuts int                     // SASL requests that failed on the wire
	saslErr  error                   // the last such failure
	apiEOF   bool                    // an ApiVersions response was cut short (TLS expected?)
	dialEOF  bool                    // a dial was cut short (TLS to a plaintext listener?)
	broker   string                  // the broker of the last failure
}

var (
	_ kgo.HookBrokerE2E     = (*connWatch)(nil)
	_ kgo.HookBrokerConnect = (*connWatch)(nil)
)

// OnBrokerE2E implements kgo.HookBrokerE2E: it notes failed ApiVersions and
// SASL requests.
func (w *connWatch) OnBrokerE2E(meta kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key != keySASLHandshake && key != keySASLAuthenticate && key != keyAPIVersions {
		return
	}
	err := e2e.Err()
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel == nil {
		return
	}
	w.broker = brokerAddr(meta)
	if key == keyAPIVersions {
		w.apiEOF = w.apiEOF || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		return
	}
	w.saslCuts++
	w.saslErr = err
	if w.saslCuts >= saslCutLimit {
		w.cancel(errSASLCut)
	}
}

// OnBrokerConnect implements kgo.HookBrokerConnect: it notes a failed dial
// (a TLS handshake refused by either side).
func (w *connWatch) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cancel != nil {
		w.broker = brokerAddr(meta)
		w.dialEOF = w.dialEOF || errors.Is(err, io.EOF)
	}
}

// watch starts recording for one start-up check. It returns ctx, which the
// watch cancels (cause errSASLCut) once SASL has failed saslCutLimit times,
// and end, to call when the check is over (after reading what was seen).
// A nil watch (a client passed with [WithKafkaClient]) watches nothing.
func (w *connWatch) watch(ctx context.Context) (context.Context, func()) {
	if w == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w.mu.Lock()
	w.cancel, w.saslCuts, w.saslErr, w.apiEOF, w.dialEOF, w.broker = cancel, 0, nil, false, false, ""
	w.mu.Unlock()
	return ctx, func() {
		w.mu.Lock()
		w.cancel = nil
		w.mu.Unlock()
		cancel(nil)
	}
}

// seen is what a connWatch recorded during a check.
type seen struct {
	saslCuts int
	saslErr  error
	apiEOF   bool
	dialEOF  bool
	broker   string
}

// seen returns what the current check recorded.
func (w *connWatch) seen() seen {
	if w == nil {
		return seen{}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return seen{saslCuts: w.saslCuts, saslErr: w.saslErr, apiEOF: w.apiEOF, dialEOF: w.dialEOF, broker: w.broker}
}

func brokerAddr(meta kgo.BrokerMetadata) string {
	return net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))
}
