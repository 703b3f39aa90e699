package secret

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestIsSecretName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"token", true},
		{"Token", true},
		{"access_token", true},
		{"refreshToken", true},
		{"X-Auth-Token", true},
		{"id_token", true},
		{"token_type", false},
		{"tokenUrl", false},
		{"token_endpoint", false},
		{"password", true},
		{"newPassword", true},
		{"password_hash", true},
		{"passwd", true},
		{"client_secret", true},
		{"hookSecret", true},
		{"SECRET_KEY", true},
		{"api_key", true},
		{"api-key", true},
		{"apikey", true},
		{"APIKey", true},
		{"x-api-key", true},
		{"X-API-KEY", true},
		{"apiKeyId", true},
		{"key", true},
		{"signingKey", true},
		{"publicKey", false},
		{"public_key", false},
		{"keyId", false},
		{"kid", false},
		{"monkey", false},
		{"keyboard", false},
		{"credentials", true},
		{"Authorization", true},
		{"Proxy-Authorization", true},
		{"Cookie", true},
		{"Set-Cookie", true},
		{"basicAuth", true},
		{"author", false},
		{"authorName", false},
		{"sessionId", true},
		{"secretary", false},
		{"login", false},
		{"email", false},
		{"status", false},
		{"", false},
		{"---", false},
	}
	for _, tt := range tests {
		if got := IsSecretName(tt.name); got != tt.want {
			t.Errorf("IsSecretName(%q) = %v, want %v (words %q)", tt.name, got, tt.want, splitWords(tt.name))
		}
	}
}

func TestSetRedact(t *testing.T) {
	var s Set
	s.Add("00abcSECRETtoken", "abc", "", "SECRET")
	tests := []struct{ in, want string }{
		{"Authorization: SSWS 00abcSECRETtoken", "Authorization: SSWS ****"},
		{"SECRET and 00abcSECRETtoken", "**** and ****"}, // longest first: no "00abc" fragment
		{"abc is too short to be a secret", "abc is too short to be a secret"},
		{"nothing here", "nothing here"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := s.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(s.RedactBytes([]byte(tt.in))); got != tt.want {
			t.Errorf("RedactBytes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSetRedactEncodedForms(t *testing.T) {
	var s Set
	secret := `p&ss "w<rd"/+`
	s.Add(secret)
	body, _ := json.Marshal(map[string]string{"note": secret})
	if got := s.Redact(string(body)); strings.Contains(got, "w<rd") || strings.Contains(got, `w\u003crd`) {
		t.Errorf("JSON-escaped secret survived: %s", got)
	}
	q := "https://x.test/?q=p%26ss+%22w%3Crd%22%2F%2B"
	if got := s.Redact(q); strings.Contains(got, "p%26ss") {
		t.Errorf("query-escaped secret survived: %s", got)
	}
}

func TestNilAndZeroSet(t *testing.T) {
	var nilSet *Set
	if got := nilSet.Redact("token"); got != "token" {
		t.Errorf("nil Set changed text: %q", got)
	}
	if nilSet.Len() != 0 {
		t.Error("nil Set has values")
	}
	var zero Set
	b := []byte("abcd")
	if got := zero.RedactBytes(b); &got[0] != &b[0] {
		t.Error("empty Set copied bytes")
	}
}

func TestSetConcurrent(t *testing.T) {
	var s Set
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s.Add(strings.Repeat(string(rune('a'+i)), 5))
		}()
		go func() {
			defer wg.Done()
			_ = s.Redact("aaaaa bbbbb ccccc")
		}()
	}
	wg.Wait()
	if got := s.Redact("aaaaa hhhhh"); got != "**** ****" {
		t.Errorf("after concurrent Add: %q", got)
	}
}

func TestRedactHeader(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"Authorization", "SSWS 00abc", "SSWS ****"},
		{"authorization", "Bearer eyJhbGciOi.x.y", "Bearer ****"},
		{"Authorization", "Basic dXNlcjpwYXNz", "Basic ****"},
		{"Authorization", "00abcnoscheme", Mask},
		{"Authorization", "", Mask},
		{"Proxy-Authorization", "Basic abc", "Basic ****"},
		{"Cookie", "sid=abc123; xsrf=def", "sid=****; xsrf=****"},
		{"Set-Cookie", "sid=abc123; Path=/; HttpOnly", "sid=****; Path=/; HttpOnly"},
		{"X-Api-Key", "k-123", Mask},
		{"DPoP", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig", Mask},
		{"X-Trama-Hook-Secret", "s3cr3t", Mask},
		{"Content-Type", "application/json", "application/json"},
		{"X-Okta-Verification-Challenge", "abc", "abc"},
	}
	for _, tt := range tests {
		if got := RedactHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("RedactHeader(%q, %q) = %q, want %q", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestRedactHeaders(t *testing.T) {
	h := http.Header{"Authorization": {"SSWS tok"}, "Accept": {"application/json"}}
	got := RedactHeaders(h)
	if h.Get("Authorization") != "SSWS tok" {
		t.Error("RedactHeaders modified its input")
	}
	want := http.Header{"Authorization": {"SSWS ****"}, "Accept": {"application/json"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RedactHeaders = %v, want %v", got, want)
	}
	if RedactHeaders(nil) != nil {
		t.Error("RedactHeaders(nil) != nil")
	}
}

func TestRedactJSON(t *testing.T) {
	var s Set
	s.Add("leaked-value-123")
	in := map[string]any{
		"profile": map[string]any{"login": "ann@example.com", "note": "see leaked-value-123"},
		"credentials": map[string]any{
			"password": map[string]any{"value": "hunter22"},
		},
		"access_token": "eyJ",
		"token_type":   "Bearer",
		"empty_secret": nil,
		"list":         []any{"leaked-value-123", json.Number("12345678901234567890"), true},
		"typed":        map[string]string{"apiKey": "zzzz"},
		"authScheme":   map[string]any{"type": "HEADER", "key": "Authorization", "value": "hook-secret"},
		"headers": []any{
			map[string]any{"key": "X-Trace", "value": "t-1"},
			map[string]any{"name": "X-Api-Key", "value": "k-1"},
		},
	}
	got := RedactJSON(in, &s)
	want := map[string]any{
		"profile":      map[string]any{"login": "ann@example.com", "note": "see ****"},
		"credentials":  Mask,
		"access_token": Mask,
		"token_type":   "Bearer",
		"empty_secret": nil,
		"list":         []any{"****", json.Number("12345678901234567890"), true},
		"typed":        map[string]any{"apiKey": Mask},
		"authScheme":   map[string]any{"type": "HEADER", "key": "Authorization", "value": Mask},
		"headers": []any{
			map[string]any{"key": "X-Trace", "value": "t-1"},
			map[string]any{"name": "X-Api-Key", "value": Mask},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RedactJSON =\n%#v\nwant\n%#v", got, want)
	}
	if in["access_token"] != "eyJ" {
		t.Error("RedactJSON modified its input")
	}

	type creds struct {
		User     string `json:"user"`
		Password string `json:"password"`
		Count    int64  `json:"count"`
	}
	got = RedactJSON(creds{"ann", "pw", 9007199254740993}, nil)
	want2 := map[string]any{"user": "ann", "password": Mask, "count": json.Number("9007199254740993")}
	if !reflect.DeepEqual(got, want2) {
		t.Errorf("RedactJSON(struct) = %#v, want %#v", got, want2)
	}
	if got := RedactJSON(func() {}, nil); got != Mask {
		t.Errorf("RedactJSON(func) = %#v, want Mask", got)
	}
}

func FuzzRedactHeader(f *testing.F) {
	f.Add("Authorization", "SSWS abc")
	f.Add("Cookie", "a=b; c")
	f.Add("Set-Cookie", "=;;=")
	f.Add("x-api-key", "")
	f.Add("Cookie", "  0=")
	f.Fuzz(func(t *testing.T, name, value string) {
		got := RedactHeader(name, value)
		// What RedactHeader promises, kind by kind: no credential, cookie value or secret header value of
		// MinLen bytes or more survives; names, schemes and cookie attributes may.
		switch textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)) {
		case "Authorization", "Proxy-Authorization":
			if got != Mask && !strings.HasSuffix(got, " "+Mask) {
				t.Errorf("RedactHeader(%q, %q) = %q: want %q or a scheme and %q", name, value, got, Mask, Mask)
			}
		case "Cookie", "Set-Cookie":
			for i, pair := range strings.Split(value, ";") {
				if i > 0 && strings.EqualFold(textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)), "Set-Cookie") {
					break // attributes, kept
				}
				_, v, found := strings.Cut(pair, "=")
				if !found {
					v = pair
				}
				if len(strings.TrimSpace(v)) >= MinLen && !strings.Contains(v, "*") && strings.Contains(got, v) {
					t.Errorf("RedactHeader(%q, %q) = %q kept the cookie value %q", name, value, got, v)
				}
			}
		default:
			if IsSecretName(name) && got != Mask {
				t.Errorf("RedactHeader(%q, %q) = %q, want %q", name, value, got, Mask)
			}
			if !IsSecretName(name) && got != value {
				t.Errorf("RedactHeader(%q, %q) = %q changed a header that is not secret", name, value, got)
			}
		}
	})
}

func FuzzSetRedact(f *testing.F) {
	f.Add("secret-value", "prefix secret-value suffix")
	f.Add("ab\"cd", `{"x":"ab\"cd"}`)
	f.Fuzz(func(t *testing.T, secret, text string) {
		var s Set
		s.Add(secret)
		got := s.Redact(text)
		if len(secret) >= MinLen && !strings.Contains(Mask, secret) && !strings.Contains(secret, "*") &&
			strings.Contains(got, secret) {
			t.Errorf("secret %q survived in %q", secret, got)
		}
	})
}

func BenchmarkSetRedact(b *testing.B) {
	var s Set
	for i := range 20 {
		s.Add(strings.Repeat(string(rune('A'+i)), 32))
	}
	text := strings.Repeat(`{"id":"00u1abcd","status":"ACTIVE","profile":{"login":"ann@example.com"}},`, 200)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		_ = s.Redact(text)
	}
}
