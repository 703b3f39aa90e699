package expr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestTemplateEval(t *testing.T) {
	f := newFixture()
	tests := []struct {
		name string
		in   string
		mode Mode
		want any
		bare []string // Raw of each bare use
	}{
		{"literal", "plain text", Compat, "plain text", nil},
		{"empty", "", Compat, "", nil},
		{"whole keeps int", "$inputs.limit", Compat, 25, nil},
		{"whole keeps object", "$inputs.user", Strict, map[string]any{"id": "u9", "tags": []any{"x", "y"}}, nil},
		{"whole keeps bool", "$inputs.flag", Strict, false, nil},
		{"whole keeps null", "$response.body#/nothing", Strict, nil, nil},
		{"braced whole is a string", "{$inputs.limit}", Strict, "25", nil},
		{"braced object is JSON", "{$inputs.user}", Strict, `{"id":"u9","tags":["x","y"]}`, nil},
		{"embedded", "https://{$inputs.host}/api/{$steps.create.outputs.id}/status", Strict, "https://api.example.com/api/c-1/status", nil},
		{"embedded float", "p={$inputs.price}", Strict, "p=9.5", nil},
		{"embedded json.Number", "t={$inputs.threshold}", Strict, "t=10", nil},
		{"embedded null", "n={$response.body#/nothing}", Strict, "n=null", nil},
		{"embedded big number exact", "{$response.body#/big}", Strict, "9007199254740993", nil},
		{"JSON text stays", `{"id": "{$response.body#/id}", "n": {$inputs.limit}}`, Strict, `{"id": "00u1", "n": 25}`, nil},
		{"lone braces literal", "a } b { c", Strict, "a } b { c", nil},
		{"jsonpath condition", `$[?(@.status == "{$inputs.expectedStatus}")]`, Strict, `$[?(@.status == "active")]`, nil},
		{"1.0.1 erratum stray brace", "code={$inputs.limit}&scope=$inputs.host}", Strict, "code=25&scope=$inputs.host}", nil},
		{"strict leaves bare", "SSWS $inputs.oktaApiToken", Strict, "SSWS $inputs.oktaApiToken", nil},
		{"compat bare", "SSWS $inputs.oktaApiToken", Compat, "SSWS TOK123", []string{"$inputs.oktaApiToken"}},
		{"compat bare trailing dot", "Token is $inputs.oktaApiToken.", Compat, "Token is TOK123.", []string{"$inputs.oktaApiToken"}},
		{"compat bare trailing comma", "$inputs.host, $inputs.limit!", Compat, "api.example.com, 25!", []string{"$inputs.host", "$inputs.limit"}},
		{"compat bare name runs to the token end", "/users/$request.path.id ok", Compat, "/users/00u1 ok", []string{"$request.path.id"}},
		{"compat bare pointer then quote", `"$response.body#/id"`, Compat, `"00u1"`, []string{"$response.body#/id"}},
		{"compat bare before brace", "a$inputs.limit{$inputs.limit}", Compat, "a2525", []string{"$inputs.limit"}},
		{"compat invalid stays", "cost $5 and $.foo and $ alone and $nope.x", Compat, "cost $5 and $.foo and $ alone and $nope.x", nil},
		{"compat prefix then literal", "$inputs.host/path", Compat, "api.example.com/path", []string{"$inputs.host"}},
		{"compat whole with pointer", "$response.body#/items", Compat, []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}, nil},
		{"compat mixed", "Bearer $steps.someStepId.outputs.token and {$inputs.host}", Compat, "Bearer abc and api.example.com", []string{"$steps.someStepId.outputs.token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := ParseTemplate(tt.in, tt.mode)
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
			}
			got, err := tpl.Eval(f)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Eval(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			var bare []string
			for _, b := range tpl.BareUses() {
				bare = append(bare, b.Expr.Raw)
				if tt.in[b.Start:b.End] != b.Expr.Raw || b.Suggestion != "{"+b.Expr.Raw+"}" {
					t.Errorf("bare use %+v does not match the text", b)
				}
			}
			if !reflect.DeepEqual(bare, tt.bare) {
				t.Errorf("BareUses = %q, want %q", bare, tt.bare)
			}
			if tpl.IsLiteral() != (len(tpl.Expressions()) == 0) || tpl.String() != tt.in {
				t.Errorf("IsLiteral/Expressions/String disagree")
			}
		})
	}
}

func TestTemplateIsLiteral(t *testing.T) {
	for in, lit := range map[string]bool{"abc": true, "$5": true, "{a}": true, "$inputs.x": false, "x{$inputs.x}": false} {
		tpl, err := ParseTemplate(in, Compat)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.IsLiteral() != lit {
			t.Errorf("IsLiteral(%q) = %v", in, !lit)
		}
	}
	tpl, _ := ParseTemplate("$inputs.x", Strict)
	if !tpl.IsExpression() {
		t.Error("IsExpression($inputs.x) = false")
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"x {$inputs.a", 2, `missing its closing "}"`},
		{"x {$inptus.a}", 4, "did you mean $inputs?"},
		{"{$statusCode == 200}", 12, "unexpected ' '"},
		{"a{$response.body#/a~}", 19, `"~" must be followed`},
	}
	for _, tt := range tests {
		for _, mode := range []Mode{Compat, Strict} {
			_, err := ParseTemplate(tt.in, mode)
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) || se.Text != tt.in {
				t.Errorf("ParseTemplate(%q, %v) error = %v, want offset %d %q", tt.in, mode, err, tt.offset, tt.msg)
			}
		}
	}
	_, err := ParseTemplate("SSWS 00aSECRET {$inptus.x}", Compat)
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "offset 17") {
		t.Errorf("template error text = %v; want the offset without the value", err)
	}
	f := newFixture()
	for _, in := range []string{"$inputs.missing", "a {$inputs.missing} b", "SSWS $inputs.missing"} {
		tpl, err := ParseTemplate(in, Compat)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tpl.Eval(f)
		var ee *EvalError
		if !errors.As(err, &ee) || ee.Expr != "$inputs.missing" {
			t.Errorf("Eval(%q) error = %v, want EvalError naming $inputs.missing", in, err)
		}
	}
}

func TestEvalValue(t *testing.T) {
	f := newFixture()
	doc := map[string]any{
		"name":    "{$response.body#/name}",
		"limit":   "$inputs.limit",
		"auth":    "SSWS $inputs.oktaApiToken",
		"list":    []any{"$statusCode", 3, true, nil, map[any]any{"k": "{$inputs.host}"}},
		"$keep":   1.5,
		"literal": "no exprs",
	}
	got, err := EvalValue(doc, Compat, f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name":    "Alice",
		"limit":   25,
		"auth":    "SSWS TOK123",
		"list":    []any{200, 3, true, nil, map[any]any{"k": "api.example.com"}},
		"$keep":   1.5,
		"literal": "no exprs",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EvalValue = %#v\nwant %#v", got, want)
	}
	if doc["name"] != "{$response.body#/name}" || doc["list"].([]any)[0] != "$statusCode" {
		t.Error("EvalValue modified its input")
	}
	got, err = EvalValue(doc, Strict, f)
	if err != nil {
		t.Fatal(err)
	}
	if got.(map[string]any)["auth"] != "SSWS $inputs.oktaApiToken" {
		t.Errorf("strict auth = %v", got.(map[string]any)["auth"])
	}
	if _, err := EvalValue(map[string]any{"a": []any{"{$inputs.nope}"}}, Compat, f); err == nil {
		t.Error("missing nested value: want error")
	}
	if _, err := EvalValue([]any{"{$bad"}, Compat, f); err == nil {
		t.Error("syntax error nested: want error")
	}
}

func TestStringify(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"s", "s"}, {[]byte("raw <xml/>"), "raw <xml/>"}, {nil, "null"}, {true, "true"},
		{42, "42"}, {int64(-7), "-7"}, {uint64(18446744073709551615), "18446744073709551615"}, {uint8(9), "9"},
		{1.5, "1.5"}, {float32(0.25), "0.25"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"}, {0.0000001, "1e-07"},
		{map[string]any{"b": 1, "a": []any{"x"}}, `{"a":["x"],"b":1}`},
		{map[any]any{"k": map[any]any{"n": 1}}, `{"k":{"n":1}}`},
	}
	for _, tt := range tests {
		got, err := Stringify(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Stringify(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := Stringify(map[string]any{"f": func() {}}); err == nil {
		t.Error("Stringify(func) want error")
	}
}
