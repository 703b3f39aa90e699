package emulator

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DPoP (RFC 9449) as Okta's org authorization server and management API apply it.

// dpopAlgs are the proof algorithms Okta advertises in dpop_signing_alg_values_supported.
var dpopAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// dpopAlgNames is dpopAlgs as the algs parameter of a DPoP challenge.
const dpopAlgNames = "RS256 RS384 RS512 ES256 ES384 ES512"

const (
	// dpopSkew is how far a proof's iat may lie from the emulator's clock, either way.
	dpopSkew = time.Minute
	// nonceRotation and nonceLifetime: Okta renews the DPoP nonce every 24 hours and accepts an old one
	// for three days after it was issued.
	nonceRotation = 24 * time.Hour
	nonceLifetime = 72 * time.Hour
)

// Descriptions Okta uses for DPoP errors. missing and nonce are Okta's words; the claim texts follow
// the form Okta uses for htu ("'htu' claim in the DPoP proof JWT is invalid.").
const (
	dpopMissing  = "The DPoP proof JWT header is missing."
	dpopUseNonce = "Authorization server requires nonce in DPoP proof."
)

// dpopError is a refused proof: the OAuth error code and its description.
type dpopError struct{ code, description string }

func (e *dpopError) Error() string { return e.code + ": " + e.description }

func proofInvalid(description string) *dpopError {
	return &dpopError{code: "invalid_dpop_proof", description: description}
}

func claimInvalid(name string) *dpopError {
	return proofInvalid("'" + name + "' claim in the DPoP proof JWT is invalid.")
}

func headerInvalid(name string) *dpopError {
	return proofInvalid("'" + name + "' header in the DPoP proof JWT is invalid.")
}

// dpopProof is a proof whose signature, header and htm/htu/iat claims checked out.
type dpopProof struct {
	jkt   string // RFC 7638 thumbprint of the proof's key
	jti   string
	nonce string
	ath   string
	iat   time.Time
}

// dpopClaims are the claims of a proof (RFC 9449 section 4.2).
type dpopClaims struct {
	ID       string           `json:"jti"`
	Method   string           `json:"htm"`
	URI      string           `json:"htu"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Nonce    string           `json:"nonce"`
	ATH      string           `json:"ath"`
}

// proofHeader returns the request's single DPoP header. RFC 9449 allows exactly one.
func proofHeader(r *http.Request) (string, *dpopError) {
	values := r.Header.Values("DPoP")
	switch {
	case len(values) == 0 || len(values) == 1 && strings.TrimSpace(values[0]) == "":
		return "", proofInvalid(dpopMissing)
	case len(values) > 1:
		return "", proofInvalid("The request has more than one DPoP header.")
	}
	return strings.TrimSpace(values[0]), nil
}

// checkProof verifies a DPoP proof for a request with method to target (its URL without query and
// fragment): typ dpop+jwt, an asymmetric alg, a public jwk that verifies the signature, matching htm and
// htu, and an iat near now. Nonce, jti and ath are left to the caller, whose rules differ.
func checkProof(raw, method string, target *url.URL, now time.Time) (*dpopProof, *dpopError) {
	if len(raw) > maxTokenSize {
		return nil, proofInvalid("The DPoP proof JWT is too large.")
	}
	jws, err := jose.ParseSignedCompact(raw, dpopAlgs)
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		switch {
		case errors.As(err, &alg):
			return nil, headerInvalid("alg")
		case strings.Contains(err.Error(), "embedded jwk"):
			// go-jose refuses an embedded jwk with private parts, as RFC 9449 requires.
			return nil, headerInvalid("jwk")
		}
		return nil, proofInvalid("The DPoP proof JWT is malformed.")
	}
	if len(jws.Signatures) != 1 {
		return nil, proofInvalid("The DPoP proof JWT is malformed.")
	}
	h := jws.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return nil, headerInvalid("typ")
	}
	key := h.JSONWebKey
	if key == nil || !key.IsPublic() || !key.Valid() {
		return nil, headerInvalid("jwk")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, proofInvalid("The DPoP proof JWT signature is invalid.")
	}
	var c dpopClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, claimInvalid(typeErr.Field)
		}
		return nil, proofInvalid("The DPoP proof JWT is malformed.")
	}
	if c.Method != method {
		return nil, claimInvalid("htm")
	}
	if !sameTarget(c.URI, target) {
		return nil, claimInvalid("htu")
	}
	if c.IssuedAt == nil {
		return nil, claimInvalid("iat")
	}
	iat := c.IssuedAt.Time()
	if iat.Before(now.Add(-dpopSkew)) || iat.After(now.Add(dpopSkew)) {
		return nil, claimInvalid("iat")
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, headerInvalid("jwk")
	}
	return &dpopProof{jkt: base64.RawURLEncoding.EncodeToString(tp), jti: c.ID, nonce: c.Nonce, ath: c.ATH, iat: iat}, nil
}

// sameTarget compares a proof's htu with the request URL as RFC 9449 section 4.3 asks: scheme and host
// case-insensitively with default ports removed, the path after percent-decoding (Okta compares the
// decoded path), query and fragment ignored.
func sameTarget(htu string, target *url.URL) bool {
	u, err := url.Parse(htu)
	if err != nil || !u.IsAbs() {
		return false
	}
	if !strings.EqualFold(u.Scheme, target.Scheme) || normalHost(u) != normalHost(target) {
		return false
	}
	p, q := u.Path, target.Path
	if p == "" {
		p = "/"
	}
	if q == "" {
		q = "/"
	}
	return p == q
}

func normalHost(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (port == "80" && strings.EqualFold(u.Scheme, "http")) || (port == "443" && strings.EqualFold(u.Scheme, "https")) {
		return host
	}
	return net.JoinHostPort(host, port)
}

// accessTokenHash is the ath claim value for a token: base64url of its SHA-256.
func accessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// dpopNonce is the nonce the token endpoint hands out now. It is derived from the day's number and a
// per-emulator key rather than stored, so every nonce of the last three days can be recognised.
func (e *Emulator) dpopNonce(now time.Time) string {
	return e.nonceFor(now.Unix() / int64(nonceRotation/time.Second))
}

func (e *Emulator) nonceFor(period int64) string {
	mac := hmac.New(sha256.New, e.nonceKey[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(period))
	mac.Write(b[:])
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))[:32]
}

// validNonce accepts the current nonce and those issued within nonceLifetime.
func (e *Emulator) validNonce(nonce string, now time.Time) bool {
	period := now.Unix() / int64(nonceRotation/time.Second)
	for i := int64(0); i < int64(nonceLifetime/nonceRotation); i++ {
		if subtle.ConstantTimeCompare([]byte(nonce), []byte(e.nonceFor(period-i))) == 1 {
			return true
		}
	}
	return false
}

// proofReplayWindow is how long a proof's jti is remembered: past that its iat is out of range anyway.
const proofReplayWindow = 2*dpopSkew + time.Second

// firstProofUse records the proof's jti for its key and reports whether it was unused.
func (e *Emulator) firstProofUse(p *dpopProof, now time.Time) bool {
	return e.proofJTIs.first(p.jkt+"\x00"+p.jti, p.iat.Add(proofReplayWindow), now)
}
