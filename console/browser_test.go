package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trama-dev/trama/store"
)

// The browser tests drive a real Chromium through the console as a person would: sign in, find a failed
// run by its user's email, read the failing criterion and the response, replay the event and watch the
// new run appear, supply a waiting input, and see a form without its CSRF token refused. They need
// Chromium (TRAMA_CHROMIUM, or chromium on the PATH); without it they are skipped, saying so.

// chromium finds the browser to drive.
func chromium(t *testing.T) string {
	if p := os.Getenv("TRAMA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("browser tests skipped: no Chromium found (install it, e.g. apt-get install -y chromium, or set TRAMA_CHROMIUM); .ci/run installs it")
	return ""
}

// tab is one headless Chromium tab, with every console message and exception the pages cause.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	messages []string
}

func newTab(t *testing.T) *tab {
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	tb := &tab{t: t, ctx: ctx}
	// Start the browser, then collect what the pages write to the console: a CSP violation, a script
	// error or a failed load shows up there.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.messages = append(tb.messages, m.String())
			tb.mu.Unlock()
		}
	}()
	return tb
}

// do runs actions with a time limit, failing the test with what it was doing.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		var page string
		pctx, pcancel := context.WithTimeout(tb.ctx, 2*time.Second)
		page, _ = chromedp.Run(pctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
		pcancel()
		tb.t.Fatalf("%s: %v\nthe page says:\n%s", what, err, page)
	}
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func (tb *tab) eval(js string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

// waitFor waits until a JavaScript condition holds on the current page. It asks again after a
// navigation (a form submitted, a page replaced), which a poll inside the page would not survive.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	page := tb.eval("document.body ? document.body.innerText : ''")
	tb.t.Fatalf("waiting for %s (last error %v); the page says:\n%s", what, last, page)
}

// shot saves a full-page screenshot as name.png in the directory TRAMA_CONSOLE_SCREENSHOTS names, when
// it names one: how the documentation's pictures are made.
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("TRAMA_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// clean fails the test if a page wrote an error to the console.
func (tb *tab) clean() {
	tb.t.Helper()
	time.Sleep(100 * time.Millisecond) // the last messages are in flight
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.messages {
		if strings.HasPrefix(m, "error") || strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, "exception") {
			tb.t.Errorf("the console says: %s", m)
		}
	}
}

// signIn signs the tab in through the form, by keyboard.
func (tb *tab) signIn(base string) {
	tb.t.Helper()
	tb.do("open the console", chromedp.Navigate(base+"/console/"), chromedp.WaitVisible(chromedp.ID("token")))
	if got := tb.eval("document.activeElement.id"); got != "token" {
		tb.t.Errorf("the sign-in form focuses %q, want the token field", got)
	}
	tb.do("sign in", chromedp.SendKeys(chromedp.ID("token"), apiToken+"\r"), chromedp.WaitVisible(chromedp.CSS(`form[aria-label="Filter runs"]`)))
	// The first Tab reaches the skip link, the next ones the sections, all by keyboard.
	tb.do("tab to the skip link", chromedp.KeyEvent("\t"))
	if got := tb.eval("document.activeElement.textContent"); got != "Skip to content" {
		tb.t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
}

// TestBrowserFailedRunReplay: in Chromium, sign in, find the failed run by the user's email, read why it
// failed and what Okta answered, fix the user, replay the event from the run's page and watch the new
// run appear on the event's page, and then a new run appear on the runs list without a reload.
func TestBrowserFailedRunReplay(t *testing.T) {
	tb := newTab(t)
	e := newEnv(t, checkTrigger)
	ann := e.createUser("ann@example.com", "")
	e.deliver(eventA, ann)
	failed := e.waitRun(eventA, 0, store.RunFailed)

	tb.signIn(e.url)
	tb.do("filter by email and status",
		chromedp.SendKeys(chromedp.ID("f-user"), "Ann@Example.com"),
		chromedp.SetValue(chromedp.ID("f-status"), "failed"),
		chromedp.Click(chromedp.CSS(`form[aria-label="Filter runs"] button[type=submit]`)),
	)
	// The unfiltered list shows the run too: wait for the filtered page itself.
	tb.waitFor("the filtered list", `location.search.includes("status=failed") && document.readyState === "complete" && document.querySelector("caption") && document.querySelector("caption").textContent.includes("match the filter")`)
	tb.do("find the failed run", chromedp.WaitVisible(chromedp.CSS(`a[href="/console/runs/`+failed.ID+`"]`)))
	if loc := tb.eval("location.search"); !strings.Contains(loc, "user=Ann%40Example.com") || !strings.Contains(loc, "status=failed") {
		t.Errorf("the filter is not in the address, to share or bookmark: %s", loc)
	}
	tb.do("open the failed run", chromedp.Click(chromedp.CSS(`a[href="/console/runs/`+failed.ID+`"]`)), chromedp.WaitVisible(chromedp.ID("why")))
	why := tb.text(`[aria-labelledby="why"]`)
	for _, want := range []string{"$response.body#/profile/department == 'Security'", "has no value", "getUser", "200"} {
		if !strings.Contains(why, want) {
			t.Errorf("'Why it failed' lacks %q:\n%s", want, why)
		}
	}
	tb.shot("run-failed")
	if resp := tb.text(`details#step-1-1 pre`); !strings.Contains(resp, `"login": "ann@example.com"`) {
		t.Errorf("the failed step's response is not shown:\n%s", resp)
	}
	if got := tb.eval(`document.querySelectorAll("svg .g-edge.taken").length + " " + document.querySelector("svg .g-node.bad text").textContent`); got != "1 getUser" {
		t.Errorf("the graph shows %q, want the failure path taken from getUser", got)
	}

	e.setDepartment(ann, "Security")
	tb.do("replay from the run's page",
		chromedp.Click(chromedp.CSS(`#run-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	tb.waitFor("the replayed run to succeed on the event's page",
		`[...document.querySelectorAll("#event-runs tr")].some(tr => tr.textContent.includes("succeeded") && tr.cells[1].textContent.trim() === "1")`)
	replayed := e.waitRun(eventA, 1, store.RunSucceeded)
	tb.shot("event")
	if audit := tb.text("#event-runs"); !strings.Contains(audit, "replay by ann.operator") {
		t.Errorf("the event's audit trail does not name who replayed it:\n%s", audit)
	}

	// The runs list shows a new run without a reload.
	tb.do("open the runs list", chromedp.Navigate(e.url+"/console/runs"), chromedp.WaitVisible(chromedp.CSS(`a[href="/console/runs/`+replayed.ID+`"]`)))
	tb.eval(`window.notReloaded = "yes"`)
	bob := e.createUser("bob@example.com", "Security")
	e.deliver(eventB, bob)
	fresh := e.waitRun(eventB, 0, store.RunSucceeded)
	tb.waitFor("the new run on the list", fmt.Sprintf(`!!document.querySelector('a[href="/console/runs/%s"]')`, fresh.ID))
	tb.shot("runs")
	if tb.eval(`window.notReloaded || "reloaded"`) != "yes" {
		t.Error("the list reloaded instead of updating in place")
	}
	tb.clean()
}

// TestBrowserSupplyInput: a waiting run's page asks for the input by its label; typing it and submitting
// resumes the run, and the page follows it to success.
func TestBrowserSupplyInput(t *testing.T) {
	tb := newTab(t)
	e := newEnv(t, approveTrigger)
	e.deliver(eventB, e.createUser("ann@example.com", ""))
	waiting := e.waitRun(eventB, 0, store.RunWaiting)
	tb.signIn(e.url)
	tb.do("open the waiting run", chromedp.Navigate(e.url+"/console/runs/"+waiting.ID), chromedp.WaitVisible(chromedp.ID("waiting")))
	tb.shot("run-waiting")
	if label := tb.text(`label[for="value"]`); !strings.Contains(label, "approval") {
		t.Errorf("the input's label is %q", label)
	}
	tb.do("supply the approval", chromedp.SendKeys(chromedp.ID("value"), "CHG-4711"),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="waiting"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	tb.waitFor("the run to succeed", `document.querySelector("h1 .badge") && document.querySelector("h1 .badge").textContent === "succeeded"`)
	if out := tb.text("#run-detail"); !strings.Contains(out, `"approval": "CHG-4711"`) || !strings.Contains(out, "ann.operator") {
		t.Errorf("the run's outputs or audit trail lack the approval or who gave it:\n%s", out)
	}
	tb.clean()
}

// TestBrowserRefusesFormWithoutCSRF: a form whose CSRF token is gone is refused, and nothing happens.
func TestBrowserRefusesFormWithoutCSRF(t *testing.T) {
	tb := newTab(t)
	e := newEnv(t, checkTrigger)
	e.deliver(eventA, e.createUser("ann@example.com", ""))
	e.waitRun(eventA, 0, store.RunFailed)
	tb.signIn(e.url)
	tb.do("open the event", chromedp.Navigate(e.url+"/console/events/"+eventA), chromedp.WaitVisible(chromedp.CSS(`main form button[type=submit]`)))
	tb.eval(`document.querySelector('main form input[name="csrf"]').remove(); "ok"`)
	tb.do("replay without the token", chromedp.Click(chromedp.CSS(`main form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`p.error`)))
	if msg := tb.text("p.error"); !strings.Contains(msg, "security token is missing") {
		t.Errorf("the refusal says %q", msg)
	}
	if ev, err := e.srv.Store().GetEvent(context.Background(), eventA); err != nil || ev.Replays != 0 {
		t.Errorf("the event was replayed: %d (%v)", ev.Replays, err)
	}
}

// TestBrowserPhone: on a phone-sized screen the pages fit the width: nothing scrolls sideways except
// the graph and code, which scroll in their own boxes.
func TestBrowserPhone(t *testing.T) {
	tb := newTab(t)
	e := newEnv(t, checkTrigger)
	e.deliver(eventA, e.createUser("ann@example.com", ""))
	failed := e.waitRun(eventA, 0, store.RunFailed)
	tb.do("phone screen", chromedp.EmulateViewport(390, 844))
	tb.signIn(e.url)
	for _, p := range []string{"/console/runs", "/console/runs/" + failed.ID, "/console/events", "/console/events/" + eventA, "/console/flows"} {
		tb.do("open "+p, chromedp.Navigate(e.url+p), chromedp.WaitVisible(chromedp.CSS("h1")))
		if p == "/console/runs/"+failed.ID {
			tb.shot("phone-run")
		}
		if w := tb.eval(`String(document.documentElement.scrollWidth) + " " + String(window.innerWidth)`); strings.Fields(w)[0] != strings.Fields(w)[1] {
			wide := tb.eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className + " " + e.textContent.slice(0, 40)).join("\n")`)
			t.Errorf("%s is wider than the screen (scroll width, screen width: %s):\n%s", p, w, wide)
		}
	}
	tb.clean()
}
