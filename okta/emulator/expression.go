package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Okta Expression Language as group rules use it: a SpEL subset whose conditions must resolve to a
// Boolean (developer.okta.com "Expression Language", "Conditional expressions" and "Expressions in group
// rules"). Covered:
//
//   - user.<attribute>: an attribute of the user's profile (null when the profile lacks it);
//   - string literals in double or single quotes (a doubled quote stands for itself), numbers, true,
//     false and null;
//   - == and != (any operands), <, <=, > and >= (numbers or strings), the logical operators AND, OR and
//     NOT in any case and their &&, || and ! spellings, and parentheses;
//   - the String functions stringContains, startsWith, toLowerCase, toUpperCase, substringBefore,
//     substringAfter and len; the Arrays functions contains, isEmpty and size; and the group functions
//     isMemberOfGroup, isMemberOfAnyGroup, isMemberOfGroupName, isMemberOfGroupNameStartsWith and
//     isMemberOfGroupNameContains.
//
// Everything else, Convert and Time included (Okta refuses both in group rules), is an invalid
// expression. Parsing checks types as Okta's validation does: a function gets as many arguments of the
// types it takes, and the whole condition is a Boolean (or a user attribute, which may hold one).

// maxExpressionDepth bounds how deeply an expression nests, so that no input can exhaust the stack.
// Okta documents no limit; real conditions nest a handful of levels.
const maxExpressionDepth = 64

// exprType is what parsing knows of a sub-expression's value.
type exprType int

const (
	typeAny exprType = iota // a user attribute or null: its type is known only when evaluated
	typeBool
	typeString
	typeNumber
	typeArray
)

func (t exprType) String() string {
	return [...]string{"a value", "a Boolean", "a String", "a Number", "an Array"}[t]
}

// exprError is why an expression is invalid, with the byte offset it was noticed at.
type exprError struct {
	pos int
	msg string
}

func (e *exprError) Error() string { return fmt.Sprintf("%s (at character %d)", e.msg, e.pos+1) }

// exprEnv is what an expression reads of the user it is evaluated for.
type exprEnv interface {
	// attribute is the value of a profile attribute as JSON decodes it, nil when absent.
	attribute(name string) any
	// memberOf reports whether the user belongs to the group with this id.
	memberOf(groupID string) bool
	// memberOfName reports whether the user belongs to a group whose name satisfies match.
	memberOfName(match func(name string) bool) bool
}

// expression is a parsed condition, ready to be evaluated for any number of users.
type expression struct {
	root exprNode
	// groupIDs are the group ids the expression names (isMemberOfGroup, isMemberOfAnyGroup).
	groupIDs []string
}

// parseExpression parses and type-checks a group rule condition.
func parseExpression(src string) (*expression, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks, src: src}
	n, t, err := p.or()
	if err != nil {
		return nil, err
	}
	if tok := p.peek(); tok.kind != tokEOF {
		return nil, &exprError{tok.pos, fmt.Sprintf("unexpected %s", tok)}
	}
	if t != typeBool && t != typeAny {
		return nil, &exprError{0, fmt.Sprintf("the expression resolves to %s, not a Boolean", t)}
	}
	return &expression{root: n, groupIDs: p.groupIDs}, nil
}

// matches evaluates the condition for a user: true only when it yields the Boolean true.
func (x *expression) matches(env exprEnv) bool {
	b, _ := x.root.eval(env).(bool)
	return b
}

// Tokens.

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokOp // == != < <= > >= && || ! ( ) , .
)

type token struct {
	kind tokKind
	text string // the identifier, the operator, the number as written, or the string's value
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return strconv.Quote(t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '"' || r == '\'':
			s, next, err := readString(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{tokString, s, i})
			i = next
		case r >= '0' && r <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if _, err := strconv.ParseFloat(src[i:j], 64); err != nil {
				return nil, &exprError{i, fmt.Sprintf("%q is not a number", src[i:j])}
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case r == '_' || r == '$' || unicode.IsLetter(r):
			j := i + size
			for j < len(src) {
				r2, s2 := utf8.DecodeRuneInString(src[j:])
				if r2 != '_' && r2 != '$' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += s2
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		default:
			op := ""
			for _, cand := range []string{"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ",", "."} {
				if strings.HasPrefix(src[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" {
				return nil, &exprError{i, fmt.Sprintf("unexpected character %q", r)}
			}
			toks = append(toks, token{tokOp, op, i})
			i += len(op)
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

// readString reads the literal opening at src[start]; the closing quote doubled stands for itself,
// as in SpEL.
func readString(src string, start int) (string, int, error) {
	q := src[start]
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		if src[i] != q {
			b.WriteByte(src[i])
			continue
		}
		if i+1 < len(src) && src[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, &exprError{start, "the string literal is not closed"}
}

// Parsing, by precedence from loosest: OR, AND, comparison, NOT, primary.

type exprParser struct {
	toks     []token
	at       int
	depth    int
	src      string
	groupIDs []string
}

func (p *exprParser) peek() token { return p.toks[p.at] }

func (p *exprParser) next() token {
	t := p.toks[p.at]
	if t.kind != tokEOF {
		p.at++
	}
	return t
}

// isOp reports whether the next token is one of the operators or word operators given.
func (p *exprParser) isOp(ops ...string) bool {
	t := p.peek()
	for _, op := range ops {
		if t.kind == tokOp && t.text == op || t.kind == tokIdent && strings.EqualFold(t.text, op) && isWord(op) {
			return true
		}
	}
	return false
}

func isWord(op string) bool { return op == "and" || op == "or" || op == "not" }

func (p *exprParser) enter() error {
	p.depth++
	if p.depth > maxExpressionDepth {
		return &exprError{p.peek().pos, fmt.Sprintf("the expression nests more than %d levels deep", maxExpressionDepth)}
	}
	return nil
}

func (p *exprParser) or() (exprNode, exprType, error) {
	if err := p.enter(); err != nil {
		return nil, 0, err
	}
	defer func() { p.depth-- }()
	left, lt, err := p.and()
	if err != nil {
		return nil, 0, err
	}
	for p.isOp("||", "or") {
		op := p.next()
		right, rt, err := p.and()
		if err != nil {
			return nil, 0, err
		}
		if err := wantBool(op, lt, rt); err != nil {
			return nil, 0, err
		}
		left, lt = &logicNode{and: false, left: left, right: right}, typeBool
	}
	return left, lt, nil
}

func (p *exprParser) and() (exprNode, exprType, error) {
	left, lt, err := p.comparison()
	if err != nil {
		return nil, 0, err
	}
	for p.isOp("&&", "and") {
		op := p.next()
		right, rt, err := p.comparison()
		if err != nil {
			return nil, 0, err
		}
		if err := wantBool(op, lt, rt); err != nil {
			return nil, 0, err
		}
		left, lt = &logicNode{and: true, left: left, right: right}, typeBool
	}
	return left, lt, nil
}

func wantBool(op token, types ...exprType) error {
	for _, t := range types {
		if t != typeBool && t != typeAny {
			return &exprError{op.pos, fmt.Sprintf("%s needs Boolean operands, not %s", strings.ToUpper(op.text), t)}
		}
	}
	return nil
}

func (p *exprParser) comparison() (exprNode, exprType, error) {
	left, lt, err := p.unary()
	if err != nil {
		return nil, 0, err
	}
	if !p.isOp("==", "!=", "<", "<=", ">", ">=") {
		return left, lt, nil
	}
	op := p.next()
	right, rt, err := p.unary()
	if err != nil {
		return nil, 0, err
	}
	if op.text != "==" && op.text != "!=" {
		for _, t := range []exprType{lt, rt} {
			if t == typeBool || t == typeArray {
				return nil, 0, &exprError{op.pos, fmt.Sprintf("%s compares Numbers or Strings, not %s", op.text, t)}
			}
		}
	}
	if p.isOp("==", "!=", "<", "<=", ">", ">=") {
		return nil, 0, &exprError{p.peek().pos, "comparisons cannot be chained; use AND or parentheses"}
	}
	return &compareNode{op: op.text, left: left, right: right}, typeBool, nil
}

func (p *exprParser) unary() (exprNode, exprType, error) {
	if !p.isOp("!", "not") {
		return p.primary()
	}
	op := p.next()
	if err := p.enter(); err != nil {
		return nil, 0, err
	}
	defer func() { p.depth-- }()
	n, t, err := p.unary()
	if err != nil {
		return nil, 0, err
	}
	if err := wantBool(op, t); err != nil {
		return nil, 0, err
	}
	return &notNode{n}, typeBool, nil
}

func (p *exprParser) primary() (exprNode, exprType, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		return literalNode{t.text}, typeString, nil
	case tokNumber:
		f, _ := strconv.ParseFloat(t.text, 64)
		return literalNode{f}, typeNumber, nil
	case tokOp:
		if t.text != "(" {
			break
		}
		n, nt, err := p.or()
		if err != nil {
			return nil, 0, err
		}
		if c := p.next(); c.kind != tokOp || c.text != ")" {
			return nil, 0, &exprError{c.pos, fmt.Sprintf("expected \")\", found %s", c)}
		}
		return n, nt, nil
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "true":
			return literalNode{true}, typeBool, nil
		case "false":
			return literalNode{false}, typeBool, nil
		case "null":
			return literalNode{nil}, typeAny, nil
		}
		return p.reference(t)
	}
	return nil, 0, &exprError{t.pos, fmt.Sprintf("expected a value, found %s", t)}
}

// reference parses what starts with an identifier: user.<attribute>, or a function call such as
// String.stringContains(...) or isMemberOfAnyGroup(...).
func (p *exprParser) reference(first token) (exprNode, exprType, error) {
	parts := []string{first.text}
	for p.isOp(".") {
		p.next()
		id := p.next()
		if id.kind != tokIdent {
			return nil, 0, &exprError{id.pos, fmt.Sprintf("expected a name after \".\", found %s", id)}
		}
		parts = append(parts, id.text)
	}
	name := strings.Join(parts, ".")
	if !p.isOp("(") {
		if len(parts) == 2 && parts[0] == "user" {
			return attrNode{parts[1]}, typeAny, nil
		}
		if parts[0] == "user" {
			return nil, 0, &exprError{first.pos, fmt.Sprintf("%s is not a user attribute; use user.<attribute>", name)}
		}
		return nil, 0, &exprError{first.pos, fmt.Sprintf("unknown reference %s; group rules read the user's profile as user.<attribute>", name)}
	}
	open := p.next()
	fn, ok := exprFunctions[name]
	if !ok {
		return nil, 0, &exprError{first.pos, fmt.Sprintf("unknown function %s", name)}
	}
	var args []exprNode
	var types []exprType
	if !p.isOp(")") {
		for {
			a, at, err := p.or()
			if err != nil {
				return nil, 0, err
			}
			args, types = append(args, a), append(types, at)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
	}
	if c := p.next(); c.kind != tokOp || c.text != ")" {
		return nil, 0, &exprError{c.pos, fmt.Sprintf("expected \",\" or \")\" in the arguments of %s, found %s", name, c)}
	}
	if err := fn.check(name, open.pos, types); err != nil {
		return nil, 0, err
	}
	if fn.groupIDs {
		for _, a := range args {
			if l, ok := a.(literalNode); ok {
				if s, ok := l.v.(string); ok {
					p.groupIDs = append(p.groupIDs, s)
				}
			}
		}
	}
	return &callNode{fn: fn, args: args}, fn.result, nil
}

// exprFunction is one function group rules may call: the types of its parameters (the last one
// repeats when variadic), what it returns, and how it evaluates.
type exprFunction struct {
	params   []exprType
	variadic bool
	result   exprType
	// groupIDs marks the functions whose string arguments are group ids.
	groupIDs bool
	eval     func(env exprEnv, args []any) any
}

func (f *exprFunction) check(name string, pos int, got []exprType) error {
	n := len(f.params)
	if len(got) < n || !f.variadic && len(got) > n {
		want := fmt.Sprintf("%d argument", n)
		if n != 1 {
			want += "s"
		}
		if f.variadic {
			want = fmt.Sprintf("at least %d", n)
		}
		return &exprError{pos, fmt.Sprintf("%s takes %s, not %d", name, want, len(got))}
	}
	for i, t := range got {
		want := f.params[min(i, n-1)]
		if want != typeAny && t != want && t != typeAny {
			return &exprError{pos, fmt.Sprintf("argument %d of %s must be %s, not %s", i+1, name, want, t)}
		}
	}
	return nil
}

// exprFunctions are the functions Okta documents for group rule conditions. A String function given
// null (a missing attribute) or a value of another type matches nothing and transforms it to null.
var exprFunctions = map[string]*exprFunction{
	"String.stringContains": {params: []exprType{typeString, typeString}, result: typeBool, eval: func(_ exprEnv, a []any) any {
		s, ok := a[0].(string)
		return ok && strings.Contains(s, str(a[1]))
	}},
	"String.startsWith": {params: []exprType{typeString, typeString}, result: typeBool, eval: func(_ exprEnv, a []any) any {
		s, ok := a[0].(string)
		return ok && strings.HasPrefix(s, str(a[1]))
	}},
	"String.toLowerCase": {params: []exprType{typeString}, result: typeString, eval: func(_ exprEnv, a []any) any {
		return nullOr(a[0], strings.ToLower(str(a[0])))
	}},
	"String.toUpperCase": {params: []exprType{typeString}, result: typeString, eval: func(_ exprEnv, a []any) any {
		return nullOr(a[0], strings.ToUpper(str(a[0])))
	}},
	"String.substringBefore": {params: []exprType{typeString, typeString}, result: typeString, eval: func(_ exprEnv, a []any) any {
		before, _, _ := strings.Cut(str(a[0]), str(a[1]))
		return nullOr(a[0], before)
	}},
	"String.substringAfter": {params: []exprType{typeString, typeString}, result: typeString, eval: func(_ exprEnv, a []any) any {
		_, after, _ := strings.Cut(str(a[0]), str(a[1]))
		return nullOr(a[0], after)
	}},
	"String.len": {params: []exprType{typeString}, result: typeNumber, eval: func(_ exprEnv, a []any) any {
		return float64(utf8.RuneCountInString(str(a[0])))
	}},
	"Arrays.contains": {params: []exprType{typeArray, typeAny}, result: typeBool, eval: func(_ exprEnv, a []any) any {
		for _, e := range array(a[0]) {
			if equal(e, a[1]) {
				return true
			}
		}
		return false
	}},
	"Arrays.isEmpty": {params: []exprType{typeArray}, result: typeBool, eval: func(_ exprEnv, a []any) any {
		return len(array(a[0])) == 0
	}},
	"Arrays.size": {params: []exprType{typeArray}, result: typeNumber, eval: func(_ exprEnv, a []any) any {
		return float64(len(array(a[0])))
	}},
	"isMemberOfGroup": {params: []exprType{typeString}, result: typeBool, groupIDs: true, eval: func(env exprEnv, a []any) any {
		return env.memberOf(str(a[0]))
	}},
	"isMemberOfAnyGroup": {params: []exprType{typeString}, variadic: true, result: typeBool, groupIDs: true, eval: func(env exprEnv, a []any) any {
		for _, id := range a {
			if env.memberOf(str(id)) {
				return true
			}
		}
		return false
	}},
	"isMemberOfGroupName": {params: []exprType{typeString}, result: typeBool, eval: func(env exprEnv, a []any) any {
		return env.memberOfName(func(name string) bool { return name == str(a[0]) })
	}},
	"isMemberOfGroupNameStartsWith": {params: []exprType{typeString}, result: typeBool, eval: func(env exprEnv, a []any) any {
		return env.memberOfName(func(name string) bool { return strings.HasPrefix(name, str(a[0])) })
	}},
	"isMemberOfGroupNameContains": {params: []exprType{typeString}, result: typeBool, eval: func(env exprEnv, a []any) any {
		return env.memberOfName(func(name string) bool { return strings.Contains(name, str(a[0])) })
	}},
}

// Evaluation. Values are what encoding/json decodes: string, float64, bool, []any, nil (and maps,
// which no operator takes).

type exprNode interface{ eval(env exprEnv) any }

type literalNode struct{ v any }

func (n literalNode) eval(exprEnv) any { return n.v }

type attrNode struct{ name string }

func (n attrNode) eval(env exprEnv) any { return env.attribute(n.name) }

type logicNode struct {
	and         bool
	left, right exprNode
}

// eval treats anything but true as false, so a missing attribute fails a condition instead of
// failing the rule.
func (n *logicNode) eval(env exprEnv) any {
	l, _ := n.left.eval(env).(bool)
	if n.and && !l || !n.and && l {
		return l
	}
	r, _ := n.right.eval(env).(bool)
	return r
}

type notNode struct{ n exprNode }

func (n *notNode) eval(env exprEnv) any {
	b, _ := n.n.eval(env).(bool)
	return !b
}

type compareNode struct {
	op          string
	left, right exprNode
}

func (n *compareNode) eval(env exprEnv) any {
	l, r := n.left.eval(env), n.right.eval(env)
	switch n.op {
	case "==":
		return equal(l, r)
	case "!=":
		return !equal(l, r)
	}
	var c int
	switch lv := l.(type) {
	case float64:
		rv, ok := r.(float64)
		if !ok {
			return false
		}
		c = compareFloats(lv, rv)
	case string:
		rv, ok := r.(string)
		if !ok {
			return false
		}
		c = strings.Compare(lv, rv)
	default:
		return false
	}
	switch n.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

func compareFloats(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type callNode struct {
	fn   *exprFunction
	args []exprNode
}

func (n *callNode) eval(env exprEnv) any {
	vals := make([]any, len(n.args))
	for i, a := range n.args {
		vals[i] = a.eval(env)
	}
	return n.fn.eval(env, vals)
}

// equal is SpEL's == on the values an expression handles: numbers by value, strings, Booleans and
// null by identity; arrays and objects are never equal to anything.
func equal(a, b any) bool {
	switch av := a.(type) {
	case nil:
		return b == nil
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case float64:
		bv, ok := b.(float64)
		return ok && av == bv
	}
	return false
}

func str(v any) string { s, _ := v.(string); return s }

func array(v any) []any { a, _ := v.([]any); return a }

// nullOr is out when in is a string, else null.
func nullOr(in, out any) any {
	if _, ok := in.(string); !ok {
		return nil
	}
	return out
}
