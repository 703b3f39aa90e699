// Package secret keeps tokens, passwords and hook secrets out of everything trama writes: logs, run
// history, HAR and JUnit reports, and error text.
//
// Two mechanisms work together. A Set holds the secret values trama knows about (the API token, the hook
// secret, inputs declared secret) and replaces every occurrence of them in text. Name-based rules
// (IsSecretName, RedactHeader, RedactJSON) mask values whose field or header name says they are secret,
// which catches tokens trama has never seen, such as an access token returned by an API.
package secret
