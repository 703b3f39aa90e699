package oauth

import (
	"fmt"
	"strings"
)

// Error is a refused token request: the authorization server's OAuth error (RFC 6749 §5.2), or a
// response that was not one. It never holds a secret: the server's description is kept, the request's
// credentials are not.
type Error struct {
	TokenURL string
	// Status is the HTTP status of the response.
	Status int
	// Code and Description are the response's error and error_description.
	Code        string
	Description string
	// Scopes are the scopes the client asked for.
	Scopes []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token request to %s: %d", e.TokenURL, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString(" (" + hint + ")")
	}
	return b.String()
}

// hint says what usually fixes an error, in the terms of Okta's Admin Console.
func (e *Error) hint() string {
	switch e.Code {
	case "invalid_client":
		return "check the client id, and that the app's public keys include the one for this private key and its kid"
	case "invalid_scope":
		return fmt.Sprintf("asked for %s; grant the missing scopes to the app (Okta: Applications > the app > Okta API Scopes) or ask for fewer", strings.Join(e.Scopes, " "))
	case "unauthorized_client":
		return "the app may not use the client credentials grant: it must be an API service app"
	case "invalid_dpop_proof":
		return "the app requires DPoP-bound tokens: turn DPoP on, or off in the app's settings"
	}
	return ""
}
