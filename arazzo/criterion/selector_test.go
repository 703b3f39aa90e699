package criterion

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const shop = `{"user":{"profile":{"email":"ann@example.com"}},
 "items":[{"sku":"ABC123","quantity":2},{"sku":"XYZ9","quantity":5}],
 "newQuantity":7}`

const invoice = `<?xml version="1.0"?>
<Invoice><Header currency="EUR"><InvoiceNumber>INV-1</InvoiceNumber><Date>2026-05-17</Date></Header>
<Line>a</Line><Line>b</Line></Invoice>`

func mustSelector(t *testing.T, kind Kind, version, text string) *Selector {
	t.Helper()
	s, err := CompileSelector(kind, version, text)
	if err != nil {
		t.Fatalf("CompileSelector(%s, %q, %q): %v", kind, version, text, err)
	}
	return s
}

// TestSelectJSONPath follows the Selector Object (1.1 "Selector Object Examples": `$.user.profile.email`
// on $response.body). A singular query yields its node's value, any other query the list of what it
// selects, and a query that selects nothing finds nothing.
func TestSelectJSONPath(t *testing.T) {
	body := decode(t, shop)
	tests := []struct {
		query string
		want  any
		found bool
	}{
		{`$.user.profile.email`, "ann@example.com", true},
		{`$['user']["profile"].email`, "ann@example.com", true},
		{`$.items[0].quantity`, json.Number("2"), true},
		{`$.items[-1].sku`, "XYZ9", true},
		{`$.items[*].sku`, []any{"ABC123", "XYZ9"}, true},
		{`$.items[?(@.sku=='ABC123')].quantity`, []any{json.Number("2")}, true}, // one node, still a list
		{`$..email`, []any{"ann@example.com"}, true},
		{`$.items`, []any{map[string]any{"sku": "ABC123", "quantity": json.Number("2")}, map[string]any{"sku": "XYZ9", "quantity": json.Number("5")}}, true},
		{`$.user.phone`, nil, false},
		{`$.items[5]`, nil, false},
		{`$.items[?@.sku=='none'].quantity`, nil, false},
	}
	for _, tt := range tests {
		got, found, err := mustSelector(t, JSONPath, "", tt.query).Select(body)
		if err != nil || found != tt.found || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Select(%q) = %#v, %v, %v; want %#v, %v", tt.query, got, found, err, tt.want, tt.found)
		}
	}
	// A body given as JSON text is parsed; XML text is refused with the selector type that reads it.
	if got, found, err := mustSelector(t, JSONPath, RFC9535, `$.newQuantity`).Select([]byte(shop)); err != nil || !found || got != json.Number("7") {
		t.Errorf("[]byte context: %v, %v, %v", got, found, err)
	}
	if _, _, err := mustSelector(t, JSONPath, "", `$.a`).Select(invoice); err == nil || !strings.Contains(err.Error(), "use an xpath selector") {
		t.Errorf("XML context: %v", err)
	}
}

// TestSelectJSONPointer: type jsonpointer (1.1 "Expression Type Object": jsonpointer, rfc6901) addresses
// one value with RFC 6901.
func TestSelectJSONPointer(t *testing.T) {
	body := decode(t, shop)
	for _, tt := range []struct {
		ptr   string
		want  any
		found bool
	}{
		{`/user/profile/email`, "ann@example.com", true},
		{`/items/1/sku`, "XYZ9", true},
		{`/items/9`, nil, false},
		{`/nope`, nil, false},
	} {
		got, found, err := mustSelector(t, JSONPointer, RFC6901, tt.ptr).Select(body)
		if err != nil || found != tt.found || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Select(%q) = %#v, %v, %v", tt.ptr, got, found, err)
		}
	}
	got, _, _ := mustSelector(t, JSONPointer, "", "").Select(body)
	if !reflect.DeepEqual(got, body) {
		t.Errorf("the empty pointer selects the whole context: %v", got)
	}
	if _, err := CompileSelector(JSONPointer, "", "$.user"); err == nil || !strings.Contains(err.Error(), "needs type jsonpath") {
		t.Errorf("a JSONPath query as a pointer: %v", err)
	}
}

// TestSelectXPath follows the Selector Object example `/Invoice/Header/InvoiceNumber` (1.1 "Selector
// Object Examples") and the Expression Type Object's versions: XPath 1.0 turns a node-set into its
// first node, 2.0 and later (the default is xpath-31) treat a sequence of one node as that node.
func TestSelectXPath(t *testing.T) {
	tests := []struct {
		version, expr string
		want          any
		found         bool
	}{
		{XPath30, `/Invoice/Header/InvoiceNumber`, "INV-1", true},
		{"", `/Invoice/Header/@currency`, "EUR", true},
		{"", `/Invoice/Header`, `<Header currency="EUR"><InvoiceNumber>INV-1</InvoiceNumber><Date>2026-05-17</Date></Header>`, true},
		{"", `count(/Invoice/Line)`, 2, true},
		{"", `string(/Invoice/Line[2])`, "b", true},
		{"", `/Invoice/Line = 'b'`, true, true},
		{"", `/Invoice/Line`, []any{"a", "b"}, true},
		{XPath31, `/Invoice/Line | /Invoice/Header/@currency`, []any{"EUR", "a", "b"}, true}, // document order
		{XPath10, `/Invoice/Line`, "a", true},
		{"", `/Invoice/Footer`, nil, false},
	}
	for _, tt := range tests {
		got, found, err := mustSelector(t, XPath, tt.version, tt.expr).Select(invoice)
		if err != nil || found != tt.found || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Select(%s, %q) = %#v, %v, %v; want %#v", tt.version, tt.expr, got, found, err, tt.want)
		}
	}
	if _, _, err := mustSelector(t, XPath, "", `/a`).Select(decode(t, shop)); err == nil || !strings.Contains(err.Error(), "the context is an object (JSON)") {
		t.Errorf("JSON context: %v", err)
	}
	if _, _, err := mustSelector(t, XPath, "", `/a`).Select("<a><b></a>"); err == nil || !strings.Contains(err.Error(), "not XML") {
		t.Errorf("broken XML: %v", err)
	}
}

// TestGoessnerVersion: with version draft-goessner-dispatch-jsonpath-00 (1.1 "Expression Type Object":
// "implementations MUST apply the semantics defined in that version's specification"), `.length` and
// `[(@.length-1)]` mean what JavaScript makes them mean; other script expressions are refused.
func TestGoessnerVersion(t *testing.T) {
	body := decode(t, shop)
	if got, found, _ := mustSelector(t, JSONPath, GoessnerDraft00, `$.items.length`).Select(body); !found || got != 2 {
		t.Errorf("Goessner $.items.length = %v, %v; want 2", got, found)
	}
	if _, found, _ := mustSelector(t, JSONPath, RFC9535, `$.items.length`).Select(body); found {
		t.Error("RFC 9535 $.items.length names a member, which an array does not have")
	}
	if got, _, _ := mustSelector(t, JSONPath, GoessnerDraft00, `$.user.profile.email.length`).Select(body); got != len("ann@example.com") {
		t.Errorf("string length = %v", got)
	}
	if got, _, _ := mustSelector(t, JSONPath, GoessnerDraft00, `$.items[(@.length-1)].sku`).Select(body); got != "XYZ9" {
		t.Errorf("[(@.length-1)] = %v", got)
	}
	if ok, err := Evaluate(JSONPath, GoessnerDraft00, `$.items[(@.length-2)]`, body); !ok || err != nil {
		t.Errorf("criterion [(@.length-2)] = %v, %v", ok, err)
	}
	_, err := CompileSelector(JSONPath, GoessnerDraft00, `$.items[(@.foo*2)]`)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "JavaScript") {
		t.Errorf("script expression: %v", err)
	}
	if _, err := CompileSelector(JSONPath, RFC9535, `$.items[(@.length-1)]`); err == nil {
		t.Error("RFC 9535 has no script expressions")
	}
	if got, _, err := mustSelector(t, JSONPath, GoessnerDraft00, `$..length`).Select(decode(t, `{"a":{"length":3}}`)); err != nil || !reflect.DeepEqual(got, []any{json.Number("3")}) {
		t.Errorf("$..length is a descendant member: %v, %v", got, err)
	}
	// A name that merely contains the text is no script expression.
	if _, err := CompileSelector(JSONPath, GoessnerDraft00, `$['[(x)]']`); err != nil {
		t.Errorf("quoted name: %v", err)
	}
}

// TestReplace follows the Payload Replacement Object (1.1 "Payload Replacement Object Examples"): a
// JSONPath target sets every node it selects, a JSON Pointer or singular query may name a new member,
// and an XPath target sets elements and attributes of an XML payload. The payload given is not modified.
func TestReplace(t *testing.T) {
	payload := decode(t, shop)
	before, _ := json.Marshal(payload)
	replace := func(kind Kind, target string, payload, value any) (any, error) {
		s, err := CompileTarget(kind, "", target)
		if err != nil {
			t.Fatalf("CompileTarget(%q): %v", target, err)
		}
		return s.Replace(payload, value)
	}
	got, err := replace(JSONPath, `$.items[?(@.sku=='ABC123')].quantity`, payload, 10)
	if err != nil {
		t.Fatal(err)
	}
	items := got.(map[string]any)["items"].([]any)
	if items[0].(map[string]any)["quantity"] != 10 || items[1].(map[string]any)["quantity"] != json.Number("5") {
		t.Errorf("filter target: %v", items)
	}
	got, _ = replace(JSONPath, `$.items[*].quantity`, payload, 0)
	for _, it := range got.(map[string]any)["items"].([]any) {
		if it.(map[string]any)["quantity"] != 0 {
			t.Errorf("wildcard target: %v", got)
		}
	}
	got, err = replace(JSONPath, `$.user.profile.phone`, payload, "+1")
	if err != nil || got.(map[string]any)["user"].(map[string]any)["profile"].(map[string]any)["phone"] != "+1" {
		t.Errorf("a singular target names a new member: %v, %v", got, err)
	}
	got, err = replace(JSONPath, `$.items[-1].sku`, payload, "NEW")
	if err != nil || got.(map[string]any)["items"].([]any)[1].(map[string]any)["sku"] != "NEW" {
		t.Errorf("negative index: %v, %v", got, err)
	}
	got, err = replace(JSONPath, `$..quantity`, payload, 1)
	if err != nil || got.(map[string]any)["items"].([]any)[1].(map[string]any)["quantity"] != 1 {
		t.Errorf("descendant target: %v, %v", got, err)
	}
	if _, err := replace(JSONPath, `$.items[?@.sku=='none'].quantity`, payload, 1); err == nil || !strings.Contains(err.Error(), "selects nothing") {
		t.Errorf("a target that selects nothing: %v", err)
	}
	if _, err := replace(JSONPath, `$.user.address.city`, payload, "x"); err == nil || !strings.Contains(err.Error(), `member "address" does not exist`) {
		t.Errorf("a singular target under a missing member: %v", err)
	}
	if got, err := replace(JSONPointer, `/items/-`, payload, "z"); err != nil || len(got.(map[string]any)["items"].([]any)) != 3 {
		t.Errorf("pointer append: %v, %v", got, err)
	}
	if after, _ := json.Marshal(payload); string(after) != string(before) {
		t.Errorf("Replace modified the payload:\n%s\n%s", before, after)
	}

	envelope := `<Envelope><Header><CustomerId>old</CustomerId><Region code="x"/></Header></Envelope>`
	s, err := CompileTarget(XPath, XPath30, `/Envelope/Header/CustomerId`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Replace(envelope, "C-42 & co")
	if err != nil || out != `<Envelope><Header><CustomerId>C-42 &amp; co</CustomerId><Region code="x"></Region></Header></Envelope>` {
		t.Errorf("xpath element target: %v, %v", out, err)
	}
	out, err = replace(XPath, `//Region/@code`, envelope, json.Number("7"))
	if err != nil || !strings.Contains(out.(string), `<Region code="7">`) {
		t.Errorf("xpath attribute target: %v, %v", out, err)
	}
	if _, err := replace(XPath, `/Envelope/Body`, envelope, "x"); err == nil || !strings.Contains(err.Error(), "selects no node") {
		t.Errorf("xpath target that selects nothing: %v", err)
	}
	if _, err := replace(XPath, `/a`, payload, "x"); err == nil || !strings.Contains(err.Error(), "needs XML text") {
		t.Errorf("xpath target on a JSON payload: %v", err)
	}
	if _, err := replace(XPath, `/Envelope/Header/CustomerId`, envelope, map[string]any{"a": 1}); err == nil {
		t.Error("an object cannot be XML text")
	}
}

// TestCheckSelector: `trama validate` learns what is wrong with a selector before a run: unknown types
// and versions (1.1 "Expression Type Object" lists the allowed ones), syntax errors, and versions trama
// evaluates with other semantics.
func TestCheckSelector(t *testing.T) {
	tests := []struct {
		kind          Kind
		version, text string
		problem, warn string
	}{
		{JSONPath, "", `$.items[?@.sku == '{$inputs.sku}'].quantity`, "", ""},
		{JSONPath, "", `$.items[{$inputs.i}]`, "", ""},
		{JSONPath, RFC9535, `$.a[`, "not a valid RFC 9535 JSONPath query", ""},
		{JSONPath, "", `/a/b`, "needs type jsonpointer", ""},
		{JSONPath, "rfc1234", `$.a`, `unknown jsonpath version "rfc1234"`, ""},
		{JSONPath, GoessnerDraft00, `$.a`, "", "evaluated as RFC 9535"},
		{JSONPointer, "", `/items/{$inputs.i}`, "", ""},
		{JSONPointer, "", `items/0`, "not a JSON Pointer", ""},
		{JSONPointer, "rfc6902", `/a`, "want rfc6901", ""},
		{XPath, XPath10, `/Invoice/Header`, "", ""},
		{XPath, "", `/Invoice/Header`, "", "evaluated with XPath 1.0 semantics"},
		{XPath, XPath31, `/a[`, "invalid XPath expression", ""},
		{XPath, "xpath-40", `/a`, `unknown xpath version "xpath-40"`, ""},
		{"css", "", `#a`, `unknown selector type "css"`, ""},
	}
	for _, tt := range tests {
		warnings, err := CheckSelector(tt.kind, tt.version, tt.text)
		if tt.problem != "" {
			var p *Problem
			if !errors.As(err, &p) || p.Condition != tt.text || !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), "selector") {
				t.Errorf("CheckSelector(%s, %q) = %v; want a Problem containing %q", tt.kind, tt.text, err, tt.problem)
			}
			continue
		}
		if err != nil {
			t.Errorf("CheckSelector(%s, %q) = %v", tt.kind, tt.text, err)
			continue
		}
		if (tt.warn == "") != (len(warnings) == 0) || tt.warn != "" && !strings.Contains(warnings[0], tt.warn) {
			t.Errorf("CheckSelector(%s, %q) warnings %q; want %q", tt.kind, tt.text, warnings, tt.warn)
		}
	}
	if _, err := CheckTarget(JSONPointer, "", "$.a"); err == nil || !strings.Contains(err.Error(), `jsonpointer target "$.a"`) {
		t.Errorf("CheckTarget names the target: %v", err)
	}
}

// TestJSONPointerIsNoCriterionType: a Criterion Object's type is simple, regex, jsonpath or xpath (1.1
// "Criterion Object"); jsonpointer only selects.
func TestJSONPointerIsNoCriterionType(t *testing.T) {
	if _, err := Evaluate(JSONPointer, "", "/a", map[string]any{"a": 1}); err == nil || !strings.Contains(err.Error(), "selector type, not a criterion type") {
		t.Errorf("Evaluate(jsonpointer) = %v", err)
	}
}
