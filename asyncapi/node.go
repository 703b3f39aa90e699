package asyncapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/internal/suggest"
	"github.com/trama-dev/trama/internal/yamlnode"
	"github.com/trama-dev/trama/jsonpointer"
	"gopkg.in/yaml.v3"
)

// Limits on what one description may make Load do; see the package comment.
const (
	maxDepth  = 200     // nesting of a schema, counting the $refs followed into it
	maxValues = 200_000 // values produced while expanding schemas
	maxRefs   = 10_000  // $refs followed
	maxHops   = 32      // $refs in one chain ($ref to a $ref to …)
)

// parse reads data as JSON when it is JSON and as YAML otherwise, and returns
// the top-level node. JSON gets its own reader because yaml.v3 rejects some
// valid JSON (escaped surrogate pairs such as "\ud83d\ude00").
func parse(data []byte) (*yaml.Node, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("empty description")
	}
	if trimmed[0] == '{' && json.Valid(data) {
		return jsonNode(data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		err = yamlnode.Syntax(data, err)
		if se, ok := err.(*yamlnode.SyntaxError); ok && se.Pos.IsValid() {
			return nil, fmt.Errorf("not valid YAML or JSON: line %d, column %d: %s", se.Pos.Line, se.Pos.Col, se.Msg)
		}
		return nil, fmt.Errorf("not valid YAML or JSON: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty description")
	}
	return doc.Content[0], nil
}

// jsonNode builds the yaml.Node tree of valid JSON, with lines, so that the
// rest of the package reads both formats the same way. It works with a stack,
// not recursion: encoding/json allows nesting 10,000 deep.
func jsonNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	line, counted := 1, 0
	lineAt := func(off int) int {
		off = min(off, len(data))
		if off > counted {
			line += bytes.Count(data[counted:off], []byte{'\n'})
			counted = off
		}
		return line
	}
	var root *yaml.Node
	var stack []*yaml.Node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		n := &yaml.Node{Line: lineAt(int(dec.InputOffset())), Column: 1}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.Kind, n.Tag = yaml.MappingNode, "!!map"
			case '[':
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
		case json.Number:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!int", t.String()
			if strings.ContainsAny(n.Value, ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
		case nil:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
		}
		if len(stack) == 0 {
			root = n
		} else {
			p := stack[len(stack)-1]
			p.Content = append(p.Content, n)
		}
		if n.Kind != yaml.ScalarNode {
			stack = append(stack, n)
		}
	}
	if root == nil {
		return nil, errors.New("empty description")
	}
	return root, nil
}

// loc is where a node is in the description, for messages: a chain of keys
// from the top. The nil loc is the top level. It is a pointer type so that
// the top level needs no value and a child shares its parent.
type loc = *place

type place struct {
	parent *place
	key    string
	idx    int  // when isIdx
	isIdx  bool // a list item rather than a mapping key
}

// at is the location of key under w.
func (w *place) at(key string) loc { return &place{parent: w, key: key} }

// item is the location of the i-th item of the list at w.
func (w *place) item(i int) loc { return &place{parent: w, idx: i, isIdx: true} }

// String writes w as dotted keys, quoting keys that would be ambiguous:
// channels."okta/event-hook/delivery".subscribe.message, servers[0].
func (w *place) String() string {
	if w == nil {
		return "the top level"
	}
	var parts []*place
	for p := w; p != nil; p = p.parent {
		parts = append(parts, p)
	}
	slices.Reverse(parts)
	if len(parts) > 16 {
		// Deep nesting: the start says which message, the end which part of
		// it; nil stands for what is left out.
		parts = slices.Concat(parts[:6], []*place{nil}, parts[len(parts)-6:])
	}
	var b strings.Builder
	for i, p := range parts {
		switch {
		case p == nil:
			b.WriteString("…")
		case p.isIdx:
			b.WriteString("[" + strconv.Itoa(p.idx) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			k := p.key
			if k == "" || strings.ContainsAny(k, ". /\"'\t\n#[]…") {
				k = strconv.Quote(k)
			}
			b.WriteString(k)
		}
	}
	return b.String()
}

// errAt reports a problem with the node n at w: "line 12: channels.orders.address: is a list, want a string".
func errAt(n *yaml.Node, w loc, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if w != nil {
		msg = w.String() + ": " + msg
	}
	if n != nil && n.Line > 0 {
		msg = fmt.Sprintf("line %d: %s", n.Line, msg)
	}
	return errors.New(msg)
}

// kindName names a node's kind for a message: "a list", "a string", ….
func kindName(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.MappingNode {
		return "a mapping"
	}
	return yamlnode.KindName(n)
}

// isNull reports whether n is absent or null ("key:" or "key: null").
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// loader holds what building a Document needs besides the Document.
type loader struct {
	root               *yaml.Node
	v3                 bool
	defaultContentType string
	// messages are the built messages by the node they were built from, so
	// that a message reached by several $refs is built once and is one
	// *Message.
	messages map[*yaml.Node]*Message
	// values and refs are what is left of the expansion budget.
	values, refs int
}

// object is a mapping node with its fields checked.
type object struct {
	node   *yaml.Node
	where  loc
	fields []yamlnode.Field
}

// object checks that n is a mapping whose keys are plain and each written
// once. Duplicate keys are an error rather than "the first one wins" because
// in a description they are nearly always a merge gone wrong, and YAML
// readers disagree on which one counts.
func (l *loader) object(n *yaml.Node, w loc) (*object, error) {
	r := yamlnode.Resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return nil, errAt(n, w, "is %s, want a mapping", kindName(r))
	}
	fields, probs := yamlnode.Fields(r)
	for _, p := range probs {
		switch p.Kind {
		case "key not a string":
			return nil, errAt(p.Node, w, "a key is %s, want a string", kindName(yamlnode.Resolve(p.Node)))
		case "duplicate key":
			return nil, errAt(p.Node, w, "key %q is written twice", p.Key)
		case "merge key":
			return nil, errAt(p.Node, w, "merge keys (<<) are not supported; write the keys out")
		default:
			return nil, errAt(p.Node, w, "%s", p.Kind)
		}
	}
	return &object{node: r, where: w, fields: fields}, nil
}

// get returns the value of key, aliases resolved, or nil.
func (o *object) get(key string) *yaml.Node {
	for _, f := range o.fields {
		if f.Key == key {
			return yamlnode.Resolve(f.Value)
		}
	}
	return nil
}

// str returns the string value of key; "" when absent or null.
func (o *object) str(key string) (string, error) {
	n := o.get(key)
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, o.where.at(key), "is %s, want a string", kindName(n))
	}
	return n.Value, nil
}

// refOf returns the target of n when n is a Reference Object (a mapping with
// a $ref).
func refOf(n *yaml.Node, w loc) (ref string, ok bool, err error) {
	n = yamlnode.Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return "", false, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := yamlnode.Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode || k.Value != "$ref" {
			continue
		}
		v := yamlnode.Resolve(n.Content[i+1])
		if v == nil || v.Kind != yaml.ScalarNode || isNull(v) {
			return "", false, errAt(k, w.at("$ref"), "is %s, want a reference such as \"#/components/messages/Name\"", kindName(v))
		}
		return v.Value, true, nil
	}
	return "", false, nil
}

// deref follows n while it is a Reference Object and returns the node it
// ends at, the location of that node, and the last $ref followed ("" when n
// is not a reference).
func (l *loader) deref(n *yaml.Node, w loc) (*yaml.Node, loc, string, error) {
	n = yamlnode.Resolve(n)
	last := ""
	var chain []string
	for {
		ref, ok, err := refOf(n, w)
		if err != nil {
			return nil, nil, "", err
		}
		if !ok {
			return n, w, last, nil
		}
		if slices.Contains(chain, ref) {
			return nil, nil, "", errAt(n, w, "$ref cycle: %s", strings.Join(append(chain, ref), " → "))
		}
		if len(chain) >= maxHops {
			return nil, nil, "", errAt(n, w, "$ref chain longer than %d: %s → …", maxHops, strings.Join(chain[:3], " → "))
		}
		chain = append(chain, ref)
		target, tw, err := l.lookup(ref, n, w)
		if err != nil {
			return nil, nil, "", err
		}
		n, w, last = target, tw, ref
	}
}

// lookup returns the node a local $ref names, and its location. from and w
// are the Reference Object, for the message.
func (l *loader) lookup(ref string, from *yaml.Node, w loc) (*yaml.Node, loc, error) {
	if l.refs--; l.refs < 0 {
		return nil, nil, errAt(from, w, "more than %d $refs followed: the description expands too much", maxRefs)
	}
	if !strings.HasPrefix(ref, "#") {
		return nil, nil, errAt(from, w, "$ref %q points outside the description: only local references (#/…) are read", ref)
	}
	n, tw, err := l.walk(ref[1:])
	if err != nil && strings.Contains(ref, "%") {
		// A $ref is a URI: its fragment may be percent-encoded (%7B for '{').
		if p, uerr := url.PathUnescape(ref[1:]); uerr == nil {
			if n2, tw2, err2 := l.walk(p); err2 == nil {
				return n2, tw2, nil
			}
		}
	}
	if err != nil {
		return nil, nil, errAt(from, w, "$ref %q does not resolve: %v", ref, err)
	}
	return n, tw, nil
}

// walk follows a JSON Pointer from the top of the description.
func (l *loader) walk(pointer string) (*yaml.Node, loc, error) {
	tokens, err := jsonpointer.Tokens(pointer)
	if err != nil {
		return nil, nil, errors.New("not a JSON Pointer: want #/path/to/definition, with / in keys written ~1 and ~ written ~0")
	}
	n := l.root
	var w loc
	for _, t := range tokens {
		n = yamlnode.Resolve(n)
		var next *yaml.Node
		switch {
		case n == nil:
		case n.Kind == yaml.MappingNode:
			var keys []string
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := yamlnode.Resolve(n.Content[i])
				if k == nil || k.Kind != yaml.ScalarNode {
					continue
				}
				if k.Value == t {
					next = n.Content[i+1]
					break
				}
				keys = append(keys, k.Value)
			}
			if next == nil {
				hint := ""
				if c := suggest.Closest(t, keys); c != "" {
					hint = fmt.Sprintf(" (did you mean %q?)", c)
				}
				return nil, nil, fmt.Errorf("%s has no %q%s", w, t, hint)
			}
		case n.Kind == yaml.SequenceNode:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(n.Content) || strconv.Itoa(i) != t {
				return nil, nil, fmt.Errorf("%s has no item %q: it is a list of %d", w, t, len(n.Content))
			}
			next = n.Content[i]
			w = w.item(i)
		}
		if next == nil {
			return nil, nil, fmt.Errorf("%s is %s, so it has no %q", w, kindName(n), t)
		}
		if n.Kind == yaml.MappingNode {
			w = w.at(t)
		}
		n = next
	}
	n = yamlnode.Resolve(n)
	if n == nil {
		return nil, nil, fmt.Errorf("%s is an alias chain too long to follow", w)
	}
	return n, w, nil
}
