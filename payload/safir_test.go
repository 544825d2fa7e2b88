package payload_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

// RichEvent mirrors the "rich" event of the Safir interop vectors.
type RichEvent struct {
	Count   int64
	OK      bool
	Ratio   float64
	Note    *string
	Elapsed time.Duration
}

// safirVector is one file of ../testdata/safir: what Safir's own publish path
// produced for an event.
type safirVector struct {
	Event       string `json:"event"`
	Topic       string `json:"topic"`
	SchemaID    uint32 `json:"schema_id"`
	Schema      string `json:"schema"`
	ID          string `json:"id"`
	TimestampNS int64  `json:"timestamp_ns"`
	ValueHex    string `json:"value_hex"`
}

func readSafirVector(t *testing.T, name string) safirVector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "safir", name))
	if err != nil {
		t.Fatal(err)
	}
	var v safirVector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// checkSafir encodes value with a codec for the vector's event and compares
// the bytes and the schema's canonical form with what Safir produced.
func checkSafir[T any](t *testing.T, file string, value T) {
	t.Helper()
	vec := readSafirVector(t, file)
	c, err := payload.NewCodec[T](vec.Event, vec.Topic)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	safirSchema, err := avro.ParseWithCache(vec.Schema, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse Safir's schema: %v", err)
	}
	// hamba's canonical form keeps logicalTypes; the vector's
	// schema_canonical (from Python) is strict Parsing Canonical Form, which
	// drops them. Compare hamba with hamba.
	if got, want := c.Schema().String(), safirSchema.String(); got != want {
		t.Errorf("canonical form:\n got %s\nwant %s", got, want)
	}
	md := &payload.Metadata{ID: uuid.MustParse(vec.ID), Application: "myapp", TimestampNS: vec.TimestampNS}
	got, err := c.Encode(vec.SchemaID, md, &value)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	want, err := hex.DecodeString(vec.ValueHex)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("value:\n got %x\nwant %x", got, want)
	}
}

// TestSafirVectors: byte-for-byte equality with values Safir published.
func TestSafirVectors(t *testing.T) {
	t.Parallel()
	t.Run("query", func(t *testing.T) {
		checkSafir(t, "query.json", testkit.QueryEvent{Type: testkit.QuerySync, Duration: 1500 * time.Millisecond})
	})
	t.Run("rich", func(t *testing.T) {
		checkSafir(t, "rich.json", RichEvent{Count: -1234567890123, OK: true, Ratio: 0.1, Note: ptr("héllo"), Elapsed: 3897788 * time.Microsecond})
	})
	t.Run("rich with null", func(t *testing.T) {
		checkSafir(t, "rich_null.json", RichEvent{Ratio: -2.5})
	})
	t.Run("empty", func(t *testing.T) {
		type empty struct{}
		checkSafir(t, "empty.json", empty{})
	})
}
