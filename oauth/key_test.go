package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseKeyFormats(t *testing.T) {
	rk := rsaKey(t)
	ek, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(rk)
	sec1, _ := x509.MarshalECPrivateKey(ek)
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: rk, KeyID: "kid-from-jwk", Algorithm: "RS256"})
	for _, tt := range []struct {
		name, data, kid, wantAlg, wantKid string
	}{
		{"PKCS1", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})), "k1", "RS256", "k1"},
		{"PKCS8", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})), "", "RS256", ""},
		{"SEC1 P-384", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})), "", "ES384", ""},
		{"JWK", string(jwk), "", "RS256", "kid-from-jwk"},
		{"JWK set", `{"keys":[` + string(jwk) + `]}`, "override", "RS256", "override"},
	} {
		k, err := ParseKey([]byte(tt.data), tt.kid)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if k.Algorithm() != tt.wantAlg || k.ID != tt.wantKid {
			t.Errorf("%s: alg %s kid %q, want %s %q", tt.name, k.Algorithm(), k.ID, tt.wantAlg, tt.wantKid)
		}
	}
}

// TestParseKeyRefusals: what people paste by mistake is refused with what to do, never echoed.
func TestParseKeyRefusals(t *testing.T) {
	rk := rsaKey(t)
	pub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: &rk.PublicKey})
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, tt := range []struct{ name, data, want string }{
		{"public PEM", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), "not a private key"},
		{"public JWK", string(pubJWK), "a public JWK"},
		{"encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n", "decrypt it first"},
		{"garbage", "s3cr3t-canary-value", "expected PEM"},
		{"broken PEM", "-----BEGIN PRIVATE KEY-----\nnot base64 s3cr3t-canary\n", "complete block"},
		{"small RSA", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)})), "at least 2048"},
	} {
		_, err := ParseKey([]byte(tt.data), "")
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "canary") {
			t.Errorf("%s: %v; want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// TestAssertionClaims: a client assertion verifies with the public key and says what RFC 7523 and
// Okta require.
func TestAssertionClaims(t *testing.T) {
	rk := rsaKey(t)
	k := &Key{signer: rk, alg: jose.RS256, ID: "kid1"}
	now := time.Unix(1_800_000_000, 0)
	a, err := k.assertion("0oa1client", "https://example.okta.com/oauth2/v1/token", now)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(a, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || tok.Headers[0].KeyID != "kid1" {
		t.Fatalf("parse: %v %+v", err, tok)
	}
	var c jwt.Claims
	if err := tok.Claims(&rk.PublicKey, &c); err != nil {
		t.Fatal(err)
	}
	err = c.ValidateWithLeeway(jwt.Expected{Issuer: "0oa1client", Subject: "0oa1client",
		AnyAudience: jwt.Audience{"https://example.okta.com/oauth2/v1/token"}, Time: now}, 0)
	if err != nil || c.ID == "" || c.Expiry.Time().Sub(now) != assertionLifetime {
		t.Errorf("claims %+v: %v", c, err)
	}
	b, _ := k.assertion("0oa1client", "https://example.okta.com/oauth2/v1/token", now)
	if b == a {
		t.Error("two assertions are identical: the jti must differ")
	}
}

// TestProofClaims: a DPoP proof carries the method, the URL without its query, the access token's hash
// and the nonce, and its header the public key.
func TestProofClaims(t *testing.T) {
	k, err := newDPoPKey()
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.proof("GET", "https://example.okta.com/api/v1/users?limit=2#x", "n0nce", "the-token", time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(p, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := tok.Headers[0]
	if h.ExtraHeaders["typ"] != "dpop+jwt" || h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		t.Fatalf("header %+v", h)
	}
	var c proofClaims
	if err := tok.Claims(h.JSONWebKey.Key, &c); err != nil {
		t.Fatal(err)
	}
	// base64url(SHA-256("the-token")), computed independently.
	const ath = "wqc_z2HfvcrceaELozCy7162b8Cmc17Wm3lrs8l7l64" // openssl dgst -sha256 -binary | base64url
	if c.Method != "GET" || c.URI != "https://example.okta.com/api/v1/users" || c.Nonce != "n0nce" || c.TokenHash != ath || c.ID == "" {
		t.Errorf("claims %+v", c)
	}
}

func FuzzParseKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "")
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}`), "k")
	f.Add([]byte(`{"keys":[]}`), "")
	f.Fuzz(func(t *testing.T, data []byte, kid string) {
		k, err := ParseKey(data, kid)
		if (k == nil) == (err == nil) {
			t.Fatalf("ParseKey = %v, %v", k, err)
		}
		if k != nil && (k.signer == nil || k.Algorithm() == "") {
			t.Fatalf("a key without a signer or algorithm: %+v", k)
		}
	})
}
