package eventmanager_test

import (
	"time"

	"github.com/google/uuid"
)

// QueryType is the kind of query: an Avro enum.
type QueryType string

const (
	QueryAsync QueryType = "async"
	QuerySync  QueryType = "sync"
)

// Symbols lists the enum's symbols, making QueryType an Avro enum.
func (QueryType) Symbols() []string { return []string{"async", "sync"} }

// QueryEvent is the event of SPEC section 5.
type QueryEvent struct {
	Type     QueryType     `doc:"The kind of query"`
	Duration time.Duration `doc:"How long the query took to run"`
}

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
