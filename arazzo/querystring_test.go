package arazzo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// searchAPI is an OpenAPI 3.2 description: GET /items declares no
// querystring parameter, QUERY /items a required one, COPY /items is an
// additional operation, and /broken breaks 3.2's one-querystring rule.
const searchAPI = `openapi: 3.2.0
info: {title: search, version: "1"}
servers:
  - url: https://api.example.com
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200": {description: ok}
    query:
      operationId: searchItems
      parameters:
        - name: filter
          in: querystring
          required: true
          content:
            application/x-www-form-urlencoded:
              schema: {type: object}
      responses:
        "200": {description: ok}
    additionalOperations:
      COPY:
        operationId: copyItems
        responses:
          "201": {description: copied}
  /broken:
    query:
      operationId: brokenSearch
      parameters:
        - {name: a, in: querystring, content: {application/json: {}}}
        - {name: limit, in: query}
`

// searchDoc is an Arazzo 1.1 document with the search source and one step.
func searchDoc(step string) string {
	return `arazzo: 1.1.0
info: {title: t, version: "1"}
sourceDescriptions:
- {name: search, url: search.yaml, type: openapi}
workflows:
- workflowId: wf
  steps:
` + step
}

func validateSearch(t *testing.T, text string) []Diagnostic {
	t.Helper()
	dir := writeFiles(t, map[string]string{"doc.yaml": text, "search.yaml": searchAPI})
	b, err := (&Loader{}).Load(context.Background(), filepath.Join(dir, "doc.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b.Validate(ValidateOptions{})
}

// TestQueryStringParameterDeclared: a step's in: querystring parameter
// matches the operation's querystring parameter whatever the two names (the
// name is not sent), so it is neither unknown nor is the required one missing.
// Operations under query and additionalOperations resolve by operationId and
// by operationPath.
func TestQueryStringParameterDeclared(t *testing.T) {
	for _, step := range []string{
		"  - stepId: s\n    operationId: searchItems\n    parameters:\n    - {name: q, in: querystring, value: 'color=red&size=2'}\n",
		"  - stepId: s\n    operationPath: '{$sourceDescriptions.search.url}#/paths/~1items/query'\n    parameters:\n    - {name: filter, in: querystring, value: 'color=red'}\n",
		"  - stepId: s\n    operationPath: '{$sourceDescriptions.search.url}#/paths/~1items/additionalOperations/COPY'\n",
		"  - stepId: s\n    operationId: $sourceDescriptions.search.copyItems\n",
	} {
		if ds := validateSearch(t, searchDoc(step)); len(ds) != 0 {
			t.Errorf("%s\ngot diagnostics:\n%s", step, joinDiagnostics(ds))
		}
	}
}

// TestQueryStringParameterWarnings: in: querystring against an operation that
// declares none is unknown-parameter, saying so; a required querystring
// parameter the step does not set is missing-required-parameter.
func TestQueryStringParameterWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, step, code, msg string
	}{
		{"undeclared", "  - stepId: s\n    operationId: listItems\n    parameters:\n    - «name: q\n      in: querystring\n      value: a=1\n",
			"unknown-parameter", `operation listItems (GET /items) declares no querystring parameter, so it does not expect step "s" to send the whole query string`},
		{"undeclared on an additional operation", "  - stepId: s\n    operationId: copyItems\n    parameters:\n    - «name: q\n      in: querystring\n      value: a=1\n",
			"unknown-parameter", `operation copyItems (COPY /items) declares no querystring parameter`},
		{"required not set", "  - stepId: s\n    operationId: «searchItems\n",
			"missing-required-parameter", `step "s" does not set required querystring parameter "filter" of operation searchItems`},
		{"required not set, a query parameter instead", "  - stepId: s\n    operationId: «searchItems\n    parameters:\n    - {name: filter, in: query, value: a}\n",
			"missing-required-parameter", `required querystring parameter "filter"`},
		{"description breaks the one-querystring rule", "  - stepId: s\n    operationId: «brokenSearch\n",
			"unknown-operation", `querystring parameter "a" and query parameter "limit" are both declared`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, want := locate(t, searchDoc(tc.step))
			ds := validateSearch(t, text)
			d := hasCode(ds, tc.code)
			if d == nil || d.Line != want.Line || d.Col != want.Col || !strings.Contains(d.Message, tc.msg) {
				t.Fatalf("want [%s] at %s mentioning %q; got:\n%s", tc.code, want, tc.msg, joinDiagnostics(ds))
			}
		})
	}
}
