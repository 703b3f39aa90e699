// Package eventhook is the event-hook side of trama's Okta emulator: the registry behind
// /api/v1/eventHooks (create, replace, lifecycle, the one-time verification GET) and the delivery of
// System Log events to ACTIVE and VERIFIED hooks as Okta does it — batched CloudEvents envelopes, the
// configured auth header and headers, a 3 s timeout and one retry on a timeout or a 5xx response.
//
// The package does no HTTP routing. A hook's events.filter is evaluated as Okta documents event hook
// filters: an Okta Expression Language condition per event type, of the forms Okta's documentation
// shows (expr.go); anything else is refused when the hook is created or replaced.
package eventhook
