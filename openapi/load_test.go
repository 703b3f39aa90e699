package openapi

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const head = "openapi: 3.0.3\ninfo:\n  title: t\n  version: '1'\n"

// yamlForms are descriptions written in the YAML forms that could trip the
// outline pass. Each must load in the wanted mode and agree with kin.
var yamlForms = []struct {
	name string
	doc  string
	mode Mode
	// check runs extra assertions on the loaded document.
	check func(t *testing.T, d *Document)
}{
	{
		name: "block scalars hiding keys",
		doc: head + `paths:
  /a:
    get:
      description: |
        get:
          operationId: fake
        paths:
      summary: >-
        folded
        text
      operationId: realA
      parameters:
        - name: q
          in: query
          description: |+
            keep

        - name: r
          in: header
      tags:
        - |
          not: a key
        - plain
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			if got := d.Operations(); len(got) != 1 || got[0].ID != "realA" {
				t.Errorf("operations = %+v, want only realA", got)
			}
		},
	},
	{
		name: "multi-line plain and quoted scalars",
		doc: head + `paths:
  /b:
    post:
      summary: a plain scalar
        that continues
        and ends here
      description: "a double-quoted
        scalar with \" and
      operationId: notThis"
      x-note: 'single ''quoted''
        over lines
      get: no'
      operationId: "createB"
      requestBody:
        required: true
        content:
          text/plain: {}
          "application/json":
            schema:
              type: object
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			op, err := d.Operation("createB")
			if err != nil {
				t.Fatal(err)
			}
			want := &RequestBody{Required: true, ContentTypes: []string{"text/plain", "application/json"}}
			if !reflect.DeepEqual(op.RequestBody, want) {
				t.Errorf("request body = %+v, want %+v", op.RequestBody, want)
			}
		},
	},
	{
		name: "comments quoted keys and indentless sequences",
		doc: "# leading comment\n---\n" + head + `paths: # trailing
  "/users/{id}":
# a comment at column 0 inside the block
    parameters:
    - name: id
      in: path
      required: true
      schema: {type: string}
    '/users/{id}/x': not a path item key
    get: # comment after key
      operationId: 'getUser' # comment after value
      parameters:
      - name: id # overrides the path-level one
        in: path
        required: true
        schema:
          type: integer
      - name: "fields"
        in: query
        style: form
        explode: false
        schema:
          type: array
          items:
            type: string
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			op, err := d.OperationAt("/paths/~1users~1{id}/get")
			if err != nil {
				t.Fatal(err)
			}
			if len(op.Parameters) != 2 || op.Parameters[0].Schema.Type != "integer" {
				t.Errorf("parameters = %s, want the operation's id (integer) and fields", dump(op.Parameters))
			}
			if p := op.Parameters[1]; p.Explode || p.Schema.Items == nil || p.Schema.Items.Type != "string" {
				t.Errorf("fields = %s", dump(p))
			}
		},
	},
	{
		name: "CRLF line endings",
		doc: strings.ReplaceAll(head+`servers:
  - url: https://{tenant}.example.com/v1
    variables:
      tenant:
        default: demo
        enum: [demo, prod]
paths:
  /c:
    delete:
      operationId: deleteC
      description: |
        text
      parameters:
        - name: id
          in: query
          required: true
`, "\n", "\r\n"),
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			if s := d.Servers(); len(s) != 1 || s[0].Variables["tenant"].Default != "demo" {
				t.Errorf("servers = %+v", s)
			}
			op, err := d.Operation("deleteC")
			if err != nil || len(op.Parameters) != 1 || !op.Parameters[0].Required {
				t.Errorf("deleteC = %s, %v", dump(op), err)
			}
		},
	},
	{
		name: "refs servers and security",
		doc: head + `servers:
  - url: https://api.example.com
security:
  - apiKey: []
paths:
  /d/{id}:
    servers:
      - url: https://path.example.com
    parameters:
      - $ref: '#/components/parameters/Id'
    get:
      operationId: getD
      parameters:
        - $ref: "#/components/parameters/Limit"
    put:
      operationId: putD
      servers:
        - url: https://op.example.com
          description: operation level
      security: []
      requestBody:
        $ref: '#/components/requestBodies/DBody'
    patch:
      operationId: patchD
      security:
        - oauth: [write]
      requestBody:
        $ref: '#/components/requestBodies/Alias'
components:
  parameters:
    Id:
      name: id
      in: path
      required: true
      schema:
        $ref: '#/components/schemas/Id'
    Limit:
      $ref: '#/components/parameters/RealLimit'
    RealLimit:
      name: limit
      in: query
      schema:
        type: array
        items:
          $ref: '#/components/schemas/Id'
  requestBodies:
    DBody:
      required: true
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/D'
        application/xml: {}
    Alias:
      $ref: '#/components/requestBodies/DBody'
  schemas:
    Id:
      type: string
      format: uuid
    D:
      type: object
  securitySchemes:
    apiKey:
      type: apiKey
      name: Authorization
      in: header
      description: SSWS token
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://example.com/token
          scopes:
            write: write
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			get, err := d.Operation("getD")
			if err != nil {
				t.Fatal(err)
			}
			if len(get.Parameters) != 2 || get.Parameters[0].Schema.Format != "uuid" || get.Parameters[1].Schema.Items.Format != "uuid" {
				t.Errorf("getD parameters = %s", dump(get.Parameters))
			}
			if len(get.Servers) != 1 || get.Servers[0].URL != "https://path.example.com" {
				t.Errorf("getD servers = %+v, want the path-level server", get.Servers)
			}
			if !reflect.DeepEqual(get.Security, []SecurityRequirement{{"apiKey": {}}}) {
				t.Errorf("getD security = %+v, want the document's", get.Security)
			}
			put, _ := d.Operation("putD")
			if put.Security == nil || len(put.Security) != 0 {
				t.Errorf("putD security = %#v, want empty non-nil", put.Security)
			}
			if put.Servers[0].URL != "https://op.example.com" {
				t.Errorf("putD servers = %+v", put.Servers)
			}
			patch, _ := d.Operation("patchD")
			if patch.RequestBody == nil || !patch.RequestBody.Required || len(patch.RequestBody.ContentTypes) != 2 {
				t.Errorf("patchD body = %+v", patch.RequestBody)
			}
			if s := d.SecuritySchemes()["apiKey"]; s.In != "header" || s.Name != "Authorization" {
				t.Errorf("apiKey scheme = %+v", s)
			}
			if s := d.SecuritySchemes()["oauth"]; s.Type != "oauth2" || s.TokenURL != "https://example.com/token" {
				t.Errorf("oauth scheme = %+v, want its clientCredentials tokenUrl", s)
			}
		},
	},
	{
		name: "anchor and alias inside one block",
		doc: head + `paths:
  /e:
    get:
      operationId: getE
      parameters:
        - &limit
          name: limit
          in: query
        - name: after
          in: query
    post:
      operationId: postE
      responses:
        '200':
          description: &ok fine
        '201':
          description: *ok
`,
		mode: ModeOutline,
	},
	{
		name: "openapi 3.1 type lists",
		doc: `openapi: 3.1.0
info:
  title: t
  version: '1'
paths:
  /f:
    get:
      operationId: getF
      parameters:
        - name: tag
          in: query
          schema:
            type: [string, "null"]
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			op, err := d.Operation("getF")
			if err != nil {
				t.Fatal(err)
			}
			if s := op.Parameters[0].Schema; s.Type != "string" || !s.Nullable {
				t.Errorf("schema = %+v, want nullable string", s)
			}
		},
	},
	// Fallback triggers: each must go to kin and still agree.
	{
		name: "flow collection spanning lines",
		doc: head + `paths:
  /g:
    get:
      operationId: getG
      parameters: [{name: a, in: query},
        {name: b, in: header}]
`,
		mode: ModeFull,
	},
	{
		name: "alias across blocks",
		doc: head + `paths:
  /h:
    get:
      operationId: getH
      parameters:
        - &shared
          name: shared
          in: query
  /i:
    get:
      operationId: getI
      parameters:
        - *shared
`,
		mode: ModeFull,
	},
	{
		name: "YAML flow document",
		doc:  "{openapi: 3.0.3, info: {title: t, version: '1'}, paths: {/l: {get: {operationId: getL}}}}",
		mode: ModeFull,
	},
	{
		name: "merge key into a path item",
		doc: head + `x-common: &common
  get:
    operationId: getM
paths:
  /m:
    <<: *common
`,
		mode: ModeFull,
	},
	{
		name: "path item reference",
		doc: `openapi: 3.1.0
info:
  title: t
  version: '1'
paths:
  /n:
    $ref: '#/components/pathItems/N'
components:
  pathItems:
    N:
      get:
        operationId: getN
`,
		mode: ModeFull,
	},
	{
		name: "JSON path item reference",
		doc:  `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/o": {"$ref": "#/components/pathItems/O"}}, "components": {"pathItems": {"O": {"get": {"operationId": "getO"}}}}}`,
		mode: ModeFull,
	},
	{
		name: "YAML tag",
		doc: head + `paths:
  /j:
    get:
      operationId: !!str getJ
`,
		mode: ModeFull,
	},
	{
		name: "OpenAPI 3.2 additional operations in block style",
		doc: `openapi: 3.2.1
info: {title: t, version: "1"}
security:
  - key: []
paths:
  /r/{id}:
    parameters:
      - $ref: "#/components/parameters/Id"
    additionalOperations:
      lock:
        operationId: lockR
        servers:
          - url: https://locks.example.com
        security: []
        requestBody:
          $ref: "#/components/requestBodies/Lock"
      LINK:
    query:
      operationId: queryR
      parameters:
        - name: q
          in: querystring
          content:
            application/x-www-form-urlencoded:
              schema: {type: object}
            application/json: {}
components:
  parameters:
    Id: {name: id, in: path, required: true, schema: {type: string}}
  requestBodies:
    Lock:
      required: true
      content:
        application/xml: {}
        application/json: {}
`,
		mode: ModeOutline,
		check: func(t *testing.T, d *Document) {
			op, err := d.OperationAt("/paths/~1r~1{id}/additionalOperations/lock")
			if err != nil || op.ID != "lockR" || op.Method != "LOCK" {
				t.Fatalf("lockR: %v %s", err, dump(op))
			}
			if op.Security == nil || len(op.Security) != 0 || len(op.Servers) != 1 || !op.RequestBody.Required ||
				!reflect.DeepEqual(op.RequestBody.ContentTypes, []string{"application/xml", "application/json"}) || op.Parameters[0].Name != "id" {
				t.Errorf("lockR = %s", dump(op))
			}
			// content lists two media types, which the specification forbids: no ContentType.
			if op, err := d.Operation("queryR"); err != nil || op.Parameters[1].In != "querystring" || op.Parameters[1].ContentType != "" {
				t.Errorf("queryR: %v %s", err, dump(op))
			}
			if len(d.Operations()) != 2 {
				t.Errorf("operations %s; LINK has no value", dump(d.Operations()))
			}
		},
	},
	{
		name: "OpenAPI 3.2 operations in flow style",
		doc: `openapi: 3.2.0
info: {title: t, version: "1"}
paths:
  /q:
    query: {operationId: queryQ, parameters: [{name: q, in: querystring, content: {application/json: {}}}]}
    additionalOperations: {COPY: {operationId: copyQ}}
`,
		mode: ModeFull,
		check: func(t *testing.T, d *Document) {
			op, err := d.OperationAt("/paths/~1q/additionalOperations/COPY")
			if err != nil || op.ID != "copyQ" {
				t.Fatalf("COPY /q: %v", err)
			}
			op, err = d.Operation("queryQ")
			if err != nil || op.Method != "QUERY" || op.Parameters[0].ContentType != "application/json" {
				t.Fatalf("queryQ: %v %s", err, dump(op))
			}
		},
	},
	{
		name: "JSON description",
		doc: `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
 "servers": [{"url": "https://{host}/api", "variables": {"host": {"default": "example.com"}}}],
 "paths": {"/k/{id}": {"parameters": [{"$ref": "#/components/parameters/Id"}],
   "get": {"operationId": "getK", "security": []},
   "post": {"operationId": "postK", "requestBody": {"content": {"application/json": {}, "text/plain": {}}}}}},
 "components": {"parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}}}}`,
		mode: ModeJSON,
		check: func(t *testing.T, d *Document) {
			op, err := d.Operation("postK")
			if err != nil {
				t.Fatal(err)
			}
			if op.Parameters[0].Name != "id" || !reflect.DeepEqual(op.RequestBody.ContentTypes, []string{"application/json", "text/plain"}) {
				t.Errorf("postK = %s", dump(op))
			}
		},
	},
}

func TestLoadForms(t *testing.T) {
	for _, tc := range yamlForms {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Load([]byte(tc.doc), "form.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if d.Mode() != tc.mode {
				t.Fatalf("mode = %v (reason %q), want %v", d.Mode(), d.FallbackReason(), tc.mode)
			}
			full, err := LoadWithOptions([]byte(tc.doc), "form.yaml", Options{Full: true})
			if err != nil {
				t.Fatalf("kin: %v", err)
			}
			compareDocuments(t, d, full)
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"swagger yaml", "swagger: '2.0'\ninfo:\n  title: t\npaths: {}\n", "Swagger 2.0"},
		{"swagger json", `{"swagger": "2.0", "info": {}, "paths": {}}`, "Swagger 2.0"},
		{"swagger with fallback", "swagger: '2.0'\ninfo: &i\n  title: t\nx: *i\n", "Swagger 2.0"},
		{"unknown version", "openapi: 2.5.0\npaths: {}\n", `unsupported OpenAPI version "2.5.0"`},
		{"3.3", "openapi: 3.3.0\npaths: {}\n", `unsupported OpenAPI version "3.3.0": trama reads 3.0.x, 3.1.x and 3.2.x`},
		{"3.3 json", `{"openapi": "3.3.0", "paths": {}}`, `unsupported OpenAPI version "3.3.0": trama reads 3.0.x, 3.1.x and 3.2.x`},
		{"3.3 with fallback", "openapi: 3.3.0\ninfo: &i\n  title: t\nx: *i\npaths: {}\n", `unsupported OpenAPI version "3.3.0": trama reads 3.0.x, 3.1.x and 3.2.x`},
		{"no version", "info:\n  title: t\npaths: {}\n", "no top-level openapi field"},
		{"empty", "  \n", "empty description"},
		{"broken json", `{"openapi": "3.0.0",`, "unmarshal"},
		{"external ref", head + "paths:\n  /x:\n    get:\n      parameters:\n        - $ref: other.yaml#/p\n", "other.yaml"},
		{"external ref json", `{"openapi": "3.0.0", "paths": {"/x": {"get": {"parameters": [{"$ref": "other.json#/p"}]}}}}`, "other.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.doc), "bad.yaml")
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") {
				t.Errorf("error %q does not mention %q and the location", err, tc.want)
			}
		})
	}
}

func TestLoadExternalRefsOptIn(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.yaml")
	doc := head + "paths:\n  /x:\n    get:\n      operationId: getX\n      parameters:\n        - $ref: 'params.yaml#/Limit'\n"
	params := "Limit:\n  name: limit\n  in: query\n  schema:\n    type: integer\n"
	if err := os.WriteFile(filepath.Join(dir, "params.yaml"), []byte(params), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := LoadWithOptions([]byte(doc), main, Options{ExternalRefs: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Mode() != ModeFull {
		t.Errorf("mode = %v, want full", d.Mode())
	}
	op, err := d.Operation("getX")
	if err != nil {
		t.Fatal(err)
	}
	if len(op.Parameters) != 1 || op.Parameters[0].Name != "limit" || op.Parameters[0].Schema.Type != "integer" {
		t.Errorf("parameters = %s", dump(op.Parameters))
	}
}

func TestOperationLookup(t *testing.T) {
	d, err := Load([]byte(yamlForms[4].doc), "refs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.Operation("getD")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.OperationAt("#/paths/~1d~1{id}/get")
	c, _ := d.OperationAt("/paths/~1d~1%7Bid%7D/GET")
	if a != b || a != c {
		t.Error("the same operation was decoded twice")
	}
	if a.Method != "GET" || a.Path != "/d/{id}" || a.Line != 15 {
		t.Errorf("getD = %s %s line %d, want GET /d/{id} line 15", a.Method, a.Path, a.Line)
	}
	for _, tc := range []struct {
		call func() (*Operation, error)
		want string
	}{
		{func() (*Operation, error) { return d.Operation("getd") }, `did you mean "getD"`},
		{func() (*Operation, error) { return d.Operation("nope") }, `operationId "nope" in refs.yaml`},
		{func() (*Operation, error) { return d.OperationAt("/paths/~1d~1{id}/post") }, "POST /d/{id}"},
		{func() (*Operation, error) { return d.OperationAt("/components/parameters/Id") }, "does not name"},
		{func() (*Operation, error) { return d.OperationAt("paths") }, "does not start with /"},
	} {
		_, err := tc.call()
		if !errors.Is(err, ErrOperationNotFound) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want ErrOperationNotFound mentioning %q", err, tc.want)
		}
	}
}

func TestBrokenReference(t *testing.T) {
	doc := head + "paths:\n  /x:\n    get:\n      operationId: getX\n      parameters:\n        - $ref: '#/components/parameters/Missing'\n"
	d, err := Load([]byte(doc), "broken.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Operation("getX")
	if err == nil || !strings.Contains(err.Error(), "#/components/parameters/Missing") {
		t.Errorf("error %v, want one naming the missing $ref", err)
	}
}

// TestConcurrentOperation asks for the same operations from many goroutines;
// each must be decoded once and shared (run with -race).
func TestConcurrentOperation(t *testing.T) {
	d, err := Load([]byte(yamlForms[4].doc), "refs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"getD", "putD", "patchD"}
	got := make([][]*Operation, 8)
	done := make(chan int)
	for g := range got {
		go func() {
			for _, id := range ids {
				op, err := d.Operation(id)
				if err != nil {
					t.Error(err)
				}
				got[g] = append(got[g], op)
			}
			d.Servers()
			d.SecuritySchemes()
			done <- g
		}()
	}
	for range got {
		<-done
	}
	for g := 1; g < len(got); g++ {
		for i := range ids {
			if got[g][i] != got[0][i] {
				t.Errorf("%s decoded more than once", ids[i])
			}
		}
	}
}

// TestResponseCodes: the response keys of an operation, in every loading mode.
func TestResponseCodes(t *testing.T) {
	const yamlDoc = `openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /users/{id}:
    delete:
      operationId: deleteUser
      responses:
        "204": { description: deleted }
        404: { description: not found }
        default: { description: error }
    get:
      operationId: getUser
`
	jsonDoc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/users/{id}":{"delete":{"operationId":"deleteUser","responses":{"204":{"description":"deleted"},"404":{"description":"not found"},"default":{"description":"error"}}},"get":{"operationId":"getUser"}}}}`
	for name, tt := range map[string]struct {
		data string
		opts Options
	}{
		"outline": {yamlDoc, Options{}}, "json": {jsonDoc, Options{}}, "full": {yamlDoc, Options{Full: true}},
	} {
		d, err := LoadWithOptions([]byte(tt.data), "t.yaml", tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		op, _ := d.Operation("deleteUser")
		codes, ok, err := d.ResponseCodes(op)
		slices.Sort(codes)
		if err != nil || !ok || strings.Join(codes, ",") != "204,404,default" {
			t.Errorf("%s: ResponseCodes(deleteUser) = %v, %v, %v", name, codes, ok, err)
		}
		get, _ := d.Operation("getUser")
		if codes, ok, err := d.ResponseCodes(get); ok || err != nil || len(codes) != 0 {
			t.Errorf("%s: ResponseCodes(getUser) = %v, %v, %v; want none", name, codes, ok, err)
		}
	}
}

// TestResponseMediaTypes: the media types an operation's responses carry, $refs followed, in every
// loading mode.
func TestResponseMediaTypes(t *testing.T) {
	const yamlDoc = `openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /users/{id}:
    get:
      operationId: getUser
      responses:
        "200":
          description: the user
          content:
            application/json: { schema: { type: object } }
        "404": { $ref: "#/components/responses/Problem" }
        "204": { description: nothing }
    delete:
      operationId: deleteUser
components:
  responses:
    Problem:
      description: a problem
      content:
        application/problem+json: { schema: { type: object } }
        application/json: { schema: { type: object } }
`
	jsonDoc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/users/{id}":{"get":{"operationId":"getUser","responses":{"200":{"description":"the user","content":{"application/json":{"schema":{"type":"object"}}}},"404":{"$ref":"#/components/responses/Problem"},"204":{"description":"nothing"}}},"delete":{"operationId":"deleteUser"}}},"components":{"responses":{"Problem":{"description":"a problem","content":{"application/problem+json":{"schema":{"type":"object"}},"application/json":{"schema":{"type":"object"}}}}}}}`
	for name, tt := range map[string]struct {
		data string
		opts Options
	}{
		"outline": {yamlDoc, Options{}}, "json": {jsonDoc, Options{}}, "full": {yamlDoc, Options{Full: true}},
	} {
		d, err := LoadWithOptions([]byte(tt.data), "t.yaml", tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		op, _ := d.Operation("getUser")
		types, ok, err := d.ResponseMediaTypes(op)
		slices.Sort(types)
		if err != nil || !ok || strings.Join(types, ",") != "application/json,application/problem+json" {
			t.Errorf("%s: ResponseMediaTypes(getUser) = %v, %v, %v", name, types, ok, err)
		}
		del, _ := d.Operation("deleteUser")
		if types, ok, err := d.ResponseMediaTypes(del); ok || err != nil || len(types) != 0 {
			t.Errorf("%s: ResponseMediaTypes(deleteUser) = %v, %v, %v; want none", name, types, ok, err)
		}
	}
}
