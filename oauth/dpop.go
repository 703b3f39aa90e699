package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// dpopKey is the key a Client's tokens are bound to (RFC 9449). It is generated per Client and never
// leaves the process: P-256, which Okta accepts and which is cheap to make.
type dpopKey struct {
	signer jose.Signer
}

func newDPoPKey() (*dpopKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("DPoP key: %w", err)
	}
	pub := jose.JSONWebKey{Key: &priv.PublicKey, Algorithm: string(jose.ES256), Use: "sig"}
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", pub)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, opts)
	if err != nil {
		return nil, fmt.Errorf("DPoP key: %w", err)
	}
	return &dpopKey{signer: signer}, nil
}

// proofClaims are a DPoP proof's claims (RFC 9449 §4.2).
type proofClaims struct {
	ID       string           `json:"jti"`
	Method   string           `json:"htm"`
	URI      string           `json:"htu"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Nonce    string           `json:"nonce,omitempty"`
	// TokenHash is base64url(SHA-256(access token)), in proofs sent with the token to a resource.
	TokenHash string `json:"ath,omitempty"`
}

// proof signs a DPoP proof for one request. htu is the request URL without query and fragment, as the
// RFC defines it; accessToken is empty for token requests.
func (k *dpopKey) proof(method, rawURL, nonce, accessToken string, now time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("DPoP proof: %w", err)
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	c := proofClaims{ID: randomID(), Method: method, URI: u.String(), IssuedAt: jwt.NewNumericDate(now), Nonce: nonce}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c.TokenHash = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	s, err := jwt.Signed(k.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("DPoP proof: %w", err)
	}
	return s, nil
}
