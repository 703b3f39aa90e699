package ratelimit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trama-dev/trama/okta/emulator"
)

// TestBudgetKeepsABurstWithinOktasLimit: 40 concurrent reads of users against an org that allows 10 per
// window all succeed; the budget holds requests back for the reset instead of letting them through to
// be refused, and a 429 that still comes (the first window, before any answer told the budget) is waited
// out and resent.
func TestBudgetKeepsABurstWithinOktasLimit(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	defer srv.Close()
	e, err := emulator.New(emulator.Options{BaseURL: srv.URL, RateLimit: 10, RateLimitWindow: time.Second,
		Users: []emulator.SeedUser{{Login: "ann@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var refused atomic.Int64
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		e.ServeHTTP(rec, r)
		if rec.status == http.StatusTooManyRequests {
			refused.Add(1)
		}
	})
	var waits atomic.Int64
	b := &Budget{Key: OktaKey, OnWait: func(key string, d time.Duration) {
		waits.Add(1)
		if !strings.HasSuffix(key, "GET /api/v1/users/{}") {
			t.Errorf("waited on endpoint %q", key)
		}
	}}
	client := &http.Client{Transport: b.Transport(nil)}

	// One answer first, so the budget knows the window; then the burst.
	get := func() int {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users/ann@example.com", nil)
		req.Header.Set("Authorization", "SSWS "+e.Token())
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(); code != 200 {
		t.Fatalf("first read: %d", code)
	}
	var wg sync.WaitGroup
	codes := make([]int, 40)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = get() }()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: %d", i, c)
		}
	}
	if waits.Load() == 0 {
		t.Error("no request waited for a reset")
	}
	if n := refused.Load(); n > 0 {
		t.Errorf("%d requests were refused with 429 although the budget knew the window", n)
	}
}

// TestBudgetResendsA429: a 429 is sent again after the reset when the body can be re-read, and passed
// on when it cannot.
func TestBudgetResendsA429(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		w.Header().Set("X-Rate-Limit-Limit", "1")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(now.Add(time.Second).Unix(), 10))
		if calls.Add(1) == 1 {
			w.Header().Set("X-Rate-Limit-Remaining", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Write(body)
	}))
	defer srv.Close()
	b := &Budget{}
	client := &http.Client{Transport: b.Transport(nil)}
	resp, err := client.Post(srv.URL+"/factors", "application/json", bytes.NewReader([]byte(`{"factorType":"sms"}`)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != `{"factorType":"sms"}` || calls.Load() != 2 {
		t.Errorf("after a 429: %d %q, %d calls", resp.StatusCode, got, calls.Load())
	}

	// A body that cannot be read again is not resent: the caller gets the 429.
	calls.Store(0)
	b2 := &Budget{}
	req, _ := http.NewRequest("POST", srv.URL+"/factors", io.NopCloser(strings.NewReader("x")))
	resp, err = (&http.Client{Transport: b2.Transport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || calls.Load() != 1 {
		t.Errorf("a one-shot body: %d after %d calls", resp.StatusCode, calls.Load())
	}

	// A request to the endpoint, whose context ends while it waits for the reset, gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "POST", srv.URL+"/factors", strings.NewReader("x"))
	if _, err := (&http.Client{Transport: b2.Transport(nil)}).Do(req); err == nil {
		t.Error("a request waiting past its deadline did not give up")
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// FuzzUpdate: any rate-limit headers are read or ignored, never a panic, and never a negative wait.
func FuzzUpdate(f *testing.F) {
	f.Add("10", "9", "1767225600", "Thu, 01 Jan 2026 00:00:00 GMT", 200)
	f.Add("x", "-1", "99999999999999999999", "", 429)
	f.Add("", "", "", "garbage", 429)
	f.Fuzz(func(t *testing.T, limit, remaining, reset, date string, status int) {
		b := &Budget{}
		h := http.Header{}
		h.Set("X-Rate-Limit-Limit", limit)
		h.Set("X-Rate-Limit-Remaining", remaining)
		h.Set("X-Rate-Limit-Reset", reset)
		h.Set("Date", date)
		if d := b.update("k", &http.Response{StatusCode: status, Header: h}); d < 0 {
			t.Fatalf("negative wait %s", d)
		}
	})
}
