// Package credential holds the credentials trama authenticates with outside any workflow document, one
// per source description (`trama run --credentials`) or per connection (`trama serve`), and turns each
// into a runner.Authenticator: API keys, HTTP Basic and Bearer, Okta API tokens, and OAuth 2.0 service
// apps (client credentials with private_key_jwt or a secret, DPoP-bound tokens).
package credential

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trama-dev/trama/oauth"
)

// Types of credential.
const (
	// TypeOkta is an Okta org: an OAuth 2.0 service app (client id and private key) or an API token.
	TypeOkta = "okta"
	// TypeOAuth2 is any OAuth 2.0 authorization server, client credentials grant.
	TypeOAuth2 = "oauth2"
	// TypeAPIKey is the value of the description's apiKey scheme.
	TypeAPIKey = "apiKey"
	// TypeBasic is HTTP Basic authentication.
	TypeBasic = "basic"
	// TypeBearer is a fixed bearer token.
	TypeBearer = "bearer"
)

// Types lists the credential types, for messages.
var Types = []string{TypeOkta, TypeOAuth2, TypeAPIKey, TypeBasic, TypeBearer}

// Credential is how trama authenticates to one API. Type says which fields apply; Validate checks them.
// Secret fields (Token, ClientSecret, Value, Password, the private key) are never printed.
type Credential struct {
	Type string

	// OrgURL is an Okta org's URL (TypeOkta): its token endpoint is OrgURL/oauth2/v1/token, and the
	// scopes a workflow needs come from Okta's table of the management API's scopes.
	OrgURL string
	// Token is an Okta API token (TypeOkta without a ClientID), sent as "SSWS <token>", or a bearer
	// token (TypeBearer).
	Token string

	// TokenURL is the token endpoint (TypeOAuth2). Default: the clientCredentials tokenUrl of the
	// description's oauth2 scheme, or the one DiscoveryURL publishes.
	TokenURL string
	// DiscoveryURL is an OpenID Connect discovery URL or issuer (TypeOAuth2). Default: the
	// description's openIdConnect scheme.
	DiscoveryURL string
	// ClientID is the OAuth 2.0 client id (TypeOkta service app, TypeOAuth2).
	ClientID string
	// Key signs private_key_jwt client assertions. Okta's service apps require it.
	Key *oauth.Key
	// ClientSecret authenticates the client when there is no Key (TypeOAuth2).
	ClientSecret string
	// Scopes are asked for; by default, what the operations a run calls require.
	Scopes []string
	// DPoP chooses DPoP-bound tokens: oauth.DPoPAuto (the default) follows what the server asks.
	DPoP oauth.DPoPMode

	// Value is an API key (TypeAPIKey), sent where the description's apiKey scheme says, or in Header.
	Value string
	// Header is where an API key goes when the description declares no apiKey scheme.
	Header string

	// Username and Password are HTTP Basic credentials (TypeBasic).
	Username string
	Password string
}

// Validate checks that the fields the type needs are set and that no field of another type is.
func (c *Credential) Validate() error {
	var missing []string
	need := func(v, name string) {
		if v == "" {
			missing = append(missing, name)
		}
	}
	var allowed []string
	switch c.Type {
	case TypeOkta:
		need(c.OrgURL, "orgUrl")
		switch {
		case c.Token != "" && c.ClientID != "":
			return errors.New("an okta credential has either token (an API token) or clientId (a service app), not both")
		case c.Token == "" && c.ClientID == "":
			return errors.New("an okta credential needs clientId and privateKey (an OAuth 2.0 service app, what Okta recommends) or token (an API token)")
		case c.ClientID != "" && c.Key == nil:
			return errors.New("an Okta service app authenticates with a private key (private_key_jwt): set privateKey")
		}
		allowed = []string{"orgUrl", "token", "clientId", "privateKey", "keyId", "scopes", "dpop"}
	case TypeOAuth2:
		need(c.ClientID, "clientId")
		if c.Key == nil && c.ClientSecret == "" {
			missing = append(missing, "privateKey or clientSecret")
		}
		if c.Key != nil && c.ClientSecret != "" {
			return errors.New("an oauth2 credential has either privateKey or clientSecret, not both")
		}
		allowed = []string{"tokenUrl", "discoveryUrl", "clientId", "privateKey", "keyId", "clientSecret", "scopes", "dpop"}
	case TypeAPIKey:
		need(c.Value, "value")
		allowed = []string{"value", "header"}
	case TypeBasic:
		need(c.Username, "username")
		allowed = []string{"username", "password"}
	case TypeBearer:
		need(c.Token, "token")
		allowed = []string{"token"}
	case "":
		return fmt.Errorf("the credential has no type: set type (%s)", strings.Join(Types, ", "))
	default:
		return fmt.Errorf("type %q is not a credential type (%s)", c.Type, strings.Join(Types, ", "))
	}
	if len(missing) > 0 {
		return fmt.Errorf("a %s credential needs %s", c.Type, strings.Join(missing, ", "))
	}
	for _, f := range c.setFields() {
		if !slices.Contains(allowed, f) {
			return fmt.Errorf("%s does not apply to a %s credential (it takes %s)", f, c.Type, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// setFields names the fields that hold a value.
func (c *Credential) setFields() []string {
	var out []string
	for name, set := range map[string]bool{
		"orgUrl": c.OrgURL != "", "token": c.Token != "", "tokenUrl": c.TokenURL != "", "discoveryUrl": c.DiscoveryURL != "",
		"clientId": c.ClientID != "", "privateKey": c.Key != nil, "clientSecret": c.ClientSecret != "",
		"scopes": len(c.Scopes) > 0, "dpop": c.DPoP != oauth.DPoPAuto, "value": c.Value != "", "header": c.Header != "",
		"username": c.Username != "", "password": c.Password != "",
	} {
		if set {
			out = append(out, name)
		}
	}
	return out
}

// InferType returns the type the set fields imply, for a credential written without one: orgUrl means
// okta, tokenUrl, discoveryUrl or clientId oauth2, value apiKey, username basic, token bearer.
func InferType(fields []string) string {
	switch {
	case slices.Contains(fields, "orgUrl"):
		return TypeOkta
	case slices.Contains(fields, "tokenUrl"), slices.Contains(fields, "discoveryUrl"), slices.Contains(fields, "clientId"):
		return TypeOAuth2
	case slices.Contains(fields, "value"):
		return TypeAPIKey
	case slices.Contains(fields, "username"):
		return TypeBasic
	case slices.Contains(fields, "token"):
		return TypeBearer
	}
	return ""
}

// Secrets returns the credential's secret values, for masking.
func (c *Credential) Secrets() []string {
	var out []string
	for _, s := range []string{c.Token, c.ClientSecret, c.Value, c.Password} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
