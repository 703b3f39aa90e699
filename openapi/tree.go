package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// node is a value found in a description, decoded on demand into a Go value.
type node interface {
	decode(v any) error
}

// tree finds values by JSON Pointer tokens. The outline and the JSON loader
// implement it; both decode only what is asked for.
type tree interface {
	lookup(tokens []string) (node, bool, error)
	// keys lists the keys of the mapping at tokens in document order.
	keys(tokens []string) ([]string, bool, error)
}

// outlineTree decodes indexed YAML blocks with yaml.v3 the first time they are
// needed and keeps them. The Document's mutex guards it.
type outlineTree struct {
	o     *outline
	cache map[string]*yaml.Node
}

func newOutlineTree(o *outline) *outlineTree {
	return &outlineTree{o: o, cache: map[string]*yaml.Node{}}
}

func (t *outlineTree) lookup(tokens []string) (node, bool, error) {
	for n := min(len(tokens), 7); n >= 1; n-- {
		if !indexed(tokens[:n]) {
			continue
		}
		k := pathKey(tokens[:n]...)
		sp, ok := t.o.blocks[k]
		if !ok || sp.null {
			// The outline records every key at this depth, so it is absent.
			return nil, false, nil
		}
		if n == len(tokens) {
			// Existence is known without decoding; decode only when asked.
			return lazyBlock{t: t, key: k, sp: sp}, true, nil
		}
		v, err := t.block(k, sp)
		if err != nil {
			return nil, false, err
		}
		found, ok := walkYAML(v, tokens[n:])
		if !ok || (found.Kind == yaml.ScalarNode && found.ShortTag() == "!!null") {
			return nil, false, nil
		}
		return yamlValue{found}, true, nil
	}
	return nil, false, nil
}

func (t *outlineTree) keys(tokens []string) ([]string, bool, error) {
	if len(tokens) > 0 && indexed(append(tokens[:len(tokens):len(tokens)], "")) {
		k := pathKey(tokens...)
		if _, ok := t.o.blocks[k]; !ok {
			return nil, false, nil
		}
		return t.o.children[k], true, nil
	}
	n, ok, err := t.lookup(tokens)
	if err != nil || !ok {
		return nil, ok, err
	}
	var kl keyList
	if err := n.decode(&kl); err != nil {
		return nil, true, err
	}
	return kl, true, nil
}

// block decodes one indexed block (a one-key mapping) and returns its value.
func (t *outlineTree) block(k string, sp span) (*yaml.Node, error) {
	if v, ok := t.cache[k]; ok {
		return v, nil
	}
	if sp.end < sp.start {
		return nil, fmt.Errorf("block at line %d: unterminated", sp.line)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(t.o.data[sp.start:sp.end], &doc); err != nil {
		return nil, fmt.Errorf("block at line %d: %w", sp.line, err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode || len(doc.Content[0].Content) != 2 {
		return nil, fmt.Errorf("block at line %d: not a single mapping entry", sp.line)
	}
	v := doc.Content[0].Content[1]
	t.cache[k] = v
	return v, nil
}

func walkYAML(n *yaml.Node, tokens []string) (*yaml.Node, bool) {
	for _, tok := range tokens {
		for n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode {
			if n.Kind == yaml.AliasNode {
				n = n.Alias
			} else if len(n.Content) == 1 {
				n = n.Content[0]
			} else {
				return nil, false
			}
		}
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return nil, false
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, false
			}
			n = n.Content[i]
		default:
			return nil, false
		}
	}
	return n, true
}

// lazyBlock is an indexed block that has not been decoded yet.
type lazyBlock struct {
	t   *outlineTree
	key string
	sp  span
}

func (l lazyBlock) decode(v any) error {
	n, err := l.t.block(l.key, l.sp)
	if err != nil {
		return err
	}
	return yamlValue{n}.decode(v)
}

type yamlValue struct{ n *yaml.Node }

func (y yamlValue) decode(v any) error {
	if err := y.n.Decode(v); err != nil {
		return fmt.Errorf("line %d: %w", y.n.Line, err)
	}
	return nil
}

// jsonTree serves JSON descriptions. Objects are split into members lazily and
// the splits of the first levels are kept, so a lookup does not rescan the
// whole document.
type jsonTree struct {
	root  json.RawMessage
	cache map[string][]member
}

type member struct {
	key   string
	value json.RawMessage
}

func newJSONTree(data []byte) *jsonTree {
	return &jsonTree{root: data, cache: map[string][]member{}}
}

func (t *jsonTree) lookup(tokens []string) (node, bool, error) {
	cur := t.root
	for i, tok := range tokens {
		cur = bytes.TrimLeft(cur, " \t\r\n")
		if len(cur) == 0 {
			return nil, false, nil
		}
		switch cur[0] {
		case '{':
			ms, err := t.members(tokens[:i], cur)
			if err != nil {
				return nil, false, err
			}
			var next json.RawMessage
			for _, m := range ms {
				if m.key == tok {
					next = m.value
					break
				}
			}
			if next == nil {
				return nil, false, nil
			}
			cur = next
		case '[':
			var items []json.RawMessage
			if err := json.Unmarshal(cur, &items); err != nil {
				return nil, false, err
			}
			k, err := strconv.Atoi(tok)
			if err != nil || k < 0 || k >= len(items) {
				return nil, false, nil
			}
			cur = items[k]
		default:
			return nil, false, nil
		}
	}
	if bytes.Equal(bytes.TrimSpace(cur), []byte("null")) {
		return nil, false, nil // kin treats a null field as absent
	}
	return jsonValue(cur), true, nil
}

func (t *jsonTree) keys(tokens []string) ([]string, bool, error) {
	n, ok, err := t.lookup(tokens)
	if err != nil || !ok {
		return nil, ok, err
	}
	var kl keyList
	if err := n.decode(&kl); err != nil {
		return nil, true, err
	}
	return kl, true, nil
}

// members splits the object raw found at path prefix; splits of the first
// three levels (root, paths, components kinds) are cached.
func (t *jsonTree) members(prefix []string, raw json.RawMessage) ([]member, error) {
	cacheable := len(prefix) <= 2
	k := pathKey(prefix...)
	if cacheable {
		if ms, ok := t.cache[k]; ok {
			return ms, nil
		}
	}
	ms, err := splitObject(raw)
	if err != nil {
		return nil, err
	}
	if cacheable {
		t.cache[k] = ms
	}
	return ms, nil
}

// splitObject returns an object's members in document order.
func splitObject(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("expected a JSON object")
	}
	var ms []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("expected an object key, got %v", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("value of %q: %w", key, err)
		}
		ms = append(ms, member{key: key, value: v})
	}
	return ms, nil
}

type jsonValue json.RawMessage

func (j jsonValue) decode(v any) error { return json.Unmarshal(j, v) }

// refTokens turns a local reference ("#/components/parameters/limit") into
// JSON Pointer tokens. The fragment is percent-decoded first, as RFC 6901
// section 6 asks for pointers inside URIs.
func refTokens(ref string) ([]string, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("$ref %q points outside this description", ref)
	}
	frag, err := url.PathUnescape(ref[1:])
	if err != nil {
		return nil, fmt.Errorf("$ref %q: %w", ref, err)
	}
	return pointerTokens(frag)
}

// pointerTokens splits a decoded JSON Pointer ("/paths/~1users/get").
func pointerTokens(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		if strings.Contains(s, "~") {
			parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		}
	}
	return parts, nil
}
