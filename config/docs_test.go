package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDocsListEveryVariable keeps docs/configuration.md in step with the one
// list of variables FromEnv reads (envOrder): every variable is documented,
// and the table names no variable the SDK does not read.
func TestDocsListEveryVariable(t *testing.T) {
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, name := range envOrder() {
		if !strings.Contains(text, "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document %s", name)
		}
	}
	known := envOrder()
	names := regexp.MustCompile("`((?:METRICS|KAFKA|SCHEMA_MANAGER)_[A-Z_]+)`")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		for _, m := range names.FindAllStringSubmatch(line, -1) {
			if !slices.Contains(known, m[1]) {
				t.Errorf("docs/configuration.md's table names %s, which config does not read", m[1])
			}
		}
	}
}
