package criterion

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// comparison is the compatibility form `<singular path> <op> <literal>` that Arazzo documents in the
// wild (the Okta catalog among them) use as a jsonpath condition, for example `$.length > 0` against an
// array body. It is not RFC 9535 (a query selects nodes, it does not compare), so trama accepts it only
// when the condition does not parse as a query, and Check warns with an RFC 9535 rewrite.
//
// The path is `$` followed by `.name`, `['name']`, `["name"]` or `[index]` segments; a final `.length`
// is JavaScript's length: the element count of an array, the character count of a string, or the
// member named "length" of an object. The literal is a JSON number, a single- or double-quoted string,
// true, false or null. Comparison follows RFC 9535 section 2.3.5.2.2: values of different types are
// never equal, only numbers and strings are ordered, and a path that selects nothing equals no literal
// (so `!=` holds for it).
type comparison struct {
	path    []pathStep
	length  bool
	op      string
	literal any // float64, string, bool or nil
}

type pathStep struct {
	name  string
	index int
	isIdx bool
	dot   bool // written as .name, the only spelling that can mean JavaScript's length
}

// parseComparison recognises the compatibility form; ok is false for anything else.
func parseComparison(cond string) (c *comparison, ok bool) {
	p := &scanner{s: strings.TrimSpace(cond)}
	if !p.consume("$") {
		return nil, false
	}
	c = &comparison{}
	for more := true; more; {
		switch {
		case p.consume("."):
			name := p.name()
			if name == "" {
				return nil, false
			}
			c.path = append(c.path, pathStep{name: name, dot: true})
		case p.consume("["):
			p.spaces()
			if q := p.peek(); q == '\'' || q == '"' {
				s, ok := p.quoted()
				if !ok {
					return nil, false
				}
				c.path = append(c.path, pathStep{name: s})
			} else {
				i, ok := p.integer()
				if !ok {
					return nil, false
				}
				c.path = append(c.path, pathStep{index: i, isIdx: true})
			}
			p.spaces()
			if !p.consume("]") {
				return nil, false
			}
		default:
			more = false
		}
	}
	if n := len(c.path); n > 0 && c.path[n-1].dot && c.path[n-1].name == "length" {
		c.length, c.path = true, c.path[:n-1]
	}
	p.spaces()
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if p.consume(op) {
			c.op = op
			break
		}
	}
	if c.op == "" {
		return nil, false
	}
	p.spaces()
	switch q := p.peek(); {
	case q == '\'' || q == '"':
		s, ok := p.quoted()
		if !ok {
			return nil, false
		}
		c.literal = s
	case p.consume("true"):
		c.literal = true
	case p.consume("false"):
		c.literal = false
	case p.consume("null"):
		c.literal = nil
	default:
		f, ok := p.number()
		if !ok {
			return nil, false
		}
		c.literal = f
	}
	p.spaces()
	if p.i != len(p.s) {
		return nil, false
	}
	return c, true
}

// eval applies the comparison to the context root.
func (c *comparison) eval(root *yaml.Node) bool {
	n := root
	for _, st := range c.path {
		if n = child(n, st); n == nil {
			return c.op == "!="
		}
	}
	var left any
	if c.length {
		switch {
		case n.Kind == yaml.SequenceNode:
			left = float64(len(n.Content))
		case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
			left = float64(utf8.RuneCountInString(n.Value))
		case n.Kind == yaml.MappingNode:
			if n = child(n, pathStep{name: "length"}); n == nil {
				return c.op == "!="
			}
			left = scalarValue(n)
		default:
			return c.op == "!="
		}
	} else {
		left = scalarValue(n)
	}
	return compareValues(left, c.op, c.literal)
}

// missing marks a node that is not a scalar: it equals no literal.
type missing struct{}

func scalarValue(n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		return missing{}
	}
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		return n.Value == "true"
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return missing{}
		}
		return f
	}
	return n.Value
}

func compareValues(left any, op string, right any) bool {
	switch op {
	case "==":
		return left == right
	case "!=":
		return left != right
	}
	var less, equal bool
	switch l := left.(type) {
	case float64:
		r, ok := right.(float64)
		if !ok {
			return false
		}
		less, equal = l < r, l == r
	case string:
		r, ok := right.(string)
		if !ok {
			return false
		}
		less, equal = l < r, l == r
	default:
		return false
	}
	switch op {
	case "<":
		return less
	case "<=":
		return less || equal
	case ">":
		return !less && !equal
	case ">=":
		return !less
	}
	return false
}

func child(n *yaml.Node, st pathStep) *yaml.Node {
	switch {
	case st.isIdx && n.Kind == yaml.SequenceNode:
		i := st.index
		if i < 0 {
			i += len(n.Content)
		}
		if i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	case !st.isIdx && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == st.name {
				return n.Content[i+1]
			}
		}
	}
	return nil
}

// warning explains that the condition is not RFC 9535 and gives the query to write instead.
func (c *comparison) warning(cond string) string {
	msg := fmt.Sprintf("jsonpath condition %q is not RFC 9535 (a query selects nodes, it does not compare "+
		"them); trama evaluates it as a comparison for compatibility", cond)
	if s, ok := c.suggestion(); ok {
		return msg + fmt.Sprintf("; write `%s` instead", s)
	}
	if c.length && len(c.path) == 0 {
		return msg + "; RFC 9535 cannot test that an array is empty or short: test `$[0]` (non-empty) " +
			"in an earlier action or criterion and let this case fall through"
	}
	return msg + "; write it as a simple condition on the context expression instead"
}

// suggestion returns an RFC 9535 query that selects a node exactly when the comparison holds, for an
// array (with .length) or any JSON value (without).
func (c *comparison) suggestion() (string, bool) {
	if len(c.path) == 0 {
		if !c.length {
			return "", false
		}
		// The root itself cannot be filtered, but an index selects something exactly when the array is
		// long enough.
		n, ok := c.literal.(float64)
		if !ok || n != float64(int(n)) || n < 0 {
			return "", false
		}
		switch {
		case c.op == ">":
			return fmt.Sprintf("$[%d]", int(n)), true
		case c.op == ">=" && n >= 1:
			return fmt.Sprintf("$[%d]", int(n)-1), true
		case c.op == "!=" && n == 0:
			return "$[0]", true
		}
		return "", false
	}
	// A filter on the root runs once per child of the root, and the root has a child whenever the path
	// leads anywhere, so an absolute-query filter holds exactly when the comparison does. `!=` is the
	// exception: it also holds when the path leads nowhere, where the root may be empty.
	if c.op == "!=" {
		return "", false
	}
	left := c.rfcPath()
	if c.length {
		left = "length(" + left + ")"
	}
	return fmt.Sprintf("$[?%s %s %s]", left, c.op, rfcLiteral(c.literal)), true
}

func (c *comparison) rfcPath() string {
	var b strings.Builder
	b.WriteString("$")
	for _, st := range c.path {
		if st.isIdx {
			fmt.Fprintf(&b, "[%d]", st.index)
		} else {
			b.WriteString("[" + rfcLiteral(st.name) + "]")
		}
	}
	return b.String()
}

// rfcLiteral writes v as an RFC 9535 literal, strings single-quoted.
func rfcLiteral(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'g', -1, 64)
	case string:
		var b strings.Builder
		b.WriteByte('\'')
		for _, r := range t {
			switch {
			case r == '\'' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r < 0x20:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('\'')
		return b.String()
	}
	return "null"
}

// scanner is a cursor over a condition.
type scanner struct {
	s string
	i int
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) consume(tok string) bool {
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *scanner) spaces() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// name scans a dot-notation member name: letters, digits, '_' and non-ASCII, not starting with a digit.
func (p *scanner) name() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (p.i > start && c >= '0' && c <= '9') {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

func (p *scanner) integer() (int, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	return n, err == nil
}

// number scans a JSON number.
func (p *scanner) number() (float64, bool) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-0123456789.eE", p.s[p.i]) >= 0 {
		p.i++
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	return f, err == nil && p.i > start
}

// quoted scans a quoted string with backslash escapes of the next character.
func (p *scanner) quoted() (string, bool) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == q:
			p.i++
			return b.String(), true
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}
