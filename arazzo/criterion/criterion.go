package criterion

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// Kind is the type of a Criterion Object whose condition is not a simple condition, or of a selector
// (JSONPointer, in selector.go, is a selector type only).
type Kind string

// The criterion kinds this package evaluates. Simple conditions belong to the runner's expression
// evaluator, not here.
const (
	Regex    Kind = "regex"
	JSONPath Kind = "jsonpath"
	XPath    Kind = "xpath"
)

// Versions a Criterion Expression Type Object may name. An empty version means the specification's
// default for the kind.
const (
	RFC9535         = "rfc9535"
	GoessnerDraft00 = "draft-goessner-dispatch-jsonpath-00"
	XPath10         = "xpath-10"
	XPath20         = "xpath-20"
	XPath30         = "xpath-30"
	XPath31         = "xpath-31"
)

// ErrUnsupported marks a condition that is valid in its language but uses a construct trama's engine
// cannot evaluate (regex lookaround, XPath 2.0 sequences). errors.Is(err, ErrUnsupported) tells a
// user mistake apart from a trama limitation.
var ErrUnsupported = errors.New("not supported by trama")

// Problem describes a condition, selector or replacement target that cannot be evaluated: a syntax
// error, an unknown version, or a construct trama does not support. Message says what to change.
type Problem struct {
	Kind    Kind
	Version string // as written; "" for the default
	// Condition is the condition, selector or target as written.
	Condition string
	// What names it in Error: "condition" (when empty), "selector" or "target".
	What    string
	Message string
	Err     error // the engine's error or ErrUnsupported; may be nil
}

// Error returns the kind, the condition, selector or target, and what to fix. The text is quoted as
// given: callers that substitute secrets into it must pass the error through secret.Set.Redact.
func (p *Problem) Error() string {
	kind := string(p.Kind)
	if kind == "" {
		kind = "criterion"
	}
	if p.Version != "" {
		kind += " (" + p.Version + ")"
	}
	what := p.What
	if what == "" {
		what = "condition"
	}
	return fmt.Sprintf("%s %s %q: %s", kind, what, p.Condition, p.Message)
}

// Unwrap returns the underlying engine error or ErrUnsupported.
func (p *Problem) Unwrap() error { return p.Err }

// Evaluate reports whether condition matches context, following the Arazzo Criterion Object rules for
// kind and version ("" = the specification default: RFC 9535 for jsonpath, XPath 3.x for xpath).
// The runner has already substituted embedded {$…} expressions into condition.
//
// A nil context never matches (the specification says a null or undefined context fails) and is not an
// error. An invalid or unsupported condition returns a *Problem; a context of the wrong shape (not XML
// for xpath, not JSON for jsonpath) returns an error naming its type. The runner must treat every error
// as a failed criterion.
//
//   - regex: Go RE2 syntax, unanchored search: '^200$' matches only "200", '2\d\d' matches "1200".
//     The context is matched in its string form: strings and []byte as they are, numbers and booleans
//     as written in JSON, objects and arrays as compact JSON.
//   - jsonpath: passes when the query selects at least one node; see the package documentation for
//     the context types and the `$.length > 0` compatibility form.
//   - xpath: the context must be an XML document as a string or []byte; passes on the XPath Effective
//     Boolean Value of the result.
func Evaluate(kind Kind, version, condition string, context any) (bool, error) {
	switch kind {
	case Regex:
		re, err := compileRegex(version, condition)
		if err != nil {
			return false, err
		}
		if context == nil {
			return false, nil
		}
		s, err := regexSubject(context)
		if err != nil {
			return false, err
		}
		return re.MatchString(s), nil
	case JSONPath:
		q, err := compileJSONPath(version, condition)
		if err != nil {
			return false, err
		}
		if context == nil {
			return false, nil
		}
		return q.matches(context)
	case XPath:
		x, err := compileXPath(version, condition)
		if err != nil {
			return false, err
		}
		if context == nil {
			return false, nil
		}
		return x.matches(context)
	}
	return false, unknownKind(kind, version, condition)
}

// Check validates condition for kind and version without evaluating it, for `trama validate`. It
// returns a *Problem when the condition cannot be evaluated, and warnings for conditions trama
// evaluates but that do not conform to the named specification or are evaluated with reduced
// semantics (XPath 2.0+ expressions run by an XPath 1.0 engine, the `$.length > 0` JSONPath form).
//
// condition may still contain embedded {$…} runtime expressions; Check replaces each with a number
// before compiling, which is valid wherever a value can stand, and puts them back into its messages.
func Check(kind Kind, version, condition string) (warnings []string, err error) {
	cond, restore := placeholderExpressions(condition)
	switch kind {
	case Regex:
		_, err := compileRegex(version, cond)
		return nil, withCondition(err, condition, restore)
	case JSONPath:
		q, err := compileJSONPath(version, cond)
		if err != nil {
			return nil, withCondition(err, condition, restore)
		}
		return restoreAll(q.warnings, restore), nil
	case XPath:
		x, err := compileXPath(version, cond)
		if err != nil {
			return nil, withCondition(err, condition, restore)
		}
		return restoreAll(x.warnings, restore), nil
	}
	return nil, unknownKind(kind, version, condition)
}

func restoreAll(warnings []string, restore func(string) string) []string {
	out := make([]string, len(warnings))
	for i, w := range warnings {
		out[i] = restore(w)
	}
	return out
}

func unknownKind(kind Kind, version, condition string) error {
	msg := fmt.Sprintf("unknown criterion type %q: want regex, jsonpath or xpath", string(kind))
	if kind == JSONPointer {
		msg = "jsonpointer is a selector type, not a criterion type: test the value with a simple condition such as `$response.body#/id != null`"
	}
	return &Problem{Kind: kind, Version: version, Condition: condition, Message: msg}
}

// withCondition puts the condition as the user wrote it (with {$…}) back into a Problem from Check.
func withCondition(err error, condition string, restore func(string) string) error {
	var p *Problem
	if errors.As(err, &p) {
		p.Condition = condition
		p.Message = restore(p.Message)
	}
	return err
}

// embeddedExpression matches a {$…} runtime expression embedded in a condition; runtime expressions
// cannot contain braces.
var embeddedExpression = lazyregexp.New(`\{\$[^{}]*\}`)

// placeholderBase numbers the placeholders; a ten-digit number is a valid literal in regex, JSONPath and
// XPath alike and is unlikely to occur in a condition by itself.
const placeholderBase = 7310000000

// placeholderExpressions replaces each embedded expression with a distinct number, and returns a
// function that puts the expressions back into text derived from the condition, such as a suggested
// rewrite in a warning.
func placeholderExpressions(condition string) (string, func(string) string) {
	var exprs []string
	out := embeddedExpression.ReplaceAllStringFunc(condition, func(e string) string {
		exprs = append(exprs, e)
		return strconv.Itoa(placeholderBase + len(exprs) - 1)
	})
	restore := func(text string) string {
		for i := len(exprs) - 1; i >= 0; i-- {
			text = strings.ReplaceAll(text, strconv.Itoa(placeholderBase+i), exprs[i])
		}
		return text
	}
	return out, restore
}
