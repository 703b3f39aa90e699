package eventhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// maxResponseBody bounds what trama reads of a receiver's answer; a verification answer is tiny and
// delivery answers are discarded.
const maxResponseBody = 64 << 10

// outcome is the result of one request to a hook's endpoint.
type outcome struct {
	status    int
	body      []byte
	err       string // why the request failed, without URL or header values
	timeout   bool
	duration  time.Duration
	retryable bool
}

// send makes one request to the hook's URI with the headers Okta sends: Accept and Content-Type
// application/json, the User-Agent, each configured header and the auth scheme header last, so a
// configured header cannot replace it.
func (r *Registry) send(ctx context.Context, h Hook, method string, body []byte, extra http.Header) outcome {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, h.Channel.Config.URI, rd)
	if err != nil {
		return outcome{err: "invalid request: " + errorCause(err)}
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", UserAgent)
	for _, hd := range h.Channel.Config.Headers {
		req.Header.Set(hd.Key, hd.Value)
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	if a := h.Channel.Config.AuthScheme; a != nil && a.Key != "" {
		req.Header.Set(a.Key, a.Value)
	}
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		o := outcome{duration: time.Since(start)}
		switch {
		case r.ctx.Err() != nil:
			o.err = "registry closed"
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			o.err = fmt.Sprintf("timeout after %s", r.cfg.Timeout)
			o.timeout, o.retryable = true, true
		default:
			o.err = errorCause(err)
			o.retryable = true
		}
		return o
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	o := outcome{status: resp.StatusCode, body: b, duration: time.Since(start)}
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		o.err = fmt.Sprintf("timeout after %s while reading the response", r.cfg.Timeout)
		o.timeout, o.retryable = true, true
		return o
	}
	o.retryable = resp.StatusCode >= 500
	return o
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorCause strips the method and URL that net/http puts around transport errors: a hook URI may carry
// a token in its query, and these messages reach the delivery log.
func errorCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
