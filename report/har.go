package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trama-dev/trama/secret"
)

// Exchange is one HTTP request a step made and the response it got.
type Exchange struct {
	Start        time.Time
	Duration     time.Duration // from sending the request to reading the whole response body
	Request      *http.Request
	RequestBody  []byte         // the body as sent; Request.Body is never read
	Response     *http.Response // nil when the request failed before a response arrived
	ResponseBody []byte         // the body as read; Response.Body is never read
	Err          error          // the transport error when Response is nil
	Comment      string         // the stepId, shown by HAR viewers next to the entry
}

// HAR collects exchanges and writes them as a HAR 1.2 log
// (http://www.softwareishard.com/blog/har-12-spec/). It is safe for concurrent use.
type HAR struct {
	// Secrets are redacted from URLs, headers, bodies and error text when the log is written, so values
	// added to the Set after an exchange was recorded are still masked. nil masks only secret-named
	// headers, parameters, cookies and fields.
	Secrets *secret.Set

	creatorVersion string
	mu             sync.Mutex
	records        []record
}

// NewHAR returns an empty HAR whose creator is trama at creatorVersion.
func NewHAR(creatorVersion string) *HAR {
	return &HAR{creatorVersion: creatorVersion}
}

// record is an Exchange copied at Add time, so later changes to the request or response cannot alter
// what the log says happened.
type record struct {
	start          time.Time
	duration       time.Duration
	comment        string
	method, rawURL string
	reqProto       string
	reqHeader      http.Header
	reqBody        []byte
	hasResponse    bool
	status         int
	statusText     string
	respProto      string
	respHeader     http.Header
	respBody       []byte
	errText        string
}

// Add records e. The request and response headers and both bodies are copied; bodies are not read
// from the http values.
func (h *HAR) Add(e Exchange) {
	r := record{
		start:    e.Start,
		duration: e.Duration,
		comment:  e.Comment,
		reqBody:  bytes.Clone(e.RequestBody),
		respBody: bytes.Clone(e.ResponseBody),
	}
	if req := e.Request; req != nil {
		r.method, r.reqProto, r.reqHeader = req.Method, req.Proto, req.Header.Clone()
		if req.URL != nil {
			u := *req.URL
			if u.Host == "" {
				u.Host = req.Host
			}
			r.rawURL = u.String()
		}
	}
	if resp := e.Response; resp != nil {
		r.hasResponse = true
		r.status, r.respProto, r.respHeader = resp.StatusCode, resp.Proto, resp.Header.Clone()
		r.statusText = strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
		if r.statusText == "" {
			r.statusText = http.StatusText(resp.StatusCode)
		}
	}
	if e.Err != nil {
		r.errText = e.Err.Error()
	}
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
}

// Len reports how many exchanges have been added.
func (h *HAR) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.records)
}

// WriteTo writes the log as indented JSON, entries in order of their start time. Every value passes
// through secret.RedactHeader (headers), secret-name masking (query parameters, form and JSON body
// fields; all cookie values) and h.Secrets. A JSON body with a secret-named field is re-encoded after
// masking, so its member order and spacing may change; other bodies are written as they were, and
// bodies that are not UTF-8 text are written base64-encoded.
func (h *HAR) WriteTo(w io.Writer) (int64, error) {
	h.mu.Lock()
	records := slices.Clone(h.records)
	h.mu.Unlock()
	slices.SortStableFunc(records, func(a, b record) int { return a.start.Compare(b.start) })

	doc := harDocument{Log: harLog{
		Version: "1.2",
		Creator: harCreator{Name: "trama", Version: h.creatorVersion},
		Entries: make([]harEntry, 0, len(records)),
	}}
	for _, r := range records {
		doc.Log.Entries = append(doc.Log.Entries, h.entry(r))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return 0, fmt.Errorf("encode HAR: %w", err)
	}
	return buf.WriteTo(w)
}

func (h *HAR) entry(r record) harEntry {
	ms := float64(r.duration) / float64(time.Millisecond)
	u := secret.RedactURL(r.rawURL, h.Secrets)
	proto := r.reqProto
	if proto == "" {
		proto = "HTTP/1.1"
	}
	e := harEntry{
		StartedDateTime: r.start.Format("2006-01-02T15:04:05.000Z07:00"),
		Time:            ms,
		Request: harRequest{
			Method:      r.method,
			URL:         u,
			HTTPVersion: proto,
			Headers:     h.headers(r.reqHeader),
			QueryString: queryString(r.rawURL, h.Secrets),
			Cookies:     requestCookies(r.reqHeader),
			HeadersSize: -1,
			BodySize:    len(r.reqBody),
		},
		Cache:   struct{}{},
		Timings: harTimings{Send: 0, Wait: ms, Receive: 0},
		Comment: h.Secrets.Redact(r.comment),
	}
	if len(r.reqBody) > 0 {
		mimeType := r.reqHeader.Get("Content-Type")
		text, _ := redactBody(mimeType, r.reqBody, h.Secrets)
		e.Request.PostData = &harPostData{MimeType: mimeType, Text: text}
	}
	e.Response = harResponse{
		HTTPVersion: "",
		Headers:     []harNameValue{},
		Cookies:     []harCookie{},
		HeadersSize: -1,
		BodySize:    -1,
	}
	if r.hasResponse {
		proto := r.respProto
		if proto == "" {
			proto = "HTTP/1.1"
		}
		mimeType := r.respHeader.Get("Content-Type")
		text, encoding := redactBody(mimeType, r.respBody, h.Secrets)
		e.Response = harResponse{
			Status:      r.status,
			StatusText:  r.statusText,
			HTTPVersion: proto,
			Headers:     h.headers(r.respHeader),
			Cookies:     responseCookies(r.respHeader),
			Content:     harContent{Size: len(r.respBody), MimeType: mimeType, Text: text, Encoding: encoding},
			RedirectURL: secret.RedactURL(r.respHeader.Get("Location"), h.Secrets),
			HeadersSize: -1,
			BodySize:    len(r.respBody),
		}
	}
	if r.errText != "" {
		// A transport error usually quotes the URL, query parameters included.
		msg := r.errText
		if r.rawURL != "" {
			msg = strings.ReplaceAll(msg, r.rawURL, u)
		}
		e.Response.Error = h.Secrets.Redact(msg)
	}
	return e
}

// headers lists h sorted by name, each value passed through secret.RedactHeader and the Set.
func (h *HAR) headers(hdr http.Header) []harNameValue {
	out := []harNameValue{}
	names := make([]string, 0, len(hdr))
	for name := range hdr {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range hdr[name] {
			out = append(out, harNameValue{Name: name, Value: h.Secrets.Redact(secret.RedactHeader(name, v))})
		}
	}
	return out
}

func queryString(raw string, s *secret.Set) []harNameValue {
	out := []harNameValue{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, p := range strings.Split(u.RawQuery, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			value = v
		}
		if secret.IsSecretName(name) {
			value = secret.Mask
		}
		out = append(out, harNameValue{Name: s.Redact(name), Value: s.Redact(value)})
	}
	return out
}

// requestCookies lists the cookies of the Cookie header. Cookie values are session credentials more
// often than not, so every value is masked.
func requestCookies(h http.Header) []harCookie {
	out := []harCookie{}
	if h == nil {
		return out
	}
	for _, c := range (&http.Request{Header: h}).Cookies() {
		out = append(out, harCookie{Name: c.Name, Value: secret.Mask})
	}
	return out
}

// responseCookies lists the cookies of the Set-Cookie headers with masked values and their attributes.
func responseCookies(h http.Header) []harCookie {
	out := []harCookie{}
	if h == nil {
		return out
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		hc := harCookie{Name: c.Name, Value: secret.Mask, Path: c.Path, Domain: c.Domain,
			HTTPOnly: c.HttpOnly, Secure: c.Secure}
		if !c.Expires.IsZero() {
			hc.Expires = c.Expires.UTC().Format(time.RFC3339)
		}
		out = append(out, hc)
	}
	return out
}

// redactBody returns body as HAR text: JSON with secret-named fields masked, form data with
// secret-named parameters masked, and the Set applied to all of it. Bodies that are not UTF-8 are
// base64-encoded (encoding "base64") after the Set is applied to their bytes.
func redactBody(mimeType string, body []byte, s *secret.Set) (text, encoding string) {
	if len(body) == 0 {
		return "", ""
	}
	media, _, _ := mime.ParseMediaType(mimeType)
	switch {
	case media == "application/json" || strings.HasSuffix(media, "+json"):
		if out, ok := redactJSONBody(body, s); ok {
			return out, ""
		}
	case media == "application/x-www-form-urlencoded":
		if utf8.Valid(body) {
			return s.Redact(secret.RedactQuery(string(body))), ""
		}
	}
	if !utf8.Valid(body) {
		return base64.StdEncoding.EncodeToString(s.RedactBytes(body)), "base64"
	}
	return s.Redact(string(body)), ""
}

func redactJSONBody(body []byte, s *secret.Set) (string, bool) {
	if !needsFieldRedaction(body) {
		// Nothing to mask by name: keep the body byte for byte and apply only the Set.
		return s.Redact(string(body)), true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return "", false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(secret.RedactJSON(v, s)); err != nil {
		return "", false
	}
	return s.Redact(strings.TrimSuffix(buf.String(), "\n")), true
}

// needsFieldRedaction reports whether a JSON body has an object member that secret.RedactJSON would
// mask by name, or a string whose escapes could hide a secret from a plain-text search; only such
// bodies need decoding. It scans the text without decoding it: a string followed by ':' is a member
// name. Malformed JSON reports true, leaving the verdict to the decoder.
func needsFieldRedaction(body []byte) bool {
	seen := map[string]bool{}
	for i := 0; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		start := i + 1
		end := -1
		for j := start; j < len(body); j++ {
			if body[j] == '\\' {
				return true
			}
			if body[j] == '"' {
				end = j
				break
			}
		}
		if end < 0 {
			return true
		}
		i = end
		k := end + 1
		for k < len(body) && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r') {
			k++
		}
		if k >= len(body) || body[k] != ':' {
			continue
		}
		name := string(body[start:end])
		if name == "value" {
			return true // may be the value of a secret-named name/value pair
		}
		if secretName, ok := seen[name]; ok {
			if secretName {
				return true
			}
			continue
		}
		seen[name] = secret.IsSecretName(name)
		if seen[name] {
			return true
		}
	}
	return false
}
