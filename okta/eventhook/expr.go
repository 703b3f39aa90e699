package eventhook

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trama-dev/trama/okta"
)

// The condition of an event hook filter is an Okta Expression Language statement over the event. Okta
// documents a small part of the language for event hooks (help.okta.com, "Okta Expression Language and
// event hooks"), and that part is what trama accepts:
//
//	event.eventType, event.outcome.reason, event.outcome.result, event.actor.id, event.actor.type,
//	event.actor.alternateId, event.actor.displayName, event.debugData.changedAttributes
//	    compared with eq or ne (the beta documentation also spells them == and !=) to a string;
//	event.target.?[<condition on id, type, alternateId, displayName>].size() compared with a number
//	    (Okta's example: event.target.?[type eq 'UserGroup' && displayName eq 'Sales'].size() > 0);
//	&& and || between conditions, and parentheses.
//
// Anything else is refused when the hook is created or replaced, so a filter either does what Okta's
// documentation says it does or is not accepted at all.

// Bounds on a condition. Okta documents none for event hook filters; these keep a hostile expression
// from costing more than a moment, and are far above what the documented forms need.
const (
	maxExpressionLen   = 1024
	maxExpressionDepth = 32
)

// eventFields are the event properties a condition may compare, with how each is read from an event.
var eventFields = map[string]func(*okta.LogEvent) (string, bool){
	"event.eventType": func(ev *okta.LogEvent) (string, bool) { return ev.EventType, true },
	"event.outcome.reason": func(ev *okta.LogEvent) (string, bool) {
		if ev.Outcome == nil {
			return "", false
		}
		return ev.Outcome.Reason, ev.Outcome.Reason != ""
	},
	"event.outcome.result": func(ev *okta.LogEvent) (string, bool) {
		if ev.Outcome == nil {
			return "", false
		}
		return ev.Outcome.Result, true
	},
	"event.actor.id":          actorField(func(a *okta.Actor) string { return a.ID }),
	"event.actor.type":        actorField(func(a *okta.Actor) string { return a.Type }),
	"event.actor.alternateId": actorField(func(a *okta.Actor) string { return a.AlternateID }),
	"event.actor.displayName": actorField(func(a *okta.Actor) string { return a.DisplayName }),
	"event.debugData.changedAttributes": func(ev *okta.LogEvent) (string, bool) {
		if ev.DebugContext == nil {
			return "", false
		}
		s, ok := ev.DebugContext.DebugData["changedAttributes"].(string)
		return s, ok
	},
}

func actorField(get func(*okta.Actor) string) func(*okta.LogEvent) (string, bool) {
	return func(ev *okta.LogEvent) (string, bool) {
		if ev.Actor == nil {
			return "", false
		}
		return get(ev.Actor), true
	}
}

// targetFields are the properties a target selection may compare.
var targetFields = map[string]func(*okta.Target) string{
	"id":          func(t *okta.Target) string { return t.ID },
	"type":        func(t *okta.Target) string { return t.Type },
	"alternateId": func(t *okta.Target) string { return t.AlternateID },
	"displayName": func(t *okta.Target) string { return t.DisplayName },
}

const supportedForms = "event.eventType, event.outcome.reason, event.outcome.result, event.actor.id, event.actor.type, " +
	"event.actor.alternateId, event.actor.displayName or event.debugData.changedAttributes compared with eq or ne " +
	"to a string, or event.target.?[...].size() compared with a number"

// condition is a parsed filter expression: true when the event may be delivered.
type condition interface {
	holds(ev *okta.LogEvent) bool
}

// targetCondition is a condition inside event.target.?[...], about one target.
type targetCondition interface {
	matches(t *okta.Target) bool
}

type anyOf []condition
type allOf []condition

func (c anyOf) holds(ev *okta.LogEvent) bool {
	return slices.ContainsFunc(c, func(x condition) bool { return x.holds(ev) })
}

func (c allOf) holds(ev *okta.LogEvent) bool {
	return !slices.ContainsFunc(c, func(x condition) bool { return !x.holds(ev) })
}

// fieldComparison is `event.<field> eq|ne '<value>'`. A property the event lacks equals no string, as
// a null does in the Expression Language.
type fieldComparison struct {
	get   func(*okta.LogEvent) (string, bool)
	equal bool
	value string
}

func (c fieldComparison) holds(ev *okta.LogEvent) bool {
	v, ok := c.get(ev)
	return (ok && v == c.value) == c.equal
}

// selectionSize is `event.target.?[<where>].size() <op> <n>`: how many targets match, compared.
type selectionSize struct {
	where targetCondition
	op    string
	n     int
}

func (c selectionSize) holds(ev *okta.LogEvent) bool {
	count := 0
	for i := range ev.Target {
		if c.where.matches(&ev.Target[i]) {
			count++
		}
	}
	switch c.op {
	case ">":
		return count > c.n
	case ">=":
		return count >= c.n
	case "<":
		return count < c.n
	case "<=":
		return count <= c.n
	case "==":
		return count == c.n
	default: // "!="
		return count != c.n
	}
}

type anyTarget []targetCondition
type allTarget []targetCondition

func (c anyTarget) matches(t *okta.Target) bool {
	return slices.ContainsFunc(c, func(x targetCondition) bool { return x.matches(t) })
}

func (c allTarget) matches(t *okta.Target) bool {
	return !slices.ContainsFunc(c, func(x targetCondition) bool { return !x.matches(t) })
}

type targetComparison struct {
	get   func(*okta.Target) string
	equal bool
	value string
}

func (c targetComparison) matches(t *okta.Target) bool { return (c.get(t) == c.value) == c.equal }

// token kinds of the lexer.
const (
	tokEOF = iota
	tokIdent
	tokString
	tokNumber
	tokOp     // && || == != >= <= > <
	tokLParen // (
	tokRParen // )
	tokSelect // .?[
	tokRBrack // ]
	tokDot    // .
	tokOther  // a character no form uses
	tokBad    // an unterminated string; text says so
)

type token struct {
	kind int
	text string // the identifier, operator, or the string's decoded value
	pos  int    // byte offset, for messages
}

// lex splits an expression into tokens. What it cannot read becomes a tokOther or tokBad token, so the
// parser reports the first problem in reading order, with what it expected there.
func lex(s string) []token {
	var out []token
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '(':
			out = append(out, token{tokLParen, "(", i})
			i++
		case r == ')':
			out = append(out, token{tokRParen, ")", i})
			i++
		case r == ']':
			out = append(out, token{tokRBrack, "]", i})
			i++
		case strings.HasPrefix(s[i:], ".?["):
			out = append(out, token{tokSelect, ".?[", i})
			i += 3
		case r == '.':
			out = append(out, token{tokDot, ".", i})
			i++
		case r == '\'' || r == '"':
			v, n, ok := lexString(s[i:], byte(r))
			if !ok {
				return append(out, token{tokBad, "unterminated string", i}, token{tokEOF, "", len(s)})
			}
			out = append(out, token{tokString, v, i})
			i += n
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, token{tokNumber, s[i:j], i})
			i = j
		case r == '_' || unicode.IsLetter(r):
			j := i
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if r2 != '_' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += n
			}
			out = append(out, token{tokIdent, s[i:j], i})
			i = j
		default:
			op := ""
			for _, o := range []string{"&&", "||", "==", "!=", ">=", "<=", ">", "<"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				out = append(out, token{tokOther, string(r), i})
				i += size
				continue
			}
			out = append(out, token{tokOp, op, i})
			i += len(op)
		}
	}
	return append(out, token{tokEOF, "", len(s)})
}

// lexString reads a quoted string at the start of s; a doubled quote stands for one, as in the
// Expression Language. It returns the value and how many bytes the literal took; false when the string
// is not closed.
func lexString(s string, quote byte) (string, int, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != quote {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == quote {
			b.WriteByte(quote)
			i++
			continue
		}
		return b.String(), i + 1, true
	}
	return "", 0, false
}

// parser is a recursive-descent parser over the tokens of one expression.
type parser struct {
	toks  []token
	i     int
	depth int
}

// parseCondition parses an expression into a condition, or says why Okta's documented forms do not
// cover it. It never panics, whatever the input.
func parseCondition(s string) (condition, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("the expression is empty")
	}
	if len(s) > maxExpressionLen {
		return nil, fmt.Errorf("the expression has %d characters; at most %d are allowed", len(s), maxExpressionLen)
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("the expression is not valid UTF-8")
	}
	p := &parser{toks: lex(s)}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t)
	}
	return c, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	switch t.kind {
	case tokEOF:
		return fmt.Errorf("the expression ends too early")
	case tokBad:
		return fmt.Errorf("%s at position %d", t.text, t.pos)
	}
	return fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
}

// enter counts a level of nesting and refuses expressions nested deeper than maxExpressionDepth.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExpressionDepth {
		return fmt.Errorf("the expression is nested more than %d levels deep", maxExpressionDepth)
	}
	return nil
}

func (p *parser) or() (condition, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	terms, err := chain(p, "||", p.and)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return anyOf(terms), nil
}

func (p *parser) and() (condition, error) {
	terms, err := chain(p, "&&", p.primary)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return allOf(terms), nil
}

// chain parses operand (op operand)…, the shape of both the event's and a target's && and || lists.
func chain[T any](p *parser, op string, operand func() (T, error)) ([]T, error) {
	var terms []T
	for {
		c, err := operand()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		if t := p.peek(); t.kind != tokOp || t.text != op {
			return terms, nil
		}
		p.next()
	}
}

// first is the only term of a one-term list, or the zero value of an empty one.
func first[T any](terms []T) T {
	var zero T
	if len(terms) == 0 {
		return zero
	}
	return terms[0]
}

func (p *parser) primary() (condition, error) {
	t := p.peek()
	if t.kind == tokLParen {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tokRParen {
			return nil, p.unexpected(t)
		}
		return c, nil
	}
	if t.kind != tokIdent || t.text != "event" {
		return nil, fmt.Errorf("a condition must start with one of %s; found %s", supportedForms, describe(t))
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	if path == "event.target" {
		return p.selection()
	}
	if strings.HasPrefix(path, "event.target.") {
		return nil, fmt.Errorf("%s is not supported: targets are filtered with a selection .?[...] and .size(), "+
			"as in event.target.?[type eq 'UserGroup'].size() > 0", path)
	}
	get, ok := eventFields[path]
	if !ok {
		return nil, fmt.Errorf("%s is not a property event hook filters support; they support %s", path, supportedForms)
	}
	equal, err := p.equality()
	if err != nil {
		return nil, err
	}
	value, err := p.stringValue()
	if err != nil {
		return nil, err
	}
	return fieldComparison{get: get, equal: equal, value: value}, nil
}

// path reads identifiers joined by dots: event.actor.id.
func (p *parser) path() (string, error) {
	parts := []string{p.next().text}
	for p.peek().kind == tokDot {
		p.next()
		t := p.next()
		if t.kind != tokIdent {
			return "", p.unexpected(t)
		}
		parts = append(parts, t.text)
	}
	return strings.Join(parts, "."), nil
}

// equality reads eq, ne, == or !=; true for equality.
func (p *parser) equality() (bool, error) {
	t := p.next()
	switch {
	case t.kind == tokIdent && t.text == "eq", t.kind == tokOp && t.text == "==":
		return true, nil
	case t.kind == tokIdent && t.text == "ne", t.kind == tokOp && t.text == "!=":
		return false, nil
	}
	if t.kind == tokEOF {
		return false, fmt.Errorf("the expression ends before a comparison: compare with eq or ne")
	}
	return false, fmt.Errorf("%q at position %d is not a supported comparison: use eq or ne", t.text, t.pos)
}

func (p *parser) stringValue() (string, error) {
	t := p.next()
	if t.kind != tokString {
		return "", fmt.Errorf("expected a quoted string, found %s", describe(t))
	}
	return t.text, nil
}

// selection reads .?[<where>].size() <op> <n> after event.target.
func (p *parser) selection() (condition, error) {
	if t := p.next(); t.kind != tokSelect {
		return nil, fmt.Errorf("event.target must be followed by a selection .?[...] and .size(); found %s", describe(t))
	}
	where, err := p.targetOr()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokRBrack {
		return nil, p.unexpected(t)
	}
	for _, want := range []int{tokDot, tokIdent, tokLParen, tokRParen} {
		t := p.next()
		if t.kind != want || want == tokIdent && t.text != "size" {
			return nil, fmt.Errorf("a target selection must be followed by .size() and a comparison; found %s", describe(t))
		}
	}
	op, err := p.sizeOperator()
	if err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != tokNumber || len(t.text) > 9 {
		return nil, fmt.Errorf("expected a whole number to compare .size() with, found %s", describe(t))
	}
	n, _ := strconv.Atoi(t.text)
	return selectionSize{where: where, op: op, n: n}, nil
}

// sizeOperator reads the comparison of a .size(): > >= < <= == != or eq, ne.
func (p *parser) sizeOperator() (string, error) {
	t := p.next()
	switch {
	case t.kind == tokOp && t.text != "&&" && t.text != "||":
		return t.text, nil
	case t.kind == tokIdent && t.text == "eq":
		return "==", nil
	case t.kind == tokIdent && t.text == "ne":
		return "!=", nil
	}
	return "", fmt.Errorf("expected a comparison (>, >=, <, <=, ==, !=, eq, ne) after .size(), found %s", describe(t))
}

func (p *parser) targetOr() (targetCondition, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	terms, err := chain(p, "||", p.targetAnd)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return anyTarget(terms), nil
}

func (p *parser) targetAnd() (targetCondition, error) {
	terms, err := chain(p, "&&", p.targetPrimary)
	if err != nil || len(terms) == 1 {
		return first(terms), err
	}
	return allTarget(terms), nil
}

func (p *parser) targetPrimary() (targetCondition, error) {
	t := p.next()
	if t.kind == tokLParen {
		c, err := p.targetOr()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tokRParen {
			return nil, p.unexpected(t)
		}
		return c, nil
	}
	get, ok := targetFields[t.text]
	if t.kind != tokIdent || !ok {
		return nil, fmt.Errorf("inside event.target.?[...] compare id, type, alternateId or displayName; found %s", describe(t))
	}
	equal, err := p.equality()
	if err != nil {
		return nil, err
	}
	value, err := p.stringValue()
	if err != nil {
		return nil, err
	}
	return targetComparison{get: get, equal: equal, value: value}, nil
}

// describe names a token for an error message.
func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "the end of the expression"
	case tokString:
		return fmt.Sprintf("the string %q at position %d", t.text, t.pos)
	case tokBad:
		return fmt.Sprintf("an %s at position %d", t.text, t.pos)
	}
	return fmt.Sprintf("%q at position %d", t.text, t.pos)
}
