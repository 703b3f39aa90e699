package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/demo"
)

// TestConsoleCommandIsReadOnly: trama console serves a store's history on loopback, behind a sign-in
// whose token is in a file (never printed), and shows no action and refuses any.
func TestConsoleCommandIsReadOnly(t *testing.T) {
	dir := t.TempDir()
	res, err := demo.Run(context.Background(), demo.Options{Dir: dir, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRAMA_API_TOKEN", "")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"console", "--db", filepath.Join(dir, "trama.db"), "--addr", "127.0.0.1:0"}, strings.NewReader(""), &out, &errOut)
	}()
	defer func() { cancel(); <-done }()
	var base, tokenPath string
	for deadline := time.Now().Add(5 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`on (http://\S+)/console/ — sign in with the token in (\S+)`).FindStringSubmatch(out.String()); m != nil {
			base, tokenPath = m[1], m[2]
		}
	}
	if base == "" {
		t.Fatalf("no banner:\n%s%s", out.String(), errOut.String())
	}
	tok, err := os.ReadFile(tokenPath)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(tok))
	if strings.Contains(out.String()+errOut.String(), token) {
		t.Error("the sign-in token was printed")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, page := get("/console/signin")
	csrf := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("sign-in page without a CSRF field:\n%s", page)
	}
	resp, err := c.PostForm(base+"/console/signin", url.Values{"csrf": {csrf[1]}, "token": {token}, "next": {"/console/runs/" + res.Run.ID}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), res.Run.ID) {
		t.Fatalf("the run page after sign-in: %d\n%.500s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), "Replay the event") || !strings.Contains(string(body), "Read-only") {
		t.Error("the read-only console shows the replay action")
	}
	form := regexp.MustCompile(`name="csrf" value="([^"]*)"`).FindStringSubmatch(string(body))
	v := url.Values{}
	if form != nil {
		v.Set("csrf", form[1])
	}
	req, _ := http.NewRequest("POST", base+"/console/events/"+res.EventUUID+"/replay", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a replay through the read-only console: %d, want 403", resp.StatusCode)
	}
}
