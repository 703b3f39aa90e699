package arazzo

import (
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// maxValueNodes bounds how many nodes one raw value may expand to. YAML
// aliases can make a small document expand exponentially ("billion laughs");
// descriptions may come from untrusted places, so expansion stops here.
const maxValueNodes = 1 << 18

// rawValue converts a YAML node into the plain Go value the runner works
// with: map[string]any, []any, string, bool, int, float64 or nil, the shapes
// yaml.v3 produces for `any`, with mapping keys always strings so values
// marshal to JSON.
func rawValue(n *yaml.Node, budget *int) any { return rawValueWith(n, budget, nil) }

// rawValueWith is rawValue for values that may hold objects of their own: a mapping for which object
// returns true becomes what it returns (a *Selector) instead of a map.
func rawValueWith(n *yaml.Node, budget *int, object func(*yaml.Node) (any, bool)) any {
	*budget--
	if n == nil || *budget < 0 {
		return nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return rawValueWith(n.Content[0], budget, object)
	case yaml.AliasNode:
		return rawValueWith(n.Alias, budget, object)
	case yaml.MappingNode:
		if object != nil {
			if v, ok := object(n); ok {
				return v
			}
		}
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			if k == nil {
				continue
			}
			m[k.Value] = rawValueWith(n.Content[i+1], budget, object)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, rawValueWith(c, budget, object))
		}
		return s
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

// scalarValue resolves the common tags directly, because reflection-based
// decoding dominates the cost of large values; unusual spellings (0x1F,
// .inf) go through yaml.v3.
func scalarValue(n *yaml.Node) any {
	switch n.Tag {
	case "!!str", "":
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		switch n.Value {
		case "true":
			return true
		case "false":
			return false
		}
	case "!!int":
		if i, err := strconv.Atoi(n.Value); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	}
	{
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value
		}
		switch v := v.(type) {
		case time.Time:
			// Arazzo values are JSON values; a date stays the text the author
			// wrote.
			return n.Value
		case []byte:
			return string(v)
		case uint64:
			return float64(v)
		case int64:
			return int(v)
		}
		return v
	}
}
