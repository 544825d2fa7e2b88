package config

// The keys of the block that the mode's Safir configuration does not have:
// Kafka mode refuses them, mock and disabled modes ignore them with a note.
// (events refuses its unknown keys in every mode: block.mapping reports those.)

import (
	"fmt"
	"strings"
)

// unknownKey is a key of the block that is no setting of Safir's, and the
// path of the setting whose key is closest, "" when none is near.
type unknownKey struct{ path, suggestion string }

// hint is the suggestion of u as the end of a message.
func (u unknownKey) hint() string {
	if u.suggestion == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %s?", u.suggestion)
}

// rules applies Safir's rules of extra keys for the mode of sw (which must
// be known): Kafka mode refuses the keys its configuration does not have,
// in p; mock and disabled modes ignore them, and rules returns the notes.
func (b *block) rules(sw switches, p *problems) []string {
	mode := Config{Disabled: sw.disabled, Mock: sw.mock}.Mode()
	var notes []string
	if mode == ModeKafka && b.mockPath != "" {
		if note := sw.mockNote(p, true); note != "" {
			p.add(envMock, note, nil)
		} else {
			p.add(envMock, fmt.Sprintf("not allowed in Kafka mode: Safir's Kafka mode configuration refuses keys it does not have, "+
				"and mock is a setting of mock mode (%s=false with %s=true); remove it", p.name(envEnabled), p.name(envMock)), nil)
		}
	}
	for _, u := range b.unknown {
		if mode == ModeKafka {
			p.addAs("", u.path, "not a setting of Safir's metrics configuration: its Kafka mode configuration refuses keys it does not have"+u.hint(), nil)
		} else {
			notes = append(notes, fmt.Sprintf("%s is not a setting of Safir's metrics configuration and is ignored in %s mode, as in Safir%s", u.path, mode, u.hint()))
		}
	}
	return notes
}

// closestKey returns the path of the setting of settings whose key is
// closest to key, as closestVar does for variables, or "".
func closestKey(key, path string, settings []safirSetting) string {
	best, bestDist := "", max(1, len(key)/3)+1
	for _, s := range settings {
		if d := editDistance(strings.ToLower(key), strings.ToLower(s.keys[0])); d < bestDist {
			best, bestDist = joinPath(path, s.keys[0]), d
		}
	}
	return best
}
