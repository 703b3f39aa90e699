package expr

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// evalCond parses and evaluates in one go for table tests.
func evalCond(t *testing.T, src string, r Resolver) (bool, error) {
	t.Helper()
	c, err := ParseCondition(src, Options{Roots: []string{"event"}})
	if err != nil {
		t.Fatalf("ParseCondition(%q): %v", src, err)
	}
	return c.Eval(r)
}

func TestConditionEval(t *testing.T) {
	f := newFixture()
	tests := []struct {
		cond string
		want bool
	}{
		// Literals (1.0.1 l.627–635).
		{"true", true},
		{"false", false},
		{"null", false},
		{"null == null", true},
		{"true == true", true},
		{"true != false", true},
		{"1 == 1.0", true},
		{"-1 < 0", true},
		{"-1.5 < -1", true},
		{"2.5e1 == 25", true},
		{"'it''s' == 'IT''S'", true},
		{"'' == ''", true},
		{"'a' != ''", true},
		// Operators (1.0.1 l.637–651), each way round.
		{"$statusCode == 200", true},
		{"$statusCode != 200", false},
		{"$statusCode < 300", true},
		{"$statusCode < 200", false},
		{"$statusCode <= 200", true},
		{"$statusCode > 199", true},
		{"$statusCode > 200", false},
		{"$statusCode >= 200", true},
		{"$statusCode >= 201", false},
		{"200 == $statusCode", true},
		{"!($statusCode == 500)", true},
		{"!($statusCode == 200)", false},
		{"$statusCode == 200 && $method == 'get'", true},
		{"$statusCode == 500 || $method == 'GET'", true},
		{"$statusCode == 500 || $method == 'POST'", false},
		{"($statusCode == 200)", true},
		{"$response.body.items[1].id == 'b'", true},
		{"$response.body.items[1].id == 'B'", true},
		{"$response.body.items[0].id == 'B'", false},
		{"$response.body.items[5].id == null", true},
		{"$response.body.data.x == 1", true},
		// 1.1 l.883 and l.952 examples.
		{"$response.body.total > $inputs.threshold", true},
		{"$statusCode == 200 && $response.body.data != null", true},
		{"$statusCode == 200 && $response.body.missing != null", false},
		// Respect probe (arazzo.md), passing here.
		{"$response.body#/name == 'alice'", true},
		{"$response.body#/count == 5", true},
		{"($statusCode == 200 || $statusCode == 201) && $response.body#/status == 'active'", true},
		{"!($statusCode == 500)", true},
		{"$response.body#/name != 'it''s'", true},
		{"$response.body.name == 'Alice'", true},
		{"$statusCode == 200 && $method == 'GET' || false", true},
		{"{$statusCode == 200}", true},
		{"{$statusCode == 401}", false},
		{"  {$statusCode}==200 ", true},
		{"$statusCode==200&&$method=='GET'||!true", true},
		{"$statusCode>=-1&&($inputs.limit<=25)", true},
		{"{$response.body#/a b} == null && {$request.query.search} == 'PROFILE.LOGIN SW \"A\"'", true},
		// Precedence: && binds tighter than ||.
		{"true || false && false", true},
		{"(true || false) && false", false},
		{"false && false || true", true},
		{"false && (false || true)", false},
		{"!false && false", false},
		{"!(false && false)", true},
		{"!!true", true},
		{"!true || true", true},
		{"! ( $statusCode == 404 ) && $statusCode==200", true},
		// Case-insensitive strings, with full Unicode folding.
		{"$response.body#/status == 'active'", true},
		{"$response.body#/city == 'straße'", true},
		{"$response.body#/greek == 'σας'", true},
		{"'Ärger' == 'äRGER'", true},
		{"'Ärger' == 'arger'", false},
		{"'abc' < 'ABD'", true},
		{"'B' > 'a'", true},
		{"'ä' > 'Z'", true},
		// Numeric strings against numbers and each other.
		{"$response.body#/count > 4", true},
		{"$response.body#/count == 5.0", true},
		{"'10' > '9'", true},
		{"'10' == '10.0'", false},
		{"'abc' != 5", true},
		{"'abc' == 5", false},
		{"$response.header.X-Rate-Limit-Remaining >= 40", true},
		{"$response.body#/big == 9007199254740993", true},
		{"$response.body#/big == 9007199254740992", false},
		{"$response.body#/ratio < 1", true},
		{"$inputs.threshold == 10", true},
		{"$inputs.price > $inputs.limit", false},
		// Booleans, including boolean-like strings from headers.
		{"$response.body#/ok", true},
		{"$response.body#/ok == true", true},
		{"$inputs.flag", false},
		{"!$inputs.flag", true},
		{"$response.header.x-flag", true},
		{"$response.header.X-Flag == true", true},
		{"true == 'yes'", false},
		{"true == 1", false},
		// null and missing values (1.1 l.937, l.943).
		{"$response.body#/nothing == null", true},
		{"$response.body#/nothing != null", false},
		{"$response.body#/missing == null", true},
		{"$response.body#/missing != null", false},
		{"$response.body#/missing == 'x'", false},
		{"$response.body#/missing != 'x'", true},
		{"$response.body#/missing > 1", false},
		{"$response.body#/missing <= 1", false},
		{"$response.body#/nothing < 1", false},
		{"null >= null", false},
		{"$response.body#/missing", false},
		{"!$response.body#/missing", true},
		{"$response.body#/nothing", false},
		{"null != 5", true},
		{"$inputs.nope.deeper == null", true},
		{"$inputs.user.tags[1] == 'Y'", true},
		{"$inputs.user.tags", true},
		// Truthiness of a value standing alone.
		{"$statusCode", true},
		{"$response.body#/items", true},
		{"$response.body#/status", true},
		{"$response.body#/empty", false},
		{"!$response.body#/empty", true},
		{"$response.body.items[0]", true},
		{"$response.body#/total", true},
		{"0", false},
		{"-0.0", false},
		{"42", true},
		{"'available'", true},
		{"''", false},
		{"'FALSE'", false},
		{"$response.body.nothing.deep", false},
		// Structures compare by members.
		{"$inputs.user == $inputs.user", true},
		{"$response.body.data == $inputs.user", false},
		{"$response.body.items != null", true},
		// Custom roots.
		{"$event.eventType == 'user.lifecycle.activate' && $event.eventDetails#/outcome == 'success'", true},
		{"$event.target[0].id == 'T0'", true},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			got, err := evalCond(t, tt.cond, f)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tt.want {
				t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestConditionEvalErrors(t *testing.T) {
	f := newFixture()
	tests := []struct {
		cond string
		msg  string
	}{
		{"$response.body#/ok > 1", "cannot order a boolean and a number"},
		{"true < false", "cannot order a boolean and a boolean"},
		{"$response.body.data < 1", "cannot order an object and a number"},
		{"$response.body#/name > 3", "$response.body#/name > 3: cannot order a string and a number"},
		{"$response.body#/items/01 == 'a'", "$response.body#/items/01: bad JSON Pointer"},
		{"$statusCode == 200 && $response.body#/ok", ""},
		{"$statusCode == 404 || $response.body.data >= 1", "$response.body.data >= 1: cannot order an object and a number"},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			got, err := evalCond(t, tt.cond, f)
			if tt.msg == "" {
				if err != nil || !got {
					t.Fatalf("= %v, %v; want true", got, err)
				}
				return
			}
			var ee *EvalError
			if !errors.As(err, &ee) || !strings.Contains(err.Error(), tt.msg) || got {
				t.Errorf("= %v, %v; want false with error containing %q", got, err, tt.msg)
			}
		})
	}
	f.fail = true
	if _, err := evalCond(t, "$statusCode == 200", f); !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "$statusCode") {
		t.Errorf("resolver error = %v", err)
	}
	// Short-circuit: the right side is not evaluated.
	if ok, err := evalCond(t, "true || $statusCode == 200", f); err != nil || !ok {
		t.Errorf("short-circuit || = %v, %v", ok, err)
	}
	if ok, err := evalCond(t, "false && $statusCode == 200", f); err != nil || ok {
		t.Errorf("short-circuit && = %v, %v", ok, err)
	}
}

func TestConditionParseErrors(t *testing.T) {
	tests := []struct {
		cond   string
		offset int
		msg    string
	}{
		{"", 0, "empty condition"},
		{"   ", 3, "empty condition"},
		{"$statusCode = 200", 12, `use "==" to compare`},
		{"$a & $b", 1, "unknown root $a"},
		{"true & false", 5, `use "&&"`},
		{"true | false", 5, `use "||"`},
		{"$statusCode == \"OK\"", 15, "single quotes"},
		{"$response.body#/name == 'Alice", 24, "unterminated string"},
		{"$statusCode == 200 and true", 19, "use &&"},
		{"$statusCode == 200 (true)", 19, "unexpected \"(\"; expected &&, || or the end"},
		{"$statusCode == 200 && and", 22, "use &&"},
		{"$statusCode == OK", 15, "did you mean 'OK' or $OK?"},
		{"TRUE", 0, "literals are lower case: true"},
		{"1 == 1 == 1", 7, "cannot be chained"},
		{"!$statusCode == 200", 13, "write !($statusCode == …)"},
		{"($statusCode == 200", 0, `"(" is never closed`},
		{"$statusCode == 200)", 18, "unexpected \")\""},
		{"($statusCode) == 200", 14, "cannot be compared"},
		{"()", 1, "expected a value"},
		{"$statusCode ==", 14, "a value after =="},
		{"== 200", 0, "expected a value"},
		{"$statusCode == 2x0", 15, "invalid number"},
		{"$statusCode == 1.2.3", 15, "invalid number"},
		{"$statusCode == -", 15, "invalid number"},
		{"$inptus.x == 1", 1, "did you mean $inputs?"},
		{"$response.body.items[x] == 1", 20, "0-based index"},
		{"$response.body.items[0 == 1", 20, "0-based index"},
		{"$response.body. == 1", 14, "member name"},
		{"$response.body..a == 1", 14, "member name"},
		{"{$statusCode == 200", 0, `"{" must enclose`},
		{"$statusCode == {200}", 15, `"{" must enclose`},
		{"{$inptus.x} == 1", 2, "did you mean $inputs?"},
		{"  {$inptus.x == 1}", 4, "did you mean $inputs?"},
		{"{$statusCode == 200 = 1}", 20, `use "=="`},
		{"$statusCode == 200 ~", 19, "unexpected '~'"},
		{"$statusCode == 200 && ", 22, "expected a value"},
		{"$url#/x == 1", 4, "unexpected '#' after $url"},
		{"$response.body#/a~2 == 1", 17, `"~" must be followed`},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			_, err := ParseCondition(tt.cond, Options{})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want *SyntaxError", err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) || se.Text != tt.cond {
				t.Errorf("= offset %d %q, want offset %d containing %q", se.Offset, se.Msg, tt.offset, tt.msg)
			}
		})
	}
}

func TestConditionExpressions(t *testing.T) {
	c, err := ParseCondition("$statusCode == 200 && ($response.body#/a != {$inputs.x} || !$steps.s.outputs.ok)", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range c.Expressions() {
		got = append(got, e.Raw)
	}
	want := "$statusCode $response.body#/a $inputs.x $steps.s.outputs.ok"
	if strings.Join(got, " ") != want {
		t.Errorf("Expressions = %q, want %q", got, want)
	}
	if c.String() != "$statusCode == 200 && ($response.body#/a != {$inputs.x} || !$steps.s.outputs.ok)" {
		t.Errorf("String = %q", c.String())
	}
}

// TestConditionPrecedenceShape checks the tree, not just the truth value, so
// a parser that got lucky on the truth table still fails.
func TestConditionPrecedenceShape(t *testing.T) {
	tests := map[string]string{
		"a || b && c":        "(a || (b && c))",
		"a && b || c && d":   "((a && b) || (c && d))",
		"a || b || c":        "((a || b) || c)",
		"!a && b":            "(!a && b)",
		"!(a || b) && c":     "(!(a || b) && c)",
		"(a || b) && c":      "((a || b) && c)",
		"$x == 1 || $y != 2": "(($x == 1) || ($y != 2))",
	}
	for in, want := range tests {
		src := strings.NewReplacer("a", "$inputs.a", "b", "$inputs.b", "c", "$inputs.c", "d", "$inputs.d",
			"$x", "$inputs.x", "$y", "$inputs.y").Replace(in)
		c, err := ParseCondition(src, Options{})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := strings.ReplaceAll(shape(c.root), "$inputs.", ""); got != strings.ReplaceAll(want, "$", "") {
			t.Errorf("%s parsed as %s, want %s", in, got, want)
		}
	}
}

func shape(n *node) string {
	switch n.kind {
	case nodeOr:
		return "(" + shape(n.left) + " || " + shape(n.right) + ")"
	case nodeAnd:
		return "(" + shape(n.left) + " && " + shape(n.right) + ")"
	case nodeNot:
		return "!" + shape(n.left)
	case nodeTest:
		return n.a.text
	}
	return "(" + n.a.text + " " + opText[n.op] + " " + n.b.text + ")"
}

func TestConditionNumericKinds(t *testing.T) {
	for _, v := range []any{200, int16(200), int32(200), int64(200), uint(200), uint8(200), uint16(200), uint32(200), uint64(200), float32(200), 200.0, "200"} {
		f := &fixture{statusCode: v}
		ok, err := evalCond(t, "$statusCode == 200 && $statusCode >= 199.5 && $statusCode < 200.5", f)
		if err != nil || !ok {
			t.Errorf("%T(%v): %v, %v", v, v, ok, err)
		}
	}
}

// TestConditionStructures compares objects and arrays from different
// decoders: JSON (json.Number), YAML (int, map[any]any from older decoders)
// and Go callers.
func TestConditionStructures(t *testing.T) {
	f := newFixture()
	f.outputs = map[string]any{
		"jsonObj":  decode(`{"a": 1, "b": ["X", true, null]}`),
		"yamlObj":  map[any]any{"a": 1, "b": []any{"x", true, nil}},
		"goObj":    map[string]any{"a": int64(1), "b": []any{"x", "TRUE", nil}},
		"other":    map[string]any{"a": 2, "b": []any{"x", true, nil}},
		"short":    []any{"x", true},
		"arr":      []any{"x", true, nil},
		"extraKey": map[string]any{"a": 1, "b": []any{"x", true, nil}, "c": 3},
		"empty":    map[string]any{},
		"emptyArr": []any{},
		"raw":      []byte("payload"),
		"huge":     uint64(18446744073709551615),
		"nan":      math.NaN(),
	}
	tests := []struct {
		cond string
		want bool
	}{
		{"$outputs.jsonObj == $outputs.yamlObj", true},
		{"$outputs.yamlObj == $outputs.jsonObj", true},
		{"$outputs.yamlObj == $outputs.yamlObj", true},
		{"$outputs.jsonObj == $outputs.goObj", true},
		{"$outputs.jsonObj != $outputs.other", true},
		{"$outputs.jsonObj == $outputs.extraKey", false},
		{"$outputs.yamlObj == $outputs.extraKey", false},
		{"$outputs.arr == $outputs.short", false},
		{"$outputs.arr == $outputs.jsonObj", false},
		{"$outputs.jsonObj == 'x'", false},
		{"$outputs.yamlObj == 1", false},
		{"$outputs.jsonObj#/b == $outputs.arr", true},
		{"$outputs.empty", false},
		{"$outputs.emptyArr", false},
		{"$outputs.yamlObj", true},
		{"$outputs.raw == 'PAYLOAD'", true},
		{"$outputs.raw", true},
		{"$outputs.huge > 9223372036854775807", true},
		{"$outputs.huge == $outputs.huge", true},
		{"$outputs.nan", false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			got, err := evalCond(t, tt.cond, f)
			if err != nil || got != tt.want {
				t.Errorf("%s = %v, %v; want %v", tt.cond, got, err, tt.want)
			}
		})
	}
}

func TestStatusCodes(t *testing.T) {
	for cond, want := range map[string]string{
		"$statusCode == 200":                               "[200]",
		"200 == $statusCode":                               "[200]",
		"$statusCode == 200 || $statusCode == 204":         "[200 204]",
		"$statusCode == 201 && $response.body#/id != null": "[201]",
		"$statusCode < 300":                                "none",
		"$statusCode == 200 || $response.body#/ok == true": "none",
		"$response.body#/status == 'ACTIVE'":               "none",
		"$statusCode != 404":                               "none",
	} {
		c, err := ParseCondition(cond, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := "none"
		if codes, ok := c.StatusCodes(); ok {
			got = fmt.Sprint(codes)
		}
		if got != want {
			t.Errorf("StatusCodes(%q) = %s, want %s", cond, got, want)
		}
	}
}
