package arazzo

import (
	"maps"
	"slices"
	"strings"
)

// InputNames returns the input names w's inputs schema declares, sorted, and whether the list is closed:
// the schema lists its properties itself (directly or through #/components/inputs), composes no other
// schema and does not allow additional properties. Only a closed list lets a caller call a name outside
// it a typo; an open one is still what to offer for completion.
func (d *Document) InputNames(w *Workflow) (names []string, closed bool) {
	if w == nil {
		return nil, false
	}
	m, complete := inputSchema(d, w.Inputs)
	props, _ := m["properties"].(map[string]any)
	if len(props) == 0 {
		return nil, false
	}
	ap, hasAP := m["additionalProperties"]
	return slices.Sorted(maps.Keys(props)), complete && (!hasAP || ap == false)
}

// inputProperties returns the property names a workflow input schema declares, and whether the list is
// complete enough to flag unknown inputs: schemas that compose others (allOf, $ref outside components,
// patterns) are not second-guessed.
func inputProperties(doc *Document, schema any) (map[string]bool, bool) {
	m, complete := inputSchema(doc, schema)
	props, ok := m["properties"].(map[string]any)
	if !complete || !ok {
		return nil, false
	}
	out := make(map[string]bool, len(props))
	for k := range props {
		out[k] = true
	}
	return out, true
}

// inputSchema follows an inputs schema's $refs into #/components/inputs and returns the schema that
// lists properties, and whether it lists all of them (it composes no other schema).
func inputSchema(doc *Document, schema any) (map[string]any, bool) {
	m, ok := schema.(map[string]any)
	for depth := 0; ok && depth < 8; depth++ {
		ref, isRef := m["$ref"].(string)
		if !isRef {
			break
		}
		name, found := strings.CutPrefix(ref, "#/components/inputs/")
		if !found || doc == nil || doc.Components == nil {
			return nil, false
		}
		m, ok = doc.Components.Inputs[name].(map[string]any)
	}
	if !ok {
		return nil, false
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf", "patternProperties", "$ref", "if", "dependentSchemas"} {
		if _, has := m[k]; has {
			return m, false
		}
	}
	return m, true
}
