package payload

import "github.com/google/uuid"

// Metadata holds the fields the SDK adds to every event, in front of the
// payload's fields.
type Metadata struct {
	// ID is written as its canonical 36-character string (Avro string, logicalType uuid).
	ID uuid.UUID
	// Application is the application name (Avro string).
	Application string
	// TimestampNS is the event time in unix nanoseconds (Avro long
	// timestamp_ns); the timestamp field (timestamp-millis) is
	// floor(TimestampNS / 1e6).
	TimestampNS int64
}

// isMetadataName reports whether name is one of the fields the SDK adds.
func isMetadataName(name string) bool {
	switch name {
	case "id", "application", "timestamp", "timestamp_ns":
		return true
	}
	return false
}

// metadataFieldsJSON is the schema of the metadata fields, in wire order.
const metadataFieldsJSON = `{"name":"id","type":{"type":"string","logicalType":"uuid"}},` +
	`{"name":"application","type":"string"},` +
	`{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},` +
	`{"name":"timestamp_ns","type":"long"}`
