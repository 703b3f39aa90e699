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

// FuzzSelector drives the selector and target compilers (the Goessner rewrites, the singular-query
// scanner, JSON Pointers, XPath) and their evaluation on arbitrary documents: no input may panic.
func FuzzSelector(f *testing.F) {
	seeds := []struct {
		kind         Kind
		version, sel string
		doc          string
	}{
		{JSONPath, "", `$.user.profile.email`, `{"user":{"profile":{"email":"a"}}}`},
		{JSONPath, "", `$.items[?(@.sku=='ABC123')].quantity`, `{"items":[{"sku":"ABC123","quantity":1}]}`},
		{JSONPath, "", `$['a\'b'][-1]`, `{"a'b":[1,2]}`},
		{JSONPath, GoessnerDraft00, `$..book[(@.length-1)].title.length`, `{"book":[{"title":"x"}]}`},
		{JSONPath, GoessnerDraft00, `$[(@.x)]`, `[]`},
		{JSONPointer, RFC6901, `/a/~1b/0`, `{"a":{"/b":[true]}}`},
		{JSONPointer, "", `/items/-`, `{"items":[]}`},
		{XPath, XPath30, `/Invoice/Header/InvoiceNumber`, `<Invoice><Header><InvoiceNumber>1</InvoiceNumber></Header></Invoice>`},
		{XPath, XPath10, `//@id | //b/text()`, `<a id="1"><b>t</b></a>`},
		{XPath, "", `count(//b) div 0`, `<a/>`},
	}
	for _, s := range seeds {
		f.Add(string(s.kind), s.version, s.sel, []byte(s.doc))
	}
	f.Fuzz(func(t *testing.T, kind, version, sel string, doc []byte) {
		_, _ = CheckSelector(Kind(kind), version, sel)
		s, err := CompileTarget(Kind(kind), version, sel)
		if err != nil {
			return
		}
		var context any = doc
		if s.Kind() == XPath {
			context = string(doc)
		} else if v, err := parseJSONValue(string(doc)); err == nil {
			context = v
		}
		_, _, _ = s.Select(context)
		_, _ = s.Replace(context, "x")
	})
}
