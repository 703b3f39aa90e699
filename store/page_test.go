package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trama-dev/trama/store"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, key := range []string{"1", "01a20221-2604-780c-8274-fec918cc401f", "9223372036854775807", "a:b:c"} {
		c := store.EncodeCursor("runs", key)
		got, err := store.DecodeCursor("runs", c)
		if err != nil || got != key {
			t.Errorf("DecodeCursor(EncodeCursor(%q)) = %q, %v", key, got, err)
		}
		if strings.ContainsAny(c, "+/=&?# ") {
			t.Errorf("cursor %q is not safe in a URL query", c)
		}
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	tests := []struct{ name, cursor string }{
		{"empty", ""},
		{"not base64", "%%%"},
		{"other listing", store.EncodeCursor("events", "12")},
		{"empty key", store.EncodeCursor("runs", "")},
		{"control character", store.EncodeCursor("runs", "a\x00b")},
		{"too long", store.EncodeCursor("runs", strings.Repeat("x", 300))},
		{"invalid utf-8", store.EncodeCursor("runs", "\xff\xfe")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if key, err := store.DecodeCursor("runs", tt.cursor); !errors.Is(err, store.ErrInvalidCursor) {
				t.Errorf("DecodeCursor(%q) = %q, %v; want ErrInvalidCursor", tt.cursor, key, err)
			}
		})
	}
}

func TestPageSize(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{0, store.DefaultPageSize}, {-3, store.DefaultPageSize},
		{7, 7}, {store.MaxPageSize + 1, store.MaxPageSize}} {
		if got := (store.Page{Limit: tt.limit}).Size(); got != tt.want {
			t.Errorf("Page{Limit: %d}.Size() = %d, want %d", tt.limit, got, tt.want)
		}
	}
}

// FuzzDecodeCursor: cursors come from API clients, so any string must decode or fail cleanly, and
// whatever decodes must re-encode to a cursor that decodes to the same key.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(store.EncodeCursor("runs", "01a20221-2604-780c-8274-fec918cc401f"))
	f.Add(store.EncodeCursor("events", "42"))
	f.Add("")
	f.Add("cnVuczo")
	f.Add("====")
	f.Fuzz(func(t *testing.T, cursor string) {
		key, err := store.DecodeCursor("runs", cursor)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidCursor) {
				t.Fatalf("DecodeCursor(%q) error %v is not ErrInvalidCursor", cursor, err)
			}
			return
		}
		again, err := store.DecodeCursor("runs", store.EncodeCursor("runs", key))
		if err != nil || again != key {
			t.Fatalf("key %q does not round-trip: %q, %v", key, again, err)
		}
	})
}
