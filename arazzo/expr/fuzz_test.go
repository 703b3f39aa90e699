package expr

import (
	"errors"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"$statusCode", "$response.body#/a/0", "$inputs.x.y#/z~0~1", "$steps.s.outputs.o#/", "$workflows.w.inputs.i",
	"$sourceDescriptions.s.op id", "$components.parameters.p", `$request.query.a\u00e9`, "$request.header.X-Y",
	"$event.a.b#/c", "$", "$.x", "$inptus.x", "{$inputs.x}", "SSWS $inputs.t.", "a{$b", "$request.query.\\",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	opts := Options{Roots: []string{"event"}}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseWith(s, opts)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseWith(%q) error %v has no valid offset", s, err)
			}
			return
		}
		if e.Raw != s || e.String() != s {
			t.Fatalf("Raw = %q, want %q", e.Raw, s)
		}
		// A parsed expression evaluates without panicking.
		_, _, _ = Eval(e, newFixture())
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, true)
	}
	f.Add(`{"a": "{$inputs.host}", "b": $inputs.limit}`, false)
	f.Fuzz(func(t *testing.T, s string, compat bool) {
		mode := Strict
		if compat {
			mode = Compat
		}
		tpl, err := ParseTemplate(s, mode)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseTemplate(%q) error %v has no valid offset", s, err)
			}
			return
		}
		for _, b := range tpl.BareUses() {
			if b.Start < 0 || b.End > len(s) || s[b.Start:b.End] != b.Expr.Raw {
				t.Fatalf("bare use %+v does not match %q", b, s)
			}
		}
		v, err := tpl.Eval(newFixture())
		if err == nil && tpl.IsLiteral() && v != s {
			t.Fatalf("literal template %q evaluated to %v", s, v)
		}
	})
}

func FuzzCondition(f *testing.F) {
	for _, s := range []string{
		"$statusCode == 200", "$statusCode == 200 && $response.body#/status == 'ACTIVE'", "!($a == 1) || (true && false)",
		"{$statusCode == 401}", "'it''s' != $response.body.name", "$response.body.items[1].id >= -1.5e3",
		"$inputs.user.tags[0] < 'Z'", "$event.oktaUser.id == null", "((((", "$response.body#/x ~ 1", "'ß' == 'SS'",
	} {
		f.Add(s)
	}
	opts := Options{Roots: []string{"event"}}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCondition(s, opts)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("ParseCondition(%q) error %v has no valid offset", s, err)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("String() = %q", c.String())
		}
		ok, err := c.Eval(newFixture())
		if err != nil && ok {
			t.Fatalf("Eval(%q) passed with error %v", s, err)
		}
		if err != nil && !strings.Contains(err.Error(), ":") {
			t.Fatalf("Eval(%q) error %q names nothing", s, err)
		}
	})
}
