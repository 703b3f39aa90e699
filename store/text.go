package store

import (
	"strings"
	"unicode/utf8"
)

// PostgreSQL text cannot hold a NUL byte (which JSON carries as \u0000 in any string Okta, or anyone
// holding the hook secret, sends) nor invalid UTF-8 (which only a caller other than the JSON receiver can
// produce); such a value would fail the whole acknowledgement, and Okta would retry a delivery that can
// never be stored. So every string the store writes to a text column goes through text, which replaces
// NUL and invalid bytes with U+FFFD, on every database alike so that they all store the same thing.
// Event uuids never reach it changed: the receiver quarantines an event whose uuid is not clean text
// (see ValidUUID), so two distinct uuids never collapse into one.
func text(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// MaxUUIDLen caps an event uuid. Okta's are 36 characters; the cap leaves room for other producers'
// identifiers and keeps one hostile delivery from writing kilobyte keys into the unique index.
const MaxUUIDLen = 128

// ValidUUID reports why uuid cannot identify an event, or "" when it can: it must be non-empty, at most
// MaxUUIDLen bytes, valid UTF-8 without control characters. U+FFFD is refused too: it is what a JSON
// decoder makes of invalid bytes and lone surrogates, so two distinct broken uuids would arrive as the
// same string and one event would be lost as the other's duplicate.
func ValidUUID(uuid string) string {
	switch {
	case uuid == "":
		return "the event has no uuid"
	case len(uuid) > MaxUUIDLen:
		return "the event's uuid is longer than 128 bytes"
	case !utf8.ValidString(uuid) || strings.ContainsRune(uuid, utf8.RuneError):
		return "the event's uuid is not valid UTF-8"
	}
	for _, r := range uuid {
		if r < 0x20 || r == 0x7f {
			return "the event's uuid contains a control character"
		}
	}
	return ""
}
