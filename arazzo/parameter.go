package arazzo

// Parameter is a value passed to an operation (path, query, header, cookie)
// or, on a step that calls a workflow, to one of its inputs. A parameter
// written as a Reusable Object has only Reference and possibly Value set; use
// Document.ResolveParameter for the effective parameter.
type Parameter struct {
	located
	Name string
	// In is "path", "query", "header", "cookie" or (1.1) "querystring"; empty
	// when the parameter maps to workflow inputs.
	In string
	// Value is raw: a literal of any JSON type, a runtime expression, a
	// string with embedded `{expression}`s or (1.1) a *Selector, also nested
	// in an object or array.
	Value any
	// Reference is `$components.parameters.<name>` for a Reusable Object.
	Reference  string
	Extensions map[string]any
}

// IsReference reports whether p is a Reusable Object rather than a
// Parameter Object.
func (p *Parameter) IsReference() bool { return p.Reference != "" }

// RequestBody is the body a step sends.
type RequestBody struct {
	located
	// ContentType is empty when the operation's media type applies.
	ContentType string
	// Payload is raw: any JSON value, possibly holding runtime expressions
	// and (1.1) *Selector values at any depth.
	Payload      any
	Replacements []*PayloadReplacement
	Extensions   map[string]any
}

// PayloadReplacement sets Value at the Target of the payload before the
// request is sent.
type PayloadReplacement struct {
	located
	// Target is a JSON Pointer, a JSONPath query or an XPath expression, as
	// TargetType says.
	Target string
	// TargetType is the 1.1 targetSelectorType: "jsonpointer", "jsonpath" or
	// "xpath", written as a string or an Expression Type Object; empty when
	// not written, and then the payload's media type decides (XPath for XML,
	// JSON Pointer otherwise).
	TargetType string
	// TargetVersion is the Expression Type Object's version; its position is
	// Pos("targetSelectorType.version").
	TargetVersion string
	// Value is raw like a parameter value: a literal, a runtime expression or
	// a *Selector.
	Value      any
	Extensions map[string]any
}
