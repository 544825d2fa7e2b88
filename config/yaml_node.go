package config

// Reading YAML nodes: mappings with aliases and merge keys, and values as
// messages name them.

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// keyValue is one entry of a YAML mapping.
type keyValue struct{ key, value *yaml.Node }

// pairs returns the entries of mapping n, aliases resolved; the entries of
// the mappings merged in with "<<" come after n's own, and only for keys
// that n does not have.
func pairs(n *yaml.Node) []keyValue {
	var own, merged []keyValue
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			sources := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				sources = v.Content
			}
			for _, s := range sources {
				if s = deref(s); s.Kind == yaml.MappingNode {
					merged = append(merged, pairs(s)...)
				}
			}
			continue
		}
		own = append(own, keyValue{k, v})
	}
	for _, kv := range merged {
		if !slices.ContainsFunc(own, func(o keyValue) bool { return o.key.Value == kv.key.Value }) {
			own = append(own, kv)
		}
	}
	return own
}

// deref follows YAML aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe says what YAML value n is, for a message ("a number (9092)",
// "a mapping", "null"); secret leaves out a scalar's value.
func describe(n *yaml.Node, secret bool) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.ShortTag() == "!!null":
		return "null"
	}
	kind := map[string]string{"!!int": "a number", "!!float": "a number", "!!bool": "a boolean", "!!str": "a string", "!!timestamp": "a date"}[n.ShortTag()]
	if kind == "" {
		kind = "a " + strings.TrimPrefix(n.ShortTag(), "!!") + " value"
	}
	if secret {
		return kind
	}
	return fmt.Sprintf("%s (%s)", kind, n.Value)
}

// describeValue quotes scalar n, or says what it is.
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return describe(n, false)
}

// joinPath appends key to the YAML path path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
