package criterion

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/speakeasy-api/jsonpath/pkg/jsonpath"
	"github.com/speakeasy-api/jsonpath/pkg/jsonpath/token"
	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// queryEngine compiles JSONPath queries. It is the seam that lets trama swap the RFC 9535
// implementation and lets the compliance test run the same engine the runner uses.
type queryEngine interface {
	compile(query string) (compiledQuery, error)
}

// compiledQuery is a parsed JSONPath query, safe for concurrent use.
type compiledQuery interface {
	// selectNodes returns the nodes the query selects from root, in nodelist order.
	selectNodes(root *yaml.Node) []*yaml.Node
}

// engine is the JSONPath implementation trama uses.
var engine queryEngine = speakeasyEngine{}

// speakeasyEngine runs github.com/speakeasy-api/jsonpath, which implements RFC 9535 on yaml.v3 nodes.
type speakeasyEngine struct{}

func (speakeasyEngine) compile(query string) (compiledQuery, error) {
	if err := checkControlChars(query); err != nil {
		return nil, err
	}
	p, err := jsonpath.NewPath(query)
	if err != nil {
		return nil, err
	}
	return speakeasyQuery{p}, nil
}

type speakeasyQuery struct{ p *jsonpath.JSONPath }

func (q speakeasyQuery) selectNodes(root *yaml.Node) []*yaml.Node { return q.p.Query(root) }

// jsonPathCondition is a compiled jsonpath condition: an RFC 9535 query or, failing that, a
// compatibility comparison.
type jsonPathCondition struct {
	query    *jsonQuery
	compare  *comparison
	warnings []string
}

func compileJSONPath(version, condition string) (*jsonPathCondition, error) {
	q, warnings, err := compileQuery(version, condition, "condition")
	if err == nil {
		return &jsonPathCondition{query: q, warnings: warnings}, nil
	}
	var p *Problem
	if errors.As(err, &p) && p.Err == nil {
		return nil, err // an unknown version or a Goessner script expression: no comparison either
	}
	if c, ok := parseComparison(condition); ok {
		return &jsonPathCondition{compare: c, warnings: append(warnings, c.warning(condition))}, nil
	}
	return nil, err
}

// compileQuery compiles a JSONPath query of the given version: RFC 9535 as it is, or a query of the
// Goessner draft through the rewrites in goessner.go. what names the query in messages ("condition",
// "selector", "target").
func compileQuery(version, query, what string) (*jsonQuery, []string, error) {
	switch version {
	case "", RFC9535:
		q, err := engine.compile(query)
		if err != nil {
			return nil, nil, &Problem{Kind: JSONPath, Version: version, Condition: query, What: what, Err: err,
				Message: fmt.Sprintf("not a valid RFC 9535 JSONPath query: %s", engineMessage(err))}
		}
		return &jsonQuery{q: q, rfc: query}, nil, nil
	case GoessnerDraft00:
		return compileGoessner(query, what)
	}
	return nil, nil, &Problem{Kind: JSONPath, Version: version, Condition: query, What: what,
		Message: fmt.Sprintf("unknown jsonpath version %q: want %s or %s", version, RFC9535, GoessnerDraft00)}
}

// matches evaluates the condition against a JSON-like context.
func (c *jsonPathCondition) matches(context any) (bool, error) {
	root, err := toNode(context)
	if err != nil {
		return false, err
	}
	if c.compare != nil {
		return c.compare.eval(root), nil
	}
	return len(c.query.selectNodes(root)) > 0, nil
}

// toNode converts a JSON-like context to the yaml.v3 node tree the JSONPath engine walks. []byte and
// json.RawMessage are parsed as JSON text. Go types other than the ones encoding/json produces (typed
// maps and slices, structs) are first converted through their JSON encoding.
func toNode(context any) (*yaml.Node, error) {
	switch v := context.(type) {
	case []byte:
		return parseJSONNode(v)
	case json.RawMessage:
		return parseJSONNode(v)
	}
	if n, ok := countNodes(context); ok {
		b := nodeBuilder{nodes: make([]yaml.Node, n), children: make([]*yaml.Node, n)}
		return b.build(context), nil
	}
	raw, err := json.Marshal(context)
	if err != nil {
		return nil, fmt.Errorf("jsonpath context of type %T is not JSON: %w", context, err)
	}
	return parseJSONNode(raw)
}

func parseJSONNode(raw []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("jsonpath context is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("jsonpath context is not JSON: data after the first value")
	}
	n, _ := countNodes(v)
	b := nodeBuilder{nodes: make([]yaml.Node, n), children: make([]*yaml.Node, n)}
	return b.build(v), nil
}

// checkControlChars rejects the raw control characters RFC 9535 forbids, which the engine accepts:
// any of U+0000–U+001F inside a string literal (they must be escaped), and any but tab, line feed and
// carriage return (blank space) outside one.
func checkControlChars(query string) error {
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0 && c == '\\':
			i++ // the escaped character cannot end the string
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case c < 0x20 && (quote != 0 || (c != '\t' && c != '\n' && c != '\r')):
			return fmt.Errorf("raw control character U+%04X at offset %d: escape it as \\u%04x", c, i, c)
		}
	}
	return nil
}

// engineLocation is how the JSONPath engine starts its messages.
var engineLocation = lazyregexp.New(`^Error at line (\d+), column (\d+): (.*)$`)

// engineMessage makes the engine's error one line: it writes "Error at line 1, column 7: unexpected
// token" followed by the query and a caret on lines of their own.
func engineMessage(err error) string {
	first, _, _ := strings.Cut(err.Error(), "\n")
	if m := engineLocation.FindStringSubmatch(first); m != nil {
		if m[1] == "1" {
			return fmt.Sprintf("%s at offset %s", m[3], m[2])
		}
		return fmt.Sprintf("%s at line %s, column %s", m[3], m[1], m[2])
	}
	return first
}

// singularPath returns the segments of a singular query, RFC 9535 section 2.3.5.1: `$` followed only by
// name and index segments, one selector each (`.a`, `['a']`, `[0]`, `[-1]`), which selects at most one
// node. ok is false for any other query, one that may select several nodes. The query must already
// have compiled; its tokens are the engine's, so names unescape as the engine reads them.
func singularPath(query string) (path []pathStep, ok bool) {
	toks := token.NewTokenizer(query).Tokenize()
	if len(toks) == 0 || toks[0].Token != token.ROOT {
		return nil, false
	}
	for i := 1; i < len(toks); {
		switch {
		case toks[i].Token == token.CHILD && i+1 < len(toks) && memberNameToken(toks[i+1].Token):
			path = append(path, pathStep{name: toks[i+1].Literal, dot: true})
			i += 2
		case toks[i].Token == token.BRACKET_LEFT && i+2 < len(toks) && toks[i+2].Token == token.BRACKET_RIGHT:
			switch sel := toks[i+1]; sel.Token {
			case token.STRING_LITERAL:
				path = append(path, pathStep{name: sel.Literal})
			case token.INTEGER:
				n, err := strconv.Atoi(sel.Literal)
				if err != nil {
					return nil, false
				}
				path = append(path, pathStep{index: n, isIdx: true})
			default:
				return nil, false
			}
			i += 3
		default:
			return nil, false
		}
	}
	return path, true
}

// memberNameToken reports whether a token after "." is a member name: the tokenizer gives names that
// are also keywords or function names (.true, .length) their own tokens.
func memberNameToken(t token.Token) bool {
	switch t {
	case token.STRING, token.FUNCTION, token.TRUE, token.FALSE, token.NULL:
		return true
	}
	return false
}
