// Package othertypes holds test types that must live in another package: an
// enum whose Go name clashes with one in the payload tests.
package othertypes

// QueryType has the same name as the golden test's enum but other symbols.
type QueryType string

// Symbols implements payload.Enum.
func (QueryType) Symbols() []string { return []string{"batch", "stream"} }
