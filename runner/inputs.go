package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaMessages renders JSON Schema errors in English.
var schemaMessages = message.NewPrinter(language.English)

// MissingInput is the message of a required input that was not given.
const MissingInput = "required input is missing"

// InputProblem is one way the inputs fail the workflow's inputs schema.
type InputProblem struct {
	// Path is the JSON Pointer of the offending input ("/userId"), "" for the inputs object itself.
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p InputProblem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return "inputs" + p.Path + ": " + p.Message
}

// InputError lists every problem with a run's inputs, found before the first request is sent.
type InputError struct {
	WorkflowID string
	Problems   []InputProblem
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid inputs for workflow %q:", e.WorkflowID)
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// inputSchema is a workflow's compiled inputs schema.
type inputSchema struct {
	raw      map[string]any // normalized to JSON types
	compiled *jsonschema.Schema
}

// compileInputSchema compiles a workflow's `inputs` JSON Schema. A nil schema accepts anything.
func compileInputSchema(workflowID string, schema any, components map[string]any) (*inputSchema, error) {
	if schema == nil {
		return &inputSchema{}, nil
	}
	// The schema is compiled inside a document that also holds the components' inputs, so that
	// "$ref: '#/components/inputs/…'" (and $anchors there) resolve as validation resolves them.
	root := map[string]any{"x-inputs": schema}
	if components != nil {
		root["components"] = map[string]any{"inputs": components}
	}
	norm, err := toJSONValue(root)
	if err != nil {
		return nil, fmt.Errorf("workflow %q inputs schema: %w", workflowID, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	loc := "trama:///workflows/" + workflowID + "/inputs.json"
	if err := c.AddResource(loc, norm); err != nil {
		return nil, fmt.Errorf("workflow %q inputs schema: %w", workflowID, err)
	}
	sch, err := c.Compile(loc + "#/x-inputs")
	if err != nil {
		return nil, fmt.Errorf("workflow %q inputs schema: %w", workflowID, err)
	}
	// The top-level properties (defaults, required, what to ask for) are read from the schema itself,
	// or from the component a whole-schema $ref names.
	obj, _ := norm.(map[string]any)["x-inputs"].(map[string]any)
	if ref, _ := obj["$ref"].(string); strings.HasPrefix(ref, "#/components/inputs/") {
		if comps, ok := norm.(map[string]any)["components"].(map[string]any); ok {
			inputs, _ := comps["inputs"].(map[string]any)
			if target, ok := inputs[strings.TrimPrefix(ref, "#/components/inputs/")].(map[string]any); ok {
				obj = target
			}
		}
	}
	return &inputSchema{raw: obj, compiled: sch}, nil
}

// property returns the schema of a top-level input, or nil.
func (s *inputSchema) property(name string) map[string]any {
	if s == nil || s.raw == nil {
		return nil
	}
	props, _ := s.raw["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

// applyDefaults fills in top-level inputs the caller left out whose schema property has a `default`, so a
// workflow can offer sensible values (provider: GOOGLE) without every caller repeating them.
func (s *inputSchema) applyDefaults(inputs map[string]any) {
	if s == nil || s.raw == nil {
		return
	}
	props, _ := s.raw["properties"].(map[string]any)
	for name, p := range props {
		prop, _ := p.(map[string]any)
		if def, ok := prop["default"]; ok {
			if _, given := inputs[name]; !given {
				inputs[name] = def
			}
		}
	}
}

// required reports whether the schema lists the input as required.
func (s *inputSchema) required(name string) bool {
	if s == nil || s.raw == nil {
		return false
	}
	list, _ := s.raw["required"].([]any)
	for _, r := range list {
		if r == name {
			return true
		}
	}
	return false
}

// requiredNames lists the inputs the schema requires.
func (s *inputSchema) requiredNames() []string {
	if s == nil || s.raw == nil {
		return nil
	}
	var out []string
	list, _ := s.raw["required"].([]any)
	for _, r := range list {
		if name, ok := r.(string); ok {
			out = append(out, name)
		}
	}
	return out
}

// validate checks inputs against the schema. Missing required inputs named in deferred are not problems:
// they will be asked for when first needed.
func (s *inputSchema) validate(inputs map[string]any, deferred func(name string) bool) []InputProblem {
	if s == nil || s.compiled == nil {
		return nil
	}
	v, err := toJSONValue(inputs)
	if err != nil {
		return []InputProblem{{Message: err.Error()}}
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []InputProblem{{Message: err.Error()}}
	}
	var problems []InputProblem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		path := ""
		if len(e.InstanceLocation) > 0 {
			path = "/" + strings.Join(e.InstanceLocation, "/")
		}
		if req, ok := e.ErrorKind.(*kind.Required); ok {
			for _, name := range req.Missing {
				if path == "" && deferred != nil && deferred(name) {
					continue
				}
				problems = append(problems, InputProblem{Path: path + "/" + name, Message: MissingInput})
			}
			return
		}
		problems = append(problems, InputProblem{Path: path, Message: e.ErrorKind.LocalizedString(schemaMessages)})
	}
	walk(ve)
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return problems
}

// CoerceInput converts the text of `--input NAME=VALUE` to the JSON type the inputs schema declares for
// NAME: integer, number, boolean, object and array values are parsed; anything else stays a string. The
// error names the input and the expected type.
func CoerceInput(schema any, name, text string) (any, error) {
	var prop map[string]any
	if obj, ok := schema.(map[string]any); ok {
		if props, ok := obj["properties"].(map[string]any); ok {
			prop, _ = props[name].(map[string]any)
		}
	}
	types := schemaTypes(prop)
	if len(types) == 0 {
		return text, nil
	}
	var firstErr error
	for _, t := range types {
		v, err := coerceTo(t, text)
		if err == nil {
			return v, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("input %q: %w", name, firstErr)
}

func schemaTypes(prop map[string]any) []string {
	switch t := prop["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func coerceTo(typ, text string) (any, error) {
	switch typ {
	case "string":
		return text, nil
	case "integer":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return nil, fmt.Errorf("%q is not an integer", text)
		}
		return json.Number(text), nil
	case "number":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, fmt.Errorf("%q is not a number", text)
		}
		return json.Number(text), nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean (true or false)", text)
		}
		return b, nil
	case "null":
		if text != "null" {
			return nil, fmt.Errorf("%q is not null", text)
		}
		return nil, nil
	case "object", "array":
		v, err := decodeJSON([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("%q is not a JSON %s: %v", text, typ, err)
		}
		if _, isObj := v.(map[string]any); typ == "object" && !isObj {
			return nil, fmt.Errorf("%q is not a JSON object", text)
		}
		if _, isArr := v.([]any); typ == "array" && !isArr {
			return nil, fmt.Errorf("%q is not a JSON array", text)
		}
		return v, nil
	}
	return text, nil
}

// decodeJSON decodes one JSON document keeping numbers exact (json.Number).
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// toJSONValue converts a value decoded from YAML or built in Go to the types encoding/json produces
// (map[string]any, []any, json.Number, string, bool, nil), which the JSON Schema validator requires.
func toJSONValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := toJSONValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toJSONValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), nil
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	}
	// Anything else (structs, map[any]any): go through encoding/json once.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value of type %T is not JSON: %w", v, err)
	}
	return decodeJSON(b)
}
