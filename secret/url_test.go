package secret

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	var s Set
	s.Add("canary-path-secret")
	for _, tc := range []struct{ in, want string }{
		{"https://api.test/v1/items?fields=a,b&token=abc&x=1", "https://api.test/v1/items?fields=a,b&token=****&x=1"},
		{"https://user:pw@api.test/p?API_KEY=k", "https://user:****@api.test/p?API_KEY=****"},
		{"postgres://trama%40corp:pw@db/trama", "postgres://trama%40corp:****@db/trama"},
		{"https://api.test/canary-path-secret/x", "https://api.test/****/x"},
		{"https://api.test/p?%zz=1&token_type=bearer", "https://api.test/p?%zz=****&token_type=bearer"},
		{"", ""},
	} {
		if got := RedactURL(tc.in, &s); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("https://u:pw@x.test/p?token=abc&b=%zz&api_key=1#frag")
	f.Add("::::")
	f.Add("http://[::1]:80/?=&&=")
	f.Add("token=abc")
	f.Fuzz(func(t *testing.T, raw string) {
		out := RedactURL(raw, nil)
		// What RedactURL promises: in a URL with a query, the value of every parameter with a secret name
		// is masked; text that is not a URL query ("token=abc" alone is a path) is left as it is.
		u, err := url.Parse(raw)
		if err != nil || u.RawQuery == "" {
			return
		}
		ou, err := url.Parse(out)
		if err != nil {
			t.Fatalf("RedactURL(%q) = %q, which does not parse", raw, out)
		}
		kept := "&" + ou.RawQuery + "&"
		for _, p := range strings.Split(u.RawQuery, "&") {
			k, v, found := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if found && err == nil && IsSecretName(name) && v != Mask && strings.Contains(kept, "&"+p+"&") {
				t.Errorf("RedactURL(%q) = %q kept %q", raw, out, p)
			}
		}
	})
}
