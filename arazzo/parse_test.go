package arazzo

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

const positions = `arazzo: 1.0.1
info:
  title: Positions
  version: "1"
  x-owner: team-a
sourceDescriptions:
- name: pets
  url: pets.yaml
workflows:
- workflowId: wf
  parameters:
  - name: X-Trace
    in: header
    value: wf-level
  steps:
  - stepId: one
    operationId: getPet
    parameters:
    - reference: $components.parameters.limit
      value: 5
    - name: X-Trace
      in: header
      value: step-level
    requestBody:
      payload:
        nested: [1, 2.5, true, null, "s"]
    successCriteria:
    - context: $response.body
      condition: $.items
      type:
        type: jsonpath
        version: rfc9535
    onFailure:
    - name: again
      type: retry
      retryAfter: 0.5
      retryLimit: 2
    outputs:
      id: $response.body#/id
components:
  parameters:
    limit:
      name: limit
      in: query
      value: 10
`

func TestParsePositions(t *testing.T) {
	doc, diags, err := Parse([]byte(positions), "p.yaml")
	if err != nil || len(diags) != 0 {
		t.Fatalf("Parse: %v %v", err, diags)
	}
	wf := doc.Workflows[0]
	step := wf.Steps[0]
	tests := []struct {
		name string
		got  Pos
		want Pos
	}{
		{"document", doc.Position(), Pos{Line: 1, Col: 1}},
		{"arazzo value", doc.Pos("arazzo"), Pos{Line: 1, Col: 9}},
		{"info title", doc.Info.Pos("title"), Pos{Line: 3, Col: 10}},
		{"info key", doc.Info.KeyPos("version"), Pos{Line: 4, Col: 3}},
		{"source", doc.SourceDescriptions[0].Position(), Pos{Line: 7, Col: 3}},
		{"workflowId", wf.Pos("workflowId"), Pos{Line: 10, Col: 15}},
		{"step", step.Position(), Pos{Line: 16, Col: 5}},
		{"absent field falls back to object", step.Pos("workflowId"), Pos{Line: 16, Col: 5}},
		{"step output", step.OutputPos("id"), Pos{Line: 39, Col: 11}},
		{"criterion version", step.SuccessCriteria[0].Pos("type.version"), Pos{Line: 32, Col: 18}},
		{"retryLimit", step.OnFailure[0].Pos("retryLimit"), Pos{Line: 37, Col: 19}},
		{"payload", step.RequestBody.Pos("payload"), Pos{Line: 26, Col: 9}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s at %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	if doc.Info.Extensions["x-owner"] != "team-a" {
		t.Errorf("extensions = %v", doc.Info.Extensions)
	}
	want := map[string]any{"nested": []any{1, 2.5, true, nil, "s"}}
	if !reflect.DeepEqual(step.RequestBody.Payload, want) {
		t.Errorf("payload = %#v, want %#v", step.RequestBody.Payload, want)
	}
	c := step.SuccessCriteria[0]
	if c.Type != "jsonpath" || c.Version != "rfc9535" || c.Context != "$response.body" {
		t.Errorf("criterion = %+v", c)
	}
	a := step.OnFailure[0]
	if a.RetryAfter == nil || *a.RetryAfter != 0.5 || a.RetryLimit == nil || *a.RetryLimit != 2 {
		t.Errorf("retry fields = %v %v", a.RetryAfter, a.RetryLimit)
	}
}

func TestResolveParameter(t *testing.T) {
	doc, _, err := Parse([]byte(positions), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wf := doc.Workflows[0]
	ref := wf.Steps[0].Parameters[0]
	eff, err := doc.ResolveParameter(ref)
	if err != nil {
		t.Fatal(err)
	}
	if eff.Name != "limit" || eff.In != "query" || eff.Value != 5 {
		t.Errorf("effective parameter = %+v, want limit in query with the override 5", eff)
	}
	if got := eff.Pos("value"); got != (Pos{Line: 20, Col: 14}) {
		t.Errorf("overridden value at %s, want the reference's value 20:14", got)
	}
	if got := eff.Pos("in"); got != (Pos{Line: 44, Col: 11}) {
		t.Errorf("in at %s, want the component's 44:11", got)
	}
	if comp := doc.Components.Parameters["limit"]; comp.Value != 10 || comp.Pos("value") != (Pos{Line: 45, Col: 14}) {
		t.Errorf("resolving changed the component: %+v", comp)
	}

	params, err := doc.StepParameters(wf, wf.Steps[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range params {
		got = append(got, p.Name+"="+toString(p.Value))
	}
	if want := []string{"X-Trace=step-level", "limit=5"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StepParameters = %v, want %v (the step overrides the workflow's X-Trace)", got, want)
	}

	if _, err := doc.ResolveParameter(&Parameter{Reference: "$components.parameters.nope"}); err == nil {
		t.Error("unknown component resolved")
	}
}

func toString(v any) string { return fmt.Sprint(v) }

func TestParseJSON(t *testing.T) {
	data := []byte("{\n\t\"arazzo\": \"1.0.0\",\n\t\"info\": {\"title\": \"j\", \"version\": \"1\"},\n\t\"sourceDescriptions\": [{\"name\": \"p\", \"url\": \"p.json\"}],\n\t\"workflows\": [{\"workflowId\": \"w\", \"steps\": [{\"stepId\": \"s\", \"operationId\": \"op\"}]}]\n}\n")
	doc, diags, err := Parse(data, "d.json")
	if err != nil || len(diags) != 0 {
		t.Fatalf("Parse: %v %v", err, diags)
	}
	if got := doc.Workflows[0].Steps[0].Pos("operationId"); got != (Pos{Line: 5, Col: 77}) {
		t.Errorf("operationId at %s, want 5:77", got)
	}
}

func TestParseVersions(t *testing.T) {
	for _, tt := range []struct {
		version string
		code    string
		v11     bool
	}{
		{"1.0.0", "", false},
		{"1.0.1", "", false},
		{"1.0.9", "", false},
		{"1.1.0", "", true},
		{"1.2.0", "unsupported-version", false},
		{"2.0.0", "unsupported-version", false},
		{"1.0", "invalid-version", false},
	} {
		doc, diags, err := Parse([]byte("arazzo: "+tt.version+"\ninfo: {title: t, version: '1'}\nsourceDescriptions: [{name: a, url: a.yaml}]\nworkflows: [{workflowId: w, steps: [{stepId: s, operationId: o}]}]\n"), "v.yaml")
		if err != nil {
			t.Fatal(err)
		}
		code := ""
		if len(diags) > 0 {
			code = diags[0].Code
		}
		if code != tt.code || doc.SupportsV11() != tt.v11 {
			t.Errorf("arazzo %s: code %q, 1.1 %v; want %q, %v", tt.version, code, doc.SupportsV11(), tt.code, tt.v11)
		}
	}
}

func TestParseRobustness(t *testing.T) {
	for _, tt := range []struct {
		name, text, code string
	}{
		{"empty", "", "empty-document"},
		{"comment only", "# nothing\n", "empty-document"},
		{"scalar", "hello\n", "invalid-type"},
		{"list", "- a\n", "invalid-type"},
		{"missing everything", "x-a: 1\n", "missing-field"},
	} {
		doc, diags, err := Parse([]byte(tt.text), "r.yaml")
		if err != nil || doc == nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if hasCode(diags, tt.code) == nil {
			t.Errorf("%s: want %s, got %v", tt.name, tt.code, diags)
		}
	}
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i := 'b'; i <= 'k'; i++ {
		prev := string(i - 1)
		bomb += string(i) + ": &" + string(i) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	bomb += "workflows:\n- workflowId: w\n  inputs: *k\n"
	if _, _, err := Parse([]byte(bomb), "bomb.yaml"); err == nil {
		t.Error("alias bomb parsed without error")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(positions))
	f.Add([]byte(header + getPetStep))
	f.Add([]byte(selectorsDoc)) // Selector Objects in outputs, values and replacements
	f.Add([]byte("{\"arazzo\": \"1.0.1\", \"workflows\": [{\"steps\": [{}]}]}"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("workflows:\n- steps:\n  - reference: x\n    onFailure: [{reference: $components.failureActions.x}]\n"))
	if data, err := os.ReadFile(filepath.Join(sharedDir, "okta", "arazzo", "okta-enroll-and-activate-factor-workflow.yml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, diags, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, d := range diags {
			if d.Code == "" || d.Line < 0 {
				t.Fatalf("malformed diagnostic %+v", d)
			}
		}
		// Validation and rendering must cope with whatever Parse kept.
		b := &Bundle{Root: doc, Documents: []*Document{doc}, sources: map[*Document]map[string]*Source{doc: {}}}
		b.Validate(ValidateOptions{})
		Mermaid(discard{}, doc)
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkParseEnroll(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(sharedDir, "okta", "arazzo", "okta-enroll-and-activate-factor-workflow.yml"))
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(data, "enroll.yml"); err != nil {
			b.Fatal(err)
		}
	}
}
