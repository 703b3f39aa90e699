package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DPoPMode says whether a Client binds its tokens to a key with DPoP.
type DPoPMode int

const (
	// DPoPAuto asks without DPoP and switches to it when the server answers that the client requires it
	// (invalid_dpop_proof), as Okta's own SDKs do; the zero value.
	DPoPAuto DPoPMode = iota
	// DPoPAlways sends a proof with every token request, so every token is DPoP-bound.
	DPoPAlways
	// DPoPNever never sends a proof.
	DPoPNever
)

// DefaultRenewBefore is how long before its expiry a cached token is replaced: long enough that a
// request sent with it does not arrive after it expired.
const DefaultRenewBefore = time.Minute

// maxTokenResponse bounds what is read of a token endpoint's answer.
const maxTokenResponse = 1 << 20

// Client gets access tokens with the client credentials grant and applies them to requests. Set the
// fields before first use; its methods are safe for concurrent use.
type Client struct {
	// TokenURL is the token endpoint, for an Okta org https://example.okta.com/oauth2/v1/token.
	TokenURL string
	// ClientID is the app's client id.
	ClientID string
	// Key signs a private_key_jwt client assertion for each token request. When nil, ClientSecret is sent
	// with HTTP Basic authentication (client_secret_basic).
	Key *Key
	// ClientSecret authenticates the client when Key is nil. Okta's service apps for its management API
	// accept only private_key_jwt.
	ClientSecret string
	// Scopes are asked for in each token request, space-separated. Empty sends no scope parameter.
	Scopes []string
	// DPoP chooses whether tokens are DPoP-bound; DPoPAuto by default.
	DPoP DPoPMode
	// HTTPClient sends token requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock for assertions, proofs and expiry; nil means time.Now.
	Now func() time.Time
	// RenewBefore is how long before expiry a token is renewed; 0 means DefaultRenewBefore.
	RenewBefore time.Duration

	mu      sync.Mutex
	token   *Token
	dpop    *dpopKey
	useDPoP bool
	nonces  map[string]string // the latest DPoP-Nonce by origin: token endpoint and resource servers keep their own
}

// Token is an access token.
type Token struct {
	// Type is "Bearer" or "DPoP".
	Type string
	// Value is the access token itself: a secret.
	Value string
	// Expiry is when the server said it expires.
	Expiry time.Time
	// Scopes are the scopes the server granted.
	Scopes []string
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Token returns a cached token, or asks the token endpoint for one when there is none or it expires
// within RenewBefore.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	renew := c.RenewBefore
	if renew <= 0 {
		renew = DefaultRenewBefore
	}
	if c.token != nil && c.now().Add(renew).Before(c.token.Expiry) {
		return c.token, nil
	}
	if c.DPoP == DPoPAlways && !c.useDPoP {
		c.useDPoP = true
	}
	// A nonce challenge and a switch to DPoP each cost one more round trip; more means the server and
	// the client disagree, and asking again will not help.
	var last error
	for range 4 {
		t, retry, err := c.request(ctx)
		if err == nil {
			c.token = t
			return t, nil
		}
		last = err
		if !retry {
			break
		}
	}
	return nil, last
}

// request sends one token request; c.mu is held. retry says that the error was a challenge the next
// request answers.
func (c *Client) request(ctx context.Context) (*Token, bool, error) {
	if c.TokenURL == "" || c.ClientID == "" {
		return nil, false, errors.New("oauth client: TokenURL and ClientID are required")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	now := c.now()
	if c.Key != nil {
		a, err := c.Key.assertion(c.ClientID, c.TokenURL, now)
		if err != nil {
			return nil, false, err
		}
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", a)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, false, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.Key == nil {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	if c.useDPoP {
		if c.dpop == nil {
			if c.dpop, err = newDPoPKey(); err != nil {
				return nil, false, err
			}
		}
		p, err := c.dpop.proof(http.MethodPost, c.TokenURL, c.nonces[origin(req.URL)], "", now)
		if err != nil {
			return nil, false, err
		}
		req.Header.Set("DPoP", p)
	}
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		// The transport's error names the URL, never the form.
		return nil, false, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, false, fmt.Errorf("token request to %s: reading the response: %w", c.TokenURL, err)
	}
	c.rememberNonce(resp)
	if resp.StatusCode != http.StatusOK {
		e := &Error{TokenURL: c.TokenURL, Status: resp.StatusCode, Scopes: c.Scopes}
		var eb struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(body, &eb) == nil {
			e.Code, e.Description = eb.Error, eb.Description
		}
		switch {
		case e.Code == "use_dpop_nonce" && resp.Header.Get("DPoP-Nonce") != "":
			return nil, true, e
		case e.Code == "invalid_dpop_proof" && !c.useDPoP && c.DPoP == DPoPAuto:
			c.useDPoP = true
			return nil, true, e
		}
		return nil, false, e
	}
	var tr struct {
		TokenType   string `json:"token_type"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Scope       string `json:"scope"`
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" || json.Unmarshal(body, &tr) != nil || tr.AccessToken == "" {
		return nil, false, fmt.Errorf("token request to %s: 200 without a JSON access token (Content-Type %q)", c.TokenURL, resp.Header.Get("Content-Type"))
	}
	t := &Token{Type: tr.TokenType, Value: tr.AccessToken, Scopes: strings.Fields(tr.Scope)}
	switch {
	case strings.EqualFold(t.Type, "DPoP") && c.useDPoP:
		t.Type = "DPoP"
	case strings.EqualFold(t.Type, "Bearer"):
		t.Type = "Bearer"
	default:
		return nil, false, fmt.Errorf("token request to %s: token_type %q, want Bearer or DPoP", c.TokenURL, tr.TokenType)
	}
	if tr.ExpiresIn <= 0 {
		tr.ExpiresIn = 3600 // RFC 6749 makes expires_in optional; Okta always sends 3600
	}
	t.Expiry = now.Add(time.Duration(tr.ExpiresIn) * time.Second)
	return t, false, nil
}

// Authorize sets req's Authorization header with a token, and for a DPoP-bound token its DPoP proof.
// Call it again on the same request after Retry said yes.
func (c *Client) Authorize(ctx context.Context, req *http.Request) error {
	t, err := c.Token(ctx)
	if err != nil {
		return err
	}
	if t.Type != "DPoP" {
		req.Header.Set("Authorization", "Bearer "+t.Value)
		req.Header.Del("DPoP")
		return nil
	}
	c.mu.Lock()
	nonce, key := c.nonces[origin(req.URL)], c.dpop
	c.mu.Unlock()
	p, err := key.proof(req.Method, req.URL.String(), nonce, t.Value, c.now())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "DPoP "+t.Value)
	req.Header.Set("DPoP", p)
	return nil
}

// Retry reads a response to a request Authorize prepared: it keeps any DPoP nonce the server sent, and
// reports whether the request is worth sending once more, re-authorized: the server asked for a DPoP
// nonce (use_dpop_nonce), or refused the token as invalid or expired, which drops it from the cache.
// A 401 means the server did not act on the request, so sending it again is safe.
func (c *Client) Retry(resp *http.Response) bool {
	c.mu.Lock()
	c.rememberNonce(resp)
	c.mu.Unlock()
	if resp.StatusCode != http.StatusUnauthorized {
		return false
	}
	cs := Challenges(resp.Header)
	if _, ok := Find(cs, "use_dpop_nonce"); ok && resp.Header.Get("DPoP-Nonce") != "" {
		return true
	}
	if _, ok := Find(cs, "invalid_token"); ok {
		c.mu.Lock()
		c.token = nil
		c.mu.Unlock()
		return true
	}
	return false
}

// rememberNonce keeps the DPoP-Nonce a response carries, for the next proof to the same origin. c.mu
// must be held.
func (c *Client) rememberNonce(resp *http.Response) {
	n := resp.Header.Get("DPoP-Nonce")
	if n == "" || resp.Request == nil || resp.Request.URL == nil {
		return
	}
	if c.nonces == nil {
		c.nonces = map[string]string{}
	}
	c.nonces[origin(resp.Request.URL)] = n
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }
