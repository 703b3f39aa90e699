package openapi

import (
	"bytes"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func sortedRefs(refs []OperationRef) []OperationRef {
	return slices.SortedFunc(slices.Values(refs), func(a, b OperationRef) int {
		return strings.Compare(a.Method+" "+a.Path+" "+a.ID, b.Method+" "+b.Path+" "+b.ID)
	})
}

// sortedTypes copies op with its media types sorted: kin orders media types
// by their origin, which it does not record for null values.
func sortedTypes(op *Operation) *Operation {
	c := *op
	if op.RequestBody != nil {
		rb := *op.RequestBody
		rb.ContentTypes = slices.Sorted(slices.Values(rb.ContentTypes))
		c.RequestBody = &rb
	}
	return &c
}

// caseVariant reports whether data spells an OpenAPI field name with other
// letter cases than the specification's.
func caseVariant(data []byte) bool {
	low := bytes.ToLower(data)
	for _, k := range []string{"openapi", "paths", "components", "parameters", "requestbody", "requestbodies",
		"servers", "security", "securityschemes", "operationid", "content", "schemas", "schema", "required",
		"name", "in", "style", "explode", "allowreserved", "type", "format", "items", "nullable", "url",
		"variables", "default", "enum", "description", "get", "put", "post", "delete", "options", "head", "patch", "trace",
		"query", "additionaloperations"} {
		if bytes.Count(low, []byte(k)) != bytes.Count(data, []byte(exactCase(k))) {
			return true
		}
	}
	return false
}

func exactCase(k string) string {
	switch k {
	case "requestbody":
		return "requestBody"
	case "requestbodies":
		return "requestBodies"
	case "securityschemes":
		return "securitySchemes"
	case "operationid":
		return "operationId"
	case "allowreserved":
		return "allowReserved"
	case "additionaloperations":
		return "additionalOperations"
	}
	return k
}

// FuzzLoad feeds arbitrary bytes to Load. It must never panic, and when both
// the outline and kin's full load accept a description they must agree.
func FuzzLoad(f *testing.F) {
	for _, tc := range yamlForms {
		f.Add([]byte(tc.doc))
	}
	f.Add([]byte(head + "paths:\n  /x:\n    get:\n      operationId: x\n      parameters:\n      - name: a\n        in: query\n"))
	f.Add([]byte(`{"openapi":"3.1.0","paths":{"/x":{"get":{"operationId":"x"}}}}`))
	f.Add([]byte("swagger: '2.0'\n"))
	f.Add([]byte("openapi: 3.0.0\npaths:\n  /a: {get: {operationId: a}}\n"))
	v32, err := os.ReadFile("testdata/v32.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v32)
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, err := Load(data, "fuzz.yaml")
		if err != nil {
			return
		}
		ops := fast.Operations()
		fastOps := make([]*Operation, len(ops))
		for i, r := range ops {
			fastOps[i], _ = fast.OperationAt(opPointer(r))
		}
		byRef := map[OperationRef]*Operation{}
		for i, r := range ops {
			byRef[r] = fastOps[i]
		}
		fast.Servers()
		fast.SecuritySchemes()
		if fast.Mode() == ModeFull {
			return
		}
		if caseVariant(data) {
			return // kin matches field names case-insensitively ("pAths"); the outline does not
		}
		full, err := LoadWithOptions(data, "fuzz.yaml", Options{Full: true})
		if err != nil {
			return
		}
		fullOps := full.Operations()
		if fast.Mode() == ModeJSON {
			// kin records no origins for JSON, so only the set of operations is comparable.
			ops = sortedRefs(ops)
			fullOps = sortedRefs(fullOps)
		}
		if !reflect.DeepEqual(ops, fullOps) {
			t.Fatalf("operation lists differ:\n%s\n%s", dump(ops), dump(full.Operations()))
		}
		for _, r := range ops {
			want, err := full.OperationAt(opPointer(r))
			got := byRef[r]
			if err != nil || got == nil {
				continue
			}
			if fast.Mode() == ModeJSON {
				w := *want
				w.Line = 0
				want = &w
			}
			if !reflect.DeepEqual(sortedTypes(got), sortedTypes(want)) {
				t.Fatalf("%s %s differs:\n%s\n%s", r.Method, r.Path, dump(got), dump(want))
			}
		}
	})
}
