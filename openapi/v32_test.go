package openapi

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// v32Modes loads testdata/v32.yaml in every mode: the outline, JSON (the
// same description re-encoded) and kin's full load.
func v32Modes(t *testing.T, yamlDoc []byte) map[string]*Document {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(yamlDoc, &v); err != nil {
		t.Fatal(err)
	}
	jsonDoc, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*Document{}
	for name, tt := range map[string]struct {
		data []byte
		opts Options
		mode Mode
	}{
		"outline": {yamlDoc, Options{}, ModeOutline},
		"json":    {jsonDoc, Options{}, ModeJSON},
		"full":    {yamlDoc, Options{Full: true}, ModeFull},
	} {
		d, err := LoadWithOptions(tt.data, "v32.yaml", tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Mode() != tt.mode {
			t.Fatalf("%s: mode %v (reason %q), want %v", name, d.Mode(), d.FallbackReason(), tt.mode)
		}
		out[name] = d
	}
	return out
}

// TestOpenAPI32: a 3.2 description loads in every mode; its query operation
// and additionalOperations are found by operationId and by JSON Pointer, and
// its querystring parameter carries its media type.
func TestOpenAPI32(t *testing.T) {
	data, err := os.ReadFile("testdata/v32.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := v32Modes(t, data)
	compareDocuments(t, docs["outline"], docs["full"])
	for name, d := range docs {
		if d.Version() != "3.2.0" {
			t.Errorf("%s: version %q", name, d.Version())
		}
		refs := sortedRefs(d.Operations())
		want := []OperationRef{
			{ID: "copyItems", Method: "COPY", Path: "/items"},
			{ID: "listItems", Method: "GET", Path: "/items"},
			{ID: "searchItems", Method: "QUERY", Path: "/items"},
		}
		if !reflect.DeepEqual(refs, want) {
			t.Errorf("%s: operations %s", name, dump(refs))
		}
		for _, tc := range []struct{ id, pointer, method string }{
			{"searchItems", "/paths/~1items/query", "QUERY"},
			{"searchItems", "#/paths/~1items/QUERY", "QUERY"},
			{"copyItems", "/paths/~1items/additionalOperations/COPY", "COPY"},
			{"copyItems", "/paths/~1items/additionalOperations/copy", "COPY"},
			{"listItems", "/paths/~1items/get", "GET"},
		} {
			byID, err := d.Operation(tc.id)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			at, err := d.OperationAt(tc.pointer)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, tc.pointer, err)
			}
			if byID != at || at.Method != tc.method || at.Path != "/items" {
				t.Errorf("%s: %s = %s %s, want %s", name, tc.pointer, at.Method, at.Path, tc.method)
			}
		}
		for _, p := range []string{"/paths/~1items/copy", "/paths/~1items/additionalOperations/GET", "/paths/~1items/additionalOperations"} {
			if _, err := d.OperationAt(p); !errors.Is(err, ErrOperationNotFound) {
				t.Errorf("%s: OperationAt(%s) = %v, want ErrOperationNotFound", name, p, err)
			}
		}

		search, _ := d.Operation("searchItems")
		wantParams := []*Parameter{
			{Name: "X-Tenant", In: "header", Style: "simple", Schema: &Schema{Type: "string"}},
			{Name: "filter", In: "querystring", Required: true, Style: "simple", ContentType: "application/x-www-form-urlencoded"},
		}
		if !reflect.DeepEqual(search.Parameters, wantParams) {
			t.Errorf("%s: searchItems parameters %s", name, dump(search.Parameters))
		}
		if search.RequestBody == nil || !reflect.DeepEqual(search.RequestBody.ContentTypes, []string{"application/json"}) {
			t.Errorf("%s: searchItems request body %s", name, dump(search.RequestBody))
		}
		copyOp, _ := d.Operation("copyItems")
		if len(copyOp.Parameters) != 2 || copyOp.Parameters[1].Name != "Destination" || !copyOp.Parameters[1].Required {
			t.Errorf("%s: copyItems parameters %s", name, dump(copyOp.Parameters))
		}
		codes, ok, err := d.ResponseCodes(copyOp)
		if err != nil || !ok || strings.Join(codes, ",") != "201,default" {
			t.Errorf("%s: ResponseCodes(copyItems) = %v, %v, %v", name, codes, ok, err)
		}
		list, _ := d.Operation("listItems")
		if types, ok, err := d.ResponseMediaTypes(list); err != nil || !ok || strings.Join(types, ",") != "application/jsonl" {
			t.Errorf("%s: ResponseMediaTypes(listItems) = %v, %v, %v", name, types, ok, err)
		}
		if s := d.Servers(); len(s) != 1 || s[0].URL != "https://api.example.com" {
			t.Errorf("%s: servers %s", name, dump(s))
		}
	}
}

// TestOpenAPI32AdditionalOperations: additionalOperations keys are methods
// upper-cased; keys for methods that have their own field are ignored, and of
// keys that differ only in letter case the upper-case one is kept.
func TestOpenAPI32AdditionalOperations(t *testing.T) {
	doc := []byte(`openapi: 3.2.0
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: getA
    additionalOperations:
      purge:
        operationId: purgeLower
      GET:
        operationId: shadowGet
      Query:
        operationId: shadowQuery
      PURGE:
        operationId: purgeUpper
      LINK:
`)
	for name, d := range v32Modes(t, doc) {
		refs := sortedRefs(d.Operations())
		want := []OperationRef{{ID: "getA", Method: "GET", Path: "/a"}, {ID: "purgeUpper", Method: "PURGE", Path: "/a"}}
		if !reflect.DeepEqual(refs, want) {
			t.Errorf("%s: operations %s", name, dump(refs))
		}
		if op, err := d.OperationAt("/paths/~1a/additionalOperations/purge"); err != nil || op.ID != "purgeUpper" {
			t.Errorf("%s: purge: %v", name, err)
		}
	}
}

// TestQueryAndAdditionalOperationsNeed32: query and additionalOperations are
// OpenAPI 3.2 fields; in a 3.0 or 3.1 description they hold no operations.
func TestQueryAndAdditionalOperationsNeed32(t *testing.T) {
	for _, version := range []string{"3.0.3", "3.1.1"} {
		doc := []byte("openapi: " + version + `
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: getA
    query:
      operationId: queryA
    additionalOperations:
      COPY:
        operationId: copyA
`)
		for name, d := range v32Modes(t, doc) {
			if refs := d.Operations(); len(refs) != 1 || refs[0].ID != "getA" {
				t.Errorf("%s %s: operations %s", version, name, dump(refs))
			}
			if _, err := d.OperationAt("/paths/~1a/query"); !errors.Is(err, ErrOperationNotFound) {
				t.Errorf("%s %s: query: %v", version, name, err)
			}
		}
	}
}

// TestQueryStringRules: OpenAPI 3.2 allows one querystring parameter per
// operation (path-item parameters included) and none in query beside it.
// Operation refuses such an operation, in every mode, and names the
// parameters; the other operations still load.
func TestQueryStringRules(t *testing.T) {
	const qs = "in: querystring, content: {application/x-www-form-urlencoded: {}}"
	for _, tc := range []struct {
		name, pathItem, want string
	}{
		{"two querystring", `
    query:
      operationId: bad
      parameters:
        - {name: a, ` + qs + `}
        - {name: b, ` + qs + `}
`, `parameters "a" and "b" are both in: querystring`},
		{"one from the path item", `
    parameters:
      - {name: a, ` + qs + `}
    query:
      operationId: bad
      parameters:
        - {name: b, ` + qs + `}
`, `parameters "a" and "b" are both in: querystring`},
		{"querystring and query", `
    parameters:
      - {name: limit, in: query}
    query:
      operationId: bad
      parameters:
        - {name: a, ` + qs + `}
`, `querystring parameter "a" and query parameter "limit"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := []byte("openapi: 3.2.0\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:" + tc.pathItem +
				"  /b:\n    get:\n      operationId: good\n")
			for name, d := range v32Modes(t, doc) {
				_, err := d.Operation("bad")
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "QUERY /a") {
					t.Errorf("%s: error %v, want one about QUERY /a mentioning %q", name, err, tc.want)
				}
				if errors.Is(err, ErrOperationNotFound) {
					t.Errorf("%s: %v is not a missing operation", name, err)
				}
				if _, err := d.Operation("good"); err != nil {
					t.Errorf("%s: good: %v", name, err)
				}
			}
		})
	}
	// The same parameter overridden by the operation is one parameter.
	doc := []byte(`openapi: 3.2.0
info: {title: t, version: "1"}
paths:
  /a:
    parameters:
      - {name: a, ` + qs + `}
    query:
      operationId: ok
      parameters:
        - {name: a, required: true, ` + qs + `}
`)
	for name, d := range v32Modes(t, doc) {
		if op, err := d.Operation("ok"); err != nil || len(op.Parameters) != 1 || !op.Parameters[0].Required {
			t.Errorf("%s: %v", name, err)
		}
	}
}
