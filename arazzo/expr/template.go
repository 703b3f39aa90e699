package expr

import (
	"strings"
)

// Mode selects how string values find expressions.
type Mode int

const (
	// Compat, the default, also substitutes a bare runtime expression
	// inside a longer string ("SSWS $inputs.oktaApiToken"), as Redocly
	// Respect does and as Okta workflows in the wild rely on. The spec
	// leaves this undefined, so BareUses reports each one for a lint
	// warning.
	Compat Mode = iota
	// Strict substitutes only whole-value expressions and "{$…}" embeds
	// (1.1 l.1435); a bare "$" is literal text.
	Strict
)

// String returns "compat" or "strict", the spelling trama's flags use.
func (m Mode) String() string {
	if m == Strict {
		return "strict"
	}
	return "compat"
}

// Template is a parsed string value that may hold expressions. It is
// immutable and safe for concurrent use.
type Template struct {
	src   string
	whole bool // the value is exactly one runtime expression
	parts []part
	exprs []Expr
	bare  []BareUse
}

type part struct {
	lit    string
	expr   Expr
	isExpr bool
}

// BareUse is a bare runtime expression inside a longer string, accepted only
// in Compat mode. Start and End are byte offsets of the expression in the
// template text; Suggestion is the portable "{$…}" spelling.
type BareUse struct {
	Expr       Expr
	Start, End int
	Suggestion string
}

// ParseTemplate parses a string value from a workflow document.
//
//   - A value that is exactly one runtime expression ("$inputs.limit")
//     evaluates to the referenced value with its JSON type (1.0.1 l.863).
//   - Each "{$expr}" is replaced by the value's string form; objects and
//     arrays become JSON (1.1 l.1474–1480). A value that is exactly
//     "{$expr}" is embedding too and yields a string, as 1.1 describes.
//   - "{" not followed by "$", and any "}" outside an embed, are literal:
//     1.1's literal-char excludes them, but JSON text in string payloads
//     ('{"a": "{$inputs.a}"}') needs them. "{$" that does not close with a
//     valid expression is an error, because it is almost always a typo.
//   - In Compat mode a "$" token (a run of characters other than space,
//     "{" and "}") is substituted when it starts with a valid expression:
//     the longest valid prefix is used, trailing ".,;:!?)]'\"" stays
//     literal, and tokens that do not parse ("$.foo", "$5") stay literal.
func ParseTemplate(s string, mode Mode) (*Template, error) {
	return ParseTemplateWith(s, mode, Options{})
}

// ParseTemplateWith is ParseTemplate with custom roots.
func ParseTemplateWith(s string, mode Mode, opts Options) (*Template, error) {
	t := &Template{src: s}
	if len(s) > 1 && s[0] == '$' {
		if e, err := ParseWith(s, opts); err == nil {
			t.whole = true
			t.exprs = []Expr{e}
			t.parts = []part{{expr: e, isExpr: true}}
			return t, nil
		}
	}
	lit := 0 // start of the pending literal text
	flush := func(end int) {
		if end > lit {
			t.parts = append(t.parts, part{lit: s[lit:end]})
		}
	}
	for i := 0; i < len(s); {
		switch {
		case s[i] == '{' && i+1 < len(s) && s[i+1] == '$':
			end := strings.IndexByte(s[i+1:], '}')
			if end < 0 {
				return nil, &SyntaxError{Text: s, Offset: i, Msg: `embedded expression "{$…" is missing its closing "}"`, template: true}
			}
			body := s[i+1 : i+1+end]
			e, err := ParseWith(body, opts)
			if err != nil {
				return nil, shift(err, s, i+1, true)
			}
			flush(i)
			t.parts = append(t.parts, part{expr: e, isExpr: true})
			t.exprs = append(t.exprs, e)
			i += end + 2
			lit = i
		case s[i] == '$' && mode == Compat:
			j := i + 1
			for j < len(s) && !isSpace(s[j]) && s[j] != '{' && s[j] != '}' {
				j++
			}
			tok := strings.TrimRight(s[i:j], ".,;:!?)]'\"")
			e, n, err := parsePrefix(tok, opts)
			if err != nil {
				i++
				continue
			}
			flush(i)
			t.parts = append(t.parts, part{expr: e, isExpr: true})
			t.exprs = append(t.exprs, e)
			t.bare = append(t.bare, BareUse{Expr: e, Start: i, End: i + n, Suggestion: "{" + e.Raw + "}"})
			i += n
			lit = i
		default:
			i++
		}
	}
	flush(len(s))
	return t, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// String returns the template text as written.
func (t *Template) String() string { return t.src }

// Expressions returns every runtime expression in the template, in order.
func (t *Template) Expressions() []Expr { return t.exprs }

// IsLiteral reports whether the template holds no expression, so Eval
// returns the text unchanged.
func (t *Template) IsLiteral() bool { return len(t.exprs) == 0 }

// IsExpression reports whether the whole value is one runtime expression,
// so Eval returns the referenced value with its own type.
func (t *Template) IsExpression() bool { return t.whole }

// BareUses returns the bare expressions Compat mode substituted, so
// `trama validate` can warn and suggest the "{$…}" form.
func (t *Template) BareUses() []BareUse { return t.bare }

// Eval evaluates the template. A whole-value expression returns the value
// itself; anything else returns a string. A value that does not exist is an
// error naming the expression: sending a request with a hole in it is worse
// than failing the step.
func (t *Template) Eval(r Resolver) (any, error) {
	if t.whole {
		e := t.exprs[0]
		v, ok, err := Eval(e, r)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &EvalError{Expr: e.Raw, Msg: ErrNotFound.Error()}
		}
		return v, nil
	}
	if len(t.exprs) == 0 {
		return t.src, nil
	}
	var b strings.Builder
	b.Grow(len(t.src) + 16)
	for _, p := range t.parts {
		if !p.isExpr {
			b.WriteString(p.lit)
			continue
		}
		v, ok, err := Eval(p.expr, r)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &EvalError{Expr: p.expr.Raw, Msg: ErrNotFound.Error()}
		}
		s, err := Stringify(v)
		if err != nil {
			return nil, &EvalError{Expr: p.expr.Raw, Msg: "cannot render as text", Err: err}
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// EvalValue evaluates every string inside v, a value decoded from YAML or
// JSON (string, number, bool, nil, map[string]any, map[any]any, []any). Maps
// and slices are copied, never modified, so the document can be evaluated
// again on the next run. Map keys are not templates.
func EvalValue(v any, mode Mode, r Resolver) (any, error) {
	return EvalValueWith(v, mode, Options{}, r)
}

// EvalValueWith is EvalValue with custom roots, for trigger configurations
// whose values read $event and $env.
func EvalValueWith(v any, mode Mode, opts Options, r Resolver) (any, error) {
	switch x := v.(type) {
	case string:
		if strings.IndexByte(x, '$') < 0 {
			return x, nil // no expression can start without "$"
		}
		t, err := ParseTemplateWith(x, mode, opts)
		if err != nil {
			return nil, err
		}
		return t.Eval(r)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := EvalValueWith(e, mode, opts, r)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case map[any]any:
		out := make(map[any]any, len(x))
		for k, e := range x {
			ev, err := EvalValueWith(e, mode, opts, r)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := EvalValueWith(e, mode, opts, r)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}
