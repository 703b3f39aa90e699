package asyncapi

import (
	"maps"
	"slices"
	"strings"

	"github.com/trama-dev/trama/internal/yamlnode"
	"gopkg.in/yaml.v3"
)

// dataKeywords hold instances, not schemas: a "$ref" under them is data.
var dataKeywords = map[string]bool{"example": true, "examples": true, "const": true, "default": true, "enum": true}

// nameMaps are keywords whose value maps names to schemas: their own keys are
// names (a property may be called "$ref" or "example"), their values schemas.
var nameMaps = map[string]bool{
	"properties": true, "patternProperties": true, "definitions": true, "$defs": true, "dependentSchemas": true,
}

// expander turns schema nodes into Go values, following local $refs.
type expander struct {
	l *loader
	// active are the $refs being expanded, outermost first: one met again is
	// left in place, which is what makes recursive schemas finite.
	active []string
	// base and steps are where the node being converted is: steps below base.
	// They are kept as a stack, not a loc per value, because building a
	// location for every value of a large schema cost more than converting it,
	// and only an error needs one.
	base  loc
	steps []step
}

// step is a mapping key (idx -1) or a list index.
type step struct {
	key string
	idx int
}

func (e *expander) push(key string, idx int) { e.steps = append(e.steps, step{key, idx}) }
func (e *expander) pop()                     { e.steps = e.steps[:len(e.steps)-1] }

// where is the location of the node being converted.
func (e *expander) where() loc {
	w := e.base
	for _, s := range e.steps {
		if s.idx >= 0 {
			w = w.item(s.idx)
		} else {
			w = w.at(s.key)
		}
	}
	return w
}

// schema converts the schema n. depth counts nesting, $refs included.
func (e *expander) schema(n *yaml.Node, depth int) (any, error) {
	r, err := e.enter(n, depth)
	if err != nil {
		return nil, err
	}
	switch r.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(r.Content))
		for i, c := range r.Content {
			e.push("", i)
			out[i], err = e.schema(c, depth+1)
			if err != nil {
				return nil, err
			}
			e.pop()
		}
		return out, nil
	case yaml.MappingNode:
	default:
		return scalar(r), nil
	}
	o, err := e.l.object(r, e.base)
	if err != nil {
		return nil, e.wrapObject(r)
	}
	ref, isRef, _ := refOf(r, nil)
	var base map[string]any
	if isRef {
		if slices.Contains(e.active, ref) {
			// Recursion: keep the reference as written.
			return e.data(r, depth)
		}
		target, tw, err := e.l.lookup(ref, r, e.where())
		if err != nil {
			return nil, err
		}
		savedBase, savedSteps := e.base, e.steps
		e.base, e.steps = tw, nil
		e.active = append(e.active, ref)
		v, err := e.schema(target, depth+1)
		e.active = e.active[:len(e.active)-1]
		e.base, e.steps = savedBase, savedSteps
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok || len(o.fields) == 1 {
			return v, nil // nothing to lay over it, or not an object to lay keys on
		}
		base = maps.Clone(m)
	}
	out := base
	if out == nil {
		out = make(map[string]any, len(o.fields))
	}
	for _, f := range o.fields {
		if isRef && f.Key == "$ref" {
			continue
		}
		e.push(f.Key, -1)
		var v any
		switch {
		case dataKeywords[f.Key] || strings.HasPrefix(f.Key, "x-"):
			v, err = e.data(f.Value, depth+1)
		case nameMaps[f.Key]:
			v, err = e.names(f.Value, depth+1)
		default:
			v, err = e.schema(f.Value, depth+1)
		}
		if err != nil {
			return nil, err
		}
		e.pop()
		out[f.Key] = v
	}
	return out, nil
}

// names converts a mapping of names to schemas ("properties").
func (e *expander) names(n *yaml.Node, depth int) (any, error) {
	r, err := e.enter(n, depth)
	if err != nil {
		return nil, err
	}
	if r.Kind != yaml.MappingNode {
		return e.data(r, depth)
	}
	return e.mapping(r, depth, e.schema)
}

// mapping converts the mapping r member by member with convert, keeping the path for errors.
func (e *expander) mapping(r *yaml.Node, depth int, convert func(*yaml.Node, int) (any, error)) (any, error) {
	o, err := e.l.object(r, nil)
	if err != nil {
		return nil, e.wrapObject(r)
	}
	out := make(map[string]any, len(o.fields))
	for _, f := range o.fields {
		e.push(f.Key, -1)
		if out[f.Key], err = convert(f.Value, depth+1); err != nil {
			return nil, err
		}
		e.pop()
	}
	return out, nil
}

// data converts n as plain data: no $ref is followed.
func (e *expander) data(n *yaml.Node, depth int) (any, error) {
	r, err := e.enter(n, depth)
	if err != nil {
		return nil, err
	}
	switch r.Kind {
	case yaml.SequenceNode:
		out := make([]any, len(r.Content))
		for i, c := range r.Content {
			e.push("", i)
			if out[i], err = e.data(c, depth+1); err != nil {
				return nil, err
			}
			e.pop()
		}
		return out, nil
	case yaml.MappingNode:
		return e.mapping(r, depth, e.data)
	}
	return scalar(r), nil
}

// wrapObject redoes the failed l.object(r) with the location, which the
// fast path does not build.
func (e *expander) wrapObject(r *yaml.Node) error {
	_, err := e.l.object(r, e.where())
	return err
}

// enter resolves aliases and charges one value against the limits.
func (e *expander) enter(n *yaml.Node, depth int) (*yaml.Node, error) {
	r := yamlnode.Resolve(n)
	if r == nil {
		return nil, errAt(n, e.where(), "an alias chain too long to follow")
	}
	if depth > maxDepth {
		return nil, errAt(r, e.where(), "nested more than %d levels deep", maxDepth)
	}
	if e.l.values--; e.l.values < 0 {
		return nil, errAt(r, e.where(), "schemas expand to more than %d values: too many aliases or $refs repeat them", maxValues)
	}
	return r, nil
}

// scalar decodes a scalar as yaml.v3 would into an any, except that
// timestamps stay strings, as JSON has no timestamps, and anything yaml.v3
// cannot decode (an integer too large, an unknown tag) stays as written.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err == nil {
			return v
		}
	}
	return n.Value
}
