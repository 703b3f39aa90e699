package criterion

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/jsonpointer"
)

// JSONPointer is the selector type of RFC 6901 JSON Pointers. Selector Objects and Payload Replacement
// targets use it; a Criterion Object cannot (Arazzo 1.1 lists simple, regex, jsonpath and xpath).
const JSONPointer Kind = "jsonpointer"

// RFC6901 is the only version of jsonpointer the Expression Type Object names.
const RFC6901 = "rfc6901"

// Selector is a compiled selector: the `selector` of an Arazzo 1.1 Selector Object, or the `target` of a
// Payload Replacement Object. It is immutable and safe for concurrent use.
type Selector struct {
	kind    Kind
	version string
	text    string
	what    string // "selector" or "target", for messages

	query    *jsonQuery // jsonpath
	path     []pathStep // jsonpath: the segments of a singular query
	singular bool       // jsonpath: the query selects at most one node
	xpath    *xpathCondition
	warnings []string
}

// CompileSelector compiles the selector of a Selector Object: a JSONPath query (RFC 9535, or the
// Goessner draft through the rewrites in goessner.go), an XPath expression or a JSON Pointer, for the
// version an Expression Type Object names ("" is the type's default). The runner has already
// substituted embedded {$…} expressions. A selector that cannot be evaluated returns a *Problem.
func CompileSelector(kind Kind, version, selector string) (*Selector, error) {
	return compileSelector(kind, version, selector, "selector")
}

// CompileTarget compiles the target of a Payload Replacement Object, which Replace then sets.
func CompileTarget(kind Kind, version, target string) (*Selector, error) {
	return compileSelector(kind, version, target, "target")
}

// CheckSelector validates a selector for `trama validate` without evaluating it, as Check does for a
// condition: a *Problem when it cannot be evaluated, warnings when trama evaluates it with other
// semantics than its version's. Embedded {$…} expressions stand in for values.
func CheckSelector(kind Kind, version, selector string) (warnings []string, err error) {
	return checkSelector(kind, version, selector, "selector")
}

// CheckTarget is CheckSelector for a Payload Replacement target.
func CheckTarget(kind Kind, version, target string) (warnings []string, err error) {
	return checkSelector(kind, version, target, "target")
}

func checkSelector(kind Kind, version, text, what string) ([]string, error) {
	t, restore := placeholderExpressions(text)
	s, err := compileSelector(kind, version, t, what)
	if err != nil {
		return nil, withCondition(err, text, restore)
	}
	return restoreAll(s.warnings, restore), nil
}

func compileSelector(kind Kind, version, text, what string) (*Selector, error) {
	s := &Selector{kind: kind, version: version, text: text, what: what}
	switch kind {
	case JSONPointer:
		if version != "" && version != RFC6901 {
			return nil, &Problem{Kind: kind, Version: version, Condition: text, What: what,
				Message: fmt.Sprintf("unknown jsonpointer version %q: want %s", version, RFC6901)}
		}
		if err := jsonpointer.Validate(text); err != nil {
			msg := fmt.Sprintf("not a JSON Pointer: %v", err)
			if what == "selector" && strings.HasPrefix(text, "$") {
				msg += "; it looks like JSONPath, which needs type jsonpath"
			}
			return nil, &Problem{Kind: kind, Version: version, Condition: text, What: what, Err: err, Message: msg}
		}
	case JSONPath:
		q, warnings, err := compileQuery(version, text, what)
		if err != nil {
			if p, ok := err.(*Problem); ok && what == "selector" && strings.HasPrefix(text, "/") {
				p.Message += "; it looks like a JSON Pointer, which needs type jsonpointer"
			}
			return nil, err
		}
		s.query, s.warnings = q, warnings
		s.path, s.singular = singularPath(q.rfc)
	case XPath:
		x, err := compileXPathAs(version, text, what)
		if err != nil {
			return nil, err
		}
		s.xpath, s.warnings = x, x.warnings
	default:
		return nil, &Problem{Kind: kind, Version: version, Condition: text, What: what,
			Message: fmt.Sprintf("unknown selector type %q: want jsonpath, xpath or jsonpointer", string(kind))}
	}
	return s, nil
}

// Kind is the selector's type.
func (s *Selector) Kind() Kind { return s.kind }

// String is the selector as compiled.
func (s *Selector) String() string { return s.text }

// Select applies the selector to context, the value of the Selector Object's context expression, and
// returns the value it selects. found is false when it selects nothing; an error means the selector
// cannot apply to this context (XML given to jsonpath, JSON given to xpath, a context that is not XML).
//
//   - jsonpath: the context is JSON-like (as Evaluate takes it). A singular query (only name and index
//     segments: `$.user.email`, `$.items[0]`) yields the value of the node it selects; any other query
//     (wildcards, slices, filters, descendants, several selectors) yields the list of the values it
//     selects, in nodelist order, even when that is one value, so the type of the result does not depend
//     on the data. Nothing selected is found=false.
//   - jsonpointer: the value the pointer addresses, found=false when there is none.
//   - xpath: the context is an XML document as text. A number, string or boolean result is that value.
//     Selected nodes are taken in document order; an attribute, a text node or an element with no
//     child elements yields its text, an element with child elements its XML, the root the whole
//     document. For xpath-10 the first node is the value, as XPath 1.0 converts a node-set to a value;
//     for the later versions (the default is xpath-31) a sequence of one node is that node's value and
//     a longer one the list of their values. Nothing selected is found=false.
func (s *Selector) Select(context any) (value any, found bool, err error) {
	switch s.kind {
	case JSONPointer:
		doc, err := jsonDocument(context, s.kind)
		if err != nil {
			return nil, false, err
		}
		return jsonpointer.Get(doc, s.text)
	case JSONPath:
		doc, err := jsonDocument(context, s.kind)
		if err != nil {
			return nil, false, err
		}
		root := buildTree(doc)
		nodes := s.query.selectNodes(root)
		if len(nodes) == 0 {
			return nil, false, nil
		}
		ptrs := locate(root, nodes)
		values := make([]any, len(nodes))
		for i, n := range nodes {
			if p, ok := ptrs[n]; ok {
				values[i], _, _ = jsonpointer.Get(doc, p)
			} else {
				values[i] = computedValue(n) // a JavaScript length: no node of the document
			}
		}
		if s.singular {
			return values[0], true, nil
		}
		return values, true, nil
	case XPath:
		return s.selectXML(context)
	}
	return nil, false, fmt.Errorf("unknown selector type %q", string(s.kind))
}

// jsonDocument turns a selector's context into the JSON value it selects from: []byte and
// json.RawMessage are parsed as JSON text, Go types encoding/json does not produce go through their JSON
// encoding. XML text is refused, naming the selector type that reads it.
func jsonDocument(context any, kind Kind) (any, error) {
	switch v := context.(type) {
	case []byte:
		return decodeJSON(v, kind)
	case json.RawMessage:
		return decodeJSON(v, kind)
	case string:
		if looksLikeXML(v) {
			return nil, fmt.Errorf("the context is XML text, not JSON: a %s cannot apply to it; use an xpath selector", kind)
		}
		return v, nil
	}
	if _, ok := countNodes(context); ok {
		return context, nil
	}
	raw, err := json.Marshal(context)
	if err != nil {
		return nil, fmt.Errorf("%s context of type %T is not JSON: %w", kind, context, err)
	}
	return decodeJSON(raw, kind)
}

func decodeJSON(raw []byte, kind Kind) (any, error) {
	if looksLikeXML(string(raw)) {
		return nil, fmt.Errorf("the context is XML text, not JSON: a %s cannot apply to it; use an xpath selector", kind)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s context is not JSON: %w", kind, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s context is not JSON: data after the first value", kind)
	}
	return v, nil
}

func looksLikeXML(s string) bool {
	return strings.HasPrefix(strings.TrimSpace(s), "<")
}

// buildTree converts a JSON value (one countNodes accepts) to the node tree the JSONPath engine walks.
func buildTree(doc any) *yaml.Node {
	n, _ := countNodes(doc)
	b := nodeBuilder{nodes: make([]yaml.Node, n), children: make([]*yaml.Node, n)}
	return b.build(doc)
}

// locate finds the JSON Pointer of each wanted node of the tree under root. Nodes that are not in the
// tree (a computed JavaScript length) get none.
func locate(root *yaml.Node, wanted []*yaml.Node) map[*yaml.Node]string {
	want := make(map[*yaml.Node]bool, len(wanted))
	for _, n := range wanted {
		want[n] = true
	}
	out := make(map[*yaml.Node]string, len(want))
	var walk func(n *yaml.Node, ptr string)
	walk = func(n *yaml.Node, ptr string) {
		if len(out) == len(want) {
			return
		}
		if want[n] {
			out[n] = ptr
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], ptr+"/"+jsonpointer.Escape(n.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s/%d", ptr, i))
			}
		}
	}
	walk(root, "")
	return out
}

// computedValue is the value of a node the query computed rather than found: a JavaScript length.
func computedValue(n *yaml.Node) any {
	if i, err := strconv.Atoi(n.Value); err == nil {
		return i
	}
	return n.Value
}

// Replace sets value at every location the target selects in payload, the evaluated request body, and
// returns the new payload; payload itself is not modified.
//
//   - jsonpointer: RFC 6901 as jsonpointer.Set applies it: the last token may name a new member, or
//     "-" to append to an array; everything before it must exist.
//   - jsonpath: a singular query is the JSON Pointer of its segments (a negative index counts from the
//     end), so it may name a new member as a pointer may; any other query sets every node it selects,
//     and selecting none is an error, as a target that resolves to nothing cannot take a value.
//   - xpath: the payload is XML text; every selected element gets value as its only content (text),
//     every selected attribute or text node value as its text. Selecting none is an error. value must be
//     text, a number, a boolean or null (empty text).
func (s *Selector) Replace(payload any, value any) (any, error) {
	switch s.kind {
	case JSONPointer:
		return jsonpointer.Set(payload, s.text, value)
	case JSONPath:
		return s.replaceJSON(payload, value)
	case XPath:
		return s.replaceXML(payload, value)
	}
	return nil, fmt.Errorf("unknown target type %q", string(s.kind))
}

func (s *Selector) replaceJSON(payload, value any) (any, error) {
	doc, err := jsonDocument(payload, s.kind)
	if err != nil {
		return nil, fmt.Errorf("jsonpath target %q: %w", s.text, err)
	}
	if s.query.length {
		return nil, fmt.Errorf("jsonpath target %q selects a JavaScript length, which is computed and cannot be set", s.text)
	}
	if s.singular {
		ptr, err := pointerOf(doc, s.path)
		if err != nil {
			return nil, fmt.Errorf("jsonpath target %q: %w", s.text, err)
		}
		return jsonpointer.Set(doc, ptr, value)
	}
	root := buildTree(doc)
	nodes := s.query.selectNodes(root)
	if len(nodes) == 0 {
		return nil, fmt.Errorf("jsonpath target %q selects nothing in the payload", s.text)
	}
	ptrs := locate(root, nodes)
	// Deeper locations first: when a node and one of its descendants are both selected, the node's new
	// value must win, and setting it last keeps the descendant's pointer valid until then.
	list := make([]string, 0, len(ptrs))
	for _, p := range ptrs {
		list = append(list, p)
	}
	sortByDepth(list)
	for _, p := range list {
		if doc, err = jsonpointer.Set(doc, p, value); err != nil {
			return nil, fmt.Errorf("jsonpath target %q: %w", s.text, err)
		}
	}
	return doc, nil
}

// pointerOf turns the segments of a singular query into the JSON Pointer of the location they name in
// doc, resolving negative indexes against the arrays they index. Every segment but the last must exist.
func pointerOf(doc any, path []pathStep) (string, error) {
	var b strings.Builder
	cur := doc
	for i, st := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			if st.isIdx {
				return "", fmt.Errorf("index [%d] applies to an array, not an object", st.index)
			}
			b.WriteString("/" + jsonpointer.Escape(st.name))
			if !last {
				var ok bool
				if cur, ok = c[st.name]; !ok {
					return "", fmt.Errorf("member %q does not exist", st.name)
				}
			}
		case []any:
			if !st.isIdx {
				return "", fmt.Errorf("member %q applies to an object, not an array", st.name)
			}
			idx := st.index
			if idx < 0 {
				idx += len(c)
			}
			if idx < 0 || idx > len(c) || (!last && idx == len(c)) {
				return "", fmt.Errorf("index [%d] is outside an array of %d", st.index, len(c))
			}
			fmt.Fprintf(&b, "/%d", idx)
			if !last {
				cur = c[idx]
			}
		default:
			at := "the payload"
			if b.Len() > 0 {
				at = b.String()
			}
			return "", fmt.Errorf("%s is %s, which has no members or elements", at, typeName(cur))
		}
	}
	return b.String(), nil
}

// sortByDepth orders pointers deepest first, then by text, so the order does not depend on map
// iteration.
func sortByDepth(ptrs []string) {
	slices.SortFunc(ptrs, func(a, b string) int {
		if c := cmp.Compare(strings.Count(b, "/"), strings.Count(a, "/")); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}

// typeName names the JSON type of v for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}
