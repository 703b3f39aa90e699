package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// dpopOrg is an org with a service app that requires DPoP, granted okta.users.manage.
func dpopOrg(t *testing.T) (*testOrg, clientKey, string) {
	t.Helper()
	k := rsaClientKey(0, "k1")
	o := newTestOrg(t, Options{ServiceApps: []ServiceApp{{ClientID: "0oadpop0000000000001", Label: "DPoP App",
		PublicJWKS: jwksOf(k), Scopes: []string{"okta.users.manage"}, RequireDPoP: true}}})
	return o, k, "0oadpop0000000000001"
}

func TestDPoPTokenRequest(t *testing.T) {
	o, k, cid := dpopOrg(t)
	proofKey := ecClientKey("")
	tokenURL := o.e.BaseURL() + "/oauth2/v1/token"
	now := o.e.Clock().Now()
	form := func() map[string][]string {
		return clientCredentials(o.assertion(k, cid, now, nil), "okta.users.manage")
	}

	// No proof: Okta's invalid_dpop_proof, which makes SDKs retry with one.
	r := o.tokenRequest(form(), "")
	if d := wantOAuthError(t, r, 400, "invalid_dpop_proof"); d != "The DPoP proof JWT header is missing." {
		t.Fatalf("description %q", d)
	}
	// A proof without nonce: the nonce challenge.
	r = o.tokenRequest(form(), o.proof(proofKey, "POST", tokenURL, "", "", nil))
	if d := wantOAuthError(t, r, 400, "use_dpop_nonce"); d != "Authorization server requires nonce in DPoP proof." {
		t.Fatalf("description %q", d)
	}
	nonce := r.header.Get("DPoP-Nonce")
	if len(nonce) != 32 {
		t.Fatalf("DPoP-Nonce %q", nonce)
	}
	// With the nonce: a DPoP token bound to the proof key.
	proof := o.proof(proofKey, "POST", tokenURL, nonce, "", nil)
	r = o.tokenRequest(form(), proof)
	wantStatus(t, r, http.StatusOK)
	var tr tokenResponse
	r.json(t, &tr)
	if tr.TokenType != "DPoP" {
		t.Fatalf("token_type %q", tr.TokenType)
	}
	cnf, _ := claimsOf(t, tr.AccessToken)["cnf"].(map[string]any)
	if cnf["jkt"] != proofKey.thumbprint(t) {
		t.Fatalf("cnf %v, want jkt %s", cnf, proofKey.thumbprint(t))
	}
	// The same proof again is a replay.
	r = o.tokenRequest(form(), proof)
	if d := wantOAuthError(t, r, 400, "invalid_dpop_proof"); d != "The DPoP proof JWT has already been used." {
		t.Fatalf("description %q", d)
	}

	set := func(name string, v any) func(map[string]any) { return func(c map[string]any) { c[name] = v } }
	bad := []struct {
		name, proof, desc string
	}{
		{"wrong htu", o.proof(proofKey, "POST", o.e.BaseURL()+"/oauth2/default/v1/token", nonce, "", nil),
			"'htu' claim in the DPoP proof JWT is invalid."},
		{"wrong htm", o.proof(proofKey, "GET", tokenURL, nonce, "", nil), "'htm' claim in the DPoP proof JWT is invalid."},
		{"stale iat", o.proof(proofKey, "POST", tokenURL, nonce, "", set("iat", now.Add(-10*time.Minute).Unix())),
			"'iat' claim in the DPoP proof JWT is invalid."},
		{"no jti", o.proof(proofKey, "POST", tokenURL, nonce, "", func(c map[string]any) { delete(c, "jti") }),
			"'jti' claim in the DPoP proof JWT is invalid."},
		{"htm not a string", o.proof(proofKey, "POST", tokenURL, nonce, "", set("htm", 7)),
			"'htm' claim in the DPoP proof JWT is invalid."},
		{"wrong typ", proofKey.signJWT(t, map[string]any{"htm": "POST", "htu": tokenURL, "iat": now.Unix(), "jti": "x", "nonce": nonce},
			"JWT", false, true), "'typ' header in the DPoP proof JWT is invalid."},
		{"no jwk", proofKey.signJWT(t, map[string]any{"htm": "POST", "htu": tokenURL, "iat": now.Unix(), "jti": "y", "nonce": nonce},
			"dpop+jwt", false, false), "'jwk' header in the DPoP proof JWT is invalid."},
		{"private jwk", privateJWKProof(t, proofKey, tokenURL, nonce, now), "'jwk' header in the DPoP proof JWT is invalid."},
		{"not a JWT", "a.b.c", "The DPoP proof JWT is malformed."},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := o.as(t).tokenRequest(form(), c.proof)
			if d := wantOAuthError(t, r, 400, "invalid_dpop_proof"); d != c.desc {
				t.Fatalf("description %q, want %q", d, c.desc)
			}
			if strings.Contains(string(r.body), c.proof) {
				t.Fatal("the error body repeats the proof")
			}
		})
	}

	// Nonces rotate daily; one stays good for three days.
	o.advance(25 * time.Hour)
	now = o.e.Clock().Now()
	r = o.tokenRequest(form(), o.proof(proofKey, "POST", tokenURL, "", "", nil))
	wantOAuthError(t, r, 400, "use_dpop_nonce")
	if fresh := r.header.Get("DPoP-Nonce"); fresh == nonce {
		t.Fatal("the nonce did not rotate after a day")
	}
	wantStatus(t, o.tokenRequest(form(), o.proof(proofKey, "POST", tokenURL, nonce, "", nil)), http.StatusOK)
	o.advance(72 * time.Hour)
	now = o.e.Clock().Now()
	wantOAuthError(t, o.tokenRequest(form(), o.proof(proofKey, "POST", tokenURL, nonce, "", nil)), 400, "use_dpop_nonce")
}

// privateJWKProof embeds the private key in the jwk header, which RFC 9449 forbids.
func privateJWKProof(t *testing.T, k clientKey, htu, nonce string, now time.Time) string {
	t.Helper()
	priv := jose.JSONWebKey{Key: k.priv}
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", priv)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"htm": "POST", "htu": htu, "iat": now.Unix(), "jti": "p", "nonce": nonce})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// An app that does not require DPoP still gets a bound token when it sends a proof, as Okta does.
func TestDPoPOptionalForApp(t *testing.T) {
	o, k, cid := serviceAppOrg(t)
	proofKey := rsaClientKey(1, "")
	token, _ := o.dpopToken(k, proofKey, cid, "okta.users.read")
	wantStatus(t, o.dpopCall("GET", "/api/v1/users", nil, token, proofKey), http.StatusOK)
	// Without a proof the app still gets a Bearer token.
	if claimsOf(t, o.accessToken(k, cid, "okta.users.read"))["cnf"] != nil {
		t.Fatal("a token requested without proof is bound")
	}
}

func TestDPoPResourceRequests(t *testing.T) {
	o, k, cid := dpopOrg(t)
	proofKey := ecClientKey("")
	token, _ := o.dpopToken(k, proofKey, cid, "okta.users.manage")
	base := o.e.BaseURL()
	usersURL := base + "/api/v1/users"

	r := o.dpopCall("GET", "/api/v1/users?limit=5", nil, token, proofKey)
	wantStatus(t, r, http.StatusOK)
	uid := o.createUser("dpop@example.com")
	r = o.dpopCall("POST", "/api/v1/users/"+uid+"/lifecycle/suspend", nil, token, proofKey)
	wantStatus(t, r, http.StatusOK)

	call := func(auth, proof string) response {
		h := http.Header{"Authorization": {auth}}
		if proof != "" {
			h.Set("DPoP", proof)
		}
		return o.doHeader("GET", "/api/v1/users", nil, h)
	}
	wantProofError := func(t *testing.T, r response, desc string) {
		t.Helper()
		wantError(t, r, http.StatusBadRequest, "invalid_dpop_proof")
		h := r.header.Get("WWW-Authenticate")
		if !strings.HasPrefix(h, `DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="`+base+`/oauth2/v1/authorize"`) ||
			!strings.Contains(h, `error="invalid_dpop_proof", error_description="`+desc+`"`) {
			t.Fatalf("WWW-Authenticate %s", h)
		}
	}
	other := rsaClientKey(2, "")
	proof := o.proof(proofKey, "GET", usersURL, "", token, nil)
	wantStatus(t, call("DPoP "+token, proof), http.StatusOK)
	cases := []struct {
		name, proof, desc string
	}{
		{"replayed proof", proof, "The DPoP proof JWT has already been used."},
		{"no proof", "", "The DPoP proof JWT header is missing."},
		{"wrong htu", o.proof(proofKey, "GET", base+"/api/v1/groups", "", token, nil), "'htu' claim in the DPoP proof JWT is invalid."},
		{"wrong htm", o.proof(proofKey, "POST", usersURL, "", token, nil), "'htm' claim in the DPoP proof JWT is invalid."},
		{"wrong ath", o.proof(proofKey, "GET", usersURL, "", token+"x", nil), "'ath' claim in the DPoP proof JWT is invalid."},
		{"no ath", o.proof(proofKey, "GET", usersURL, "", "", nil), "'ath' claim in the DPoP proof JWT is invalid."},
		{"wrong key", o.proof(other, "GET", usersURL, "", token, nil),
			"The DPoP proof JWT is not signed by the key the access token is bound to."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantProofError(t, o.as(t).doHeader("GET", "/api/v1/users", nil, withProof("DPoP "+token, c.proof)), c.desc)
		})
	}
	// htu ignores query and fragment and compares the decoded path.
	wantStatus(t, call("DPoP "+token, o.proof(proofKey, "GET", usersURL+"?x=1#f", "", token, nil)), http.StatusOK)
	r = o.doHeader("GET", "/api/v1/users/dpop%40example.com", nil,
		withProof("DPoP "+token, o.proof(proofKey, "GET", base+"/api/v1/users/dpop@example.com", "", token, nil)))
	wantStatus(t, r, http.StatusOK)

	// A DPoP-bound token sent as Bearer is refused, and so is a Bearer token sent as DPoP.
	r = call("Bearer "+token, "")
	wantError(t, r, http.StatusUnauthorized, "E0000011")
	if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "DPoP ") || !strings.Contains(h, `error="invalid_token"`) {
		t.Fatalf("WWW-Authenticate %s", h)
	}
	o2, k2, cid2 := serviceAppOrg(t)
	bearer := o2.accessToken(k2, cid2, "okta.users.read")
	r = o2.doHeader("GET", "/api/v1/users", nil, withProof("DPoP "+bearer, o2.proof(proofKey, "GET", o2.e.BaseURL()+"/api/v1/users", "", bearer, nil)))
	wantError(t, r, http.StatusUnauthorized, "E0000011")

	// Scope errors of a DPoP token carry a DPoP challenge, as Okta's do.
	r = o.dpopCall("GET", "/api/v1/logs", nil, token, proofKey)
	wantError(t, r, http.StatusForbidden, "E0000006")
	if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, `DPoP algs="`) || !strings.Contains(h, `scope="okta.logs.read", error="insufficient_scope"`) {
		t.Fatalf("WWW-Authenticate %s", h)
	}
}

func withProof(auth, proof string) http.Header {
	h := http.Header{"Authorization": {auth}}
	if proof != "" {
		h.Set("DPoP", proof)
	}
	return h
}
