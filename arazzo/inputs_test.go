package arazzo

import (
	"slices"
	"testing"
)

func TestInputNames(t *testing.T) {
	doc, _, err := Parse([]byte(`arazzo: 1.0.1
info: { title: t, version: "1" }
sourceDescriptions: [{ name: pets, url: pets.yaml }]
components:
  inputs:
    creds: { type: object, properties: { token: { type: string } } }
workflows:
  - workflowId: closed
    inputs: { type: object, properties: { userId: {}, factorType: {} } }
    steps: [{ stepId: s, operationId: getPet }]
  - workflowId: viaComponents
    inputs: { $ref: '#/components/inputs/creds' }
    steps: [{ stepId: s, operationId: getPet }]
  - workflowId: openByAdditional
    inputs: { type: object, properties: { a: {} }, additionalProperties: true }
    steps: [{ stepId: s, operationId: getPet }]
  - workflowId: composed
    inputs: { type: object, properties: { a: {} }, allOf: [{ required: [a] }] }
    steps: [{ stepId: s, operationId: getPet }]
  - workflowId: none
    steps: [{ stepId: s, operationId: getPet }]
`), "wf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id     string
		names  []string
		closed bool
	}{
		{"closed", []string{"factorType", "userId"}, true},
		{"viaComponents", []string{"token"}, true},
		{"openByAdditional", []string{"a"}, false},
		{"composed", []string{"a"}, false},
		{"none", nil, false},
	} {
		names, closed := doc.InputNames(doc.Workflow(tt.id))
		if !slices.Equal(names, tt.names) || closed != tt.closed {
			t.Errorf("%s: InputNames = %v, %v; want %v, %v", tt.id, names, closed, tt.names, tt.closed)
		}
	}
}

func TestInputUsedOnlyIn(t *testing.T) {
	doc, _, err := Parse([]byte(`arazzo: 1.0.1
info: { title: t, version: "1" }
sourceDescriptions: [{ name: okta, url: okta.yaml }]
components:
  parameters:
    auth: { name: Authorization, in: header, value: "SSWS {$inputs.token}" }
workflows:
  - workflowId: w
    inputs: { type: object, properties: { token: {}, userId: {}, note: {} } }
    steps:
      - stepId: a
        operationId: getUser
        parameters:
          - { name: Authorization, in: header, value: "SSWS $inputs.token" }
          - { name: userId, in: path, value: $inputs.userId }
      - stepId: b
        operationId: listFactors
        parameters:
          - reference: $components.parameters.auth
          - { name: userId, in: path, value: $inputs.userId }
          - { name: X-Note, in: header, value: $inputs.note }
        outputs: { n: $inputs.note }
`), "wf.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := doc.Workflow("w")
	auth := func(s *Step, p *Parameter) bool { return p.In == "header" && p.Name == "Authorization" }
	headers := func(s *Step, p *Parameter) bool { return p.In == "header" }
	for _, tt := range []struct {
		name string
		only func(*Step, *Parameter) bool
		want bool
	}{
		{"token", auth, true},      // in both Authorization headers, one through a Reusable Object
		{"userId", auth, false},    // in path parameters
		{"note", headers, false},   // in a header, but also in an output
		{"absent", headers, false}, // never referenced
	} {
		if got := doc.InputUsedOnlyIn(w, tt.name, tt.only); got != tt.want {
			t.Errorf("InputUsedOnlyIn(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
