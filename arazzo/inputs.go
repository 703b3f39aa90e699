package arazzo

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
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

// InputUsedOnlyIn reports whether w refers to input name at least once, and only inside parameters
// that only accepts (given the step and the effective parameter, Reusable Objects resolved). Every
// string written in the workflow counts: parameters, request bodies, criteria, actions and outputs. A
// workflow-level parameter counts as inside only when only accepts it for every step.
//
// trama uses it to tell that an input exists just to build a header a credential replaces (Okta's
// catalog asks for oktaApiToken only to write `Authorization: SSWS …`), so it need not be given.
func (d *Document) InputUsedOnlyIn(w *Workflow, name string, only func(s *Step, p *Parameter) bool) bool {
	ref := regexp.MustCompile(`\$inputs\.` + regexp.QuoteMeta(name) + `(?:[^A-Za-z0-9_.\-]|$)`)
	accepted := map[*yaml.Node]bool{}
	for _, s := range w.Steps {
		params, err := d.StepParameters(w, s)
		if err != nil {
			return false
		}
		for _, p := range params {
			if p.node == nil {
				continue
			}
			ok := only(s, p)
			if prev, seen := accepted[p.node]; seen {
				ok = ok && prev
			}
			accepted[p.node] = ok
		}
	}
	inside := 0
	for _, s := range w.Steps {
		params, _ := d.StepParameters(w, s)
		for _, p := range params {
			if accepted[p.node] {
				inside += countRefs(p.Value, ref)
			}
		}
	}
	if inside == 0 {
		return false
	}
	skip := map[*yaml.Node]bool{}
	for n, ok := range accepted {
		if ok {
			skip[n] = true
		}
	}
	return !refersOutside(w.node, ref, skip, maxValueNodes)
}

// countRefs counts the strings in a raw value that match ref.
func countRefs(v any, ref *regexp.Regexp) int {
	switch v := v.(type) {
	case string:
		return len(ref.FindAllStringIndex(v, -1))
	case *Selector:
		return countRefs(v.Context, ref) + countRefs(v.Selector, ref)
	case map[string]any:
		n := 0
		for _, x := range v {
			n += countRefs(x, ref)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += countRefs(x, ref)
		}
		return n
	}
	return 0
}

// refersOutside reports whether a scalar under n, outside the skipped subtrees, matches ref. Keys
// count too: a reference in a key is still a reference.
func refersOutside(n *yaml.Node, ref *regexp.Regexp, skip map[*yaml.Node]bool, budget int) bool {
	stack := []*yaml.Node{n}
	for len(stack) > 0 && budget > 0 {
		budget--
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || skip[n] {
			continue
		}
		if n.Kind == yaml.ScalarNode && ref.MatchString(n.Value) {
			return true
		}
		if n.Kind == yaml.AliasNode {
			stack = append(stack, n.Alias)
			continue
		}
		stack = append(stack, n.Content...)
	}
	// A workflow too large to walk is not second-guessed: treat the input as used elsewhere.
	return budget <= 0
}
