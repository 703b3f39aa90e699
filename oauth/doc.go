// Package oauth gets OAuth 2.0 access tokens with the client credentials grant and applies them to
// requests: the way a service app calls an API, Okta's management API first of all.
//
// A Client authenticates to the token endpoint with a private key (private_key_jwt, RFC 7523: a signed
// assertion per token request) or a client secret, asks for the scopes it is given, caches the token and
// renews it a minute before it expires. With DPoP (RFC 9449) the token is bound to a key the Client
// generates; every request then carries a fresh proof signed with it, and the server's nonce
// challenges (use_dpop_nonce) are answered by retrying once with the nonce.
//
// Nothing secret leaves the package in an error: keys, assertions, client secrets, access tokens and
// proofs are never part of an error's text.
package oauth
