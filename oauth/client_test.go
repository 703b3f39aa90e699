package oauth

import (
	"net/http"
	"net/url"
	"testing"
)

// TestRetry: a 401 with a DPoP nonce challenge or an invalid token is worth one more try, and the nonce
// is kept for the next proof to that origin; other refusals are not.
func TestRetry(t *testing.T) {
	c := &Client{token: &Token{Type: "DPoP", Value: "t"}}
	u, _ := url.Parse("https://o.okta.com/api/v1/users?x=1")
	resp := func(status int, challenge, nonce string) *http.Response {
		h := http.Header{}
		if challenge != "" {
			h.Set("WWW-Authenticate", challenge)
		}
		if nonce != "" {
			h.Set("DPoP-Nonce", nonce)
		}
		return &http.Response{StatusCode: status, Header: h, Request: &http.Request{URL: u}}
	}
	if !c.Retry(resp(401, `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`, "n-1")) {
		t.Error("use_dpop_nonce with a nonce: no retry")
	}
	if c.nonces["https://o.okta.com"] != "n-1" || c.token == nil {
		t.Errorf("after a nonce challenge: nonces %v, token %v", c.nonces, c.token)
	}
	if c.Retry(resp(401, `DPoP error="use_dpop_nonce"`, "")) {
		t.Error("use_dpop_nonce without a nonce: retried")
	}
	if c.Retry(resp(403, `Bearer error="insufficient_scope", scope="okta.users.manage"`, "")) {
		t.Error("insufficient_scope: retried")
	}
	if !c.Retry(resp(401, `Bearer error="invalid_token", error_description="The token has expired."`, "")) || c.token != nil {
		t.Error("invalid_token: no retry, or the token was kept")
	}
	if c.Retry(resp(200, "", "n-2")) || c.nonces["https://o.okta.com"] != "n-2" {
		t.Error("a nonce on a success is kept, without a retry")
	}
}
