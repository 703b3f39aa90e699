// Package systemlog is the in-memory System Log of trama's Okta emulator: it stores LogEvents in the
// order they were persisted and answers GET /api/v1/logs queries with Okta's semantics — polling and
// bounded requests, opaque `after` cursors, SCIM filters, keyword search and Okta's error codes.
//
// The package does no HTTP routing; the emulator turns a Page into a JSON array and `link` headers.
package systemlog
