package eventmanager

import (
	"maps"
	"slices"
)

// shape is what Sasquatch's pipeline needs to know of an event: which of
// its payload fields are InfluxDB tags (Telegraf's avro_tags) and which are
// plain fields, with the type InfluxDB stores each plain field as.
type shape struct {
	tags, fields map[string]bool
	types        map[string]FieldType // of each plain field; "" when unknown
}

// newShape returns the shape of an event whose payload fields are fields,
// those in tags being tags; types gives the type of fields by name (extra
// names are ignored).
func newShape(tags, fields []string, types map[string]FieldType) shape {
	s := shape{tags: map[string]bool{}, fields: map[string]bool{}, types: map[string]FieldType{}}
	for _, t := range tags {
		s.tags[t] = true
	}
	for _, f := range fields {
		if !s.tags[f] {
			s.fields[f] = true
			s.types[f] = types[f]
		}
	}
	return s
}

// conflict is the tag-conflict rule, in one place: Telegraf's avro_tags
// applies to the whole application topic, so a name that is a tag in one
// event and a plain field in another cannot hold. It returns a
// [*TagConflictError] naming event name (of shape sh) and the first other
// event, in name order, it conflicts with; nil when none does. An entry of
// others named name is skipped.
func (sh shape) conflict(name string, others map[string]shape) error {
	for _, other := range slices.Sorted(maps.Keys(others)) {
		if other == name {
			continue
		}
		o := others[other]
		for _, f := range slices.Sorted(maps.Keys(sh.tags)) {
			if o.fields[f] {
				return &TagConflictError{Field: f, TagEvent: name, FieldEvent: other}
			}
		}
		for _, f := range slices.Sorted(maps.Keys(sh.fields)) {
			if o.tags[f] {
				return &TagConflictError{Field: f, TagEvent: other, FieldEvent: name}
			}
		}
	}
	return nil
}

// equal reports whether sh and o have the same tags, and the same plain
// fields of the same types.
func (sh shape) equal(o shape) bool {
	return maps.Equal(sh.tags, o.tags) && maps.Equal(sh.fields, o.fields) && maps.Equal(sh.types, o.types)
}

// typedFields lists the shape's plain fields, sorted, each as name:type (for
// error messages).
func (sh shape) typedFields() []string {
	out := sh.sortedFields()
	for i, f := range out {
		out[i] = f + ":" + string(sh.types[f])
	}
	return out
}

// sortedTags and sortedFields list the shape's names, sorted.
func (sh shape) sortedTags() []string   { return slices.Sorted(maps.Keys(sh.tags)) }
func (sh shape) sortedFields() []string { return slices.Sorted(maps.Keys(sh.fields)) }
