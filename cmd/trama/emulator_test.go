package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that a test may read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestOktaEmulatorCommandServesTheAPI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"okta-emulator", "--addr", "127.0.0.1:0", "--token", "tok-123456", "--user", "ann@example.com"},
			strings.NewReader(""), &out, &errOut)
	}()
	var base string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`org URL: (\S+)`).FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Press Ctrl+C") {
			base = m[1]
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no banner:\n%s\n%s", out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "ann@example.com") {
		t.Errorf("the banner lists the seeded users:\n%s", out.String())
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "SSWS tok-123456")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /api/v1/users/me: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after Ctrl+C\n%s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("okta-emulator did not stop on cancellation")
	}
}
