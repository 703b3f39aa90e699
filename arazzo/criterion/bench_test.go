package criterion

import (
	"fmt"
	"strings"
	"testing"
)

// usersPage is an Okta-like page of n users as decoded JSON.
func usersPage(tb testing.TB, n int) any {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"00u%06d","status":"ACTIVE","created":"2026-01-01T00:00:00.000Z",`+
			`"profile":{"login":"user%d@example.com","email":"user%d@example.com","firstName":"U","lastName":"%d"},`+
			`"credentials":{"provider":{"type":"OKTA","name":"OKTA"}},"_links":{"self":{"href":"https://x.okta.com/api/v1/users/00u%06d"}}}`,
			i, i, i, i, i)
	}
	b.WriteString("]")
	return decode(tb, b.String())
}

// BenchmarkToNode measures converting a decoded 1000-user page (about 300 KB of JSON) for the JSONPath
// engine.
func BenchmarkToNode(b *testing.B) {
	page := usersPage(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := toNode(page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateJSONPath measures a filter over a 100-user page, conversion included.
func BenchmarkEvaluateJSONPath(b *testing.B) {
	page := usersPage(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		ok, err := Evaluate(JSONPath, "", `$[?@.profile.login == 'user99@example.com']`, page)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkEvaluateRegex(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := Evaluate(Regex, "", `^2\d{2}$`, 204); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkEvaluateXPath(b *testing.B) {
	var doc strings.Builder
	doc.WriteString("<users>")
	for i := range 100 {
		fmt.Fprintf(&doc, `<user status="ACTIVE"><login>user%d@example.com</login></user>`, i)
	}
	doc.WriteString("</users>")
	xml := doc.String()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := Evaluate(XPath, XPath10, `/users/user[login='user99@example.com']`, xml); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
