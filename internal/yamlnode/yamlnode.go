// Package yamlnode is what trama's two YAML readers — Arazzo documents and the serve configuration —
// share: positions, alias resolution with a bound, the names of node kinds for messages, and syntax
// errors that say where.
package yamlnode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// Pos is a 1-based line and column in a file. The zero Pos means the position is unknown.
type Pos struct {
	Line, Col int
}

// IsValid reports whether p points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String formats p as "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Of is where n starts; the zero Pos for nil.
func Of(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Col: n.Column}
}

// Resolve follows aliases to the node they stand for; nil for nil or a chain over 100 aliases long.
func Resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// KindName names a node's kind for a message: "an object", "a list", "a string", "a number", …
func KindName(n *yaml.Node) string {
	if n == nil {
		return "empty"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "an object"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		}
		return "a string"
	}
	return "empty"
}

// SyntaxError is a YAML syntax error with where it is.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string {
	if e.Pos.IsValid() {
		return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
	}
	return e.Msg
}

var lineMsg = lazyregexp.New(`^yaml: line (\d+): (.*)$`)

// quoted finds the character a yaml.v3 message names: "found character that cannot start any token"
// names none, "could not find expected ':'" names ':'.
var quoted = lazyregexp.New(`'(.)'`)

// Syntax turns a yaml.v3 error for data into a SyntaxError with a line and column when it has a line;
// other errors are returned unchanged.
//
// yaml.v3 reports only a line, and for its parser's errors ("did not find expected …") that line is
// zero-based: the line before the construct it was parsing. Syntax corrects it, and for a flow
// collection left open ("did not find expected ',' or ']'") it points at the '[' or '{' that is not
// closed, since that is what to fix. The column is found in the text when the message names a
// character, else it is the line's first non-blank one.
func Syntax(data []byte, err error) error {
	var te *yaml.TypeError
	if err == nil || errors.As(err, &te) {
		return err
	}
	m := lineMsg.FindStringSubmatch(err.Error())
	if m == nil {
		return &SyntaxError{Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	lines := splitLines(string(data))
	line = min(line, len(lines))
	if strings.HasPrefix(msg, "did not find expected ") {
		line = min(line+1, len(lines))
		if opener := map[string]string{"]": "[", "}": "{"}[closer(msg)]; opener != "" {
			for l := line; l >= 1; l-- {
				if i := strings.LastIndex(lines[l-1], opener); i >= 0 {
					return &SyntaxError{Pos: Pos{Line: l, Col: i + 1},
						Msg: fmt.Sprintf("%s: the %s here is not closed", msg, opener)}
				}
			}
		}
	}
	col := 1
	if line >= 1 && line <= len(lines) {
		text := lines[line-1]
		col = len(text) - len(strings.TrimLeft(text, " \t")) + 1
		if i := culprit(text, msg); i >= 0 {
			col = i + 1
		}
	}
	return &SyntaxError{Pos: Pos{Line: line, Col: col}, Msg: msg}
}

// lineBreaks are the line breaks YAML counts: CR LF, CR, LF, NEL, LS and PS.
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

// splitLines splits text into lines as YAML counts them.
func splitLines(text string) []string { return strings.Split(lineBreaks.Replace(text), "\n") }

// culprit returns the byte offset in the line text of the character a message is about, or -1.
func culprit(text, msg string) int {
	switch {
	case strings.Contains(msg, "tab character"):
		return strings.IndexByte(text, '\t')
	case strings.Contains(msg, "mapping values are not allowed"):
		if i := strings.Index(text, ": "); i >= 0 {
			return i
		}
		return strings.LastIndexByte(text, ':')
	case strings.Contains(msg, "cannot start any token"):
		// The reserved indicators; any other character starts a plain scalar.
		return strings.IndexAny(text, "@`")
	}
	if q := quoted.FindStringSubmatch(msg); q != nil {
		return strings.LastIndex(text, q[1])
	}
	return -1
}

// closer returns the bracket a "did not find expected ',' or ']'" message names last.
func closer(msg string) string {
	all := quoted.FindAllStringSubmatch(msg, -1)
	if len(all) == 0 {
		return ""
	}
	return all[len(all)-1][1]
}

// Field is one key of a mapping with the node of its value.
type Field struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// Problem is something wrong with a mapping's keys, for the caller to report in its own terms.
type Problem struct {
	// Node is where the problem is.
	Node *yaml.Node
	// Kind is "not a mapping", "key not a string", "duplicate key" or "merge key".
	Kind string
	Key  string
}

// Fields returns the fields of a mapping node in file order, each key once, with the problems found:
// a node that is not a mapping, keys that are not strings, keys written twice (the first one counts),
// and YAML merge keys (<<), which neither reader supports. Aliases are resolved.
func Fields(n *yaml.Node) ([]Field, []Problem) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, []Problem{{Node: n, Kind: "not a mapping"}}
	}
	var out []Field
	var probs []Problem
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := Resolve(n.Content[i]), n.Content[i+1]
		switch {
		case k == nil || k.Kind != yaml.ScalarNode:
			probs = append(probs, Problem{Node: n.Content[i], Kind: "key not a string"})
		case k.Value == "<<" && k.Tag == "!!merge":
			probs = append(probs, Problem{Node: k, Kind: "merge key", Key: k.Value})
		case seen[k.Value]:
			probs = append(probs, Problem{Node: k, Kind: "duplicate key", Key: k.Value})
		default:
			seen[k.Value] = true
			out = append(out, Field{Key: k.Value, KeyN: k, Value: v})
		}
	}
	return out, probs
}
