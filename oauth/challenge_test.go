package oauth

import (
	"net/http"
	"testing"
)

func TestChallenges(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Bearer authorization_uri="http://o.okta.com/oauth2/v1/authorize", realm="http://o.okta.com", scope="okta.users.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users"`)
	h.Add("WWW-Authenticate", `DPoP algs="ES256 RS256", error=use_dpop_nonce, error_description="Resource server requires nonce in DPoP proof"`)
	cs := Challenges(h)
	if len(cs) != 2 || cs[0].Scheme != "Bearer" || cs[1].Scheme != "DPoP" {
		t.Fatalf("challenges = %+v", cs)
	}
	if c, ok := Find(cs, "insufficient_scope"); !ok || c.Params["scope"] != "okta.users.read" || c.Params["resource"] != "/api/v1/users" {
		t.Errorf("insufficient_scope: %+v", c)
	}
	if c, ok := Find(cs, "use_dpop_nonce"); !ok || c.Params["algs"] != "ES256 RS256" {
		t.Errorf("use_dpop_nonce: %+v", c)
	}
	for in, want := range map[string]int{
		``: 0, `Basic`: 1, `Basic realm="a, b", Bearer`: 2, `Bearer error="a\"b"`: 1, `=x, Bearer`: 2, `Bearer error="unterminated`: 1,
	} {
		if got := parseChallenges(in); len(got) != want {
			t.Errorf("parseChallenges(%q) = %+v, want %d", in, got, want)
		}
	}
	if c := parseChallenges(`Bearer error="a\"b"`); c[0].Params["error"] != `a"b` {
		t.Errorf("escaped quote: %+v", c)
	}
}

func FuzzChallenges(f *testing.F) {
	f.Add(`Bearer realm="x", error="invalid_token", error_description="The token has expired."`)
	f.Add(`DPoP algs="ES256", error="use_dpop_nonce", Basic realm=y`)
	f.Add(`"\`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseChallenges(s) {
			if c.Scheme == "" || c.Params == nil {
				t.Fatalf("parseChallenges(%q) gave %+v", s, c)
			}
		}
	})
}
