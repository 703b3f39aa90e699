package credential

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/oauth"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/openapi"
	"github.com/trama-dev/trama/runner"
)

// Options are what an authenticator needs besides the credential.
type Options struct {
	// HTTPClient sends token and discovery requests; nil means oauth's defaults.
	HTTPClient *http.Client
	// Now is the clock for assertions, proofs and token expiry; nil means time.Now.
	Now func() time.Time
}

// New returns the authenticator for c, which must be valid. It is safe for concurrent use, and for an
// OAuth credential it keeps its token across runs: give each connection one authenticator.
func New(c Credential, opts Options) (runner.Authenticator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	switch {
	case c.Type == TypeOkta && c.Token != "":
		value := c.Token
		if !strings.HasPrefix(value, "SSWS ") && !strings.HasPrefix(value, "Bearer ") {
			value = "SSWS " + value // a bare API token; a value with its scheme is sent as written
		}
		return &staticAuth{header: "Authorization", value: value, desc: "Okta API token for " + c.OrgURL,
			secrets: []string{c.Token}}, nil
	case c.Type == TypeOkta || c.Type == TypeOAuth2:
		return &oauthAuth{c: c, opts: opts}, nil
	case c.Type == TypeBearer:
		return &staticAuth{header: "Authorization", value: "Bearer " + c.Token, desc: "bearer token"}, nil
	case c.Type == TypeBasic:
		raw := base64.StdEncoding.EncodeToString([]byte(c.Username + ":" + c.Password))
		return &staticAuth{header: "Authorization", value: "Basic " + raw, desc: "HTTP Basic as " + c.Username,
			secrets: []string{raw}}, nil
	default:
		return &apiKeyAuth{c: c}, nil
	}
}

// staticAuth sets one header to a fixed value.
type staticAuth struct {
	header, value, desc string
	secrets             []string
}

func (a *staticAuth) Prepare(context.Context, []runner.Security) error { return nil }
func (a *staticAuth) Header(runner.Security) string                    { return a.header }
func (a *staticAuth) Retry(*http.Response) bool                        { return false }
func (a *staticAuth) String() string                                   { return a.desc }

func (a *staticAuth) Authenticate(_ context.Context, req *http.Request, _ runner.Security) ([]string, error) {
	req.Header.Set(a.header, a.value)
	return append([]string{a.value}, a.secrets...), nil
}

// apiKeyAuth puts a key where the operation's apiKey scheme says: a header, a query parameter or a
// cookie.
type apiKeyAuth struct{ c Credential }

func (a *apiKeyAuth) Prepare(context.Context, []runner.Security) error { return nil }
func (a *apiKeyAuth) Retry(*http.Response) bool                        { return false }
func (a *apiKeyAuth) String() string                                   { return "API key" }

// scheme returns the apiKey scheme the operation's requirements name first.
func (a *apiKeyAuth) scheme(sec runner.Security) (openapi.SecurityScheme, bool) {
	for _, req := range sec.Requirements {
		for _, name := range sortedNames(req) {
			if s, ok := sec.Schemes[name]; ok && s.Type == "apiKey" {
				return s, true
			}
		}
	}
	return openapi.SecurityScheme{}, false
}

func (a *apiKeyAuth) Header(sec runner.Security) string {
	if s, ok := a.scheme(sec); ok {
		if s.In == "header" {
			return s.Name
		}
		return ""
	}
	return a.c.Header
}

func (a *apiKeyAuth) Authenticate(_ context.Context, req *http.Request, sec runner.Security) ([]string, error) {
	s, ok := a.scheme(sec)
	if !ok {
		if a.c.Header == "" {
			return nil, fmt.Errorf("the description declares no apiKey scheme for %s %s: set header in the credential to say where the key goes", sec.Method, sec.Path)
		}
		s = openapi.SecurityScheme{Type: "apiKey", In: "header", Name: a.c.Header}
	}
	switch s.In {
	case "header":
		req.Header.Set(s.Name, a.c.Value)
	case "query":
		q := req.URL.Query()
		q.Set(s.Name, a.c.Value)
		req.URL.RawQuery = q.Encode()
	case "cookie":
		req.AddCookie(&http.Cookie{Name: s.Name, Value: a.c.Value})
	default:
		return nil, fmt.Errorf("apiKey scheme %q is in %q; trama sends keys in a header, query or cookie", s.Name, s.In)
	}
	return []string{a.c.Value}, nil
}

// oauthAuth gets tokens with the client credentials grant.
type oauthAuth struct {
	c    Credential
	opts Options

	mu     sync.Mutex
	client *oauth.Client
	scopes []string // what the current client asks for
}

func (a *oauthAuth) Header(runner.Security) string { return "Authorization" }

func (a *oauthAuth) String() string {
	what := "OAuth 2.0 client " + a.c.ClientID
	if a.c.Type == TypeOkta {
		what = "Okta service app " + a.c.ClientID
	}
	switch a.c.DPoP {
	case oauth.DPoPAlways:
		what += " (DPoP)"
	case oauth.DPoPNever:
		what += " (no DPoP)"
	}
	return what
}

// Prepare makes sure the client's tokens carry every scope the operations need, and finds the token
// endpoint. A token already cached is kept when it covers them.
func (a *oauthAuth) Prepare(ctx context.Context, ops []runner.Security) error {
	scopes := slices.Clone(a.c.Scopes)
	if len(scopes) == 0 {
		for _, sec := range ops {
			scopes = append(scopes, a.scopesFor(sec)...)
		}
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != nil && !missing(a.scopes, scopes) {
		return nil
	}
	if a.client != nil {
		scopes = union(a.scopes, scopes)
	}
	tokenURL, err := a.tokenURL(ctx, ops)
	if err != nil {
		return err
	}
	a.client = &oauth.Client{TokenURL: tokenURL, ClientID: a.c.ClientID, Key: a.c.Key, ClientSecret: a.c.ClientSecret,
		Scopes: scopes, DPoP: a.c.DPoP, HTTPClient: a.opts.HTTPClient, Now: a.opts.Now}
	a.scopes = scopes
	return nil
}

// scopesFor returns the scopes one operation needs: those its oauth2 or openIdConnect requirement
// lists, or for an Okta org those Okta's management API requires.
func (a *oauthAuth) scopesFor(sec runner.Security) []string {
	for _, req := range sec.Requirements {
		for _, name := range sortedNames(req) {
			if s, ok := sec.Schemes[name]; ok && (s.Type == "oauth2" || s.Type == "openIdConnect") && len(req[name]) > 0 {
				return req[name]
			}
		}
	}
	if a.c.Type == TypeOkta {
		return okta.Scopes(sec.Method, sec.Path)
	}
	return nil
}

// tokenURL finds the token endpoint: the credential's, an Okta org's, the description's oauth2
// clientCredentials tokenUrl, or a discovery document's.
func (a *oauthAuth) tokenURL(ctx context.Context, ops []runner.Security) (string, error) {
	switch {
	case a.c.TokenURL != "":
		return a.c.TokenURL, nil
	case a.c.Type == TypeOkta:
		return strings.TrimRight(a.c.OrgURL, "/") + "/oauth2/v1/token", nil
	case a.c.DiscoveryURL != "":
		return a.discover(ctx, a.c.DiscoveryURL)
	}
	for _, sec := range ops {
		for _, name := range sortedNames(sec.Schemes) {
			s := sec.Schemes[name]
			switch {
			case s.Type == "oauth2" && s.TokenURL != "":
				return resolve(sec.ServerURL, s.TokenURL)
			case s.Type == "openIdConnect" && s.OpenIDConnectURL != "":
				u, err := resolve(sec.ServerURL, s.OpenIDConnectURL)
				if err != nil {
					return "", err
				}
				return a.discover(ctx, u)
			}
		}
	}
	return "", errors.New("no token endpoint: the description declares no oauth2 clientCredentials tokenUrl or openIdConnect scheme; set tokenUrl or discoveryUrl in the credential")
}

func (a *oauthAuth) discover(ctx context.Context, u string) (string, error) {
	m, err := oauth.Discover(ctx, a.opts.HTTPClient, u)
	if err != nil {
		return "", err
	}
	return m.TokenEndpoint, nil
}

func (a *oauthAuth) current() (*oauth.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client == nil {
		return nil, errors.New("not prepared: no operation told it which token endpoint and scopes to use")
	}
	return a.client, nil
}

func (a *oauthAuth) Authenticate(ctx context.Context, req *http.Request, sec runner.Security) ([]string, error) {
	c, err := a.current()
	if err != nil {
		return nil, err
	}
	if err := c.Authorize(ctx, req); err != nil {
		return nil, err
	}
	out := []string{strings.TrimPrefix(strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "), "DPoP ")}
	if p := req.Header.Get("DPoP"); p != "" {
		out = append(out, p)
	}
	return out, nil
}

func (a *oauthAuth) Retry(resp *http.Response) bool {
	c, err := a.current()
	return err == nil && c.Retry(resp)
}

// resolve makes a URL written in a description absolute against the server it describes.
func resolve(base, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", ref, err)
	}
	if r.IsAbs() {
		return ref, nil
	}
	b, err := url.Parse(base)
	if err != nil || !b.IsAbs() {
		return "", fmt.Errorf("the description's URL %q is relative and the server URL %q does not say to what; set tokenUrl", ref, base)
	}
	// An absolute path replaces the server's path; Okta writes /oauth2/v1/token for the org.
	return b.ResolveReference(r).String(), nil
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// missing reports whether want holds a scope have lacks.
func missing(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return true
		}
	}
	return false
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
