package envfile

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.env")
	if err := os.WriteFile(good, []byte("# pinned\n\nKAFKA_VERSION=4.1.1\n  URL=http://h:1/a=b  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Read(good)
	if want := map[string]string{"KAFKA_VERSION": "4.1.1", "URL": "http://h:1/a=b"}; err != nil || !maps.Equal(got, want) {
		t.Errorf("Read = %v, %v; want %v", got, err, want)
	}
	bad := filepath.Join(dir, "bad.env")
	if err := os.WriteFile(bad, []byte("A=1\nnot an assignment\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bad); err == nil || !strings.Contains(err.Error(), `malformed line "not an assignment"`) {
		t.Errorf("Read(bad) = %v, want the malformed line named", err)
	}
	if _, err := Read(filepath.Join(dir, "missing.env")); err == nil {
		t.Error("Read(missing) = nil error")
	}
}
