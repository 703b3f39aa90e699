package eventhook

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trama-dev/trama/okta"
)

const validBody = `{
  "name": "Factor hook",
  "description": "Sends factor activations to trama",
  "events": {"type": "EVENT_TYPE", "items": ["user.mfa.factor.activate"], "filter": null},
  "channel": {"type": "HTTP", "version": "1.0.0", "config": {
    "uri": "https://receiver.example/okta",
    "headers": [{"key": "X-Other-Header", "value": "my-header-value"}],
    "authScheme": {"type": "HEADER", "key": "Authorization", "value": "Basic c2VjcmV0"}}}
}`

func TestDecodeInput(t *testing.T) {
	in, err := DecodeInput([]byte(validBody))
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "Factor hook" || in.Channel.Config.AuthScheme.Value != "Basic c2VjcmV0" ||
		in.Channel.Config.Headers[0].Key != "X-Other-Header" || in.Events.Items[0] != "user.mfa.factor.activate" {
		t.Fatalf("DecodeInput = %+v", in)
	}
	if len(eligibleTypes) != 314 {
		t.Fatalf("%d eligible types, want the catalog's 314", len(eligibleTypes))
	}
}

func TestDecodeInputErrors(t *testing.T) {
	set := func(path string, value any) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(validBody), &m); err != nil {
			t.Fatal(err)
		}
		keys := strings.Split(path, ".")
		cur := m
		for _, k := range keys[:len(keys)-1] {
			cur = cur[k].(map[string]any)
		}
		cur[keys[len(keys)-1]] = value
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name  string
		body  string
		code  string
		field string // the field in errorSummary
	}{
		{"not JSON", `{"name":`, "E0000003", ""},
		{"two documents", validBody + validBody, "E0000003", ""},
		{"wrong type", `{"name": 5}`, "E0000003", ""},
		{"no name", set("name", ""), "E0000001", "name"},
		{"long name", set("name", strings.Repeat("n", 256)), "E0000001", "name"},
		{"events type", set("events.type", "EVENTS"), "E0000001", "events.type"},
		{"no items", set("events.items", []string{}), "E0000001", "events.items"},
		{"not eligible", set("events.items", []string{"system.sms.send_factor_verify_message"}), "E0000001", "events.items"},
		{"unknown type", set("events.items", []string{"user.mfa.factor.explode"}), "E0000001", "events.items"},
		{"filter not object", set("events.filter", "yes"), "E0000001", "events.filter"},
		{"channel type", set("channel.type", "SMTP"), "E0000001", "channel.type"},
		{"channel version", set("channel.version", "2.0.0"), "E0000001", "channel.version"},
		{"no uri", set("channel.config.uri", ""), "E0000001", "channel.config.uri"},
		{"http uri", set("channel.config.uri", "http://receiver.example/okta"), "E0000001", "channel.config.uri"},
		{"space in uri", set("channel.config.uri", "https://receiver.example/ok ta"), "E0000001", "channel.config.uri"},
		{"long uri", set("channel.config.uri", "https://receiver.example/"+strings.Repeat("a", 1000)), "E0000001", "channel.config.uri"},
		{"relative uri", set("channel.config.uri", "/okta"), "E0000001", "channel.config.uri"},
		{"reserved header", set("channel.config.headers", []Header{{"accept", "text/plain"}}), "E0000001", "channel.config.headers"},
		{"bad header name", set("channel.config.headers", []Header{{"X Bad", "v"}}), "E0000001", "channel.config.headers"},
		{"header value line break", set("channel.config.headers", []Header{{"X-Ok", "a\r\nInjected: yes"}}), "E0000001", "channel.config.headers"},
		{"auth type", set("channel.config.authScheme", map[string]string{"type": "BASIC", "key": "Authorization", "value": "x"}), "E0000001", "channel.config.authScheme.type"},
		{"auth key reserved", set("channel.config.authScheme", map[string]string{"type": "HEADER", "key": "Content-Type", "value": "x"}), "E0000001", "channel.config.authScheme.key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeInput([]byte(tt.body))
			var oe *okta.Error
			if !errors.As(err, &oe) {
				t.Fatalf("DecodeInput error = %v, want *okta.Error", err)
			}
			if oe.ErrorCode != tt.code {
				t.Fatalf("code = %s (%v), want %s", oe.ErrorCode, oe, tt.code)
			}
			if tt.field != "" && (oe.ErrorSummary != "Api validation failed: "+tt.field || len(oe.ErrorCauses) == 0) {
				t.Fatalf("error = %v, want summary naming %s and causes", oe, tt.field)
			}
			if strings.Contains(oe.Error(), "c2VjcmV0") {
				t.Fatalf("error leaks the auth value: %v", oe)
			}
		})
	}
}

func TestDecodeInputLoopbackHTTP(t *testing.T) {
	for _, uri := range []string{"http://127.0.0.1:8081/hook", "http://localhost/hook", "http://[::1]:9/hook"} {
		body := strings.Replace(validBody, "https://receiver.example/okta", uri, 1)
		if _, err := DecodeInput([]byte(body)); err != nil {
			t.Errorf("loopback %s refused: %v", uri, err)
		}
	}
}

func FuzzDecodeInput(f *testing.F) {
	f.Add([]byte(validBody))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name":"x","events":{"type":"EVENT_TYPE","items":["user.lifecycle.create"]},"channel":{"type":"HTTP","version":"1.0.0","config":{"uri":"https://a.example"}}}`))
	f.Add([]byte(`{"channel":{"config":{"uri":"http://[::1"}}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeInput(body)
		if err != nil {
			var oe *okta.Error
			if !errors.As(err, &oe) || (oe.ErrorCode != "E0000001" && oe.ErrorCode != "E0000003") {
				t.Fatalf("DecodeInput error = %v, want E0000001 or E0000003", err)
			}
			return
		}
		// What DecodeInput accepts, a Hook renders and encodes without leaking the auth value.
		h := Hook{ID: "whoFuzz", Status: StatusActive, VerificationStatus: Unverified, Name: in.Name,
			Events: cloneEvents(in.Events), Channel: cloneChannel(in.Channel)}
		m := h.Render("https://org.example")
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("Render of accepted input does not encode: %v", err)
		}
		config := m["channel"].(map[string]any)["config"].(map[string]any)
		if a, ok := config["authScheme"].(map[string]any); ok {
			if _, leaked := a["value"]; leaked {
				t.Fatalf("Render returns the auth value: %v", a)
			}
		}
	})
}
