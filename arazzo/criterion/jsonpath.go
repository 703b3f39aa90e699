package criterion

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/speakeasy-api/jsonpath/pkg/jsonpath"
	"gopkg.in/yaml.v3"
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
	query    compiledQuery
	compare  *comparison
	warnings []string
}

func compileJSONPath(version, condition string) (*jsonPathCondition, error) {
	var warnings []string
	switch version {
	case "", RFC9535:
	case GoessnerDraft00:
		// The draft has no grammar of its own beyond examples and runs script expressions in the host
		// language; RFC 9535 standardised its portable subset, so that is what trama evaluates.
		warnings = append(warnings, fmt.Sprintf("jsonpath version %s is evaluated as RFC 9535: "+
			"script expressions such as `(@.length-1)` are not supported", GoessnerDraft00))
	default:
		return nil, &Problem{Kind: JSONPath, Version: version, Condition: condition,
			Message: fmt.Sprintf("unknown jsonpath version %q: want %s or %s", version, RFC9535, GoessnerDraft00)}
	}
	q, err := engine.compile(condition)
	if err == nil {
		return &jsonPathCondition{query: q, warnings: warnings}, nil
	}
	if c, ok := parseComparison(condition); ok {
		return &jsonPathCondition{compare: c, warnings: append(warnings, c.warning(condition))}, nil
	}
	return nil, &Problem{Kind: JSONPath, Version: version, Condition: condition, Err: err,
		Message: fmt.Sprintf("not a valid RFC 9535 JSONPath query: %v", err)}
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
