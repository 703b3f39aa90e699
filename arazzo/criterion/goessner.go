package criterion

import (
	"fmt"
	"unicode/utf16"

	"gopkg.in/yaml.v3"

	"github.com/trama-dev/trama/internal/lazyregexp"
)

// jsonQuery is a compiled JSONPath query of either version the Expression Type Object names.
type jsonQuery struct {
	q compiledQuery
	// rfc is the RFC 9535 query the engine runs: the query as written, or a Goessner query after the
	// rewrites below, without a final JavaScript `.length`.
	rfc string
	// length is set for a Goessner query that ends in `.length`: JavaScript's length of what rfc selects.
	length bool
}

// selectNodes returns the nodes the query selects from root, in nodelist order. A JavaScript length is
// a node of its own, not part of root's tree.
func (q *jsonQuery) selectNodes(root *yaml.Node) []*yaml.Node {
	nodes := q.q.selectNodes(root)
	if !q.length {
		return nodes
	}
	out := make([]*yaml.Node, 0, len(nodes))
	for _, n := range nodes {
		switch {
		case n.Kind == yaml.SequenceNode:
			out = append(out, intNode(len(n.Content)))
		case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
			// JavaScript counts UTF-16 code units.
			out = append(out, intNode(len(utf16.Encode([]rune(n.Value)))))
		case n.Kind == yaml.MappingNode:
			if c := child(n, pathStep{name: "length"}); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

func intNode(n int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(n)}
}

var (
	// scriptIndex is Goessner's one portable script expression, `[(@.length-n)]`: the n-th element from
	// the end, which RFC 9535 writes `[-n]`.
	scriptIndex = lazyregexp.New(`\[\s*\(\s*@\s*\.\s*length\s*-\s*([1-9][0-9]*)\s*\)\s*\]`)
	// scriptExpr is any other `[( … )]`: JavaScript run by the host language.
	scriptExpr = lazyregexp.New(`\[\s*\(`)
	// finalLength is a query's last segment `.length`.
	finalLength = lazyregexp.New(`\.\s*length\s*$`)
)

// compileGoessner compiles a query written for Stefan Goessner's JSONPath, the version the Expression
// Type Object calls draft-goessner-dispatch-jsonpath-00. The draft has no grammar beyond its examples;
// its implementations evaluate filters and script expressions as JavaScript. RFC 9535 standardised its
// portable subset, so trama runs the query as RFC 9535 except where the two can be told apart without a
// JavaScript engine:
//
//   - `[(@.length-n)]`, the script expression for the n-th element from the end, is `[-n]`; any other
//     script expression is refused, since it needs JavaScript;
//   - a final `.length` is JavaScript's length (an array's element count, a string's length in UTF-16
//     code units) rather than a member named "length", except on an object, where JavaScript reads the
//     member too.
//
// Filter expressions keep RFC 9535 semantics (no type coercion: "1" == 1 is false), which the warning
// says.
func compileGoessner(query, what string) (*jsonQuery, []string, error) {
	stripped := blankJSONPathStrings(query)
	rfc := []byte(query)
	// Replace from the end so earlier offsets stay valid.
	locs := scriptIndex.FindAllStringSubmatchIndex(stripped, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		l := locs[i]
		rfc = append(rfc[:l[0]], append([]byte("[-"+query[l[2]:l[3]]+"]"), rfc[l[1]:]...)...)
	}
	text := string(rfc)
	if loc := scriptExpr.FindStringIndex(blankJSONPathStrings(text)); loc != nil {
		return nil, nil, &Problem{Kind: JSONPath, Version: GoessnerDraft00, Condition: query, What: what, Err: ErrUnsupported,
			Message: fmt.Sprintf("the script expression at offset %d is JavaScript, which Goessner's implementations run in their host "+
				"language and trama cannot; only [(@.length-n)] (written [-n] in RFC 9535) is understood: use an index, a slice or a filter", loc[0])}
	}
	q := &jsonQuery{rfc: text}
	// `$..length` is a descendant member named length, not a length.
	if loc := finalLength.FindStringIndex(blankJSONPathStrings(text)); loc != nil && loc[0] >= 1 && text[loc[0]-1] != '.' {
		q.rfc, q.length = text[:loc[0]], true
	}
	compiled, err := engine.compile(q.rfc)
	if err != nil {
		return nil, nil, &Problem{Kind: JSONPath, Version: GoessnerDraft00, Condition: query, What: what, Err: err,
			Message: fmt.Sprintf("not a JSONPath query trama can evaluate (it runs Goessner queries as RFC 9535): %s", engineMessage(err))}
	}
	q.q = compiled
	warning := fmt.Sprintf("jsonpath version %s is evaluated as RFC 9535, with Goessner's `[(@.length-n)]` and final `.length` "+
		"understood: filter expressions follow RFC 9535 (no JavaScript type coercion) and other script expressions are refused", GoessnerDraft00)
	return q, []string{warning}, nil
}

// blankJSONPathStrings replaces the contents of JSONPath string literals (with their backslash escapes)
// by 'x', keeping every offset, so that patterns looking for syntax do not match inside names.
func blankJSONPathStrings(query string) string {
	b := []byte(query)
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == '\\' && i+1 < len(b):
			b[i], b[i+1] = 'x', 'x'
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			b[i] = 'x'
		}
	}
	return string(b)
}
