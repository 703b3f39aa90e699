package arazzo

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Selector is a Selector Object (Arazzo 1.1): a JSONPath, XPath or JSON Pointer selector applied to the
// value of a runtime expression. It stands for a value wherever 1.1 allows one: a step's or workflow's
// output, a parameter value, a request body payload (at any depth) and a replacement value. In the raw
// values of Parameter.Value, RequestBody.Payload and PayloadReplacement.Value it appears as a
// *Selector in place of the mapping that wrote it.
type Selector struct {
	located
	// Context is the runtime expression whose value the selector applies to, e.g. $response.body.
	Context string
	// Selector is the JSONPath query, XPath expression or JSON Pointer as written; it may embed {$…}
	// runtime expressions.
	Selector string
	// Type is "jsonpath", "xpath" or "jsonpointer", written as a string or as an Expression Type Object.
	Type string
	// Version is the version of an Expression Type Object, empty for the type's default (rfc9535,
	// xpath-31, rfc6901). Its position is Pos("type.version").
	Version    string
	Extensions map[string]any
}

// String describes the selector for messages: `jsonpath selector "$.a" on $response.body`.
func (s *Selector) String() string {
	typ := s.Type
	if s.Version != "" {
		typ += " (" + s.Version + ")"
	}
	return fmt.Sprintf("%s selector %q on %s", typ, s.Selector, s.Context)
}

// selectorFields are the fields of a Selector Object.
var selectorFields = []string{"context", "selector", "type"}

// isSelectorNode reports whether a mapping inside a value (a parameter value, a payload, a replacement
// value) is a Selector Object rather than a literal object. Arazzo 1.1 lets these values be "Any" or a
// Selector Object without saying how to tell them apart; trama takes a mapping whose fields are exactly
// context, selector and type (specification extensions aside) for a Selector Object. A literal object of
// that shape can still be sent by writing the payload as JSON text.
func isSelectorNode(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolveAlias(n.Content[i])
		if k == nil || strings.HasPrefix(k.Value, "x-") {
			continue
		}
		if !slices.Contains(selectorFields, k.Value) {
			return false
		}
		seen[k.Value] = true
	}
	return len(seen) == len(selectorFields)
}

// OutputText is the definition of an output for messages: its runtime expression, or its Selector
// Object described (`jsonpath selector "$.a" on $response.body`).
func OutputText(v any) string {
	if s, ok := v.(*Selector); ok {
		return s.String()
	}
	s, _ := v.(string)
	return s
}
