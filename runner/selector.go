package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/arazzo/criterion"
	"github.com/trama-dev/trama/arazzo/expr"
)

// evalSelector evaluates a Selector Object (Arazzo 1.1): its context expression first, then its
// selector on that value. A context that does not exist, or a selector that selects nothing, is an
// error wrapping expr.ErrNotFound, as a runtime expression that finds nothing is: an output is then
// left unset, and a parameter or payload that needs the value fails its step.
func (x *execution) evalSelector(ctx context.Context, s *arazzo.Selector, sc *scope) (any, error) {
	e, err := x.r.expression(unbrace(s.Context))
	if err != nil {
		return nil, fmt.Errorf("%s: context: %w", s, err)
	}
	sc.ctx = ctx
	v, found, err := expr.Eval(e, sc)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, &expr.EvalError{Expr: e.Raw, Msg: expr.ErrNotFound.Error()}
	}
	sel, err := x.compiledSelector(criterion.Kind(s.Type), s.Version, s.Selector, sc, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	value, found, err := sel.Select(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s, err)
	}
	if !found {
		return nil, &expr.EvalError{Expr: s.String(), Msg: expr.ErrNotFound.Error()}
	}
	return value, nil
}

// compiledSelector compiles a selector or a replacement target, after substituting the {$…} runtime
// expressions it embeds (the rule 1.1 gives jsonpath, xpath and regex conditions, which trama applies
// to selectors and targets too). Text without embedded expressions is compiled once per Runner; text
// with them differs from run to run and is compiled each time.
func (x *execution) compiledSelector(kind criterion.Kind, version, text string, sc *scope, target bool) (*criterion.Selector, error) {
	compile := criterion.CompileSelector
	if target {
		compile = criterion.CompileTarget
	}
	if strings.Contains(text, "{$") {
		t, err := x.r.strictTemplate(text)
		if err != nil {
			return nil, err
		}
		rendered, err := t.Eval(sc)
		if err != nil {
			return nil, err
		}
		text, _ = scalarText(rendered)
		return compile(kind, version, text)
	}
	key := fmt.Sprintf("%s\x00%s\x00%t\x00%s", kind, version, target, text)
	if v, ok := x.r.selectors.Load(key); ok {
		return v.(*criterion.Selector), nil
	}
	s, err := compile(kind, version, text)
	if err != nil {
		return nil, err
	}
	x.r.selectors.Store(key, s)
	return s, nil
}

// replace applies one Payload Replacement Object to an evaluated payload. The target's type is its
// targetSelectorType or, when that is not written, XPath for an XML payload and JSON Pointer for any
// other (1.1 "Payload Replacement Object").
func (x *execution) replace(ctx context.Context, payload any, rep *arazzo.PayloadReplacement, mediaType string, sc *scope) (any, error) {
	v, err := x.evalValue(ctx, rep.Value, sc)
	if err != nil {
		return nil, err
	}
	kind := criterion.Kind(rep.TargetType)
	if kind == "" {
		kind = criterion.JSONPointer
		if strings.Contains(mediaType, "xml") {
			kind = criterion.XPath
		}
	}
	t, err := x.compiledSelector(kind, rep.TargetVersion, rep.Target, sc, true)
	if err != nil {
		return nil, err
	}
	return t.Replace(payload, v)
}

// unbrace removes the braces of a field typed {expression} written as `{$response.body}`.
func unbrace(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		return s[1 : len(s)-1]
	}
	return s
}

// replaceable is the payload replacements apply to: a JSON body written as text is replaced into as the
// value it holds, for a request body and a message payload alike.
func replaceable(payload any, contentType string) any {
	if s, ok := payload.(string); ok && isJSONMediaType(mediaTypeOf(contentType)) {
		if v, err := decodeJSON([]byte(s)); err == nil {
			return v
		}
	}
	return payload
}
