package backfill

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestNextLink(t *testing.T) {
	const next = "https://example.okta.com/api/v1/logs?after=1627500044869_1&limit=2"
	tests := []struct {
		name   string
		values []string
		want   string
		err    bool
	}{
		{"separate headers as Okta sends them",
			[]string{`<https://example.okta.com/api/v1/logs?limit=2>; rel="self"`, `<` + next + `>; rel="next"`}, next, false},
		{"folded into one header",
			[]string{`<https://example.okta.com/api/v1/logs?limit=2>; rel="self", <` + next + `>; rel="next"`}, next, false},
		{"unquoted rel and extra parameters", []string{`<` + next + `>; title="a, b; c"; rel=next; type=application/json`}, next, false},
		{"several relation types, any case", []string{`<` + next + `>; rel="prefetch NEXT"`}, next, false},
		{"only the first rel counts", []string{`<` + next + `>; rel="self"; rel="next"`}, "", true},
		{"comma inside the URL", []string{`<https://example.okta.com/api/v1/logs?filter=a,b>; rel="next"`},
			"https://example.okta.com/api/v1/logs?filter=a,b", false},
		{"escaped quote", []string{`<` + next + `>; title="say \"hi\""; rel="next"`}, next, false},
		{"one bad value beside a good one", []string{`garbage`, `<` + next + `>; rel="next"`}, next, false},
		{"next is not the last relation", []string{`<` + next + `>; rel="next", <https://x>; rel="self"`}, next, false},
		{"self only", []string{`<https://example.okta.com/api/v1/logs>; rel="self"`}, "", true},
		{"no header", nil, "", true},
		{"unterminated", []string{`<` + next + `; rel="next"`}, "", true},
		{"unterminated quote", []string{`<` + next + `>; rel="next`}, "", true},
	}
	for _, tc := range tests {
		h := http.Header{}
		for _, v := range tc.values {
			h.Add("Link", v)
		}
		got, err := nextLink(h)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("%s: nextLink = %q, %v; want %q, error %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

// formatLink writes l back as a Link header entry.
func formatLink(l link) string {
	rel := strings.ReplaceAll(strings.ReplaceAll(strings.Join(l.rels, " "), `\`, `\\`), `"`, `\"`)
	return "<" + l.target + `>; rel="` + rel + `"`
}

func FuzzParseLinks(f *testing.F) {
	for _, s := range []string{
		`<https://example.okta.com/api/v1/logs?limit=2>; rel="self", <https://example.okta.com/api/v1/logs?after=1_1>; rel="next"`,
		`<a>; rel=next`, `<a>;rel="x y";title="\"q\""`, `<>`, `<a>; rel`, `, ,<a>`, `<a`, `<a>; rel="`, `<a>; =x`, "<a>;\trel=\"n\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		links, err := parseLinks(v)
		for _, l := range links {
			if strings.ContainsRune(l.target, '>') {
				t.Fatalf("target %q contains '>'", l.target)
			}
		}
		if err != nil {
			return
		}
		// What parsed well formats back to the same links.
		parts := make([]string, 0, len(links))
		for _, l := range links {
			if l.rels == nil {
				return // no rel parameter: nothing to format
			}
			parts = append(parts, formatLink(l))
		}
		again, err := parseLinks(strings.Join(parts, ", "))
		if err != nil || len(again) != len(links) {
			t.Fatalf("reparse of %q: %v, %d links, want %d", parts, err, len(again), len(links))
		}
		for i := range links {
			if again[i].target != links[i].target || !slices.Equal(again[i].rels, links[i].rels) {
				t.Fatalf("link %d: %+v after reparse, want %+v", i, again[i], links[i])
			}
		}
	})
}

func BenchmarkNextLink(b *testing.B) {
	h := http.Header{}
	h.Add("Link", `<https://example.okta.com/api/v1/logs?limit=1000&sortOrder=ASCENDING&filter=eventType+eq+%22user.mfa.factor.activate%22>; rel="self"`)
	h.Add("Link", `<https://example.okta.com/api/v1/logs?after=1627500044869_1&limit=1000&sortOrder=ASCENDING&filter=eventType+eq+%22user.mfa.factor.activate%22>; rel="next"`)
	for b.Loop() {
		if _, err := nextLink(h); err != nil {
			b.Fatal(err)
		}
	}
}
