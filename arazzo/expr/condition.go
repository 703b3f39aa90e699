package expr

import (
	"strconv"
	"strings"
)

// Condition is a parsed simple condition (Criterion Object with type
// "simple" or no type). It is immutable and safe for concurrent use.
type Condition struct {
	src   string
	root  *node
	exprs []Expr
}

type nodeKind uint8

const (
	nodeOr nodeKind = iota
	nodeAnd
	nodeNot
	nodeCompare
	nodeTest
)

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opText = [...]string{"==", "!=", "<", "<=", ">", ">="}

type node struct {
	kind        nodeKind
	op          cmpOp
	left, right *node    // nodeOr, nodeAnd; nodeNot uses left
	a, b        *operand // nodeCompare uses both, nodeTest a
}

type operandKind uint8

const (
	operandLiteral operandKind = iota
	operandExpr
)

type operand struct {
	kind operandKind
	lit  any // nil, bool, string or number
	expr Expr
	nav  []navStep
	text string // as written, for error messages
}

// navStep is one ".member" or "[n]" after an expression (1.0.1 l.649–650).
type navStep struct {
	member string
	index  int
	isIdx  bool
}

// ParseCondition parses a simple condition. The grammar (precedence from
// low to high) is
//
//	or      = and *( "||" and )
//	and     = unary *( "&&" unary )
//	unary   = "!" unary / "(" or ")" / compare / comparable
//	compare = comparable ( "==" / "!=" / "<" / "<=" / ">" / ">=" ) comparable
//
// where a comparable is a literal (true, false, null, a number, a
// single-quoted string, where a quote inside is written twice) or a runtime expression
// optionally followed by ".member" and "[n]" steps. Comparisons do not
// chain, and "!" before a comparison needs parentheses ("!($a == 1)")
// because "!$a == 1" reads two ways. A condition wrapped whole in "{…}"
// (the 1.0.1 example "{$statusCode == 401}", l.572) is accepted, and so is
// an operand written "{$expr}". Errors are *SyntaxError with the byte
// offset of the problem.
func ParseCondition(s string, opts Options) (*Condition, error) {
	text, base := s, 0
	if t := strings.TrimSpace(s); len(t) > 1 && t[0] == '{' && strings.IndexByte(t, '}') == len(t)-1 {
		base = strings.IndexByte(s, '{') + 1
		text = t[1 : len(t)-1]
	}
	p := &condParser{src: s, s: text, base: base, opts: opts}
	p.next()
	if p.err != nil {
		return nil, p.err
	}
	if p.tok.kind == tokEOF {
		return nil, p.fail(p.tok.pos, "empty condition")
	}
	root := p.or()
	if p.err == nil && p.tok.kind != tokEOF {
		p.unexpected("&&, || or the end of the condition")
	}
	if p.err != nil {
		return nil, p.err
	}
	return &Condition{src: s, root: root, exprs: p.exprs}, nil
}

// String returns the condition as written.
func (c *Condition) String() string { return c.src }

// Expressions returns the runtime expressions the condition reads, in order.
func (c *Condition) Expressions() []Expr { return c.exprs }

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokNot
	tokAnd
	tokOr
	tokCmp
	tokOperand
)

type token struct {
	kind tokKind
	pos  int // offset in condParser.s
	end  int
	op   cmpOp
	opnd *operand
}

type condParser struct {
	src   string // the whole condition, for errors
	s     string // the part being parsed (without a wrapping "{…}")
	base  int    // offset of s in src
	i     int
	tok   token
	err   error
	exprs []Expr
	opts  Options
}

func (p *condParser) fail(at int, msg string) error {
	if p.err == nil {
		p.err = &SyntaxError{Text: p.src, Offset: p.base + at, Msg: msg}
	}
	return p.err
}

func (p *condParser) unexpected(want string) {
	what := "end of condition"
	if p.tok.kind != tokEOF {
		what = strconv.Quote(p.s[p.tok.pos:p.tok.end])
	}
	p.fail(p.tok.pos, "unexpected "+what+"; expected "+want)
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '!', '&', '(', ')', '<', '=', '>', '{', '|', '}':
		return true
	}
	return false
}

// next scans the next token into p.tok.
func (p *condParser) next() {
	if p.err != nil {
		p.tok = token{kind: tokEOF, pos: len(p.s), end: len(p.s)}
		return
	}
	s := p.s
	for p.i < len(s) && isSpace(s[p.i]) {
		p.i++
	}
	start := p.i
	t := token{pos: start}
	if start >= len(s) {
		t.kind, t.end = tokEOF, start
		p.tok = t
		return
	}
	two := ""
	if start+1 < len(s) {
		two = s[start : start+2]
	}
	c := s[start]
	switch {
	case two == "&&":
		t.kind, p.i = tokAnd, start+2
	case two == "||":
		t.kind, p.i = tokOr, start+2
	case two == "==":
		t.kind, t.op, p.i = tokCmp, opEq, start+2
	case two == "!=":
		t.kind, t.op, p.i = tokCmp, opNe, start+2
	case two == "<=":
		t.kind, t.op, p.i = tokCmp, opLe, start+2
	case two == ">=":
		t.kind, t.op, p.i = tokCmp, opGe, start+2
	case c == '<':
		t.kind, t.op, p.i = tokCmp, opLt, start+1
	case c == '>':
		t.kind, t.op, p.i = tokCmp, opGt, start+1
	case c == '!':
		t.kind, p.i = tokNot, start+1
	case c == '(':
		t.kind, p.i = tokLParen, start+1
	case c == ')':
		t.kind, p.i = tokRParen, start+1
	case c == '=':
		p.fail(start, `single "=" is not an operator; use "==" to compare`)
	case c == '&':
		p.fail(start, `single "&" is not an operator; use "&&"`)
	case c == '|':
		p.fail(start, `single "|" is not an operator; use "||"`)
	case c == '\'':
		t.kind, t.opnd = tokOperand, p.stringLit()
	case c == '"':
		p.fail(start, `strings use single quotes in conditions ('text'); double quotes are not part of the Arazzo grammar`)
	case c == '-' || c >= '0' && c <= '9':
		t.kind, t.opnd = tokOperand, p.numberLit()
	case c == '$':
		t.kind, t.opnd = tokOperand, p.exprOperand()
	case c == '{':
		t.kind, t.opnd = tokOperand, p.bracedOperand()
	case isAlnum(c) || c == '_':
		t.kind, t.opnd = tokOperand, p.keyword()
	default:
		p.fail(start, "unexpected "+quoteRune(s[start:]))
	}
	if p.err != nil {
		t = token{kind: tokEOF, pos: start, end: len(s)}
	}
	t.end = p.i
	p.tok = t
}

func (p *condParser) stringLit() *operand {
	start := p.i
	var b strings.Builder
	i := p.i + 1
	from := i
	for {
		j := strings.IndexByte(p.s[i:], '\'')
		if j < 0 {
			p.fail(start, "unterminated string; strings end with ' (write '' for a quote inside)")
			return nil
		}
		i += j
		if i+1 < len(p.s) && p.s[i+1] == '\'' {
			b.WriteString(p.s[from : i+1])
			i += 2
			from = i
			continue
		}
		b.WriteString(p.s[from:i])
		p.i = i + 1
		return &operand{lit: b.String(), text: p.s[start:p.i]}
	}
}

func (p *condParser) numberLit() *operand {
	start := p.i
	j := start
	for j < len(p.s) && !isDelim(p.s[j]) {
		j++
	}
	text := p.s[start:j]
	n, ok := parseNumber(text)
	if !ok && text != "" && text[0] != '-' && text[0] != '0' {
		// Leading zeros ("007") are not JSON but read unambiguously.
		n, ok = parseNumber(strings.TrimLeft(text, "0"))
	}
	if !ok {
		p.fail(start, "invalid number "+strconv.Quote(text))
		return nil
	}
	p.i = j
	return &operand{lit: n, text: text}
}

func (p *condParser) keyword() *operand {
	start := p.i
	j := start
	for j < len(p.s) && !isDelim(p.s[j]) {
		j++
	}
	word := p.s[start:j]
	p.i = j
	switch word {
	case "true":
		return &operand{lit: true, text: word}
	case "false":
		return &operand{lit: false, text: word}
	case "null":
		return &operand{lit: nil, text: word}
	}
	msg := "unknown word " + strconv.Quote(word) + "; literals are true, false, null, numbers and 'strings'"
	switch strings.ToLower(word) {
	case "and":
		msg = `unknown word "` + word + `"; use &&`
	case "or":
		msg = `unknown word "` + word + `"; use ||`
	case "not":
		msg = `unknown word "` + word + `"; use !`
	case "true", "false", "null":
		msg = `literals are lower case: ` + strings.ToLower(word)
	default:
		if isAlnum(word[0]) && !strings.ContainsAny(word, "$'") {
			msg += "; did you mean '" + word + "' or $" + word + "?"
		}
	}
	p.fail(start, msg)
	return nil
}

// exprOperand reads "$…" up to the next delimiter, parses the longest
// runtime expression and turns the rest into member and index steps.
func (p *condParser) exprOperand() *operand {
	start := p.i
	j := start
	for j < len(p.s) && !isDelim(p.s[j]) {
		j++
	}
	text := p.s[start:j]
	e, n, err := parsePrefix(text, p.opts)
	if err != nil {
		p.err = shift(err, p.src, p.base+start, false)
		return nil
	}
	o := &operand{kind: operandExpr, expr: e, text: text}
	o.nav = p.navigation(text, n, start)
	p.i = j
	p.exprs = append(p.exprs, e)
	return o
}

func (p *condParser) navigation(text string, i, at int) []navStep {
	var nav []navStep
	for i < len(text) {
		switch text[i] {
		case '.':
			j := i + 1
			for j < len(text) && text[j] != '.' && text[j] != '[' {
				j++
			}
			if j == i+1 {
				p.fail(at+i, "expected a member name after \".\"")
				return nil
			}
			nav = append(nav, navStep{member: text[i+1 : j]})
			i = j
		case '[':
			j := strings.IndexByte(text[i:], ']')
			var n int
			ok := false
			if j > 1 {
				n, ok = index(text[i+1 : i+j])
			}
			if !ok {
				p.fail(at+i, "expected a 0-based index such as [0]")
				return nil
			}
			nav = append(nav, navStep{index: n, isIdx: true})
			i += j + 1
		default:
			p.fail(at+i, "unexpected "+quoteRune(text[i:])+" after "+text[:i])
			return nil
		}
	}
	return nav
}

func (p *condParser) bracedOperand() *operand {
	start := p.i
	end := strings.IndexByte(p.s[start:], '}')
	if end < 0 || start+1 >= len(p.s) || p.s[start+1] != '$' {
		p.fail(start, `"{" must enclose one runtime expression, as in {$statusCode}`)
		return nil
	}
	body := p.s[start+1 : start+end]
	e, err := ParseWith(body, p.opts)
	if err != nil {
		p.err = shift(err, p.src, p.base+start+1, false)
		return nil
	}
	p.i = start + end + 1
	p.exprs = append(p.exprs, e)
	return &operand{kind: operandExpr, expr: e, text: p.s[start:p.i]}
}

func (p *condParser) or() *node {
	left := p.and()
	for p.err == nil && p.tok.kind == tokOr {
		p.next()
		right := p.and()
		left = &node{kind: nodeOr, left: left, right: right}
	}
	return left
}

func (p *condParser) and() *node {
	left := p.unary()
	for p.err == nil && p.tok.kind == tokAnd {
		p.next()
		right := p.unary()
		left = &node{kind: nodeAnd, left: left, right: right}
	}
	return left
}

func (p *condParser) unary() *node {
	switch p.tok.kind {
	case tokNot:
		p.next()
		if p.tok.kind == tokOperand {
			a := p.tok.opnd
			p.next()
			if p.tok.kind == tokCmp {
				p.fail(p.tok.pos, `"!" applies to a single value here; write !(`+a.text+" "+opText[p.tok.op]+" …) to negate the comparison")
				return nil
			}
			return &node{kind: nodeNot, left: &node{kind: nodeTest, a: a}}
		}
		inner := p.unary()
		return &node{kind: nodeNot, left: inner}
	case tokLParen:
		open := p.tok.pos
		p.next()
		inner := p.or()
		if p.err != nil {
			return nil
		}
		if p.tok.kind != tokRParen {
			if p.tok.kind == tokEOF {
				p.fail(open, `"(" is never closed`)
			} else {
				p.unexpected(`")"`)
			}
			return nil
		}
		p.next()
		if p.tok.kind == tokCmp {
			p.fail(p.tok.pos, "a parenthesised condition cannot be compared; compare values instead")
		}
		return inner
	case tokOperand:
		a := p.tok.opnd
		p.next()
		if p.tok.kind != tokCmp {
			return &node{kind: nodeTest, a: a}
		}
		op := p.tok.op
		p.next()
		if p.tok.kind != tokOperand {
			p.unexpected("a value after " + opText[op])
			return nil
		}
		b := p.tok.opnd
		p.next()
		if p.tok.kind == tokCmp {
			p.fail(p.tok.pos, "comparisons cannot be chained; combine them with && or ||")
			return nil
		}
		return &node{kind: nodeCompare, op: op, a: a, b: b}
	}
	p.unexpected("a value, \"!\" or \"(\"")
	return nil
}

// StatusCodes returns the HTTP statuses the condition can hold for when it pins $statusCode with ==:
// `$statusCode == 200` gives [200], `$statusCode == 200 || $statusCode == 204` both, and a
// conjunction takes what any of its parts pins. ok is false when the condition holds whatever the
// status (`$statusCode < 300`, `$response.body#/ok == true`). Validation compares them with the
// statuses an operation documents.
func (c *Condition) StatusCodes() (codes []int, ok bool) {
	return statusCodes(c.root)
}

func statusCodes(n *node) ([]int, bool) {
	if n == nil {
		return nil, false
	}
	switch n.kind {
	case nodeCompare:
		if n.op != opEq {
			return nil, false
		}
		for _, pair := range [][2]*operand{{n.a, n.b}, {n.b, n.a}} {
			e, lit := pair[0], pair[1]
			if e.kind == operandExpr && e.expr.Root == RootStatusCode && len(e.nav) == 0 && lit.kind == operandLiteral {
				if num, isNum := lit.lit.(number); isNum && num.isInt {
					return []int{int(num.i)}, true
				}
			}
		}
	case nodeAnd:
		if codes, ok := statusCodes(n.left); ok {
			return codes, true
		}
		return statusCodes(n.right)
	case nodeOr:
		l, lok := statusCodes(n.left)
		r, rok := statusCodes(n.right)
		if lok && rok {
			return append(l, r...), true
		}
	}
	return nil, false
}
