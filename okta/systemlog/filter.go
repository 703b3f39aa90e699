package systemlog

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filter is a parsed SCIM filter expression as the System Log accepts it in GET /api/v1/logs?filter=.
// It is immutable after ParseFilter and safe for concurrent use.
type Filter struct {
	src  string
	root node
}

// String returns the expression the filter was parsed from.
func (f *Filter) String() string { return f.src }

// FilterError reports where a filter expression stopped making sense. Pos is a byte offset into the
// expression, so a user can find the mistake in a long filter.
type FilterError struct {
	Pos int
	Msg string
}

// Error returns the message and the position.
func (e *FilterError) Error() string {
	return fmt.Sprintf("%s at position %d", e.Msg, e.Pos)
}

// Operator is a SCIM comparison operator, lower case.
type Operator string

// The operators the System Log supports. ew and co exist only in the System Log, not in other Okta
// SCIM filters.
const (
	OpEq Operator = "eq"
	OpNe Operator = "ne"
	OpSw Operator = "sw"
	OpEw Operator = "ew"
	OpCo Operator = "co"
	OpPr Operator = "pr"
	OpGt Operator = "gt"
	OpGe Operator = "ge"
	OpLt Operator = "lt"
	OpLe Operator = "le"
)

var operators = map[string]Operator{
	"eq": OpEq, "ne": OpNe, "sw": OpSw, "ew": OpEw, "co": OpCo,
	"pr": OpPr, "gt": OpGt, "ge": OpGe, "lt": OpLt, "le": OpLe,
}

// maxFilterDepth bounds nesting so a hostile filter of thousands of parentheses cannot exhaust the
// stack.
const maxFilterDepth = 64

// maxFilterLen bounds the expression so parsing and evaluation stay cheap per request.
const maxFilterLen = 8192

type node interface{ isNode() }

type andNode struct{ left, right node }
type orNode struct{ left, right node }
type notNode struct{ inner node }

// compareNode is `path op value` or `path pr`.
type compareNode struct {
	path  []string
	attr  string // the path as written, for error messages
	op    Operator
	value literal
}

func (andNode) isNode()     {}
func (orNode) isNode()      {}
func (notNode) isNode()     {}
func (compareNode) isNode() {}

type literalKind int

const (
	litNone literalKind = iota
	litString
	litNumber
	litBool
	litNull
)

type literal struct {
	kind  literalKind
	str   string // as written, unescaped
	lower string // str lower-cased once, because string comparisons ignore case
	num   float64
	b     bool
}

// ParseFilter parses a System Log SCIM filter. Operators and the keywords and, or, not are
// case-insensitive; attribute names are case-sensitive; string literals use JSON escapes.
func ParseFilter(expr string) (*Filter, error) {
	if len(expr) > maxFilterLen {
		return nil, &FilterError{Pos: maxFilterLen, Msg: fmt.Sprintf("filter longer than %d bytes", maxFilterLen)}
	}
	p := &parser{src: expr}
	p.next()
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("unexpected %s", p.tok.describe())
	}
	return &Filter{src: expr, root: root}, nil
}

// Walk calls fn for every comparison in the filter, in source order, and stops when fn returns false.
// The query layer uses it to refuse attributes and operator combinations Okta refuses.
func (f *Filter) Walk(fn func(attr string, op Operator) bool) {
	walk(f.root, fn)
}

func walk(n node, fn func(string, Operator) bool) bool {
	switch n := n.(type) {
	case andNode:
		return walk(n.left, fn) && walk(n.right, fn)
	case orNode:
		return walk(n.left, fn) && walk(n.right, fn)
	case notNode:
		return walk(n.inner, fn)
	case compareNode:
		return fn(n.attr, n.op)
	}
	return true
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokNumber
	tokLParen
	tokRParen
	tokLBracket
	tokBad
)

type token struct {
	kind tokKind
	pos  int
	text string // raw text for words and numbers, unescaped value for strings
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return strconv.Quote(t.text)
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokLBracket:
		return `"["`
	default:
		return strconv.Quote(t.text)
	}
}

type parser struct {
	src string
	off int
	tok token
	err error // a lexing error, reported when the bad token is consumed
}

func (p *parser) errorf(format string, args ...any) error {
	if p.err != nil {
		return p.err
	}
	return &FilterError{Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) next() {
	for p.off < len(p.src) && (p.src[p.off] == ' ' || p.src[p.off] == '\t' || p.src[p.off] == '\n' || p.src[p.off] == '\r') {
		p.off++
	}
	start := p.off
	if p.off >= len(p.src) {
		p.tok = token{kind: tokEOF, pos: start}
		return
	}
	c := p.src[p.off]
	switch {
	case c == '(':
		p.off++
		p.tok = token{kind: tokLParen, pos: start, text: "("}
	case c == ')':
		p.off++
		p.tok = token{kind: tokRParen, pos: start, text: ")"}
	case c == '[':
		p.off++
		p.tok = token{kind: tokLBracket, pos: start, text: "["}
	case c == '"':
		s, end, err := scanString(p.src, start)
		if err != nil {
			p.err = err
			p.tok = token{kind: tokBad, pos: start}
			p.off = len(p.src)
			return
		}
		p.off = end
		p.tok = token{kind: tokString, pos: start, text: s}
	case c == '-' || (c >= '0' && c <= '9'):
		for p.off < len(p.src) && strings.IndexByte("0123456789+-.eE", p.src[p.off]) >= 0 {
			p.off++
		}
		p.tok = token{kind: tokNumber, pos: start, text: p.src[start:p.off]}
	case isNameByte(c):
		for p.off < len(p.src) && (isNameByte(p.src[p.off]) || p.src[p.off] == '.') {
			p.off++
		}
		p.tok = token{kind: tokWord, pos: start, text: p.src[start:p.off]}
	default:
		r, size := utf8.DecodeRuneInString(p.src[p.off:])
		p.off += size
		p.tok = token{kind: tokBad, pos: start, text: string(r)}
	}
}

func isNameByte(c byte) bool {
	return c == '_' || c == '$' || c == '-' || c == ':' ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// scanString reads a double-quoted string with JSON escapes starting at src[start] == '"' and returns
// its value and the offset after the closing quote.
func scanString(src string, start int) (string, int, error) {
	var b strings.Builder
	i := start + 1
	for i < len(src) {
		c := src[i]
		switch {
		case c == '"':
			return b.String(), i + 1, nil
		case c == '\\':
			if i+1 >= len(src) {
				return "", 0, &FilterError{Pos: i, Msg: "unterminated escape"}
			}
			e := src[i+1]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if i+6 > len(src) {
					return "", 0, &FilterError{Pos: i, Msg: `short \u escape`}
				}
				v, err := strconv.ParseUint(src[i+2:i+6], 16, 16)
				if err != nil {
					return "", 0, &FilterError{Pos: i, Msg: fmt.Sprintf(`bad \u escape %q`, src[i:i+6])}
				}
				b.WriteRune(rune(v))
				i += 4
			default:
				return "", 0, &FilterError{Pos: i, Msg: fmt.Sprintf(`unknown escape \%c`, e)}
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, &FilterError{Pos: start, Msg: "unterminated string"}
}

func (p *parser) isKeyword(word string) bool {
	return p.tok.kind == tokWord && strings.EqualFold(p.tok.text, word)
}

func (p *parser) parseOr(depth int) (node, error) {
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		p.next()
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		left = orNode{left, right}
	}
	return left, nil
}

func (p *parser) parseAnd(depth int) (node, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		p.next()
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		left = andNode{left, right}
	}
	return left, nil
}

func (p *parser) parseUnary(depth int) (node, error) {
	if depth > maxFilterDepth {
		return nil, p.errorf("filter nested deeper than %d levels", maxFilterDepth)
	}
	if p.isKeyword("not") {
		p.next()
		inner, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return notNode{inner}, nil
	}
	if p.tok.kind == tokLParen {
		p.next()
		inner, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, p.errorf(`expected ")" but found %s`, p.tok.describe())
		}
		p.next()
		return inner, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (node, error) {
	if p.tok.kind != tokWord {
		return nil, p.errorf("expected an attribute name but found %s", p.tok.describe())
	}
	attrTok := p.tok
	path := strings.Split(attrTok.text, ".")
	for _, seg := range path {
		if seg == "" {
			return nil, &FilterError{Pos: attrTok.pos, Msg: fmt.Sprintf("invalid attribute path %q", attrTok.text)}
		}
	}
	p.next()
	if p.tok.kind == tokLBracket {
		return nil, p.errorf("value filters with [ ] are not supported")
	}
	if p.tok.kind != tokWord {
		return nil, p.errorf("expected an operator after %q but found %s", attrTok.text, p.tok.describe())
	}
	op, ok := operators[strings.ToLower(p.tok.text)]
	if !ok {
		return nil, p.errorf("unknown operator %q", p.tok.text)
	}
	p.next()
	n := compareNode{path: path, attr: attrTok.text, op: op}
	if op == OpPr {
		return n, nil
	}
	lit, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	switch op {
	case OpSw, OpEw, OpCo:
		if lit.kind != litString {
			return nil, &FilterError{Pos: p.tok.pos, Msg: fmt.Sprintf("operator %s needs a string value", op)}
		}
	}
	n.value = lit
	p.next()
	return n, nil
}

func (p *parser) parseLiteral() (literal, error) {
	switch p.tok.kind {
	case tokString:
		return literal{kind: litString, str: p.tok.text, lower: strings.ToLower(p.tok.text)}, nil
	case tokNumber:
		f, err := strconv.ParseFloat(p.tok.text, 64)
		if err != nil {
			return literal{}, p.errorf("invalid number %q", p.tok.text)
		}
		return literal{kind: litNumber, num: f, str: p.tok.text}, nil
	case tokWord:
		switch p.tok.text {
		case "true", "false":
			return literal{kind: litBool, b: p.tok.text == "true", str: p.tok.text}, nil
		case "null":
			return literal{kind: litNull, str: "null"}, nil
		}
		return literal{}, p.errorf("expected a value but found %s; string values need double quotes", p.tok.describe())
	}
	return literal{}, p.errorf("expected a value but found %s", p.tok.describe())
}
