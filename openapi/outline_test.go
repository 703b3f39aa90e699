package openapi

import (
	"errors"
	"strings"
	"testing"
)

// TestOutlineGivesUp lists every construct the outline pass refuses, with the
// reason it must report; Load then uses the full parser.
func TestOutlineGivesUp(t *testing.T) {
	op := "paths:\n  /a:\n    get:\n      operationId: a\n"
	for _, tc := range []struct {
		name, doc, reason string
	}{
		{"second document", head + op + "---\nopenapi: 3.0.0\n", "more than one YAML document"},
		{"directive", "%YAML 1.2\n---\n" + head, "directive"},
		{"tab indentation", head + "paths:\n\t/a: {}\n", "tab in indentation"},
		{"lone carriage return", "openapi: 3.0.0\rpaths: {}\n", "carriage return"},
		{"unicode line separator", head + "x-a: b\u2028c\n", "Unicode line break"},
		{"flow spanning lines", head + op + "      tags: [a,\n        b]\n", "flow collection spans lines"},
		{"flow hiding operations", head + "paths:\n  /a: {get: {operationId: a}}\n", "flow collection where the outline indexes keys"},
		{"flow hiding additional operations", "openapi: 3.2.0\npaths:\n  /a:\n    additionalOperations: {COPY: {operationId: a}}\n", "flow collection where the outline indexes keys"},
		{"flow query operation", "openapi: 3.2.0\npaths:\n  /a:\n    query: {operationId: a}\n", "flow collection where the outline indexes keys"},
		{"tag", head + op + "      summary: !!str x\n", "YAML tag"},
		{"complex key", head + "? complex\n: value\n", "complex mapping key"},
		{"anchor on key", head + "paths:\n  /a:\n    &k get:\n      operationId: a\n", "anchor on a mapping key"},
		{"alias before anchor", head + op + "      parameters:\n        - *p\n", "before its anchor"},
		{"alias across decoded blocks", head + "paths:\n  /a:\n    parameters:\n      - &p {name: a, in: query}\n  /b:\n    parameters:\n      - *p\n", "another block"},
		{"merge key", head + "paths:\n  <<: {}\n", "merge key"},
		{"external ref", head + op + "      parameters:\n        - $ref: 'p.yaml#/x'\n", "external $ref"},
		{"external ref plain", head + op + "      requestBody:\n        $ref: https://example.com/b.yaml\n", "external $ref"},
		{"path item ref", head + "paths:\n  /a:\n    $ref: '#/components/pathItems/A'\n", "path item $ref"},
		{"duplicate key", head + op + "    get:\n      operationId: b\n", "duplicate key"},
		{"numeric key", head + "paths:\n  /a:\n    get:\n      operationId: a\n  200: {}\n", "not a string"},
		{"indented top level", "  openapi: 3.0.0\n", "indented top-level mapping"},
		{"unterminated quote", head + "x-a: \"open\n", "unterminated quoted scalar"},
		{"text after quote", head + "x-a: \"a\" b\n", "text after quoted scalar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildOutline([]byte(tc.doc))
			var u *unsureError
			if !errors.As(err, &u) {
				t.Fatalf("outline accepted it (err %v), want it to give up", err)
			}
			if !strings.Contains(u.reason, tc.reason) {
				t.Errorf("reason %q, want %q", u.reason, tc.reason)
			}
		})
	}
}

// TestOutlineKeepsGoing lists constructs that look risky but that the outline
// models, so they must not cost a full load.
func TestOutlineKeepsGoing(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"leading document marker", "---\n" + head},
		{"empty flow collections", head + "paths:\n  /a:\n    get:\n      operationId: a\n      requestBody:\n        content: {}\ncomponents: {}\n"},
		{"anchor in responses", head + "paths:\n  /a:\n    get:\n      responses:\n        '200': &ok {description: ok}\n  /b:\n    get:\n      responses:\n        '200': *ok\n"},
		{"flow value inside an operation", head + "paths:\n  /a:\n    get:\n      tags: [a, 'b, c', \"d]\"]\n"},
		{"quoted key with escapes", head + "paths:\n  \"/a\\u0041\":\n    get:\n      operationId: a\n"},
		{"block scalar with indentation indicator", head + "x-doc:\n  description: |2\n      indented\n    text\n"},
		{"comment lines at column zero", head + "paths:\n  /a:\n# note\n    get:\n#   get: not a key\n      operationId: a\n"},
		{"BOM", "\xef\xbb\xbf" + head},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := buildOutline([]byte(tc.doc)); err != nil {
				t.Fatalf("outline gave up: %v", err)
			}
			d, err := Load([]byte(tc.doc), "ok.yaml")
			if err != nil {
				t.Fatal(err)
			}
			full, err := LoadWithOptions([]byte(tc.doc), "ok.yaml", Options{Full: true})
			if err != nil {
				t.Fatalf("kin: %v", err)
			}
			compareDocuments(t, d, full)
		})
	}
}
