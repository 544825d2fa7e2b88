package config

// The block over the environment: each setting the block has replaces its
// variables, once its YAML type is checked; each it leaves out is the
// environment's.

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// block is what overlay learnt of the block that the mode rules need.
type block struct {
	// modeBad is set when enabled or mock has a value of the wrong type.
	modeBad bool
	// mockPath is the path of the block's mock setting, "" without one.
	mockPath string
	// unknown are the keys that are no setting, in the order of the block.
	unknown []unknownKey
}

// overlay writes the block's settings over the environment's in raw, and
// records in p the name of each setting (p.names) and the problems of the
// block's types and keys. It returns nil, with the problem in p, when the
// block is not a mapping.
func (m SafirMetrics) overlay(raw *rawEnv, p *problems) *block {
	n := deref(m.node)
	if n.Kind != yaml.MappingNode {
		p.addAs("", m.path, fmt.Sprintf("is %s, not a mapping of Safir's metrics settings (application, enabled, events, ...)", describe(n, false)), nil)
		return nil
	}
	if p.names == nil {
		p.names = map[string]yamlName{}
	}
	b := &block{}
	b.mapping(n, m.path, safirSettings(), false, raw, p)
	return b
}

// mapping overlays the settings of mapping n, at path, whose settings are
// settings. strict says that Safir refuses other keys there in every mode
// (events); elsewhere rules decides, by the mode.
func (b *block) mapping(n *yaml.Node, path string, settings []safirSetting, strict bool, raw *rawEnv, p *problems) {
	found := make([][]keyValue, len(settings))
	for _, kv := range pairs(n) {
		i := slices.IndexFunc(settings, func(s safirSetting) bool {
			return slices.ContainsFunc(s.keys, func(k string) bool { return strings.EqualFold(k, kv.key.Value) })
		})
		if i < 0 {
			u := unknownKey{path: joinPath(path, kv.key.Value), suggestion: closestKey(kv.key.Value, path, settings)}
			if strict {
				p.addAs("", u.path, fmt.Sprintf("not a setting of Safir's %s configuration, which refuses other keys in every mode%s", path[strings.LastIndex(path, ".")+1:], u.hint()), nil)
			} else {
				b.unknown = append(b.unknown, u)
			}
			continue
		}
		found[i] = append(found[i], kv)
	}
	for i, s := range settings {
		kvs := found[i]
		if len(kvs) == 0 {
			b.absent(s, joinPath(path, s.keys[0]), raw, p)
			continue
		}
		at := joinPath(path, kvs[0].key.Value)
		for _, again := range kvs[1:] {
			b.repeated(s, at, kvs[0].value, joinPath(path, again.key.Value), again.value, p)
		}
		b.set(s, at, kvs[0].value, raw, p)
	}
}

// absent names setting s (and its group's settings), which the block does
// not have, by path; the environment may give it.
func (b *block) absent(s safirSetting, path string, raw *rawEnv, p *problems) {
	for _, sub := range s.sub {
		b.absent(sub, joinPath(path, sub.keys[0]), raw, p)
	}
	if len(s.vars) == 0 {
		return
	}
	fromEnv := slices.ContainsFunc(s.vars, func(v string) bool { return trim(*raw.field(v)) != "" })
	if fromEnv {
		return // named by its variable
	}
	for _, v := range s.vars {
		p.names[v] = yamlName{path: path, env: s.vars[0]}
	}
}

// set overlays setting s, found at path with value n.
func (b *block) set(s safirSetting, path string, n *yaml.Node, raw *rawEnv, p *problems) {
	if s.model == mockModel {
		b.mockPath = path
	}
	for _, v := range s.vars {
		*raw.field(v) = ""
		p.names[v] = yamlName{path: path}
	}
	if s.kind == kindGroup {
		if n.Kind == yaml.MappingNode {
			b.mapping(n, path, s.sub, s.model == everyModel, raw, p)
			return
		}
		names := make([]string, len(s.sub))
		for i, sub := range s.sub {
			names[i] = sub.keys[0]
			b.broken(sub, joinPath(path, sub.keys[0]), raw, p)
		}
		p.addAs(s.sub[0].vars[0], path, fmt.Sprintf("is %s, not a mapping of Safir's %s settings (%s)", describe(n, false), s.keys[0], strings.Join(names, ", ")), nil)
		return
	}
	scalar := n.Kind == yaml.ScalarNode
	tag := n.ShortTag()
	null := scalar && tag == "!!null"
	var ok bool
	switch s.kind {
	case kindString:
		ok = scalar && tag == "!!str"
	case kindOptional:
		ok = scalar && (tag == "!!str" || null)
	case kindBool:
		ok = scalar && !null // parseBool checks the value
	case kindDuration:
		ok = scalar && !null && tag != "!!bool" // parseDuration checks the value
	}
	if ok {
		if !null {
			*raw.field(s.vars[0]) = n.Value
		}
		return
	}
	want := map[settingKind]string{kindString: "a string", kindOptional: "a string", kindBool: "a boolean", kindDuration: "a duration"}[s.kind]
	reason := fmt.Sprintf("is %s, not %s", describe(n, s.secret), want)
	if scalar && !null && want == "a string" {
		reason += " (quote it)"
	}
	p.add(s.vars[0], reason, nil)
	b.broken(s, path, raw, p)
}

// broken marks setting s, at path, as having a value of the wrong type: it
// is unset, the environment does not give it, and no other problem is
// reported for it.
func (b *block) broken(s safirSetting, path string, raw *rawEnv, p *problems) {
	if s.kind == kindBool {
		b.modeBad = b.modeBad || slices.Contains(s.vars, envEnabled) || slices.Contains(s.vars, envMock)
	}
	for _, v := range s.vars {
		*raw.field(v) = ""
		p.names[v] = yamlName{path: path, bad: true}
	}
}

// repeated reports setting s given twice: at first with value n, and again
// at path with value again. The same value twice is allowed, as for an
// alias and its variable in FromEnv.
func (b *block) repeated(s safirSetting, first string, n *yaml.Node, path string, again *yaml.Node, p *problems) {
	rank := ""
	if len(s.vars) > 0 {
		rank = s.vars[0]
	} else if len(s.sub) > 0 {
		rank = s.sub[0].vars[0]
	}
	switch {
	case s.kind == kindGroup:
		p.addAs(rank, path, fmt.Sprintf("repeats %s (set only one)", first), nil)
	case sameValue(s, n, again):
	case s.secret:
		p.addAs(rank, path, fmt.Sprintf("differs from %s (set only one)", first), nil)
	default:
		p.addAs(rank, path, fmt.Sprintf("%s differs from %s %s (set only one)", describeValue(again), first, describeValue(n)), nil)
	}
}

// sameValue reports whether scalars a and b are the same value of setting
// s: the same text and type, or for a boolean the same truth (no and false).
func sameValue(s safirSetting, a, b *yaml.Node) bool {
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode {
		return false
	}
	if s.kind == kindBool {
		var scratch problems
		av, aSet, aOK := parseBool("", a.Value, &scratch)
		bv, bSet, bOK := parseBool("", b.Value, &scratch)
		return aOK && bOK && aSet && bSet && av == bv
	}
	return a.ShortTag() == b.ShortTag() && a.Value == b.Value
}
