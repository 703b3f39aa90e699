package arazzo

import (
	"reflect"
	"testing"
)

const selectorsDoc = `arazzo: 1.1.0
info: {title: selectors, version: "1"}
sourceDescriptions:
- {name: pets, url: pets.yaml, type: openapi}
workflows:
- workflowId: wf
  steps:
  - stepId: create
    operationId: createPet
    parameters:
    - name: X-Request-Id
      in: header
      value: {context: $inputs.req, selector: /id, type: jsonpointer, x-note: kept}
    requestBody:
      contentType: application/json
      payload:
        pet:
          name: &sel
            context: $inputs.profile
            selector: $.name
            type: {type: jsonpath, version: rfc9535}
          again: *sel
        literal: {context: a, selector: b, type: c, extra: d}
        partial: {context: a, selector: b}
      replacements:
      - target: $.pet.tags
        targetSelectorType: {type: jsonpath, version: draft-goessner-dispatch-jsonpath-00}
        value: {context: $inputs.tags, selector: "$[*]", type: jsonpath}
    outputs:
      id: {context: $response.body, selector: $.id, type: jsonpath}
      plain: $response.body#/id
`

// TestSelectorObjectsParse: a mapping whose fields are exactly context, selector and type (extensions
// aside) is a Selector Object wherever 1.1 types a value "Any | {expression} | Selector Object"
// ("Parameter Object" value, "Request Body Object" payload, "Payload Replacement Object" value), at
// any depth of a payload; other mappings stay literal objects. Outputs take an expression or a Selector
// Object ("Step Object" outputs), and targetSelectorType a string or an Expression Type Object.
func TestSelectorObjectsParse(t *testing.T) {
	doc, diags, err := Parse([]byte(selectorsDoc), "s.yaml")
	if err != nil || len(diags) != 0 {
		t.Fatalf("Parse: %v %v", err, diags)
	}
	step := doc.Workflows[0].Steps[0]
	param, ok := step.Parameters[0].Value.(*Selector)
	if !ok || param.Context != "$inputs.req" || param.Selector != "/id" || param.Type != "jsonpointer" || param.Extensions["x-note"] != "kept" {
		t.Errorf("parameter value: %#v", step.Parameters[0].Value)
	}
	payload := step.RequestBody.Payload.(map[string]any)
	pet := payload["pet"].(map[string]any)
	name, ok := pet["name"].(*Selector)
	if !ok || name.Type != "jsonpath" || name.Version != "rfc9535" || name.Pos("type.version").Line != 21 {
		t.Errorf("nested payload selector: %#v", pet["name"])
	}
	if again, ok := pet["again"].(*Selector); !ok || again.Selector != "$.name" {
		t.Errorf("an alias of a selector is a selector: %#v", pet["again"])
	}
	for _, k := range []string{"literal", "partial"} {
		if _, ok := payload[k].(map[string]any); !ok {
			t.Errorf("%s is a literal object: %#v", k, payload[k])
		}
	}
	r := step.RequestBody.Replacements[0]
	if r.TargetType != "jsonpath" || r.TargetVersion != "draft-goessner-dispatch-jsonpath-00" {
		t.Errorf("targetSelectorType: %q %q", r.TargetType, r.TargetVersion)
	}
	if v, ok := r.Value.(*Selector); !ok || v.Selector != "$[*]" {
		t.Errorf("replacement value: %#v", r.Value)
	}
	if out, ok := step.Outputs["id"].(*Selector); !ok || OutputText(out) != `jsonpath selector "$.id" on $response.body` {
		t.Errorf("output id: %#v", step.Outputs["id"])
	}
	if !reflect.DeepEqual(step.Outputs["plain"], "$response.body#/id") {
		t.Errorf("output plain: %#v", step.Outputs["plain"])
	}
}

// TestSelectorsValidateCleanly: a 1.1 document using Selector Objects and JSONPath targets correctly
// has no diagnostics, even in strict mode.
func TestSelectorsValidateCleanly(t *testing.T) {
	text := `arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions:
- {name: pets, url: pets.yaml, type: openapi}
workflows:
- workflowId: wf
  inputs:
    type: object
    properties:
      profile: {type: object}
      sku: {type: string}
  steps:
  - stepId: create
    operationId: createPet
    parameters:
    - name: X-Request-Id
      in: header
      value: {context: $inputs.profile, selector: /requestId, type: jsonpointer}
    requestBody:
      contentType: application/json
      payload:
        name: {context: $inputs.profile, selector: $.name, type: jsonpath}
        items: [{sku: a, quantity: 1}]
      replacements:
      - target: $.items[?@.sku == '{$inputs.sku}'].quantity
        targetSelectorType: jsonpath
        value: 2
    outputs:
      id: {context: $response.body, selector: $.id, type: {type: jsonpath, version: rfc9535}}
      sent: {context: $request.body, selector: "$.items[0].sku", type: jsonpath}
  outputs:
    id: {context: $steps.create.outputs.id, selector: "$", type: jsonpath}
`
	if ds := loadText(t, text).Validate(ValidateOptions{Strict: true}); len(ds) != 0 {
		t.Errorf("got diagnostics:\n%s", joinDiagnostics(ds))
	}
}
