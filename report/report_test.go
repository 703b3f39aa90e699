package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/secret"
)

// canaries are secrets placed where trama must not write them; none may appear in a report.
var canaries = []string{
	"canary-auth-7f3a", "canary-cookie-19be", "canary-query-token-5d", "canary-query-apikey-8c",
	"canary-password-2e", "canary-set-cookie-a1", "canary-resp-token-c4", "canary-known-secret-66",
	"canary-input-0b", "canary-form-pw-3f",
}

func assertNoCanary(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range canaries {
		if strings.Contains(out, c) {
			t.Errorf("%s contains canary %q:\n%s", what, c, out)
		}
	}
}

// exchange makes a real request to an httptest server and records it as an Exchange.
func exchange(t *testing.T, srv *httptest.Server, method, path, contentType string, body []byte,
	header http.Header) Exchange {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Exchange{Start: start, Duration: time.Since(start), Request: req, RequestBody: body,
		Response: resp, ResponseBody: respBody, Comment: "createUser"}
}

func newServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "canary-set-cookie-a1", Path: "/", HttpOnly: true})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"00u1","access_token":"canary-resp-token-c4","token_type":"Bearer",`+
			`"note":"issued canary-known-secret-66","profile":{"login":"ann@example.com"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeHAR(t *testing.T, h *HAR) string {
	t.Helper()
	var buf bytes.Buffer
	n, err := h.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	return buf.String()
}

func TestHARRedactsCanaries(t *testing.T) {
	srv := newServer(t)
	var secrets secret.Set
	secrets.Add("canary-known-secret-66")
	h := NewHAR("1.2.3")
	h.Secrets = &secrets

	h.Add(exchange(t, srv, http.MethodPost, "/api/v1/users?activate=true&token=canary-query-token-5d&api_key=canary-query-apikey-8c",
		"application/json",
		[]byte(`{"profile":{"login":"ann@example.com"},"credentials":{"password":{"value":"canary-password-2e"}},"password":"canary-password-2e"}`),
		http.Header{
			"Authorization": {"SSWS canary-auth-7f3a"},
			"Cookie":        {"sid=canary-cookie-19be; theme=dark"},
			"Accept":        {"application/json"},
		}))
	h.Add(exchange(t, srv, http.MethodPost, "/oauth2/v1/token", "application/x-www-form-urlencoded",
		[]byte("grant_type=password&username=ann&password=canary-form-pw-3f"), nil))

	out := writeHAR(t, h)
	assertNoCanary(t, "HAR", out)
	// What is not secret survives, so the report stays useful.
	var doc harDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	first, second := doc.Log.Entries[0], doc.Log.Entries[1]
	checks := []struct{ where, text, want string }{
		{"url", first.Request.URL, "activate=true&token=****&api_key=****"},
		{"request body", first.Request.PostData.Text, `"profile":{"login":"ann@example.com"}`},
		{"request body", first.Request.PostData.Text, `"password":"****"`},
		{"response body", first.Response.Content.Text, `"token_type":"Bearer"`},
		{"response body", first.Response.Content.Text, `"note":"issued ****"`},
		{"form body", second.Request.PostData.Text, "grant_type=password&username=ann&password=****"},
		{"comment", first.Comment, "createUser"},
		{"cookies", fmt.Sprint(first.Request.Cookies), "{theme **** "},
	}
	for _, c := range checks {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s = %s; want it to contain %s", c.where, c.text, c.want)
		}
	}
	headers := map[string]string{}
	for _, h := range first.Request.Headers {
		headers[h.Name] = h.Value
	}
	if headers["Authorization"] != "SSWS ****" || headers["Accept"] != "application/json" ||
		headers["Cookie"] != "sid=****; theme=****" {
		t.Errorf("request headers = %v", headers)
	}
}

func TestHARRoundTrip(t *testing.T) {
	srv := newServer(t)
	h := NewHAR("1.2.3")
	e := exchange(t, srv, http.MethodGet, "/api/v1/users?limit=2&q=ann", "", nil, nil)
	e.Start = time.Date(2026, 11, 22, 7, 30, 0, 123e6, time.UTC)
	e.Duration = 1500 * time.Microsecond
	h.Add(e)
	out := writeHAR(t, h)

	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var doc harDocument
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("decode HAR: %v\n%s", err, out)
	}
	if doc.Log.Version != "1.2" || doc.Log.Creator != (harCreator{"trama", "1.2.3"}) || len(doc.Log.Entries) != 1 {
		t.Fatalf("log header = %+v", doc.Log)
	}
	en := doc.Log.Entries[0]
	if en.StartedDateTime != "2026-11-22T07:30:00.123Z" || en.Time != 1.5 || en.Timings.Wait != 1.5 {
		t.Errorf("entry times = %q %v %+v", en.StartedDateTime, en.Time, en.Timings)
	}
	if en.Request.Method != "GET" || !strings.HasSuffix(en.Request.URL, "/api/v1/users?limit=2&q=ann") ||
		en.Request.HTTPVersion != "HTTP/1.1" {
		t.Errorf("request = %+v", en.Request)
	}
	if want := []harNameValue{{"limit", "2"}, {"q", "ann"}}; !reflect.DeepEqual(en.Request.QueryString, want) {
		t.Errorf("queryString = %+v, want %+v", en.Request.QueryString, want)
	}
	r := en.Response
	if r.Status != 201 || r.StatusText != "Created" || r.Content.MimeType != "application/json; charset=utf-8" ||
		r.Content.Size != r.BodySize || r.BodySize <= 0 || !strings.Contains(r.Content.Text, `"00u1"`) {
		t.Errorf("response = %+v", r)
	}
	if len(r.Cookies) != 1 || r.Cookies[0].Name != "sid" || r.Cookies[0].Value != secret.Mask ||
		!r.Cookies[0].HTTPOnly || r.Cookies[0].Path != "/" {
		t.Errorf("response cookies = %+v", r.Cookies)
	}

	// Every field HAR 1.2 requires is present under its exact name.
	var generic map[string]any
	if err := json.Unmarshal([]byte(out), &generic); err != nil {
		t.Fatal(err)
	}
	entry := generic["log"].(map[string]any)["entries"].([]any)[0].(map[string]any)
	required := map[string][]string{
		"entry":    {"startedDateTime", "time", "request", "response", "cache", "timings"},
		"request":  {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
		"response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"},
		"content":  {"size", "mimeType"},
		"timings":  {"send", "wait", "receive"},
	}
	objects := map[string]map[string]any{
		"entry":    entry,
		"request":  entry["request"].(map[string]any),
		"response": entry["response"].(map[string]any),
		"content":  entry["response"].(map[string]any)["content"].(map[string]any),
		"timings":  entry["timings"].(map[string]any),
	}
	for obj, keys := range required {
		for _, k := range keys {
			if _, ok := objects[obj][k]; !ok {
				t.Errorf("%s lacks required field %q", obj, k)
			}
		}
	}

	// Re-encoding the decoded document gives the same JSON: no field is lost or renamed.
	again, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var generic2 map[string]any
	if err := json.Unmarshal(again, &generic2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(generic, generic2) {
		t.Errorf("round trip changed the document:\n%s\n%s", out, again)
	}
}

func TestHARTransportError(t *testing.T) {
	h := NewHAR("dev")
	req, _ := http.NewRequest(http.MethodGet, "https://example.invalid/api?token=canary-query-token-5d", nil)
	req.Header.Set("Authorization", "Bearer canary-auth-7f3a")
	h.Add(Exchange{Start: time.Now(), Request: req,
		Err: fmt.Errorf("Get %q: dial tcp: no such host", req.URL.String())})
	out := writeHAR(t, h)
	assertNoCanary(t, "HAR", out)
	if !strings.Contains(out, `"_error": "Get \"https://example.invalid/api?token=****\": dial tcp: no such host"`) {
		t.Errorf("HAR lacks the redacted transport error:\n%s", out)
	}
}

func TestHARBinaryAndOrder(t *testing.T) {
	h := NewHAR("dev")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range []time.Duration{2, 0, 1} {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://x.test/%d", i), nil)
		resp := &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/2.0",
			Header: http.Header{"Content-Type": {"application/octet-stream"}}}
		h.Add(Exchange{Start: t0.Add(d * time.Second), Request: req, Response: resp, ResponseBody: []byte{0xff, 0, 1}})
	}
	var doc harDocument
	if err := json.Unmarshal([]byte(writeHAR(t, h)), &doc); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, e := range doc.Log.Entries {
		urls = append(urls, e.Request.URL)
		if e.Response.Content.Encoding != "base64" || e.Response.Content.Text != "/wAB" || e.Response.HTTPVersion != "HTTP/2.0" {
			t.Errorf("binary content = %+v", e.Response.Content)
		}
	}
	if want := []string{"http://x.test/1", "http://x.test/2", "http://x.test/0"}; !slices.Equal(urls, want) {
		t.Errorf("entries in order %q, want %q", urls, want)
	}
}

func TestHARConcurrentAdd(t *testing.T) {
	h := NewHAR("dev")
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, "http://x.test/", nil)
			h.Add(Exchange{Start: time.Now(), Request: req})
			var buf bytes.Buffer
			_, _ = h.WriteTo(&buf)
		})
	}
	wg.Wait()
	if h.Len() != 16 {
		t.Errorf("Len = %d, want 16", h.Len())
	}
}

// junitDoc is decoded independently of the writer's types, the way a CI server reads the report.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Time       string `xml:"time,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	var secrets secret.Set
	secrets.Add("canary-known-secret-66")
	j := &JUnit{Secrets: &secrets}
	j.Add(Suite{
		Name:      "provisionUser",
		Timestamp: time.Date(2026, 11, 22, 8, 0, 0, 0, time.FixedZone("CET", 3600)),
		Duration:  2500 * time.Millisecond,
		Inputs: map[string]any{
			"login":    "ann@example.com",
			"apiToken": "canary-input-0b",
			"groups":   []any{"Everyone", "canary-known-secret-66"},
			"options":  map[string]any{"password": "canary-password-2e", "activate": true},
		},
		Steps: []Case{
			{Name: "createUser", Duration: 1200 * time.Millisecond, Status: Passed,
				Output: "POST /api/v1/users -> 200 with canary-known-secret-66"},
			{Name: "addToGroup", Duration: 300 * time.Millisecond, Status: Failed,
				Message: "successCriteria $statusCode == 204 failed: got 403 (token canary-known-secret-66)"},
			{Name: "addToGroup", Duration: 5 * time.Millisecond, Status: Errored, Message: "dial tcp: refused"},
			{Name: "notify", Status: Skipped, Message: "not reached"},
		},
	})
	j.Add(Suite{Name: "deactivateUser", Steps: []Case{{Name: "deactivate", Class: "custom", Status: Passed}}})

	var buf bytes.Buffer
	if _, err := j.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertNoCanary(t, "JUnit", out)
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60s", out)
	}

	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("parse JUnit: %v\n%s", err, out)
	}
	if doc.Tests != 5 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites) != 2 {
		t.Fatalf("totals = %+v", doc)
	}
	s := doc.Suites[0]
	if s.Name != "provisionUser" || s.Tests != 4 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 ||
		s.Time != "2.500" || s.Timestamp != "2026-11-22T07:00:00" {
		t.Errorf("suite = %+v", s)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	wantProps := map[string]string{
		"login": "ann@example.com", "apiToken": secret.Mask, "groups": `["Everyone","****"]`,
		"options": `{"activate":true,"password":"****"}`,
	}
	if !reflect.DeepEqual(props, wantProps) {
		t.Errorf("properties = %v, want %v", props, wantProps)
	}
	c := s.Cases
	if c[0].Name != "createUser" || c[0].Classname != "provisionUser" || c[0].Time != "1.200" ||
		c[0].Failure != nil || c[0].SystemOut != "POST /api/v1/users -> 200 with ****" {
		t.Errorf("case 0 = %+v", c[0])
	}
	if c[1].Failure == nil || !strings.HasPrefix(c[1].Failure.Message, "successCriteria $statusCode == 204") ||
		c[1].Failure.Text != c[1].Failure.Message {
		t.Errorf("case 1 failure = %+v", c[1].Failure)
	}
	if c[2].Error == nil || c[3].Skipped == nil || c[3].Skipped.Message != "not reached" {
		t.Errorf("cases 2, 3 = %+v %+v", c[2], c[3])
	}
	if got := doc.Suites[1].Cases[0].Classname; got != "custom" {
		t.Errorf("explicit class = %q", got)
	}
}

func TestJUnitUnknownStatus(t *testing.T) {
	j := &JUnit{}
	j.Add(Suite{Name: "w", Steps: []Case{{Name: "s", Status: "PASS"}}})
	var buf bytes.Buffer
	if _, err := j.WriteTo(&buf); err == nil || buf.Len() != 0 {
		t.Errorf("WriteTo = %v with %d bytes; want an error and no output", err, buf.Len())
	}
}

func TestJUnitInvalidXMLCharacters(t *testing.T) {
	j := &JUnit{}
	j.Add(Suite{Name: "w", Steps: []Case{{Name: "s", Status: Failed, Message: "bad \x00\x1b byte <&>"}}})
	var buf bytes.Buffer
	if _, err := j.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("control characters made the report unparsable: %v", err)
	}
	if m := doc.Suites[0].Cases[0].Failure.Message; !strings.Contains(m, "<&>") {
		t.Errorf("message = %q", m)
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteErrors(t *testing.T) {
	if _, err := NewHAR("dev").WriteTo(failingWriter{}); !errors.Is(err, errWrite) {
		t.Errorf("HAR.WriteTo = %v", err)
	}
	if _, err := (&JUnit{}).WriteTo(failingWriter{}); !errors.Is(err, errWrite) {
		t.Errorf("JUnit.WriteTo = %v", err)
	}
}

func TestHAREmptyExchange(t *testing.T) {
	h := NewHAR("dev")
	h.Add(Exchange{})
	h.Add(Exchange{Request: &http.Request{Method: "GET"}, Response: &http.Response{StatusCode: 204}})
	var doc harDocument
	if err := json.Unmarshal([]byte(writeHAR(t, h)), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Log.Entries) != 2 || doc.Log.Entries[1].Response.StatusText != "No Content" {
		t.Errorf("entries = %+v", doc.Log.Entries)
	}
}

func TestNeedsFieldRedaction(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"id":"00u1","profile":{"login":"ann"}}`, false},
		{`[{"status" : "ACTIVE"}, "password"]`, false}, // a string value named like a secret is not a field
		{`{"password":"x"}`, true},
		{`{"a":{"client_secret" :"x"}}`, true},
		{`{"key":"Authorization","value":"x"}`, true},
		{`{"note":"\u0073ecret"}`, true},
		{`{"unterminated`, true},
		{`"just a string"`, false},
	}
	for _, tt := range tests {
		if got := needsFieldRedaction([]byte(tt.body)); got != tt.want {
			t.Errorf("needsFieldRedaction(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
	// A body without secret fields keeps its formatting.
	body := "{\n  \"id\": \"00u1\"\n}"
	if got, _ := redactBody("application/json", []byte(body), nil); got != body {
		t.Errorf("redactBody reformatted a clean body: %q", got)
	}
}
