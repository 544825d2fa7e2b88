package testkit

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/linkedin/goavro/v2"
)

// Decode decodes one Confluent-framed Avro value (0x00, a 4-byte schema id,
// the body) with goavro, an implementation independent of the SDK's,
// against the schema the registry at registryURL holds under that id. It
// returns the schema id and the record; union branches are unwrapped
// ({"long": 3} becomes 3). It fails the test on a bad frame, an unknown id,
// or a body that does not decode exactly.
func Decode(t testing.TB, registryURL string, value []byte) (schemaID int, record map[string]any) {
	t.Helper()
	if len(value) < 5 || value[0] != 0 {
		t.Fatalf("value %x lacks the Confluent frame", value)
	}
	id := binary.BigEndian.Uint32(value[1:5])
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(fmt.Sprintf("%s/schemas/ids/%d", registryURL, id))
	if err != nil {
		t.Fatalf("schema %d: %v", id, err)
	}
	defer resp.Body.Close()
	var body struct {
		Schema string `json:"schema"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("schema %d: status %d, %v", id, resp.StatusCode, err)
	}
	codec, err := goavro.NewCodec(body.Schema)
	if err != nil {
		t.Fatalf("goavro cannot parse schema %d: %v", id, err)
	}
	native, rest, err := codec.NativeFromBinary(value[5:])
	if err != nil || len(rest) != 0 {
		t.Fatalf("goavro decode with schema %d: %v (%d bytes left)", id, err, len(rest))
	}
	rec := native.(map[string]any)
	for k, v := range rec {
		if u, ok := v.(map[string]any); ok && len(u) == 1 {
			for _, inner := range u {
				rec[k] = inner
			}
		}
	}
	return int(id), rec
}
