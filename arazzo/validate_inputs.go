package arazzo

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// inputsResource is the URL the inputs schemas are compiled under; it never
// leaves the process.
const inputsResource = "urn:trama:arazzo-inputs"

// inputSchema checks that a workflow's inputs compile as a JSON Schema
// (2020-12), with `#/components/inputs/...` references resolved against the
// document's components, so that a broken schema is found by validate
// rather than at the first run.
func (v *validator) inputSchema(w *Workflow) {
	if w.Inputs == nil || hasExternalRef(w.Inputs) {
		return
	}
	root := map[string]any{"x-inputs": w.Inputs}
	if v.doc.Components != nil && v.doc.Components.Inputs != nil {
		root["components"] = map[string]any{"inputs": v.doc.Components.Inputs}
	}
	// Round-trip through JSON so the compiler sees the value shapes it
	// expects (json.Number), whatever YAML decoded.
	data, err := json.Marshal(root)
	if err != nil {
		v.ds.errorf(w.Pos("inputs"), "invalid-input-schema", "inputs of workflow %q are not JSON: %v", w.WorkflowID, err)
		return
	}
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(inputsResource, res); err != nil {
		return
	}
	if _, err := c.Compile(inputsResource + "#/x-inputs"); err != nil {
		msg := strings.ReplaceAll(err.Error(), inputsResource+"#/x-inputs", "inputs")
		// One diagnostic is one line: fold the compiler's indented tree.
		msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ;")), " ")
		v.ds.errorf(w.Pos("inputs"), "invalid-input-schema", "inputs of workflow %q are not a valid JSON Schema: %s", w.WorkflowID, msg)
	}
}

// hasExternalRef reports whether a schema refers outside the document; those
// are resolved by the runner, which knows how to fetch them.
func hasExternalRef(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "$ref" || k == "$dynamicRef") && !strings.HasPrefix(s, "#") {
				return true
			}
			if hasExternalRef(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasExternalRef(x) {
				return true
			}
		}
	}
	return false
}
