package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Metadata is what an authorization server publishes about itself (RFC 8414; OpenID Connect Discovery).
type Metadata struct {
	Issuer        string   `json:"issuer"`
	TokenEndpoint string   `json:"token_endpoint"`
	JWKSURI       string   `json:"jwks_uri"`
	Grants        []string `json:"grant_types_supported"`
	AuthMethods   []string `json:"token_endpoint_auth_methods_supported"`
	DPoPAlgs      []string `json:"dpop_signing_alg_values_supported"`
}

// Discover reads the metadata at a discovery URL (an OpenAPI openIdConnect scheme's
// openIdConnectUrl, …/.well-known/openid-configuration) or, given an issuer, at its
// /.well-known/openid-configuration. client nil means a client with a 10 s timeout.
func Discover(ctx context.Context, client *http.Client, location string) (*Metadata, error) {
	u, err := url.Parse(location)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("discovery: %q is not an http(s) URL", location)
	}
	if !strings.Contains(u.Path, "/.well-known/") {
		u.Path = strings.TrimRight(u.Path, "/") + "/.well-known/openid-configuration"
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("discovery: GET %s: %s", u, resp.Status)
	}
	var m Metadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTokenResponse)).Decode(&m); err != nil {
		return nil, fmt.Errorf("discovery: GET %s: not JSON metadata: %w", u, err)
	}
	if m.TokenEndpoint == "" {
		return nil, fmt.Errorf("discovery: %s names no token_endpoint", u)
	}
	return &m, nil
}
