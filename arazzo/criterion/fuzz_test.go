package criterion

import (
	"testing"
)

func FuzzRegex(f *testing.F) {
	for _, s := range []string{`^200$`, `(?=x)`, `(a)\1`, `a++`, `[`, `\`, `(?<n>x)\k<n>`, `{$inputs.x}`} {
		f.Add(s, "200")
	}
	f.Fuzz(func(t *testing.T, cond, subject string) {
		_, _ = Check(Regex, "", cond)
		_, _ = Evaluate(Regex, "", cond, subject)
	})
}

func FuzzJSONPath(f *testing.F) {
	seeds := []struct{ q, doc string }{
		{`$[0]`, `[1,2]`},
		{`$.length > 0`, `[]`},
		{`$[?@.a == 'x']`, `[{"a":"x"}]`},
		{`$..*`, `{"a":{"b":[1,{"c":null}]}}`},
		{`$[?count(@.pets) > 0]`, `{"pets":[1]}`},
		{`$[-1:0:-1]`, `[1,2,3]`},
		{`$[?match(@, '[a-z]+')]`, `["abc", 1]`},
		{`$.a['b'] >= 'c'`, `{"a":{"b":"d"}}`},
		{`$[?length(@) == 2 && value(@..x) != 1]`, `[[1,2],{"x":1}]`},
	}
	for _, s := range seeds {
		f.Add(s.q, []byte(s.doc))
	}
	f.Fuzz(func(t *testing.T, query string, doc []byte) {
		_, _ = Check(JSONPath, "", query)
		_, _ = Evaluate(JSONPath, "", query, doc)
	})
}

func FuzzXPath(f *testing.F) {
	seeds := []struct{ q, doc string }{
		{`/a/b`, `<a><b>1</b></a>`},
		{`count(//b) > 1`, `<a><b/><b/></a>`},
		{`sum(/a/b)`, `<a><b>x</b></a>`},
		{`matches(/a, '[')`, `<a>x</a>`},
		{`/a/@n eq 'x'`, `<a n="x"/>`},
		{`if (/a) then 1 else 0`, `<a/>`},
		{`substring(/a, 'x')`, `<a>abc</a>`},
	}
	for _, s := range seeds {
		f.Add(s.q, s.doc)
	}
	f.Fuzz(func(t *testing.T, expr, doc string) {
		_, _ = Check(XPath, XPath30, expr)
		_, _ = Evaluate(XPath, "", expr, doc)
	})
}
