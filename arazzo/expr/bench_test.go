package expr

import (
	"testing"
)

// stepContext is what a runner's resolver looks like on the hot path: a
// struct with the current response, no map lookups for fixed roots.
type stepContext struct {
	status int
	body   map[string]any
	inputs map[string]any
}

func (s *stepContext) Resolve(e Expr) (any, bool, error) {
	switch e.Root {
	case RootStatusCode:
		return s.status, true, nil
	case RootResponse:
		return s.body, true, nil
	case RootInputs:
		v, ok := s.inputs[e.Name]
		return v, ok, nil
	}
	return nil, false, nil
}

const benchCondition = "$statusCode == 200 && $response.body#/status == 'ACTIVE'"

func benchContext() *stepContext {
	return &stepContext{
		status: 200,
		body:   map[string]any{"id": "00u1", "status": "active", "profile": map[string]any{"login": "a@example.com"}},
		inputs: map[string]any{"oktaApiToken": "TOK123", "host": "example.okta.com", "limit": 25},
	}
}

func BenchmarkParseCondition(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseCondition(benchCondition, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConditionEval(b *testing.B) {
	c, err := ParseCondition(benchCondition, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := benchContext()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := c.Eval(r); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkConditionEvalUnicode(b *testing.B) {
	c, err := ParseCondition("$response.body#/status == 'ÄCTIVE'", Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := benchContext()
	r.body["status"] = "äctive"
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := c.Eval(r); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkParseTemplate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTemplate("https://{$inputs.host}/api/v1/users?limit={$inputs.limit}", Compat); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTemplateEval(b *testing.B) {
	tests := []struct{ name, src string }{
		{"whole", "$response.body#/profile/login"},
		{"bare", "SSWS $inputs.oktaApiToken"},
		{"embedded", "https://{$inputs.host}/api/v1/users?limit={$inputs.limit}"},
	}
	r := benchContext()
	for _, tt := range tests {
		tpl, err := ParseTemplate(tt.src, Compat)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tpl.Eval(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvalValue measures a typical step: headers and a JSON body
// evaluated from the workflow document on every run.
func BenchmarkEvalValue(b *testing.B) {
	doc := map[string]any{
		"Authorization": "SSWS $inputs.oktaApiToken",
		"Accept":        "application/json",
		"body": map[string]any{
			"profile": map[string]any{"login": "{$response.body#/profile/login}", "firstName": "Ada"},
			"limit":   "$inputs.limit",
		},
	}
	r := benchContext()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EvalValue(doc, Compat, r); err != nil {
			b.Fatal(err)
		}
	}
}
