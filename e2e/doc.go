// Package e2e holds trama's end-to-end tests: the seed workflows of the Okta Arazzo catalog run with the
// runner against the Okta emulator on loopback, with event hooks delivered to a real receiver, and
// `trama serve` run as a process that is killed and restarted. It has no code of its own.
package e2e
