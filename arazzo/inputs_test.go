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
