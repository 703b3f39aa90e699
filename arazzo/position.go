package arazzo

import (
	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/yamlnode"
)

// Pos is a 1-based line and column in a document. The zero Pos means the
// position is unknown, for example for objects built in code.
type Pos = yamlnode.Pos

func nodePos(n *yaml.Node) Pos { return yamlnode.Of(n) }

// located records where an object and each of its fields were written.
// Every model object embeds it so that diagnostics, and the runner's error
// messages, can point at the exact key or value a user has to fix.
type located struct {
	node   *yaml.Node
	fields map[string]fieldNodes
}

type fieldNodes struct {
	key, value *yaml.Node
}

func (l *located) setNode(n *yaml.Node) { l.node = n }

func (l *located) setField(name string, key, value *yaml.Node) {
	if l.fields == nil {
		l.fields = make(map[string]fieldNodes)
	}
	l.fields[name] = fieldNodes{key: key, value: value}
}

// Position is where the object starts; the zero Pos when it was not parsed.
func (l *located) Position() Pos {
	if l == nil {
		return Pos{}
	}
	return nodePos(l.node)
}

// Pos is where the value of field name starts. When the field is absent it
// falls back to the object's own position, which is where a diagnostic about a
// missing field belongs.
func (l *located) Pos(name string) Pos {
	if l == nil {
		return Pos{}
	}
	if f, ok := l.fields[name]; ok {
		return nodePos(f.value)
	}
	return nodePos(l.node)
}

// KeyPos is where the key of field name starts, falling back to the object's
// position when the field is absent.
func (l *located) KeyPos(name string) Pos {
	if l == nil {
		return Pos{}
	}
	if f, ok := l.fields[name]; ok {
		return nodePos(f.key)
	}
	return nodePos(l.node)
}

// Has reports whether field name was written in the document, which tells an
// explicit null or zero apart from an absent field.
func (l *located) Has(name string) bool {
	if l == nil {
		return false
	}
	_, ok := l.fields[name]
	return ok
}

func (l *located) valueNode(name string) *yaml.Node {
	if l == nil {
		return nil
	}
	return l.fields[name].value
}

// clone copies the field table so an effective object (a resolved reusable
// object) can point some fields elsewhere without changing the component.
func (l located) clone() located {
	c := located{node: l.node, fields: make(map[string]fieldNodes, len(l.fields))}
	for k, v := range l.fields {
		c.fields[k] = v
	}
	return c
}

// mapEntryPos finds key in a mapping node and returns where its value starts,
// or the mapping's own position when the key is absent.
func mapEntryPos(m *yaml.Node, key string) Pos {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nodePos(m)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return nodePos(m.Content[i+1])
		}
	}
	return nodePos(m)
}

// mapKeyPos is mapEntryPos for the key itself.
func mapKeyPos(m *yaml.Node, key string) Pos {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nodePos(m)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return nodePos(m.Content[i])
		}
	}
	return nodePos(m)
}

// seqItemPos returns where item i of a sequence node starts.
func seqItemPos(s *yaml.Node, i int) Pos {
	s = resolveAlias(s)
	if s == nil || s.Kind != yaml.SequenceNode || i < 0 || i >= len(s.Content) {
		return nodePos(s)
	}
	return nodePos(s.Content[i])
}

func resolveAlias(n *yaml.Node) *yaml.Node { return yamlnode.Resolve(n) }

// mapKeyNode returns the key node of key in mapping m, or nil.
func mapKeyNode(m *yaml.Node, key string) *yaml.Node {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}
