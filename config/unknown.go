package config

import (
	"fmt"
	"slices"
	"strings"
)

// knownPrefixes are the prefixes of the SDK's variables: a variable with one
// of them that the SDK does not read is probably misspelt.
func knownPrefixes() []string { return []string{"METRICS_", "KAFKA_", "SCHEMA_MANAGER_"} }

// knownAliases maps the names other tools give the SDK's settings, which
// users carry over, to the SDK's variable: SCHEMA_REGISTRY_URL is the name
// of Confluent's tools and images. They are reported as the misspelt
// variables are, with their counterpart as the suggestion.
func knownAliases() map[string]string {
	return map[string]string{"SCHEMA_REGISTRY_URL": envRegistryURL}
}

// unknownVar is a variable of environ with a known prefix that FromEnv does
// not read, and the known variable closest to it ("" when none is close).
type unknownVar struct {
	name, suggestion string
}

// note is the warning about v.
func (v unknownVar) note() string {
	if v.suggestion != "" {
		return fmt.Sprintf("%s is not a variable of the metrics SDK and is ignored; did you mean %s?", v.name, v.suggestion)
	}
	return fmt.Sprintf("%s is not a variable of the metrics SDK and is ignored (package config lists them)", v.name)
}

// unknownVars returns, sorted by name, the variables of environ ("NAME=value"
// entries, as from os.Environ) that have a known prefix and a non-empty
// value but that FromEnv does not read, and those of knownAliases.
func unknownVars(environ []string) []unknownVar {
	known := envOrder()
	var out []unknownVar
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if ours, ok := knownAliases()[name]; ok && value != "" {
			out = append(out, unknownVar{name: name, suggestion: ours})
			continue
		}
		i := slices.IndexFunc(knownPrefixes(), func(p string) bool { return strings.HasPrefix(name, p) })
		if value == "" || i < 0 || slices.Contains(known, name) {
			continue
		}
		out = append(out, unknownVar{name: name, suggestion: closestVar(name, knownPrefixes()[i])})
	}
	slices.SortFunc(out, func(a, b unknownVar) int { return strings.Compare(a.name, b.name) })
	return slices.CompactFunc(out, func(a, b unknownVar) bool { return a.name == b.name })
}

// closestVar returns the variable FromEnv reads that is closest to name in
// edit distance, if that distance is at most a third of the length of name
// after its prefix (at least 1); the first in the documented order on a tie.
// The misspelling KAFKA_BOOSTRAP_SERVERS is never suggested.
func closestVar(name, prefix string) string {
	best, bestDist := "", max(1, (len(name)-len(prefix))/3)+1
	for _, k := range envOrder() {
		if k == envBoostrap {
			continue
		}
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// the number of byte insertions, deletions, substitutions and transpositions
// of adjacent bytes that turn a into b.
func editDistance(a, b string) int {
	// rows i-2, i-1 and i of the (len(a)+1) x (len(b)+1) table
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
