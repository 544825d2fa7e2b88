//go:build safir

package safir_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lsst-sqre/sasquatch-go/internal/testkit"
)

// The Go twins of the payloads in safir_events.py: same event names, field
// names, types, order and docs.

// QueryType is the twin of safir_events.QueryType (a StrEnum).
type QueryType string

// The symbols of QueryType, in Safir's order.
const (
	QueryAsync QueryType = "async"
	QuerySync  QueryType = "sync"
)

// Symbols implements payload.Enum.
func (QueryType) Symbols() []string { return []string{"async", "sync"} }

// QueryEvent is the twin of safir_events.QueryEvent, registered as "query".
type QueryEvent struct {
	Type     QueryType     `doc:"The kind of query"`
	Duration time.Duration `doc:"How long the query took to run"`
}

// RichEvent is the twin of safir_events.RichEvent, registered as "rich".
type RichEvent struct {
	Count   int64
	Ok      bool
	Ratio   float64
	Note    *string
	Elapsed time.Duration
}

// EmptyEvent is the twin of safir_events.EmptyEvent, registered as "empty".
type EmptyEvent struct{}

// The base-model events (RequestBase, APICall, APIError) and the payloads
// of publish.py --base are in internal/testkit, shared with the stack test
// that puts Go's and Safir's events through the same Telegraf.
type (
	RequestBase = testkit.RequestBase
	APICall     = testkit.APICall
	APIError    = testkit.APIError
)

// APICallFlat and APIErrorFlat are APICall and APIError with the base fields
// written out: the golden test checks that embedding changes nothing.
type APICallFlat struct {
	Method   string `influx:"tag"`
	Route    string `influx:"tag"`
	Status   int64
	Duration time.Duration
	Size     *int64
}

// APIErrorFlat is APIError written flat (see APICallFlat).
type APIErrorFlat struct {
	Method  string `influx:"tag"`
	Route   string `influx:"tag"`
	Code    string
	Retried bool
}

const (
	app    = "myapp"
	prefix = "lsst.square.metrics.events"
	topic  = prefix + "." + app
)

// eventNames lists the interop events in registration order, as
// safir_events.EVENTS does; baseEventNames those sharing RequestBase, as
// safir_events.BASE_EVENTS does.
var (
	eventNames     = []string{"query", "rich", "empty"}
	baseEventNames = []string{"api_call", "api_error"}
)

// pythonSafir is one Safir virtualenv to run against.
type pythonSafir struct {
	label  string // "9.3.0" or "15.x", for subtest names
	python string // the venv's interpreter
}

// safirPythons returns the Safir interpreters given by make test-safir,
// skipping t when there is none. Safir 15.x is left out, with a log line,
// when SAFIR15_VENV_PYTHON is empty.
func safirPythons(t testing.TB) []pythonSafir {
	t.Helper()
	out := []pythonSafir{{label: "9.3.0", python: safir9(t)}}
	if py15 := os.Getenv("SAFIR15_VENV_PYTHON"); py15 != "" {
		out = append(out, pythonSafir{label: "15.x", python: py15})
	} else {
		t.Log("SAFIR15_VENV_PYTHON is empty: Safir 15.x cases skipped")
	}
	return out
}

// safir9 returns the Safir 9.3.0 interpreter, skipping t when
// SAFIR_VENV_PYTHON is unset.
func safir9(t testing.TB) string {
	t.Helper()
	py := os.Getenv("SAFIR_VENV_PYTHON")
	if py == "" {
		t.Skip("SAFIR_VENV_PYTHON is not set: run make test-safir")
	}
	return py
}

// repoPath returns path relative to the repository root (two levels up).
func repoPath(path ...string) string {
	return filepath.Join(append([]string{"..", ".."}, path...)...)
}

// readJSON decodes the file at path into v, failing t on error.
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (regenerate with make safir-golden-update)", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// The deterministic payloads publish.py's payloads(name, n) builds; keep them
// in step.

func queryPayloads(n int) []QueryEvent {
	out := make([]QueryEvent, n)
	for i := range out {
		typ := QueryAsync
		if i%2 == 1 {
			typ = QuerySync
		}
		out[i] = QueryEvent{Type: typ, Duration: time.Duration(1500000+1001*i) * time.Microsecond}
	}
	return out
}

func richPayloads(n int) []RichEvent {
	out := make([]RichEvent, n)
	for i := range out {
		var note *string
		if i%3 != 0 {
			s := fmt.Sprintf("n\u00e9%d", i)
			note = &s
		}
		out[i] = RichEvent{
			Count:   int64(i - 1),
			Ok:      i%2 == 0,
			Ratio:   float64(i) / 4,
			Note:    note,
			Elapsed: time.Duration(3897788*i) * time.Microsecond,
		}
	}
	return out
}

func emptyPayloads(n int) []EmptyEvent { return make([]EmptyEvent, n) }

func apiCallPayloads(n int) []APICall   { return testkit.APICallPayloads(n) }
func apiErrorPayloads(n int) []APIError { return testkit.APIErrorPayloads(n) }

// fastavroPCF returns the specification's Parsing Canonical Form of schema as
// fastavro (the Avro library under Safir) computes it.
func fastavroPCF(t testing.TB, python, schema string) string {
	t.Helper()
	const prog = `import json, sys
from fastavro.schema import to_parsing_canonical_form
sys.stdout.write(to_parsing_canonical_form(json.load(sys.stdin)))`
	cmd := exec.CommandContext(t.Context(), python, "-c", prog)
	cmd.Stdin = strings.NewReader(schema)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fastavro PCF: %v\n%s", err, stderr.String())
	}
	return string(out)
}
