package criterion

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	v, err := parseJSONValue(s)
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func parseJSONValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func TestEvaluateRegex(t *testing.T) {
	tests := []struct {
		cond    string
		context any
		want    bool
	}{
		{`^200$`, 200, true},
		{`^200$`, 201, false},
		{`^2\d{2}$`, json.Number("204"), true},
		{`^2\d{2}$`, float64(204), true},
		{`2\d\d`, "1200", true}, // unanchored search
		{`^ACTIVE$`, "ACTIVE", true},
		{`(?i)^active$`, "ACTIVE", true},
		{`^true$`, true, true},
		{`"status":"ACTIVE"`, map[string]any{"status": "ACTIVE"}, true},
		{`^\["a","b"\]$`, []any{"a", "b"}, true},
		{`^abc$`, []byte("abc"), true},
		{`.*`, nil, false}, // a null context fails
	}
	for _, tt := range tests {
		got, err := Evaluate(Regex, "", tt.cond, tt.context)
		if err != nil || got != tt.want {
			t.Errorf("Evaluate(regex, %q, %#v) = %v, %v; want %v", tt.cond, tt.context, got, err, tt.want)
		}
	}
}

func TestCheckRegexUnsupported(t *testing.T) {
	tests := []struct {
		cond, construct string
	}{
		{`^(?=.*\d)\w+$`, "lookahead"},
		{`^(?!admin)`, "lookahead"},
		{`(?<=@)example\.com`, "lookbehind"},
		{`(?<!x)y`, "lookbehind"},
		{`(a)\1`, "backreferences"},
		{`(?<q>')\k<q>`, "backreferences"},
		{`a++`, "possessive"},
		{`\d{2}+`, "possessive"},
		{`(?>abc)`, "atomic"},
		{`abc\Z`, `\Z`},
	}
	for _, tt := range tests {
		_, err := Check(Regex, "", tt.cond)
		var p *Problem
		if !errors.As(err, &p) || !errors.Is(err, ErrUnsupported) {
			t.Errorf("Check(regex, %q) = %v; want an unsupported Problem", tt.cond, err)
			continue
		}
		if !strings.Contains(p.Message, "RE2") || !strings.Contains(p.Message, tt.construct) {
			t.Errorf("Check(regex, %q) message %q does not name %q", tt.cond, p.Message, tt.construct)
		}
	}
	// Plain syntax errors are not blamed on RE2, and escaped look-alikes compile.
	_, err := Check(Regex, "", `(abc`)
	if err == nil || errors.Is(err, ErrUnsupported) {
		t.Errorf("Check(regex, `(abc`) = %v; want a syntax Problem", err)
	}
	for _, ok := range []string{`\(\?=x\)`, `^({$inputs.statusPattern})$`, `(?<name>\d+)`} {
		if _, err := Check(Regex, "", ok); err != nil {
			t.Errorf("Check(regex, %q) = %v; want nil", ok, err)
		}
	}
	if _, err := Check(Regex, "v1", "a"); err == nil {
		t.Error("Check accepted a version for regex")
	}
}

func TestEvaluateJSONPath(t *testing.T) {
	users := `[{"id":"00u1","status":"ACTIVE","profile":{"login":"ann@example.com"}},
	           {"id":"00u2","status":"SUSPENDED","profile":{"login":"bob@example.com"}}]`
	pets := `{"pets":[{"name":"Rex"}],"count":1,"ratio":1.0}`
	tests := []struct {
		cond, doc string
		want      bool
	}{
		{`$[0]`, users, true},
		{`$[0]`, `[]`, false},
		{`$[?@.status == 'SUSPENDED']`, users, true},
		{`$[?@.status == 'DEPROVISIONED']`, users, false},
		{`$[?(@.status == "ACTIVE")]`, users, true},
		{`$[?search(@.profile.login, 'bob@')]`, users, true},
		{`$.pets[*]`, pets, true},
		{`$.pets[0]`, `{"pets":[]}`, false},
		{`$[?@ == 1]`, pets, true}, // 1 and 1.0 are the same number
		{`$.missing`, pets, false},
		// Strict RFC 9535: the filter runs over the root's children, which have no "pets" member.
		{`$[?count(@.pets) > 0]`, pets, false},
		{`$[?count(@.pets) > 0]`, `[` + pets + `]`, true},
		// Compatibility comparisons.
		{`$.length > 0`, users, true},
		{`$.length > 0`, `[]`, false},
		{`$.length == 0`, `[]`, true},
		{`$.length == 0`, users, false},
		{`$.length >= 2`, users, true},
		{`$.pets.length == 1`, pets, true},
		{`$.count > 0`, pets, true},
		{`$['count'] >= 2`, pets, false},
		{`$.pets[0].name == 'Rex'`, pets, true},
		{`$.pets[0].name == "rex"`, pets, false}, // JSONPath compares strings case-sensitively
		{`$.pets[0].name.length == 3`, pets, true},
		{`$.missing == null`, pets, false},
		{`$.missing != 5`, pets, true},
	}
	for _, tt := range tests {
		got, err := Evaluate(JSONPath, "", tt.cond, decode(t, tt.doc))
		if err != nil || got != tt.want {
			t.Errorf("Evaluate(jsonpath, %q, %s) = %v, %v; want %v", tt.cond, tt.doc, got, err, tt.want)
		}
	}
}

func TestEvaluateJSONPathContextTypes(t *testing.T) {
	type user struct {
		Status string `json:"status"`
	}
	tests := []struct {
		name    string
		context any
		want    bool
	}{
		{"bytes", []byte(`{"status":"ACTIVE"}`), true},
		{"raw", json.RawMessage(`{"status":"ACTIVE"}`), true},
		{"float64", map[string]any{"status": "ACTIVE", "n": 2.5}, true},
		{"typed map", map[string]string{"status": "ACTIVE"}, true},
		{"struct", user{"ACTIVE"}, true},
		{"struct other", user{"STAGED"}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		got, err := Evaluate(JSONPath, RFC9535, `$[?@ == 'ACTIVE']`, tt.context)
		if err != nil || got != tt.want {
			t.Errorf("%s: Evaluate = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := Evaluate(JSONPath, "", `$`, []byte(`{"a":`)); err == nil {
		t.Error("Evaluate accepted a truncated JSON body")
	}
	if _, err := Evaluate(JSONPath, "", `$`, make(chan int)); err == nil {
		t.Error("Evaluate accepted a channel as context")
	}
}

func TestCheckJSONPath(t *testing.T) {
	tests := []struct {
		cond, version string
		warn          string // substring of the only warning; "" for none
		bad           bool
	}{
		{`$[?@.status == 'ACTIVE']`, "", "", false},
		{`$[?(@.status == "{$inputs.expectedStatus}")]`, "", "", false},
		{`$.pets[*]`, RFC9535, "", false},
		{`$.pets[*]`, GoessnerDraft00, "evaluated as RFC 9535", false},
		{`$.length > 0`, "", "write `$[0]` instead", false},
		{`$.length >= 3`, "", "write `$[2]` instead", false},
		{`$.length == 0`, "", "cannot test that an array is empty", false},
		{`$.count > {$inputs.threshold}`, "", "write `$[?$['count'] > {$inputs.threshold}]` instead", false},
		{`$.status == '{$inputs.s}'`, "", "write `$[?$['status'] == '{$inputs.s}']` instead", false},
		{`$.pets.length > 0`, "", "write `$[?length($['pets']) > 0]` instead", false},
		{`$[?@.a ==`, "", "", true},
		{`status == 'x'`, "", "", true},
		{`$.a`, "jsonpath-2", "", true},
	}
	for _, tt := range tests {
		warnings, err := Check(JSONPath, tt.version, tt.cond)
		if tt.bad {
			var p *Problem
			if !errors.As(err, &p) || p.Condition != tt.cond {
				t.Errorf("Check(%q) = %v; want a Problem naming the condition", tt.cond, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Check(%q) = %v", tt.cond, err)
			continue
		}
		switch {
		case tt.warn == "" && len(warnings) > 0:
			t.Errorf("Check(%q) warned %q", tt.cond, warnings)
		case tt.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warn)):
			t.Errorf("Check(%q) warnings = %q; want one containing %q", tt.cond, warnings, tt.warn)
		}
	}
}

// TestComparisonSuggestionsAgree proves the RFC 9535 query a warning suggests passes exactly when the
// compatibility comparison does.
func TestComparisonSuggestionsAgree(t *testing.T) {
	conds := []string{
		`$.length > 0`, `$.length > 1`, `$.length >= 1`, `$.length >= 3`, `$.length != 0`,
		`$.items.length > 0`, `$.items.length == 0`, `$.items.length <= 1`,
		`$.status == 'ACTIVE'`, `$.status == "it's"`, `$.count > 1`, `$.count <= 1.5`,
		`$.profile.login == 'ann@example.com'`, `$.items[0] == 1`, `$.items[-1] >= 2`,
		`$.flag == true`, `$.none == null`, `$['odd key'] == 'x'`, `$.name.length == 3`,
	}
	docs := []string{
		`[]`, `[1]`, `[1,2]`, `[1,2,3]`, `{}`, `"str"`, `7`, `null`,
		`{"items":[]}`, `{"items":[1]}`, `{"items":[1,2,3]}`, `{"items":"ab"}`,
		`{"status":"ACTIVE","count":2}`, `{"status":"active","count":1}`, `{"status":"it's","count":1.5}`,
		`{"profile":{"login":"ann@example.com"}}`, `{"flag":true,"none":null}`, `{"flag":"true"}`,
		`{"odd key":"x"}`, `{"name":"Rex"}`, `{"name":[1,2,3]}`,
	}
	for _, cond := range conds {
		c, ok := parseComparison(cond)
		if !ok {
			t.Fatalf("parseComparison(%q) failed", cond)
		}
		s, ok := c.suggestion()
		if !ok {
			continue
		}
		if _, err := Check(JSONPath, "", s); err != nil {
			t.Errorf("suggestion %q for %q is not a valid query: %v", s, cond, err)
			continue
		}
		for _, doc := range docs {
			ctx := decode(t, doc)
			if ctx == nil {
				continue
			}
			if _, isArray := ctx.([]any); c.length && len(c.path) == 0 && !isArray {
				continue // the index rewrite of `$.length` is documented for array bodies
			}
			compat, err1 := Evaluate(JSONPath, "", cond, ctx)
			rfc, err2 := Evaluate(JSONPath, "", s, ctx)
			if err1 != nil || err2 != nil || compat != rfc {
				t.Errorf("on %s: %q = %v (%v) but suggested %q = %v (%v)", doc, cond, compat, err1, s, rfc, err2)
			}
		}
	}
}

func TestEvaluateXPath(t *testing.T) {
	doc := `<?xml version="1.0"?><users><user status="ACTIVE"><login>ann@example.com</login><age>30</age></user>
	<user status="SUSPENDED"><login>bob@example.com</login><age>0</age></user></users>`
	tests := []struct {
		cond, version string
		want          bool
	}{
		{`/users/user[@status='SUSPENDED']`, "", true},
		{`/users/user[@status='DEPROVISIONED']`, "", false},
		{`count(/users/user) = 2`, XPath10, true},
		{`count(/users/user) > 5`, XPath10, false},
		{`count(/users/user)`, XPath30, true},      // number 2
		{`/users/user[2]/age * 1`, XPath20, false}, // number 0
		{`0 div 0`, XPath10, false},                // NaN
		{`string(/users/user[1]/login)`, "", true},
		{`string(/users/nobody)`, "", false},
		{`ends-with(/users/user[1]/login, '@example.com')`, XPath31, true},
		{`/users/user[age > {$inputs.minAge}]`, "", true},
	}
	for _, tt := range tests {
		cond := strings.ReplaceAll(tt.cond, "{$inputs.minAge}", "10")
		got, err := Evaluate(XPath, tt.version, cond, doc)
		if err != nil || got != tt.want {
			t.Errorf("Evaluate(xpath %s, %q) = %v, %v; want %v", tt.version, cond, got, err, tt.want)
		}
	}
	if got, err := Evaluate(XPath, "", `/users`, []byte(doc)); err != nil || !got {
		t.Errorf("Evaluate on []byte = %v, %v", got, err)
	}
	if _, err := Evaluate(XPath, "", `/a`, map[string]any{"a": 1}); err == nil {
		t.Error("Evaluate accepted a JSON value as XML")
	}
	if _, err := Evaluate(XPath, "", `/a`, "<a><b></a>"); err == nil {
		t.Error("Evaluate accepted malformed XML")
	}
	if got, err := Evaluate(XPath, "", `/a`, nil); err != nil || got {
		t.Errorf("nil context = %v, %v; want false", got, err)
	}
	// A runtime type error inside the engine becomes an error, not a crash.
	for _, cond := range []string{`sum('x')`, `starts-with(/a, 1)`} {
		if _, err := Evaluate(XPath, "", cond, "<a>x</a>"); err == nil || !strings.Contains(err.Error(), cond) {
			t.Errorf("Evaluate(%q) = %v; want an error naming the condition", cond, err)
		}
	}
}

func TestCheckXPath(t *testing.T) {
	tests := []struct {
		cond, version string
		unsupported   bool   // ErrUnsupported
		bad           bool   // any Problem
		warn          string // substring of a warning
	}{
		{`/users/user`, XPath10, false, false, ""},
		{`/users/user`, XPath30, false, false, "XPath 1.0 semantics"},
		{`/users/user`, "", false, false, "XPath 1.0 semantics"},
		{`ends-with(/a, 'x')`, XPath10, false, false, "ends-with() is XPath 2.0"},
		{`/root/items[price > {$steps.getPricing.outputs.minPrice}]`, XPath30, false, false, "1.0 semantics"},
		{`if (/a) then 1 else 0`, XPath30, true, true, ""},
		{`for $x in /a return $x`, XPath20, true, true, ""},
		{`/a/name = ('Ann', 'Zed')`, XPath31, true, true, "sequences"},
		{`/a/@n eq 'x'`, XPath30, true, true, ""},
		{`some $u in /a satisfies $u`, XPath30, true, true, ""},
		{`'a' || 'b'`, XPath30, true, true, ""},
		{`/a/name = ('Ann', 'Zed')`, XPath10, false, true, ""},
		{`/a[`, XPath30, false, true, ""},
		{`/a`, "xpath-40", false, true, ""},
	}
	for _, tt := range tests {
		warnings, err := Check(XPath, tt.version, tt.cond)
		if tt.bad {
			var p *Problem
			if !errors.As(err, &p) {
				t.Errorf("Check(xpath %s, %q) = %v; want a Problem", tt.version, tt.cond, err)
				continue
			}
			if errors.Is(err, ErrUnsupported) != tt.unsupported {
				t.Errorf("Check(xpath %s, %q) unsupported = %v; want %v (%v)", tt.version, tt.cond,
					!tt.unsupported, tt.unsupported, err)
			}
			if tt.warn != "" && !strings.Contains(p.Message, tt.warn) {
				t.Errorf("Check(xpath %s, %q) message %q; want %q", tt.version, tt.cond, p.Message, tt.warn)
			}
			continue
		}
		if err != nil {
			t.Errorf("Check(xpath %s, %q) = %v", tt.version, tt.cond, err)
			continue
		}
		joined := strings.Join(warnings, "\n")
		if (tt.warn == "") != (joined == "") || !strings.Contains(joined, tt.warn) {
			t.Errorf("Check(xpath %s, %q) warnings %q; want %q", tt.version, tt.cond, warnings, tt.warn)
		}
	}
}

func TestUnknownKind(t *testing.T) {
	for _, k := range []Kind{"simple", "jsonpointer", ""} {
		if _, err := Evaluate(k, "", "$", nil); err == nil {
			t.Errorf("Evaluate(%q) accepted", k)
		}
		if _, err := Check(k, "", "$"); err == nil {
			t.Errorf("Check(%q) accepted", k)
		}
	}
}
