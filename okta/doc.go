// Package okta holds the Okta domain types that trama's event-hook receiver and its Okta emulator share:
// the System Log event (LogEvent), the event-hook delivery envelope, and Okta's error object.
//
// Field names and JSON shapes follow what real Okta sends (see docs/emulator.md for the sources), not only
// what the OpenAPI description declares: for example `version` is the string "0" and `client.zone` is
// often the string "null".
package okta
