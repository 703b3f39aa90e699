package emulator

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/trama-dev/trama/okta"
)

// Authentication of management API requests: the SSWS API token, or an access token the org
// authorization server issued to a service app (Bearer, or DPoP with a proof), with its scopes checked
// against the operation.

// principal is who made an API call. The zero value is the API token, which acts as its admin.
type principal struct {
	// clientID and label name the service app behind an OAuth access token.
	clientID, label string
	scopes          []string
	// dpop marks a DPoP-bound token, whose challenges use the DPoP scheme.
	dpop bool
}

func (p principal) oauth() bool { return p.clientID != "" }

// parseAuthorization splits an Authorization header value into its scheme and credential (RFC 9110
// section 11.4). ok is false unless both are present and the credential is a single token68.
func parseAuthorization(v string) (scheme, credential string, ok bool) {
	scheme, rest, found := strings.Cut(v, " ")
	if !found || scheme == "" || !isToken(scheme) {
		return "", "", false
	}
	credential = strings.TrimLeft(rest, " ")
	if credential == "" || !isToken68(credential) {
		return "", "", false
	}
	return scheme, credential, true
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// isToken68 accepts the credential syntax of Bearer and DPoP: base64url, base64 and the characters
// RFC 9110 allows, with trailing '=' only.
func isToken68(s string) bool {
	s = strings.TrimRight(s, "=")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return false
		}
	}
	return true
}

// authenticate identifies the caller of an API operation. Without Authorization Okta falls back to a
// browser session, hence 403 E0000005; "SSWS <token>" is the API token; "Bearer" and "DPoP" carry an
// access token of the org authorization server; anything else is 401 E0000011.
func (e *Emulator) authenticate(rq *request) (principal, error) {
	got := rq.r.Header.Get("Authorization")
	if got == "" {
		return principal{}, errInvalidSession()
	}
	if subtle.ConstantTimeCompare([]byte(got), e.token) == 1 {
		return principal{}, nil
	}
	scheme, credential, ok := parseAuthorization(got)
	switch {
	case ok && strings.EqualFold(scheme, "Bearer"):
		return e.authenticateAccessToken(rq, credential, false)
	case ok && strings.EqualFold(scheme, "DPoP"):
		return e.authenticateAccessToken(rq, credential, true)
	}
	return principal{}, errInvalidToken()
}

// authenticateAccessToken checks an access token and, for a DPoP-bound one, the request's proof.
func (e *Emulator) authenticateAccessToken(rq *request, token string, dpopScheme bool) (principal, error) {
	c, err := e.verifyAccessToken(token, rq.now)
	if err != nil {
		var rej *errTokenRejected
		desc := tokenInvalid
		if errors.As(err, &rej) {
			desc = rej.description
		}
		return principal{}, e.errTokenChallenge(dpopScheme, desc)
	}
	e.mu.Lock()
	a := e.lookupApp(c.ClientID)
	var p principal
	if a != nil && a.Status == appActive {
		p = principal{clientID: a.ClientID, label: a.Label, scopes: c.Scopes}
	}
	e.mu.Unlock()
	if !p.oauth() {
		// Okta revokes the tokens of a deleted or deactivated client.
		return principal{}, e.errTokenChallenge(dpopScheme, tokenInvalid)
	}
	jkt := c.boundKey()
	switch {
	case jkt != "" && !dpopScheme:
		return principal{}, e.errTokenChallenge(true,
			"The access token is bound to a DPoP key; send it as 'Authorization: DPoP <token>' with a DPoP proof.")
	case jkt == "" && dpopScheme:
		return principal{}, e.errTokenChallenge(false,
			"The access token is not bound to a DPoP key; send it as 'Authorization: Bearer <token>'.")
	case jkt != "":
		if err := e.checkResourceProof(rq, token, jkt); err != nil {
			return principal{}, e.errProofChallenge(err)
		}
		p.dpop = true
	}
	return p, nil
}

// checkResourceProof verifies the DPoP proof of a resource request made with a token bound to jkt: the
// proof names this request (htm, htu), hashes this token (ath), is signed by the bound key and is used
// once. Okta does not require a nonce here, so none is checked.
func (e *Emulator) checkResourceProof(rq *request, token, jkt string) *dpopError {
	raw, derr := proofHeader(rq.r)
	if derr != nil {
		return derr
	}
	target, err := url.Parse(e.opts.BaseURL)
	if err != nil {
		return proofInvalid("The org URL is not a URL.")
	}
	target.Path = rq.r.URL.Path
	p, derr := checkProof(raw, rq.r.Method, target, rq.now)
	if derr != nil {
		return derr
	}
	if p.ath == "" || subtle.ConstantTimeCompare([]byte(p.ath), []byte(accessTokenHash(token))) != 1 {
		return claimInvalid("ath")
	}
	if subtle.ConstantTimeCompare([]byte(p.jkt), []byte(jkt)) != 1 {
		return proofInvalid("The DPoP proof JWT is not signed by the key the access token is bound to.")
	}
	if p.jti == "" {
		return claimInvalid("jti")
	}
	if !e.firstProofUse(p, rq.now) {
		return proofInvalid("The DPoP proof JWT has already been used.")
	}
	return nil
}

// authorize checks that an OAuth caller's token has the scopes the operation requires. API tokens are
// not scope-checked. An operation Okta's description gives no scopes takes only an API token, so an
// access token is refused (fail closed).
func (e *Emulator) authorize(rq *request, p principal, required []string) error {
	if !p.oauth() {
		return nil
	}
	if len(required) > 0 && len(okta.MissingScopes(p.scopes, required)) == 0 {
		return nil
	}
	params := []string{}
	if len(required) > 0 {
		params = append(params, `scope=`+quoteParam(strings.Join(required, " ")))
	}
	params = append(params,
		`error="insufficient_scope"`,
		`error_description="The access token provided does not contain the required scopes."`,
		`resource=`+quoteParam(rq.r.URL.Path))
	ae := errAccessDenied()
	ae.challenge = e.challenge(p.dpop, params...)
	return ae
}

// challenge is a WWW-Authenticate value in Okta's form: the scheme (DPoP with its algs, or Bearer), the
// org's authorize endpoint and realm, then params.
func (e *Emulator) challenge(dpop bool, params ...string) string {
	var b strings.Builder
	if dpop {
		b.WriteString(`DPoP algs="` + dpopAlgNames + `", `)
	} else {
		b.WriteString("Bearer ")
	}
	b.WriteString(`authorization_uri=` + quoteParam(e.opts.BaseURL+"/oauth2/v1/authorize"))
	b.WriteString(`, realm=` + quoteParam(e.opts.BaseURL))
	for _, p := range params {
		b.WriteString(", " + p)
	}
	return b.String()
}

// quoteParam writes an auth-param value as a quoted-string, escaping '"' and '\'.
func quoteParam(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c == 0x7f:
			// Control characters cannot appear in a header value.
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// errTokenChallenge is the 401 for a refused access token: E0000011 with an invalid_token challenge.
func (e *Emulator) errTokenChallenge(dpop bool, description string) *apiError {
	ae := errInvalidToken()
	ae.challenge = e.challenge(dpop, `error="invalid_token"`, `error_description=`+quoteParam(description))
	return ae
}

// errProofChallenge is the 400 Okta answers when the DPoP proof of a resource request is refused. The
// body is an Okta error object carrying the OAuth error code, the shape Okta uses for OAuth errors it
// renders as JSON.
func (e *Emulator) errProofChallenge(d *dpopError) *apiError {
	ae := newAPIError(http.StatusBadRequest, d.code, d.description)
	ae.challenge = e.challenge(true, `error=`+quoteParam(d.code), `error_description=`+quoteParam(d.description))
	return ae
}
