package eventmanager_test

import (
	"time"

	"github.com/google/uuid"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// The event of SPEC section 5, defined once for every package's tests in
// internal/testkit. The aliases keep this package's many call sites, and
// its Examples as godoc shows them, short.
type (
	QueryType  = testkit.QueryType
	QueryEvent = testkit.QueryEvent
)

// The QueryType symbols.
const (
	QueryAsync = testkit.QueryAsync
	QuerySync  = testkit.QuerySync
)

// LoginEvent exercises the other supported types.
type LoginEvent struct {
	Username  string
	Attempts  int
	Success   bool
	Score     float64
	Ratio     float32
	Small     uint16
	Client    *string `doc:"client id, when known"`
	Retries   *int64
	SessionID uuid.UUID
	Kind      *QueryType
	Elapsed   time.Duration
	Renamed   string `avro:"custom_name"`
	//lint:ignore U1000 unexported fields are skipped: this one shows it
	ignored string
	Skipped string `avro:"-"`
}

type NestedEvent struct {
	Name  string
	Inner struct{ A int }
	Tags  map[string]string
	When  time.Time
}

type EmptyEvent struct{}
