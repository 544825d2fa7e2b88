package payload_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hamba/avro/v2"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
	"github.com/lsst-sqre/sasquatch-go/payload"
)

const (
	goldenNamespace = "lsst.square.metrics.events.myapp"
	goldenHex       = "000000002a4831323334353637382d313233342d343637382d393233342d3536373831323334353637380a6d79617070f6a1abfef962aab4aed8c7bfce972f02000000000000f83f"
)

func goldenMetadata() *payload.Metadata {
	return &payload.Metadata{
		ID:          uuid.MustParse("12345678-1234-4678-9234-567812345678"),
		Application: "myapp",
		TimestampNS: 1700000000123456789,
	}
}

func newQueryCodec(t testing.TB) *payload.Codec[testkit.QueryEvent] {
	t.Helper()
	c, err := payload.NewCodec[testkit.QueryEvent]("query", goldenNamespace)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func TestGoldenValue(t *testing.T) {
	t.Parallel()
	c := newQueryCodec(t)
	want, err := hex.DecodeString(goldenHex)
	if err != nil {
		t.Fatal(err)
	}
	v := testkit.QueryEvent{Type: testkit.QuerySync, Duration: 1500 * time.Millisecond}
	got, err := c.Encode(42, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode:\n got %x\nwant %x", got, want)
	}
	prefix := []byte("prefix")
	appended, err := c.Append(prefix, 42, goldenMetadata(), &v)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if !bytes.Equal(appended[:len(prefix)], prefix) || !bytes.Equal(appended[len(prefix):], want) {
		t.Errorf("Append:\n got %x\nwant %x%x", appended, prefix, want)
	}
}

func TestGoldenSchema(t *testing.T) {
	t.Parallel()
	c := newQueryCodec(t)
	raw, err := os.ReadFile("../testdata/query.avsc")
	if err != nil {
		t.Fatal(err)
	}
	want, err := avro.ParseBytesWithCache(raw, "", &avro.SchemaCache{})
	if err != nil {
		t.Fatalf("parse query.avsc: %v", err)
	}
	if got, w := c.Schema().String(), want.String(); got != w {
		t.Errorf("canonical form:\n got %s\nwant %s", got, w)
	}
	if c.Schema().Fingerprint() != want.Fingerprint() {
		t.Error("fingerprints differ")
	}
	// Parsing Canonical Form drops docs and unknown logicalTypes: compare
	// the JSON documents too.
	var gotDoc, wantDoc any
	if err := json.Unmarshal([]byte(c.SchemaJSON()), &gotDoc); err != nil {
		t.Fatalf("SchemaJSON is not JSON: %v", err)
	}
	if err := json.Unmarshal(raw, &wantDoc); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotDoc, wantDoc) {
		t.Errorf("SchemaJSON:\n got %s\nwant %s", c.SchemaJSON(), raw)
	}
	if got, want := c.FullName(), goldenNamespace+".query"; got != want {
		t.Errorf("FullName = %q, want %q", got, want)
	}
	if c.Name() != "query" || c.Namespace() != goldenNamespace {
		t.Errorf("Name, Namespace = %q, %q", c.Name(), c.Namespace())
	}
}
