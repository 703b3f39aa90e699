// Package criterion evaluates the typed expressions of Arazzo: the regex, jsonpath and xpath conditions
// of Criterion Objects, and the jsonpath, xpath and jsonpointer selectors of Selector Objects and
// Payload Replacement targets (Arazzo 1.1), each in the version an Expression Type Object names. The
// runner resolves the context expression and substitutes the {$…} expressions embedded in the text;
// Evaluate then decides pass or fail, Selector.Select picks a value and Selector.Replace sets one, and
// Check, CheckSelector and CheckTarget validate the text for `trama validate`.
//
// # Regex
//
// Conditions use Go's RE2 syntax and match anywhere in the context (a search, not a full match): anchor
// with ^ and $ to match the whole value. RE2 has no lookaround, backreferences, atomic groups or
// possessive quantifiers; a condition that uses them is refused with ErrUnsupported and a message that
// names the construct.
//
// # JSONPath
//
// Conditions are RFC 9535 queries (github.com/speakeasy-api/jsonpath), and a condition passes when its
// nodelist is non-empty. The engine passes 684 of the 703 cases of the JSONPath Compliance Test Suite;
// it fails on member names that need \u escapes or surrogate pairs, on the shorthand names $.true,
// $.false and $.null, and on '.' matching U+2028/U+2029 in match() and search().
//
// The query applies to the context as it is, with no wrapping. Filters select children of the node
// they follow, so against `$response.body` = {"pets": [...]} the specification's example
// `$[?count(@.pets) > 0]` does not pass (the root's children have no "pets" member); write `$.pets[0]`
// or `$.pets[*]`. The filter form suits a context that is an array of objects.
//
// The context is a JSON-like Go value: map[string]any, []any, string, json.Number, float64, the integer
// types, bool or nil. []byte and json.RawMessage are parsed as JSON text; other Go types go through their
// JSON encoding. Numbers compare by value, so 1 and 1.0 are equal.
//
// Documents in the wild, the Okta workflow catalog among them, write comparisons such as
// `$.length > 0` as jsonpath conditions. These are not RFC 9535; when a condition does not parse as a
// query but has the form `<path> <op> <literal>`, trama evaluates it as a comparison and Check warns
// with the RFC 9535 query to write instead (`$[0]` for `$.length > 0`).
//
// # XPath
//
// Conditions run on github.com/antchfx/xpath, an XPath 1.0 engine with a few 2.0 functions, against an
// XML document given as a string or []byte. The result passes by the XPath 1.0 boolean conversion: a
// non-empty node-set, true, a number other than 0 and NaN, or a non-empty string. For xpath-20, xpath-30
// and xpath-31 (the default), an expression that compiles is evaluated with 1.0 semantics and Check
// warns; one that needs a 2.0+ construct (sequences, if, for, value comparisons …) is refused with
// ErrUnsupported rather than evaluated wrongly.
//
// # Selectors and targets
//
// A selector yields a value (see Selector.Select for what jsonpath, jsonpointer and xpath selectors yield
// and when they find nothing); a target names where Selector.Replace sets one. The version of an
// Expression Type Object changes the result where trama can tell the versions apart: xpath-10 turns a
// node-set into its first node while later XPath versions yield a sequence, and Goessner's JSONPath
// (draft-goessner-dispatch-jsonpath-00) reads a final `.length` and `[(@.length-n)]` as JavaScript does.
package criterion
