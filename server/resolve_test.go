package server

import (
	"strings"
	"testing"
)

func TestDecodeResolve(t *testing.T) {
	for body, want := range map[string]string{
		`{"action":"resend","reason":"checked"}`: "",
		`{"action":"skip","by":"ann"}`:           "",
		`{"action":"maybe"}`:                     "action",
		`{"action":"fail","extra":1}`:            "unknown field",
		`{"action":"fail"}{"action":"fail"}`:     "one JSON object",
		`[]`:                                     "JSON object",
		``:                                       "JSON object",
	} {
		req, err := decodeResolve(strings.NewReader(body))
		switch {
		case want == "" && err != nil:
			t.Errorf("decodeResolve(%s): %v", body, err)
		case want == "" && req.By == "":
			t.Errorf("decodeResolve(%s) has no By", body)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("decodeResolve(%s) = %v, want an error about %s", body, err, want)
		}
	}
}

// FuzzDecodeResolve: any body decodes to a valid request or a clear error, never a panic.
func FuzzDecodeResolve(f *testing.F) {
	f.Add(`{"action":"resend","reason":"r","by":"b"}`)
	f.Add(`{"action":"skip"} `)
	f.Add(`{"action":`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := decodeResolve(strings.NewReader(body))
		if err == nil && (req.By == "" || (req.Action != "resend" && req.Action != "skip" && req.Action != "fail")) {
			t.Fatalf("decodeResolve(%q) accepted %+v", body, req)
		}
	})
}
