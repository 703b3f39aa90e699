package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// Key is a private key that signs client assertions, with the algorithm it signs with and the key id
// the authorization server knows it by.
type Key struct {
	signer crypto.Signer
	alg    jose.SignatureAlgorithm
	// ID is the key's kid. The authorization server uses it to pick the app's public key; without it,
	// Okta tries each of the app's keys.
	ID string
}

// Algorithm returns the JWS algorithm the key signs with: RS256 for RSA, ES256, ES384 or ES512 by the
// curve of an EC key.
func (k *Key) Algorithm() string { return string(k.alg) }

// ParseKey reads a private key from PEM (PKCS #1 "RSA PRIVATE KEY", PKCS #8 "PRIVATE KEY", SEC 1 "EC
// PRIVATE KEY") or from a private JWK, as Okta's Admin Console offers to download it. keyID, when not
// empty, overrides the JWK's kid. Errors say what is wrong without quoting the key.
func ParseKey(data []byte, keyID string) (*Key, error) {
	text := strings.TrimSpace(string(data))
	var (
		priv any
		kid  string
		err  error
	)
	switch {
	case strings.HasPrefix(text, "{"):
		priv, kid, err = parseJWK([]byte(text))
	case strings.Contains(text, "-----BEGIN"):
		priv, err = parsePEM([]byte(text))
	default:
		return nil, errors.New("not a private key: expected PEM (-----BEGIN … PRIVATE KEY-----) or a JWK ({\"kty\": …})")
	}
	if err != nil {
		return nil, err
	}
	if keyID != "" {
		kid = keyID
	}
	k := &Key{ID: kid}
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if p.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA key of %d bits: Okta requires at least 2048", p.N.BitLen())
		}
		k.signer, k.alg = p, jose.RS256
	case *ecdsa.PrivateKey:
		switch p.Curve {
		case elliptic.P256():
			k.alg = jose.ES256
		case elliptic.P384():
			k.alg = jose.ES384
		case elliptic.P521():
			k.alg = jose.ES512
		default:
			return nil, fmt.Errorf("EC key on curve %s: use P-256, P-384 or P-521", p.Curve.Params().Name)
		}
		k.signer = p
	default:
		return nil, fmt.Errorf("%T keys are not supported: use an RSA or EC key", priv)
	}
	return k, nil
}

// LoadKey reads a key file with ParseKey; errors name the file.
func LoadKey(path, keyID string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	k, err := ParseKey(data, keyID)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", path, err)
	}
	return k, nil
}

func parsePEM(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("PEM data without a complete block; check the -----BEGIN and -----END lines")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("RSA PRIVATE KEY: %w", err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("EC PRIVATE KEY: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PRIVATE KEY: %w", err)
		}
		return k, nil
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("a %s, not a private key: give trama the private key and Okta the public one", block.Type)
	case "ENCRYPTED PRIVATE KEY":
		return nil, errors.New("an encrypted private key: decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)")
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", block.Type)
	}
}

func parseJWK(data []byte) (any, string, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(data, &set) == nil && set.Keys != nil {
		if len(set.Keys) != 1 {
			return nil, "", fmt.Errorf("a JWK set with %d keys: give the one private key", len(set.Keys))
		}
		data = set.Keys[0]
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		// go-jose's messages describe the structure, never the key's values.
		return nil, "", fmt.Errorf("JWK: %w", err)
	}
	if jwk.IsPublic() {
		return nil, "", errors.New("a public JWK: give trama the private key (with \"d\") and Okta the public one")
	}
	return jwk.Key, jwk.KeyID, nil
}
