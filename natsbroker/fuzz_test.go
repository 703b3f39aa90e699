package natsbroker

import (
	"encoding/json"
	"testing"

	"github.com/nats-io/nats.go"
)

// FuzzDecode: whatever bytes and content type a broker delivers, decoding gives a message and never
// panics; a JSON payload is kept as JSON (its numbers exact), anything else as text.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"orderId":"o-42","status":"confirmed","total":12.50}`), "application/json")
	f.Add([]byte(`[1, 2, 3]`), "")
	f.Add([]byte("plain text"), "text/plain")
	f.Add([]byte{0xff, 0xfe, 0x00}, "")
	f.Add([]byte(`{"a":`), "application/json")
	f.Add([]byte(`{} {}`), "application/vnd.api+json")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		h := nats.Header{}
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		m := decode(data, h, "1")
		if len(data) == 0 {
			if m.Payload != nil {
				t.Fatalf("an empty message has payload %#v", m.Payload)
			}
			return
		}
		if s, ok := m.Payload.(string); ok {
			if s != string(data) {
				t.Fatalf("a text payload changed: %q → %q", data, s)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q is not JSON but decoded to %#v", data, m.Payload)
		}
	})
}
