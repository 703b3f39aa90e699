package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"golang.org/x/net/http/httpguts"
)

// maxPageBytes caps a response body. A page of 1000 LogEvents (Okta's largest) is a few MB; the cap
// stops a misbehaving server from exhausting memory.
const maxPageBytes = 64 << 20

// APIError is a System Log response other than 200 OK.
type APIError struct {
	// URL is the request URL as displayURL renders it, without secrets.
	URL string
	// StatusCode is the HTTP status.
	StatusCode int
	// ErrorCode and ErrorSummary come from Okta's error object when the body is one (E0000011 "Invalid
	// token provided", E0000047 for a rate limit); empty otherwise.
	ErrorCode    string
	ErrorSummary string
	// RetryAfter is set for 429: X-Rate-Limit-Reset minus the response's Date header, at least one
	// second. Both come from Okta's clock, so the wait is right even when the local clock is not.
	// Zero when the headers are missing.
	RetryAfter time.Duration
}

// Error names the URL, the status and Okta's error code and summary; it never contains the token.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backfill: GET %s: ", e.URL)
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		b.WriteString("the backfill token was refused: ")
	case http.StatusTooManyRequests:
		b.WriteString("rate limited: ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.ErrorCode != "" {
		fmt.Fprintf(&b, " %s", e.ErrorCode)
	}
	if e.ErrorSummary != "" {
		fmt.Fprintf(&b, " (%s)", e.ErrorSummary)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry in %s", e.RetryAfter)
	}
	return b.String()
}

// tokenRefused reports whether the error means Okta did not accept the token (or its permissions).
func (e *APIError) tokenRefused() bool {
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// page is one fetched System Log page.
type page struct {
	events []store.NewEvent
	// next is the rel="next" target as sent (possibly relative), or "" when the response had none.
	next string
}

// fetch requests one page. Every error names the URL through displayURL and never carries the token:
// network errors are unwrapped from *url.Error, whose text would repeat the raw URL, and Okta's error
// summary is passed through the token's redaction in case a proxy echoes the request.
func (c *settings) fetch(ctx context.Context, u *url.URL) (page, error) {
	shown := displayURL(u)
	var res *http.Response
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return page{}, fmt.Errorf("backfill: GET %s: %w", shown, err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", userAgent)
		if err := c.authenticate(ctx, req); err != nil {
			return page{}, fmt.Errorf("backfill: GET %s: %s", shown, c.secrets.Redact(err.Error()))
		}
		res, err = c.client.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return page{}, fmt.Errorf("backfill: GET %s: %w", shown, err)
		}
		if c.authn != nil && try == 0 && c.authn.Retry(res) {
			res.Body.Close()
			continue
		}
		break
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxPageBytes+1))
	if err != nil {
		return page{}, fmt.Errorf("backfill: GET %s: read body: %w", shown, err)
	}
	if len(body) > maxPageBytes {
		return page{}, fmt.Errorf("backfill: GET %s: response larger than %d bytes", shown, maxPageBytes)
	}
	if res.StatusCode != http.StatusOK {
		return page{}, c.apiError(shown, res, body)
	}
	events, err := decodePage(body)
	if err != nil {
		return page{}, fmt.Errorf("backfill: GET %s: %w", shown, err)
	}
	p := page{events: events}
	if p.next, err = nextLink(res.Header); err != nil && !errors.Is(err, errNoNext) {
		return page{}, fmt.Errorf("backfill: GET %s: %w", shown, err)
	}
	return p, nil
}

// apiError builds the error for a non-200 response.
func (c *settings) apiError(shown string, res *http.Response, body []byte) *APIError {
	e := &APIError{URL: shown, StatusCode: res.StatusCode}
	var oe struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
	}
	if json.Unmarshal(body, &oe) == nil {
		// Redact before truncating, so a cut cannot leave half a token behind.
		e.ErrorCode = truncate(c.secrets.Redact(oe.ErrorCode), 32)
		e.ErrorSummary = truncate(c.secrets.Redact(oe.ErrorSummary), 300)
	}
	if res.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = okta.RateLimitWait(res.Header)
	}
	return e
}

// truncate keeps error text from a server to n bytes, without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// logsSecurity describes GET /api/v1/logs to an authenticator: it needs okta.logs.read.
var logsSecurity = runner.Security{Source: "okta", Method: http.MethodGet, Path: "/api/v1/logs"}

// authenticate sets the request's Authorization: the token's, or the authenticator's, which is told once
// which operation the poller calls so that its token carries the scope.
func (c *settings) authenticate(ctx context.Context, req *http.Request) error {
	if c.authn == nil {
		req.Header.Set("Authorization", c.auth)
		return nil
	}
	sec := logsSecurity
	sec.ServerURL = c.org.String()
	if !c.prepared {
		if err := c.authn.Prepare(ctx, []runner.Security{sec}); err != nil {
			return err
		}
		c.prepared = true
	}
	secrets, err := c.authn.Authenticate(ctx, req, sec)
	c.secrets.Add(secrets...)
	return err
}

// authorization turns the configured token into the Authorization header value: a bare API token gets
// Okta's SSWS scheme; a value that already starts with a scheme ("SSWS …", "Bearer …") is sent as is.
func authorization(token string) string {
	scheme, rest, ok := strings.Cut(token, " ")
	if ok && scheme != "" && strings.TrimSpace(rest) != "" && httpguts.ValidHeaderFieldName(scheme) {
		return token
	}
	return "SSWS " + token
}
