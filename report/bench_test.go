package report

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/secret"
)

func FuzzRedactBody(f *testing.F) {
	f.Add("application/json", []byte(`{"password":"hunter2-secret","a":[1,{"token":"x"}]}`), "hunter2-secret")
	f.Add("application/x-www-form-urlencoded", []byte("a=1&password=abcd&%zz=1"), "abcd")
	f.Add("text/plain; charset=utf-8", []byte("the secret is s3cr3t!"), "s3cr3t!")
	f.Add("application/octet-stream", []byte{0xff, 0xfe, 's', 'e', 'c', 'r'}, "secr")
	f.Add("application/vnd+json;;", []byte(`"str"`), "")
	f.Fuzz(func(t *testing.T, mimeType string, body []byte, known string) {
		var s secret.Set
		s.Add(known)
		text, encoding := redactBody(mimeType, body, &s)
		if encoding == "" && len(known) >= secret.MinLen && !strings.Contains(known, "*") &&
			strings.Contains(text, known) {
			t.Errorf("secret %q survived in %q", known, text)
		}
	})
}

func FuzzRedactURL(f *testing.F) {
	f.Add("https://u:pw@x.test/p?token=abc&b=%zz&api_key=1#frag")
	f.Add("::::")
	f.Add("http://[::1]:80/?=&&=")
	f.Fuzz(func(t *testing.T, raw string) {
		_ = secret.RedactURL(raw, nil)
		_ = queryString(raw, nil)
	})
}

func benchmarkHAR(n int) *HAR {
	var s secret.Set
	s.Add("00abcdefghijklmnopqrstuvwxyz0123456789ABCD")
	h := NewHAR("bench")
	h.Secrets = &s
	body := []byte(`[` + strings.Repeat(`{"id":"00u1abcd","status":"ACTIVE","profile":{"login":"ann@example.com","email":"ann@example.com"}},`, 50) + `{}]`)
	for i := range n {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("https://example.okta.com/api/v1/users?limit=50&after=%d", i), nil)
		req.Header.Set("Authorization", "SSWS 00abcdefghijklmnopqrstuvwxyz0123456789ABCD")
		resp := &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1",
			Header: http.Header{"Content-Type": {"application/json"}}}
		h.Add(Exchange{Start: time.Now(), Duration: time.Millisecond, Request: req, Response: resp, ResponseBody: body})
	}
	return h
}

// BenchmarkHARWriteTo measures writing a 100-entry log whose responses are 50-user JSON pages.
func BenchmarkHARWriteTo(b *testing.B) {
	h := benchmarkHAR(100)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJUnitWriteTo measures a report of 20 workflow runs of 10 steps each.
func BenchmarkJUnitWriteTo(b *testing.B) {
	j := &JUnit{}
	for i := range 20 {
		s := Suite{Name: fmt.Sprintf("wf%d", i), Inputs: map[string]any{"login": "ann@example.com", "token": "x"}}
		for k := range 10 {
			s.Steps = append(s.Steps, Case{Name: fmt.Sprintf("step%d", k), Status: Passed, Duration: time.Millisecond,
				Output: "GET /api/v1/users -> 200"})
		}
		j.Add(s)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := j.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
