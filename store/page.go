package store

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultPageSize is the page size when Page.Limit is zero: enough for a terminal screen or an API
// page, small enough to answer in a few milliseconds.
const DefaultPageSize = 50

// MaxPageSize caps Page.Limit so one request cannot make the store read a whole table.
const MaxPageSize = 500

// Page selects one page of a listing. Listings are newest first and use keyset pagination, so a page
// stays correct while new rows arrive.
type Page struct {
	// Limit is the page size; 0 means DefaultPageSize, larger than MaxPageSize means MaxPageSize.
	Limit int
	// After is the cursor returned with the previous page; empty for the first page.
	After string
}

// Size is the effective page size.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxPageSize:
		return MaxPageSize
	default:
		return p.Limit
	}
}

// maxCursorKey bounds the key inside a cursor: keys are ids and sequence numbers, far shorter.
const maxCursorKey = 256

// EncodeCursor returns the opaque cursor that resumes the listing named listing after the row with the
// given key. Drivers use it so that cursors look the same whatever the database.
func EncodeCursor(listing, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(listing + ":" + key))
}

// DecodeCursor returns the key inside a cursor made by EncodeCursor for the same listing. A cursor from
// another listing, or one that was edited, is rejected with ErrInvalidCursor rather than silently
// restarting the listing.
func DecodeCursor(listing, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", fmt.Errorf("%w %q for %s: %v", ErrInvalidCursor, clip(cursor), listing, err)
	}
	s := string(raw)
	key, ok := strings.CutPrefix(s, listing+":")
	if !ok || key == "" || len(key) > maxCursorKey || !utf8.ValidString(key) {
		return "", fmt.Errorf("%w %q for %s", ErrInvalidCursor, clip(cursor), listing)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%w %q for %s: control character", ErrInvalidCursor, clip(cursor), listing)
		}
	}
	return key, nil
}

// clip keeps error messages short when a client sends a huge cursor.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
