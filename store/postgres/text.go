package postgres

import (
	"strings"
	"unicode/utf8"
)

// PostgreSQL text cannot hold a NUL byte (which JSON carries as \u0000 in any string Okta, or anyone
// holding the hook secret, sends) nor invalid UTF-8 (which only a caller other than the JSON receiver can
// produce). SQLite stores such strings as they are; here they would fail the whole acknowledgement, and
// Okta would retry a delivery that can never be stored. So every string trama writes to a text column,
// and every key it looks up, goes through pgText, which replaces NUL and invalid bytes with U+FFFD. Two
// uuids that differ only there share an event; real uuids never contain either.
func pgText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// pgTexts is pgText over a slice, copying only when something changes.
func pgTexts(ss []string) []string {
	for i, s := range ss {
		if pgText(s) != s {
			out := make([]string, len(ss))
			copy(out, ss[:i])
			for j := i; j < len(ss); j++ {
				out[j] = pgText(ss[j])
			}
			return out
		}
	}
	return ss
}
