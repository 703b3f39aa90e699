package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// accessTokenLifetime is fixed at one hour for the org authorization server, as Okta documents for
// service-app tokens.
const accessTokenLifetime = time.Hour

// maxTokenSize bounds the access tokens, assertions and proofs the emulator parses; Okta's are a few
// kilobytes.
const maxTokenSize = 16 << 10

// orgKey is the org authorization server's signing key. It is the emulator's own key (no client key is
// ever held) and lives in the state file, so tokens survive a restart.
type orgKey struct {
	jwk    jose.JSONWebKey // private; KeyID is the RFC 7638 thumbprint
	signer jose.Signer
}

func newOrgKey(priv *rsa.PrivateKey, kid string) (*orgKey, error) {
	jwk := jose.JSONWebKey{Key: priv, Algorithm: string(jose.RS256), Use: "sig", KeyID: kid}
	if jwk.KeyID == "" {
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("org signing key: %w", err)
		}
		jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jwk}, nil)
	if err != nil {
		return nil, fmt.Errorf("org signing key: %w", err)
	}
	return &orgKey{jwk: jwk, signer: signer}, nil
}

// decodeOrgKey reads the key from the state file.
func decodeOrgKey(data []byte) (*orgKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("org signing key: %w", err)
	}
	priv, ok := jwk.Key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("org signing key: %T is not an RSA private key", jwk.Key)
	}
	return newOrgKey(priv, jwk.KeyID)
}

// public is the key as GET /oauth2/v1/keys serves it.
func (k *orgKey) public() jose.JSONWebKey { return k.jwk.Public() }

// signingKey returns the org key, generating it on first use: most emulators never issue a token, and
// a 2048-bit key takes a noticeable moment to generate.
func (e *Emulator) signingKey() (*orgKey, error) {
	e.oauthMu.Lock()
	defer e.oauthMu.Unlock()
	if e.orgKey != nil {
		return e.orgKey, nil
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate org signing key: %w", err)
	}
	k, err := newOrgKey(priv, "")
	if err != nil {
		return nil, err
	}
	e.orgKey = k
	e.changed()
	return k, nil
}

// existingKey returns the org key without generating one: a token presented before any was issued
// cannot be valid.
func (e *Emulator) existingKey() *orgKey {
	e.oauthMu.Lock()
	defer e.oauthMu.Unlock()
	return e.orgKey
}

// accessTokenClaims are the claims of an org authorization server access token, in Okta's order.
type accessTokenClaims struct {
	Ver      int           `json:"ver"`
	ID       string        `json:"jti"`
	Issuer   string        `json:"iss"`
	Audience string        `json:"aud"`
	IssuedAt int64         `json:"iat"`
	Expiry   int64         `json:"exp"`
	Cnf      *confirmation `json:"cnf,omitempty"`
	ClientID string        `json:"cid"`
	Scopes   []string      `json:"scp"`
	Subject  string        `json:"sub"`
}

// confirmation binds a token to a DPoP key (RFC 9449 section 6).
type confirmation struct {
	JKT string `json:"jkt"`
}

func (c *accessTokenClaims) boundKey() string {
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

// mintAccessToken signs a token for clientID with the scopes, bound to jkt when it is not empty.
func (e *Emulator) mintAccessToken(clientID string, scopes []string, jkt string, now time.Time) (string, accessTokenClaims, error) {
	key, err := e.signingKey()
	if err != nil {
		return "", accessTokenClaims{}, err
	}
	var id [32]byte
	rand.Read(id[:])
	c := accessTokenClaims{
		Ver: 1, ID: "AT." + base64.RawURLEncoding.EncodeToString(id[:]),
		Issuer: e.opts.BaseURL, Audience: e.opts.BaseURL,
		IssuedAt: now.Unix(), Expiry: now.Add(accessTokenLifetime).Unix(),
		ClientID: clientID, Scopes: scopes, Subject: clientID,
	}
	if jkt != "" {
		c.Cnf = &confirmation{JKT: jkt}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", accessTokenClaims{}, fmt.Errorf("encode access token claims: %w", err)
	}
	jws, err := key.signer.Sign(payload)
	if err != nil {
		return "", accessTokenClaims{}, fmt.Errorf("sign access token: %w", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", accessTokenClaims{}, fmt.Errorf("serialize access token: %w", err)
	}
	return token, c, nil
}

// Reasons an access token is refused, as the error_description of the WWW-Authenticate challenge.
const (
	tokenExpired = "The token has expired."
	tokenInvalid = "The access token is invalid."
)

// errTokenRejected is why verifyAccessToken refused a token; its text is a tokenExpired or tokenInvalid
// description and never contains the token.
type errTokenRejected struct{ description string }

func (e *errTokenRejected) Error() string { return e.description }

// verifyAccessToken checks a token the org authorization server issued: its signature with the org key,
// issuer, audience and expiry by the virtual clock.
func (e *Emulator) verifyAccessToken(token string, now time.Time) (accessTokenClaims, error) {
	invalid := &errTokenRejected{tokenInvalid}
	key := e.existingKey()
	if key == nil || len(token) > maxTokenSize {
		return accessTokenClaims{}, invalid
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 || tok.Headers[0].KeyID != key.jwk.KeyID {
		return accessTokenClaims{}, invalid
	}
	var c accessTokenClaims
	if err := tok.Claims(key.public().Key, &c); err != nil {
		return accessTokenClaims{}, invalid
	}
	if c.Ver != 1 || c.Issuer != e.opts.BaseURL || c.Audience != e.opts.BaseURL || c.ClientID == "" {
		return accessTokenClaims{}, invalid
	}
	if !now.Before(time.Unix(c.Expiry, 0)) {
		return accessTokenClaims{}, &errTokenRejected{tokenExpired}
	}
	return c, nil
}
