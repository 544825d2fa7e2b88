package testkit

import "time"

// QueryType is the kind of query of SPEC section 5: an Avro enum (a string
// type with a Symbols method) with the symbols "async" and "sync".
type QueryType string

// The QueryType symbols, in the order of the Avro enum.
const (
	QueryAsync QueryType = "async"
	QuerySync  QueryType = "sync"
)

// Symbols lists QueryType's symbols, making it an Avro enum
// (payload.Enum).
func (QueryType) Symbols() []string { return []string{string(QueryAsync), string(QuerySync)} }

// QueryEvent is the event of SPEC section 5, the payload of the golden
// vector: its Avro record has the fields type (enum QueryType) and duration
// (double seconds), each with its doc.
type QueryEvent struct {
	Type     QueryType     `doc:"The kind of query"`
	Duration time.Duration `doc:"How long the query took to run"`
}
