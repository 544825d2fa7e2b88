package registrytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// maxBody bounds the request bodies enforce reads, as srfake does.
const maxBody = 1 << 20

// version is one registered Avro version of a subject.
type version struct {
	number int
	text   string
	schema avro.Schema
}

// enforce is the srfake interceptor that adds compatibility enforcement to
// registration and real answers to compatibility checks. It handles (returns
// true for) a request only when it refuses it or answers a check itself;
// everything else goes on to srfake with the body restored.
//
// The check and srfake's registration are not one atomic step: two
// concurrent registrations under one subject may both pass the check. Tests
// do not need more.
func (s *Server) enforce(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	subject, ver, register, ok := route(r.URL.Path)
	if !ok {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var req sr.Schema
	if json.Unmarshal(body, &req) != nil || req.Type != sr.TypeAvro || len(req.References) > 0 {
		return false // srfake answers malformed requests; only Avro without references is checked
	}
	candidate, err := parseAvro(req.Schema)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, 42201, fmt.Sprintf("Invalid schema %s, details: %v", req.Schema, err))
		return true
	}
	history := s.history(subject)
	level := s.effectiveCompatibility(subject)

	if register {
		for _, v := range history {
			if sameJSON(v.text, req.Schema) {
				return false // identical schema: srfake returns its id without a check, as Confluent does
			}
		}
		problems := incompatibilities(level, candidate, history, false)
		if len(problems) == 0 {
			return false
		}
		writeError(w, http.StatusConflict, http.StatusConflict, fmt.Sprintf(
			"Schema being registered is incompatible with an earlier schema for subject %q, details: [%s, {compatibility: '%s'}]",
			subject, strings.Join(problems, ", "), level))
		return true
	}

	// POST /compatibility/subjects/{subject}/versions[/{version}]: like
	// Confluent, a named version is checked alone, "latest" against the
	// latest, and no version against what the level covers.
	targets, explicit := history, ver != ""
	switch {
	case ver == "":
	case ver == "latest" || ver == "-1":
		if len(history) > 0 {
			targets = history[len(history)-1:]
		}
	default:
		n, err := strconv.Atoi(ver)
		if err != nil || n < 1 {
			writeError(w, http.StatusUnprocessableEntity, 42202, fmt.Sprintf("The specified version '%s' is not a valid version id.", ver))
			return true
		}
		if len(history) == 0 {
			writeError(w, http.StatusNotFound, 40401, fmt.Sprintf("Subject '%s' not found.", subject))
			return true
		}
		targets = nil
		for j, v := range history {
			if v.number == n {
				targets = history[j : j+1]
			}
		}
		if targets == nil {
			writeError(w, http.StatusNotFound, 40402, fmt.Sprintf("Version %d not found.", n))
			return true
		}
	}
	problems := incompatibilities(level, candidate, targets, explicit)
	resp := map[string]any{"is_compatible": len(problems) == 0}
	if len(problems) > 0 {
		resp["messages"] = problems
	}
	writeJSON(w, http.StatusOK, resp)
	return true
}

// route recognises the two paths enforce handles:
// /subjects/{subject}/versions (register) and
// /compatibility/subjects/{subject}/versions[/{version}].
func route(path string) (subject, ver string, register, ok bool) {
	p := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(p) == 3 && p[0] == "subjects" && p[2] == "versions":
		return p[1], "", true, true
	case len(p) == 4 && p[0] == "compatibility" && p[1] == "subjects" && p[3] == "versions":
		return p[2], "", false, true
	case len(p) == 5 && p[0] == "compatibility" && p[1] == "subjects" && p[3] == "versions":
		return p[2], p[4], false, true
	}
	return "", "", false, false
}

// history returns the subject's live Avro versions, oldest first. Versions
// that are not parseable Avro are left out.
func (s *Server) history(subject string) []version {
	var numbers []int
	if !s.internal("/subjects/"+url.PathEscape(subject)+"/versions", &numbers) {
		return nil
	}
	var out []version
	for _, n := range numbers {
		ss, ok := s.fake.GetSchema(subject, n)
		if !ok || ss.Type != sr.TypeAvro || len(ss.References) > 0 {
			continue
		}
		sch, err := parseAvro(ss.Schema.Schema)
		if err != nil {
			continue
		}
		out = append(out, version{number: n, text: ss.Schema.Schema, schema: sch})
	}
	return out
}

// incompatibilities checks candidate against olds (oldest first) under
// level and describes each failure; none means compatible. Non-transitive
// levels look at the latest version only, unless all is set (an explicitly
// named version).
func incompatibilities(level sr.CompatibilityLevel, candidate avro.Schema, olds []version, all bool) []string {
	var backward, forward, transitive bool
	switch level {
	case sr.CompatBackward:
		backward = true
	case sr.CompatBackwardTransitive:
		backward, transitive = true, true
	case sr.CompatForward:
		forward = true
	case sr.CompatForwardTransitive:
		forward, transitive = true, true
	case sr.CompatFull:
		backward, forward = true, true
	case sr.CompatFullTransitive:
		backward, forward, transitive = true, true, true
	default: // NONE
		return nil
	}
	if !transitive && !all && len(olds) > 1 {
		olds = olds[len(olds)-1:]
	}
	var problems []string
	for i := len(olds) - 1; i >= 0; i-- {
		old := olds[i]
		// A fresh SchemaCompatibility per check: hamba caches results by
		// the schemas' canonical-form fingerprints, which leave out
		// defaults, so a cached answer for {b int default 0} would be
		// reused for {b int} and vice versa.
		if backward {
			if err := avro.NewSchemaCompatibility().Compatible(candidate, old.schema); err != nil {
				problems = append(problems, fmt.Sprintf(
					"{oldSchemaVersion: %d, direction: 'BACKWARD', description: 'the new schema cannot read data written with version %d: %v'}",
					old.number, old.number, err))
			}
		}
		if forward {
			if err := avro.NewSchemaCompatibility().Compatible(old.schema, candidate); err != nil {
				problems = append(problems, fmt.Sprintf(
					"{oldSchemaVersion: %d, direction: 'FORWARD', description: 'version %d cannot read data written with the new schema: %v'}",
					old.number, old.number, err))
			}
		}
	}
	return problems
}

// parseAvro parses text with its own name cache (hamba's default cache is
// global and would mix the versions' named types).
func parseAvro(text string) (avro.Schema, error) {
	return avro.ParseWithCache(text, "", &avro.SchemaCache{})
}

// sameJSON reports whether a and b are the same JSON document up to
// whitespace and key order, which is how srfake compares schemas.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
