package httpmetrics_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's snippet is Example's code: each of its lines is a line of
// example_test.go, so that what users copy compiles and runs.
func TestReadmeSnippetIsExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n**HTTP middleware**")
	if !ok {
		t.Fatal("README.md has no paragraph **HTTP middleware**")
	}
	_, code, ok := strings.Cut(section, "```go\n")
	code, _, closed := strings.Cut(code, "```")
	if !ok || !closed {
		t.Fatal("README.md's HTTP middleware paragraph has no go block")
	}
	have := map[string]bool{}
	for l := range strings.Lines(string(example)) {
		have[strings.TrimSpace(l)] = true
	}
	n := 0
	for l := range strings.Lines(code) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "import ") {
			continue
		}
		n++
		if !have[l] {
			t.Errorf("README line %q is not in example_test.go", l)
		}
	}
	if n < 4 {
		t.Errorf("README snippet has %d lines of code, want the Example's", n)
	}
}
