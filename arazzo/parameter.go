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
	// Value is raw: a literal of any JSON type, a runtime expression or a
	// string with embedded `{expression}`s.
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
	// Payload is raw: any JSON value, possibly holding runtime expressions.
	Payload      any
	Replacements []*PayloadReplacement
	Extensions   map[string]any
}

// PayloadReplacement sets Value at the JSON Pointer (or XPath) Target of the
// payload before the request is sent.
type PayloadReplacement struct {
	located
	Target     string
	Value      any
	Extensions map[string]any
}
