package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The helpers below play a service app: they hold its private keys (the emulator only ever sees the
// public halves), sign client assertions and DPoP proofs, and call the token endpoint.

// clientKey is one private key of a test client.
type clientKey struct {
	priv crypto.Signer
	kid  string
	alg  jose.SignatureAlgorithm
}

// RSA key generation is slow; the tests share a few keys.
var (
	keysOnce                  sync.Once
	rsaKeyA, rsaKeyB, rsaKeyC *rsa.PrivateKey
	ecKeyA                    *ecdsa.PrivateKey
)

func testKeys() {
	keysOnce.Do(func() {
		for _, k := range []**rsa.PrivateKey{&rsaKeyA, &rsaKeyB, &rsaKeyC} {
			var err error
			if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
		}
		var err error
		if ecKeyA, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// rsaClientKey and ecClientKey are the shared keys with a kid.
func rsaClientKey(which int, kid string) clientKey {
	testKeys()
	return clientKey{priv: []*rsa.PrivateKey{rsaKeyA, rsaKeyB, rsaKeyC}[which], kid: kid, alg: jose.RS256}
}

func ecClientKey(kid string) clientKey {
	testKeys()
	return clientKey{priv: ecKeyA, kid: kid, alg: jose.ES256}
}

func (k clientKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Use: "sig", Algorithm: string(k.alg)}
}

func (k clientKey) thumbprint(t testing.TB) string {
	t.Helper()
	pub := k.public()
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

// jwksOf is the public JWK Set of the keys, as a service app registers it.
func jwksOf(keys ...clientKey) []byte {
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.public())
	}
	data, _ := json.Marshal(set)
	return data
}

// signJWT signs claims with the key; withKid puts its kid in the header, embedJWK its public JWK.
func (k clientKey) signJWT(t testing.TB, claims any, typ string, withKid, embedJWK bool) string {
	t.Helper()
	var key any = k.priv
	if withKid {
		key = jose.JSONWebKey{Key: k.priv, KeyID: k.kid}
	}
	opts := &jose.SignerOptions{EmbedJWK: embedJWK}
	if typ != "" {
		opts.WithType(jose.ContentType(typ))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// assertion is a client assertion for clientID at the org's token endpoint, valid from now for five
// minutes; edit changes the claims before signing.
func (o *testOrg) assertion(k clientKey, clientID string, now time.Time, edit func(map[string]any)) string {
	o.t.Helper()
	c := map[string]any{
		"iss": clientID, "sub": clientID, "aud": o.e.BaseURL() + "/oauth2/v1/token",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": randomID(),
	}
	if edit != nil {
		edit(c)
	}
	return k.signJWT(o.t, c, "", k.kid != "", false)
}

// proof is a DPoP proof by k for method on target (a URL), with nonce and, for a resource request, the
// access token's hash; edit changes the claims before signing.
func (o *testOrg) proof(k clientKey, method, target, nonce, token string, edit func(map[string]any)) string {
	o.t.Helper()
	c := map[string]any{"htm": method, "htu": target, "iat": o.e.Clock().Now().Unix(), "jti": randomID()}
	if nonce != "" {
		c["nonce"] = nonce
	}
	if token != "" {
		c["ath"] = accessTokenHash(token)
	}
	if edit != nil {
		edit(c)
	}
	return k.signJWT(o.t, c, "dpop+jwt", false, true)
}

// tokenRequest posts a form to the token endpoint, with a DPoP header when proof is not empty.
func (o *testOrg) tokenRequest(form url.Values, proof string) response {
	o.t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if proof != "" {
		h.Set("DPoP", proof)
	}
	return o.doHeader("POST", "/oauth2/v1/token", form.Encode(), h)
}

// clientCredentials is the form of a client credentials request with an assertion.
func clientCredentials(assertion, scope string) url.Values {
	return url.Values{
		"grant_type": {"client_credentials"}, "scope": {scope},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion},
	}
}

// accessToken gets an access token for the app with the scope, without DPoP, and fails the test otherwise.
func (o *testOrg) accessToken(k clientKey, clientID, scope string) string {
	o.t.Helper()
	r := o.tokenRequest(clientCredentials(o.assertion(k, clientID, o.e.Clock().Now(), nil), scope), "")
	wantStatus(o.t, r, http.StatusOK)
	var tr tokenResponse
	r.json(o.t, &tr)
	return tr.AccessToken
}

// dpopToken gets a DPoP-bound token, answering the nonce challenge as a client does.
func (o *testOrg) dpopToken(k, proofKey clientKey, clientID, scope string) (token, nonce string) {
	o.t.Helper()
	tokenURL := o.e.BaseURL() + "/oauth2/v1/token"
	r := o.tokenRequest(clientCredentials(o.assertion(k, clientID, o.e.Clock().Now(), nil), scope),
		o.proof(proofKey, "POST", tokenURL, "", "", nil))
	wantOAuthError(o.t, r, http.StatusBadRequest, "use_dpop_nonce")
	nonce = r.header.Get("DPoP-Nonce")
	r = o.tokenRequest(clientCredentials(o.assertion(k, clientID, o.e.Clock().Now(), nil), scope),
		o.proof(proofKey, "POST", tokenURL, nonce, "", nil))
	wantStatus(o.t, r, http.StatusOK)
	var tr tokenResponse
	r.json(o.t, &tr)
	if tr.TokenType != "DPoP" {
		o.t.Fatalf("token_type %q, want DPoP", tr.TokenType)
	}
	return tr.AccessToken, nonce
}

// dpopCall calls the API with a DPoP-bound token and a fresh proof for the request.
func (o *testOrg) dpopCall(method, path string, body any, token string, k clientKey) response {
	o.t.Helper()
	target := o.e.BaseURL() + strings.SplitN(path, "?", 2)[0]
	h := http.Header{"Authorization": {"DPoP " + token}, "DPoP": {o.proof(k, method, target, "", token, nil)}}
	return o.doHeader(method, path, body, h)
}

// wantOAuthError checks an RFC 6749 error answer.
func wantOAuthError(t testing.TB, r response, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	r.json(t, &e)
	if e.Error != code {
		t.Fatalf("error %q, want %q; body %s", e.Error, code, r.body)
	}
	return e.Description
}

// claimsOf decodes a JWT's claims without verifying it.
func claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	var m map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// publicPEM is the key's public half as a PKIX PEM block.
func publicPEM(t testing.TB, k clientKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// privatePEM is an RSA key as the PKCS #1 PEM block Okta's SDKs read.
func privatePEM(k clientKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.priv.(*rsa.PrivateKey))}))
}
