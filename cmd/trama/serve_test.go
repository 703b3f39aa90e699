package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/demo"
)

func TestDemoRunsTheWholeSystem(t *testing.T) {
	code, out, errOut := trama(t, "demo")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"verified", "✓ enrollFactor", "✓ activateFactor", "read from the emulator's virtual authenticator",
		"card (User MFA Factor Activated)", "Reason:", "User set up", "Okta User:", "succeeded", "✓ 1 getUser",
		"✓ enrollPush", "approved the enrolment of factor", "✓ waitForActivation", "RECEIVE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "00demo-") > 1 {
		t.Errorf("the demo prints the API token beyond its shortened form in the banner:\n%s", out)
	}
	if regexp.MustCompile(`passCode \d{6}`).MatchString(out) {
		t.Errorf("the demo prints the passcode:\n%s", out)
	}
}

func TestHistoryCommandsReadTheStore(t *testing.T) {
	dir := t.TempDir()
	res, err := demo.Run(context.Background(), demo.Options{Dir: dir, Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "trama.db")

	code, out, errOut := trama(t, "runs", "list", "--db", db, "-o", "json")
	var runs struct {
		Items []struct{ ID, Status, Trigger, EventUUID string }
	}
	if code != exitOK || json.Unmarshal([]byte(out), &runs) != nil || len(runs.Items) != 1 {
		t.Fatalf("runs list: exit %d %s %s", code, out, errOut)
	}
	if r := runs.Items[0]; r.ID != res.Run.ID || r.Status != "succeeded" || r.Trigger != "audit-new-factor" || r.EventUUID != res.EventUUID {
		t.Errorf("run = %+v", r)
	}
	code, out, _ = trama(t, "runs", "show", res.Run.ID, "--db", db)
	if code != exitOK || !strings.Contains(out, "listFactors") || !strings.Contains(out, `"oktaApiToken":"****"`) {
		t.Errorf("runs show: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "runs", "list", "--db", db, "--status", "failed")
	if code != exitOK || strings.Contains(out, res.Run.ID) {
		t.Errorf("runs list --status failed shows a succeeded run:\n%s", out)
	}
	// The listing filters the API and the console have, read by the same parser.
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"runs", "list", "--user", "ann.lee@example.com", "--since", "1h"}, true},
		{[]string{"runs", "list", "--user", "nobody@example.com"}, false},
		{[]string{"runs", "list", "--workflow", "audit-new-factor-workflow-that-is-not"}, false},
		{[]string{"events", "list", "--outcome", "ran", "--user", "ann.lee@example.com"}, true},
		{[]string{"events", "list", "--outcome", "skipped"}, false},
	} {
		code, out, errOut := trama(t, append(c.args, "--db", db)...)
		id := res.Run.ID
		if c.args[0] == "events" {
			id = res.EventUUID
		}
		if code != exitOK || strings.Contains(out, id) != c.want {
			t.Errorf("trama %s: exit %d, lists it: %v, want %v\n%s%s", strings.Join(c.args, " "), code, strings.Contains(out, id), c.want, out, errOut)
		}
	}
	if code, _, errOut := trama(t, "runs", "list", "--db", db, "--since", "yesterday"); code != exitUsage || !strings.Contains(errOut, "an age such as 24h") {
		t.Errorf("a bad --since: exit %d %s", code, errOut)
	}
	code, out, _ = trama(t, "events", "show", res.EventUUID, "--db", db)
	if code != exitOK || !strings.Contains(out, "User MFA Factor Activated") || !strings.Contains(out, "ann.lee@example.com") {
		t.Errorf("events show: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "events", "list", "--db", db, "--type", "user.mfa.factor.activate")
	if code != exitOK || !strings.Contains(out, res.EventUUID) {
		t.Errorf("events list: exit %d\n%s", code, out)
	}
	code, out, _ = trama(t, "events", "replay", res.EventUUID, "--db", db)
	if code != exitOK || !strings.Contains(out, "replay 1") {
		t.Errorf("events replay: exit %d\n%s", code, out)
	}
	if code, _, errOut := trama(t, "runs", "show", "no-such-run", "--db", db); code != exitUsage || !strings.Contains(errOut, "not found") {
		t.Errorf("a missing run: exit %d %s", code, errOut)
	}
}

// TestDemoNextCommandsWork runs the history commands `trama demo --keep` prints, as printed.
func TestDemoNextCommandsWork(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := trama(t, "demo", "--keep", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var cmds [][]string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "trama" && strings.Contains(line, "--db "+filepath.Join(dir, "trama.db")) {
			cmds = append(cmds, f[1:])
		}
	}
	if len(cmds) != 2 {
		t.Fatalf("the demo printed %d history commands for its store:\n%s", len(cmds), out)
	}
	for _, c := range cmds {
		if code, out, errOut := trama(t, c...); code != exitOK || out == "" {
			t.Errorf("trama %s: exit %d\n%s%s", strings.Join(c, " "), code, out, errOut)
		}
	}
	if !strings.Contains(out, "go install ./cmd/trama") {
		t.Error("the demo does not say how to get trama on the PATH")
	}
}

// TestDemoKeepOpenServesTheConsole: trama demo --keep-open leaves trama serve running with the web
// console, whose token is in the file the demo names (never on the terminal), until it is stopped.
func TestDemoKeepOpenServesTheConsole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := demo.Run(ctx, demo.Options{Out: pw, KeepOpen: true})
		pw.CloseWithError(err)
		done <- err
	}()
	var out strings.Builder
	var consoleURL, tokenFile string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if f := strings.Fields(line); len(f) == 2 && f[0] == "console" {
			consoleURL = f[1]
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "sign in with the token in "); ok {
			tokenFile = rest
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if consoleURL == "" || tokenFile == "" {
		t.Fatalf("the demo does not say where the console is and where its token is:\n%s", out.String())
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), strings.TrimSpace(string(token))) {
		t.Errorf("the demo prints the console's token:\n%s", out.String())
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	base := consoleURL[:strings.Index(consoleURL, "/console/")]
	resp, err := client.Get(base + "/console/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if csrf == nil {
		t.Fatalf("no sign-in form:\n%s", page)
	}
	req, _ := http.NewRequest("POST", base+"/console/signin", strings.NewReader(url.Values{"csrf": {string(csrf[1])},
		"token": {strings.TrimSpace(string(token))}, "next": {strings.TrimPrefix(consoleURL, base)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "succeeded") || !strings.Contains(string(page), "listFactors") {
		t.Fatalf("the demo's run in the console: %d\n%s", resp.StatusCode, page)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the demo ended with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the demo did not stop when asked")
	}
}

// syncWriter collects what a command prints from its goroutine.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestServePrintsTheConsole: trama serve says where its console is when the API token is set, and the
// address it prints answers.
func TestServePrintsTheConsole(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "trama.yaml")
	if err := os.WriteFile(cfg, []byte("store: sqlite:./trama.db\napi: {token: ${TRAMA_TEST_CONSOLE_TOKEN}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRAMA_TEST_CONSOLE_TOKEN", "serve-console-token-0123456789")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncWriter
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0", "--log-level", "error"}, strings.NewReader(""), &out, &errOut)
	}()
	re := regexp.MustCompile(`console: (http://\S+/console/) \(sign in with api.token\)`)
	var consoleURL string
	for deadline := time.Now().Add(10 * time.Second); consoleURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			consoleURL = m[1]
		}
	}
	if consoleURL == "" {
		t.Fatalf("serve does not print the console:\n%s\n%s", out.String(), errOut.String())
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(consoleURL + "runs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/console/signin") {
		t.Errorf("%sruns: %d %s, want the sign-in form", consoleURL, resp.StatusCode, resp.Header.Get("Location"))
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve ended with %d: %s", code, errOut.String())
	}
}
