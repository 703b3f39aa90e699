package criterion

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/antchfx/xmlquery"
	"github.com/antchfx/xpath"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// xpathCondition is a compiled xpath condition.
type xpathCondition struct {
	text     string // as written, for error messages
	expr     *xpath.Expr
	warnings []string
}

// xpath2Functions are the XPath 2.0 functions antchfx/xpath offers on top of XPath 1.0.
var xpath2Functions = lazyregexp.New(`\b(lower-case|upper-case|ends-with|matches|replace|reverse|string-join)\s*\(`)

// compileXPath compiles an xpath condition with antchfx/xpath, an XPath 1.0 engine with a few 2.0
// functions; no maintained pure-Go XPath 2.0 or 3.x engine exists. For xpath-20, xpath-30 and xpath-31
// (and the default) an expression that compiles is evaluated with XPath 1.0 semantics and Check warns;
// an expression that needs a 2.0+ construct is refused as unsupported rather than evaluated wrongly.
func compileXPath(version, condition string) (*xpathCondition, error) {
	return compileXPathAs(version, condition, "condition")
}

// compileXPathAs is compileXPath for a condition, selector or target, as what says.
func compileXPathAs(version, condition, what string) (*xpathCondition, error) {
	switch version {
	case "", XPath10, XPath20, XPath30, XPath31:
	default:
		return nil, &Problem{Kind: XPath, Version: version, Condition: condition, What: what,
			Message: fmt.Sprintf("unknown xpath version %q: want %s, %s, %s or %s",
				version, XPath10, XPath20, XPath30, XPath31)}
	}
	expr, err := compileWhole(condition)
	if err != nil {
		construct := xpath2Construct(condition)
		switch {
		case construct != "" && version == XPath10:
			return nil, &Problem{Kind: XPath, Version: version, Condition: condition, What: what, Err: err,
				Message: fmt.Sprintf("%s is not XPath 1.0", construct)}
		case construct != "":
			return nil, &Problem{Kind: XPath, Version: version, Condition: condition, What: what, Err: ErrUnsupported,
				Message: fmt.Sprintf("uses %s, an XPath 2.0+ feature trama does not support "+
					"(its engine is XPath 1.0 with a few 2.0 functions); rewrite it in XPath 1.0", construct)}
		}
		return nil, &Problem{Kind: XPath, Version: version, Condition: condition, What: what, Err: err,
			Message: fmt.Sprintf("invalid XPath expression: %v", err)}
	}
	c := &xpathCondition{text: condition, expr: expr}
	name := version
	if name == "" {
		name = "the default version (XPath 3.1)"
	}
	if version == XPath10 {
		if m := xpath2Functions.FindStringSubmatch(condition); m != nil {
			c.warnings = append(c.warnings, fmt.Sprintf("function %s() is XPath 2.0, not 1.0; "+
				"trama accepts it as an extension", m[1]))
		}
	} else {
		c.warnings = append(c.warnings, fmt.Sprintf("xpath %s for %s is evaluated with XPath 1.0 "+
			"semantics: 2.0+ typing, sequences and functions beyond %s are not supported",
			what, name, "lower-case, upper-case, ends-with, matches, replace, reverse and string-join"))
	}
	return c, nil
}

// compileWhole compiles an expression and makes sure the engine read all of it. antchfx/xpath stops at
// the first token that cannot continue a complete expression and ignores the rest, so `/a/@n eq 'y'`
// would compile as `/a/@n` and pass. Inside parentheses the engine insists on the closing ')', so
// compiling the expression wrapped in parentheses, with balanced parentheses of its own, rejects
// trailing text.
func compileWhole(condition string) (*xpath.Expr, error) {
	if _, err := xpath.Compile(condition); err != nil {
		return nil, err
	}
	depth := 0
	for _, c := range stripStringLiterals(condition) {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		}
		if depth < 0 {
			return nil, errors.New("unbalanced ')'")
		}
	}
	if depth != 0 {
		return nil, errors.New("unbalanced '('")
	}
	expr, err := xpath.Compile("(" + condition + ")")
	if err != nil {
		return nil, errors.New("unexpected text after the end of the expression")
	}
	return expr, nil
}

// xpath2Syntax maps XPath 2.0+ constructs to their names, in the order they are looked for.
var xpath2Syntax = []struct {
	re   *lazyregexp.Regexp
	name string
}{
	{lazyregexp.New(`\(:`), "comments `(: … :)`"},
	{lazyregexp.New(`\bif\s*\(`), "conditional expressions `if … then … else`"},
	{lazyregexp.New(`\bfor\s+\$`), "`for` expressions"},
	{lazyregexp.New(`\blet\s+\$`), "`let` expressions"},
	{lazyregexp.New(`\b(some|every)\s+\$`), "quantified expressions `some`/`every`"},
	{lazyregexp.New(`\b(instance\s+of|treat\s+as|castable\s+as|cast\s+as)\b`), "type expressions (`instance of`, `cast as` …)"},
	{lazyregexp.New(`\s(eq|ne|lt|le|gt|ge)\s`), "value comparisons (`eq`, `ne`, `lt` …)"},
	{lazyregexp.New(`\s(is|<<|>>)\s`), "node comparisons (`is`, `<<`, `>>`)"},
	{lazyregexp.New(`\s(to)\s`), "range expressions `to`"},
	{lazyregexp.New(`\s(intersect|except|idiv)\s`), "`intersect`, `except` or `idiv`"},
	{lazyregexp.New(`\|\|`), "the string concatenation operator `||`"},
	{lazyregexp.New(`=>`), "the arrow operator `=>`"},
	{lazyregexp.New(`![^=]`), "the simple map operator `!`"},
	{lazyregexp.New(`\b(map|array)\s*\{|\?\*|\?\w`), "maps, arrays and lookups"},
	{lazyregexp.New(`\bfunction\s*\(|#\d`), "function items"},
	{lazyregexp.New(`(^|[^\w\-.])\(\s*\)|(^|[\s(,=<>!+*\[])\([^()]*,`), "sequences `(a, b)`"},
}

// xpath2Construct names the first XPath 2.0+ construct in an expression, ignoring string literals.
func xpath2Construct(expr string) string {
	stripped := stripStringLiterals(expr)
	for _, s := range xpath2Syntax {
		if s.re.MatchString(stripped) {
			return s.name
		}
	}
	return ""
}

// stripStringLiterals blanks the contents of '…' and "…" literals so operators inside them are not
// mistaken for syntax.
func stripStringLiterals(expr string) string {
	b := []byte(expr)
	var quote byte
	for i, c := range b {
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b[i] = 'x'
		}
	}
	return string(b)
}

// matches parses context as XML and applies the XPath 1.0 boolean conversion to the result.
func (c *xpathCondition) matches(context any) (bool, error) {
	var text string
	switch v := context.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return false, fmt.Errorf("xpath context must be an XML document as a string or []byte, got %T", context)
	}
	doc, err := xmlquery.Parse(strings.NewReader(text))
	if err != nil {
		return false, fmt.Errorf("xpath context is not XML: %w", err)
	}
	return c.evaluate(doc)
}

// evaluate runs the expression. antchfx/xpath reports some evaluation errors (a function argument of
// the wrong type, a bad regular expression given to matches()) by panicking instead of returning an
// error, and they depend on the document, so they cannot all be ruled out at compile time; evaluate
// turns exactly those panics into errors.
func (c *xpathCondition) evaluate(doc *xmlquery.Node) (ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("xpath condition %q failed: %v", c.text, r)
		}
	}()
	switch v := c.expr.Evaluate(xmlquery.CreateXPathNavigator(doc)).(type) {
	case bool:
		return v, nil
	case float64:
		return v != 0 && !math.IsNaN(v), nil
	case string:
		return v != "", nil
	case *xpath.NodeIterator:
		return v.MoveNext(), nil
	default:
		return false, fmt.Errorf("xpath condition %q returned an unexpected %T", c.text, v)
	}
}
