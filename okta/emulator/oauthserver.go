package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/trama-dev/trama/okta"
)

// The org authorization server: the token endpoint for service apps (client credentials with
// private_key_jwt, optionally DPoP-bound), its public keys and its metadata. Okta mints Okta-scoped
// access tokens for the management API only here, at <org>/oauth2/v1/token.

const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// maxAssertionLifetime: Okta takes a client assertion whose exp is at most an hour in the future.
	maxAssertionLifetime = time.Hour
	// assertionSkew tolerates clocks that disagree a little with the emulator's.
	assertionSkew = time.Minute
	// maxFormSize bounds a token request body.
	maxFormSize = 64 << 10
)

// assertionAlgs are the client-assertion algorithms Okta lists for private_key_jwt.
var assertionAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512}

// knownGrantTypes are the grant types Okta knows (the GrantType enum of its description). A known one
// other than client_credentials is a grant the service app is not allowed; an unknown one is
// unsupported.
var knownGrantTypes = []string{"authorization_code", "client_credentials", "implicit", "interaction_code", "password",
	"refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
	"urn:ietf:params:oauth:grant-type:saml2-bearer", "urn:ietf:params:oauth:grant-type:token-exchange",
	"urn:openid:params:grant-type:ciba", "urn:okta:params:oauth:grant-type:otp", "urn:okta:params:oauth:grant-type:oob"}

// oauthError is an error answer of the token endpoint: RFC 6749 section 5.2 JSON, not an Okta error
// object. Descriptions never contain a credential.
type oauthError struct {
	status            int
	code, description string
	// nonce is sent as DPoP-Nonce with use_dpop_nonce.
	nonce string
}

func (e *oauthError) Error() string { return e.code + ": " + e.description }

func invalidClient(description string) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: "invalid_client", description: description}
}

func invalidRequest(description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", description: description}
}

func invalidScope(description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_scope", description: description}
}

func fromDPoP(d *dpopError) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: d.code, description: d.description}
}

// Okta's descriptions for client authentication failures (support.okta.com articles), and the generic
// one for an unknown client.
const (
	assertionKidInvalid = "The client_assertion JWT kid is invalid."
	assertionSigInvalid = "The client_assertion signature is invalid."
	assertionAudInvalid = "The audience claim for client_assertion must be the endpoint invoked for the request."
	assertionNoJWKS     = "The client does not have a JWKSet configured, but the client_assertion requires one."
	clientIDInvalid     = "Invalid value for 'client_id' parameter."
	privateKeyJWTOnly   = "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method."
	scopeMissing        = "The authorization server resource does not have any configured default scopes, 'scope' must be provided."
	scopeNotGranted     = "One or more scopes are not configured for the authorization server resource."
	// grantTypeNotAllowed is followed by the client's configured grant types.
	grantTypeNotAllowed  = "The client is not authorized to use the provided grant type. Configured grant types: "
	grantTypeUnsupported = "The authorization grant type is not supported by the authorization server."
)

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
}

// tokenRoute registers the token endpoint: no API token, Okta's common headers, its own rate-limit
// bucket, no caching of answers, and errors as OAuth JSON.
func (e *Emulator) tokenRoute(pattern string) {
	b := e.newBucket()
	e.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rq := e.begin(w, r)
		h := w.Header()
		// Token responses carry credentials (RFC 6749 section 5.1); Okta sends both directives.
		h["Cache-Control"] = []string{"no-cache, no-store"}
		h["Pragma"] = []string{"no-cache"}
		if !e.limit(rq, b) {
			return
		}
		resp, err := e.issueToken(rq)
		if err != nil {
			e.writeOAuthError(rq, err)
			return
		}
		data, err := json.Marshal(resp)
		if err != nil {
			e.writeOAuthError(rq, err)
			return
		}
		e.changed()
		w.WriteHeader(http.StatusOK)
		w.Write(data)
	})
}

func (e *Emulator) writeOAuthError(rq *request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		e.logger.Error("token request failed", "err", err)
		oe = &oauthError{status: http.StatusInternalServerError, code: "server_error",
			description: "The authorization server encountered an unexpected error."}
	} else {
		args := []any{"error", oe.code, "description", oe.description}
		if rq.principal.clientID != "" {
			args = append(args, "clientId", rq.principal.clientID)
		}
		e.logger.Info("token request refused", args...)
	}
	if oe.nonce != "" {
		rq.w.Header()["DPoP-Nonce"] = []string{oe.nonce}
	}
	data, _ := json.Marshal(map[string]string{"error": oe.code, "error_description": oe.description})
	rq.w.WriteHeader(oe.status)
	rq.w.Write(data)
}

// issueToken answers one token request, checking in Okta's order: the request, the client's
// assertion, the grant type, DPoP, then scopes.
func (e *Emulator) issueToken(rq *request) (*tokenResponse, error) {
	form, err := readTokenForm(rq.r)
	if err != nil {
		return nil, err
	}
	grant := form.Get("grant_type")
	switch {
	case grant == "":
		return nil, invalidRequest("The token request must specify a 'grant_type'.")
	case !slices.Contains(knownGrantTypes, grant):
		return nil, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type", description: grantTypeUnsupported}
	}
	client, err := e.authenticateClient(rq, form)
	if err != nil {
		return nil, err
	}
	rq.principal = principal{clientID: client.ClientID, label: client.Label}
	if grant != "client_credentials" || !slices.Contains(client.GrantTypes, grant) {
		return nil, &oauthError{status: http.StatusBadRequest, code: "unauthorized_client",
			description: grantTypeNotAllowed + "[" + strings.Join(client.GrantTypes, ", ") + "]."}
	}
	jkt, err := e.tokenProof(rq, client.RequireDPoP)
	if err != nil {
		return nil, err
	}
	scopes, err := grantScopes(form.Get("scope"), client.Scopes)
	if err != nil {
		return nil, err
	}
	token, claims, err := e.mintAccessToken(client.ClientID, scopes, jkt, rq.now)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	ev := e.event(rq, "app.oauth2.token.grant.access_token", "OIDC access token is granted", "", okta.Target{
		ID: claims.ID, Type: "access_token", AlternateID: "unknown", DisplayName: "Access Token",
		DetailEntry: map[string]any{"expires": okta.Time{Time: time.Unix(claims.Expiry, 0)}, "subject": claims.Subject},
	})
	ev.DebugContext.DebugData["grantType"] = "client_credentials"
	ev.DebugContext.DebugData["requestedScopes"] = strings.Join(strings.Fields(form.Get("scope")), " ")
	ev.DebugContext.DebugData["grantedScopes"] = strings.Join(scopes, " ")
	ev.DebugContext.DebugData["dpop"] = jkt != ""
	e.mu.Unlock()
	e.emit(ev)
	out := &tokenResponse{TokenType: "Bearer", ExpiresIn: int(accessTokenLifetime / time.Second), AccessToken: token,
		Scope: strings.Join(scopes, " ")}
	if jkt != "" {
		out.TokenType = "DPoP"
	}
	return out, nil
}

// readTokenForm reads the form-encoded body. Parameters come from the body only (RFC 6749 section
// 3.2), and none may repeat (section 3.1).
func readTokenForm(r *http.Request) (url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("The token request must have Content-Type application/x-www-form-urlencoded.")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxFormSize+1))
	if err != nil {
		return nil, invalidRequest("The token request body could not be read.")
	}
	if len(data) > maxFormSize {
		return nil, invalidRequest("The token request body is too large.")
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, invalidRequest("The token request body is not valid application/x-www-form-urlencoded data.")
	}
	for _, name := range []string{"grant_type", "scope", "client_id", "client_secret", "client_assertion", "client_assertion_type"} {
		if len(form[name]) > 1 {
			return nil, invalidRequest("The '" + name + "' parameter must not appear more than once.")
		}
	}
	return form, nil
}

// clientSnapshot is what the token endpoint needs of an app, copied under the lock.
type clientSnapshot struct {
	ClientID, Label string
	AuthMethod      string
	RequireDPoP     bool
	Scopes          []string
	GrantTypes      []string
	Keys            []jose.JSONWebKey
}

// authenticateClient checks the client assertion (private_key_jwt, RFC 7523): iss = sub = client id of
// an active app, signed by one of its keys (chosen by kid, or its only key), aud = this token endpoint,
// exp in the future but at most an hour away, and a jti, when present, used once.
func (e *Emulator) authenticateClient(rq *request, form url.Values) (*clientSnapshot, error) {
	if _, _, basic := rq.r.BasicAuth(); basic || form.Get("client_secret") != "" {
		return nil, invalidClient(privateKeyJWTOnly)
	}
	assertion, typ := form.Get("client_assertion"), form.Get("client_assertion_type")
	switch {
	case assertion == "" && typ == "":
		if form.Get("client_id") != "" {
			return nil, invalidClient(privateKeyJWTOnly)
		}
		return nil, invalidClient("Client authentication is required: send client_assertion and client_assertion_type.")
	case typ != clientAssertionType:
		return nil, invalidRequest("Invalid value for 'client_assertion_type' parameter.")
	case assertion == "":
		return nil, invalidRequest("Invalid value for 'client_assertion' parameter.")
	case len(assertion) > maxTokenSize:
		return nil, invalidClient("The client_assertion is not a valid JWT.")
	}
	tok, err := jwt.ParseSigned(assertion, assertionAlgs)
	if err == nil && len(tok.Headers) != 1 {
		err = errors.New("not a compact JWS")
	}
	if err != nil {
		var alg *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &alg) {
			return nil, invalidClient("The client_assertion JWT alg is not supported; use RS256, RS384, RS512, ES256, ES384 or ES512.")
		}
		return nil, invalidClient("The client_assertion is not a valid JWT.")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, invalidClient("The client_assertion is not a valid JWT.")
	}
	iss := unverified.Issuer
	if iss == "" || unverified.Subject != iss {
		return nil, invalidClient("The client_assertion 'iss' and 'sub' claims must both be the client_id.")
	}
	if id := form.Get("client_id"); id != "" && id != iss {
		return nil, invalidClient("The client_id parameter does not match the client_assertion 'iss' claim.")
	}
	client := e.clientByID(iss)
	if client == nil {
		return nil, invalidClient(clientIDInvalid)
	}
	rq.principal = principal{clientID: client.ClientID, label: client.Label}
	if client.AuthMethod != authPrivateKeyJWT {
		// The org authorization server authenticates clients by private_key_jwt only; an app set up for a
		// client secret or none can't use an assertion there either.
		return nil, invalidClient(privateKeyJWTOnly)
	}
	key, oerr := assertionKey(client.Keys, tok.Headers[0].KeyID)
	if oerr != nil {
		return nil, oerr
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, invalidClient(assertionSigInvalid)
	}
	if !c.Audience.Contains(e.opts.BaseURL + "/oauth2/v1/token") {
		return nil, invalidClient(assertionAudInvalid)
	}
	if err := checkAssertionTimes(&c, rq.now); err != nil {
		return nil, err
	}
	if c.ID != "" && !e.assertionJTIs.first(client.ClientID+"\x00"+c.ID, c.Expiry.Time(), rq.now) {
		return nil, invalidClient("The client_assertion token has already been used.")
	}
	return client, nil
}

// clientByID copies the active app with this client id, or returns nil.
func (e *Emulator) clientByID(clientID string) *clientSnapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range e.appOrder {
		if a.ClientID == clientID && a.SignOnMode == modeOIDC && a.Status == appActive {
			return &clientSnapshot{ClientID: a.ClientID, Label: a.Label, AuthMethod: a.AuthMethod, RequireDPoP: a.RequireDPoP,
				Scopes: a.grantedScopes(), GrantTypes: a.grantTypes(), Keys: slices.Clone(a.parsed)}
		}
	}
	return nil
}

// assertionKey picks the key that must verify the assertion: the one named by kid, or the app's only
// key. Okta refuses an assertion without kid when the app has several keys.
func assertionKey(keys []jose.JSONWebKey, kid string) (jose.JSONWebKey, *oauthError) {
	if len(keys) == 0 {
		return jose.JSONWebKey{}, invalidClient(assertionNoJWKS)
	}
	if kid == "" {
		if len(keys) == 1 {
			return keys[0], nil
		}
		return jose.JSONWebKey{}, invalidClient(assertionKidInvalid)
	}
	for _, k := range keys {
		if k.KeyID == kid {
			return k, nil
		}
	}
	return jose.JSONWebKey{}, invalidClient(assertionKidInvalid)
}

func checkAssertionTimes(c *jwt.Claims, now time.Time) *oauthError {
	if c.Expiry == nil {
		return invalidClient("The client_assertion token must have an 'exp' claim.")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp) {
		return invalidClient("The client_assertion token has expired.")
	}
	if exp.After(now.Add(maxAssertionLifetime + assertionSkew)) {
		return invalidClient("The client_assertion token has an expiration too far into the future.")
	}
	if c.IssuedAt != nil {
		iat := c.IssuedAt.Time()
		if exp.Sub(iat) > maxAssertionLifetime {
			return invalidClient("The client_assertion token has an expiration too far into the future.")
		}
		if iat.After(now.Add(assertionSkew)) {
			return invalidClient("The client_assertion token was issued in the future.")
		}
	}
	if c.NotBefore != nil && c.NotBefore.Time().After(now.Add(assertionSkew)) {
		return invalidClient("The client_assertion token is not valid yet.")
	}
	return nil
}

// tokenProof checks the token request's DPoP proof, when there is one or the app requires one, and
// returns the thumbprint the token is to be bound to. Okta binds the token whenever a valid proof
// comes, even for an app that does not require DPoP; the nonce comes in a use_dpop_nonce challenge.
func (e *Emulator) tokenProof(rq *request, required bool) (string, error) {
	if len(rq.r.Header.Values("DPoP")) == 0 {
		if required {
			return "", fromDPoP(proofInvalid(dpopMissing))
		}
		return "", nil
	}
	raw, derr := proofHeader(rq.r)
	if derr != nil {
		return "", fromDPoP(derr)
	}
	target, err := url.Parse(e.opts.BaseURL + "/oauth2/v1/token")
	if err != nil {
		return "", err
	}
	p, derr := checkProof(raw, http.MethodPost, target, rq.now)
	if derr != nil {
		return "", fromDPoP(derr)
	}
	if p.nonce == "" || !e.validNonce(p.nonce, rq.now) {
		return "", &oauthError{status: http.StatusBadRequest, code: "use_dpop_nonce", description: dpopUseNonce,
			nonce: e.dpopNonce(rq.now)}
	}
	if p.jti == "" {
		return "", fromDPoP(claimInvalid("jti"))
	}
	if !e.firstProofUse(p, rq.now) {
		return "", fromDPoP(proofInvalid("The DPoP proof JWT has already been used."))
	}
	return p.jkt, nil
}

// grantScopes is what a token gets of the requested scopes: those granted to the app, in request
// order. Okta mints a token with the granted subset and refuses only when none is granted.
func grantScopes(requested string, granted []string) ([]string, error) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return nil, invalidScope(scopeMissing)
	}
	var out []string
	for _, s := range fields {
		if slices.Contains(granted, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, invalidScope(scopeNotGranted)
	}
	return out, nil
}

// orgKeys answers GET /oauth2/v1/keys: the public key access tokens are signed with.
func (e *Emulator) orgKeys(rq *request) (int, any, error) {
	k, err := e.signingKey()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k.public()}}, nil
}

// authServerMetadata answers both well-known documents of the org authorization server (RFC 8414 and
// OpenID Connect Discovery). It advertises what the emulator implements: client credentials with
// private_key_jwt, DPoP, and the Okta scopes its routes require.
func (e *Emulator) authServerMetadata(rq *request) (int, any, error) {
	base := e.opts.BaseURL
	algs := make([]string, len(dpopAlgs))
	for i, a := range dpopAlgs {
		algs[i] = string(a)
	}
	return http.StatusOK, map[string]any{
		"issuer":                                base,
		"authorization_endpoint":                base + "/oauth2/v1/authorize",
		"token_endpoint":                        base + "/oauth2/v1/token",
		"jwks_uri":                              base + "/oauth2/v1/keys",
		"response_types_supported":              []string{"token"},
		"grant_types_supported":                 []string{"client_credentials"},
		"subject_types_supported":               []string{"public"},
		"scopes_supported":                      e.supportedScopes(),
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": algs,
		"id_token_signing_alg_values_supported":            []string{"RS256"},
		"claims_supported":                                 []string{"ver", "jti", "iss", "aud", "iat", "exp", "cid", "scp", "sub", "cnf"},
		"dpop_signing_alg_values_supported":                algs,
	}, nil
}

// supportedScopes are the scopes the registered routes require, with the .manage scope of every .read
// one (which covers it).
func (e *Emulator) supportedScopes() []string {
	set := map[string]bool{}
	for _, r := range e.routeTable {
		for _, s := range r.scopes {
			set[s] = true
			if base, ok := strings.CutSuffix(s, ".read"); ok {
				set[base+".manage"] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
