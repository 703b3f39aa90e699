package console_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

const (
	eventA = "1a1a1a1a-0000-11ef-8000-00000000000a"
	eventB = "2b2b2b2b-0000-11ef-8000-00000000000b"
)

// TestSignIn: the console asks for the API token once and keeps a signed session cookie; a wrong token,
// a stale form or a tampered cookie gets nowhere, and nothing it answers repeats a token.
func TestSignIn(t *testing.T) {
	e := newEnv(t, checkTrigger)
	anon := e.client()
	resp := anon.post("/console/signin", url.Values{"token": {apiToken}}, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", resp.StatusCode)
	}
	code, _ := anon.get("/console/runs?status=failed")
	if code != http.StatusSeeOther {
		t.Errorf("a page without a session: %d, want a redirect to sign in", code)
	}
	req, _ := http.NewRequest("GET", e.url+"/console/runs?status=failed", nil)
	r, _ := anon.do(req)
	if loc := r.Header.Get("Location"); loc != "/console/signin?next="+url.QueryEscape("/console/runs?status=failed") {
		t.Errorf("redirect to %q", loc)
	}

	req, _ = http.NewRequest("GET", e.url+"/console/signin", nil)
	r, page := anon.do(req)
	ck := cookieNamed(r, "trama_signin")
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || ck.Secure {
		t.Errorf("sign-in cookie %+v", ck)
	}
	for _, want := range []string{`<label for="token">API token</label>`, `type="password"`, `<main id="main">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
	csrf := field(page, "csrf")
	resp = anon.post("/console/signin", url.Values{"csrf": {csrf}, "token": {apiToken + "x"}}, "")
	if body := bodyOf(resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not the API token") || strings.Contains(body, apiToken) {
		t.Errorf("a wrong token: %d\n%s", resp.StatusCode, body)
	}
	// The form that says so is a new one, with a new token.
	resp = anon.post("/console/signin", url.Values{"csrf": {csrf}, "token": {apiToken}, "next": {"//evil.example/x"}}, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("the first form again: %d, want 403", resp.StatusCode)
	}
	csrf = field(bodyOf(resp), "csrf")
	resp = anon.post("/console/signin", url.Values{"csrf": {csrf}, "token": {apiToken}, "next": {"//evil.example/x"}}, "")
	sess := cookieNamed(resp, "trama_session")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/runs" {
		t.Errorf("sign-in: %d to %q (a next on another site must not be followed)", resp.StatusCode, resp.Header.Get("Location"))
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Secure || sess.MaxAge != 12*3600 || strings.Contains(sess.Value, apiToken) {
		t.Fatalf("session cookie %+v", sess)
	}
	if code, page := anon.get("/console/runs"); code != 200 || !strings.Contains(page, "Signed in as ann.operator") {
		t.Errorf("after signing in: %d", code)
	}

	// Behind a TLS proxy the cookies are Secure.
	tls := e.client()
	req, _ = http.NewRequest("GET", e.url+"/console/signin", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	if r, _ := tls.do(req); cookieNamed(r, "trama_signin") == nil || !cookieNamed(r, "trama_signin").Secure {
		t.Error("behind https the sign-in cookie is not Secure")
	}

	// A tampered or foreign cookie is no session.
	for _, v := range []string{sess.Value + "x", strings.Replace(sess.Value, ".", "..", 1), "", "a.b.c.d", strings.Repeat("x", 5000)} {
		forged := e.client()
		u, _ := url.Parse(e.url + "/console/")
		forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: "trama_session", Value: v, Path: "/console/"}})
		if code, _ := forged.get("/console/runs"); code != http.StatusSeeOther {
			t.Errorf("cookie %.30q: %d, want a redirect to sign in", v, code)
		}
	}

	// Signing out ends the session in this browser.
	_, page = anon.get("/console/runs")
	if resp := anon.post("/console/signout", url.Values{"csrf": {field(page, "csrf")}}, ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign out: %d", resp.StatusCode)
	}
	if code, _ := anon.get("/console/runs"); code != http.StatusSeeOther {
		t.Errorf("after signing out: %d", code)
	}
}

// TestSignInThrottled: an address that keeps guessing is told to wait, even when it finally guesses
// right.
func TestSignInThrottled(t *testing.T) {
	e := newEnv(t, checkTrigger)
	b := e.client()
	for i := range 12 {
		_, page := b.get("/console/signin")
		resp := b.post("/console/signin", url.Values{"csrf": {field(page, "csrf")}, "token": {"guess-number-" + string(rune('a'+i))}}, "")
		if i < 10 && resp.StatusCode != http.StatusUnauthorized || i >= 10 && resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("guess %d: %d", i+1, resp.StatusCode)
		}
	}
	_, page := b.get("/console/signin")
	if resp := b.post("/console/signin", url.Values{"csrf": {field(page, "csrf")}, "token": {apiToken}}, ""); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right token after ten wrong ones within a minute: %d, want 429", resp.StatusCode)
	}
}

// TestSecurityHeaders: every answer of the console forbids framing, sniffing and foreign content.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, checkTrigger)
	b := e.signIn()
	for _, p := range []string{"/console/signin", "/console/runs", "/console/events", "/console/flows", "/console/nope", "/console/runs/nope"} {
		req, _ := http.NewRequest("GET", e.url+p, nil)
		r, page := b.do(req)
		h := r.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, h)
		}
		// Nothing is loaded from elsewhere, and nothing inline that the policy would block.
		if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(page) || strings.Contains(page, " style=") || strings.Contains(page, "<script>") {
			t.Errorf("%s loads from another origin or inline", p)
		}
	}
	if code, page := b.get("/console/runs/nope"); code != 404 || !strings.Contains(page, "Not found") {
		t.Errorf("unknown run: %d", code)
	}
}

// TestFailedRunAndReplay is the story over HTTP: a run fails on a criterion; the runs list finds
// it by the user's email; its page says which criterion failed and shows the response; the event page
// shows the card; the user is fixed and the event replayed from the console, and the new run succeeds,
// with who replayed it in the event's audit trail.
func TestFailedRunAndReplay(t *testing.T) {
	e := newEnv(t, checkTrigger)
	ann := e.createUser("ann@example.com", "")
	e.deliver(eventA, ann)
	failed := e.waitRun(eventA, 0, store.RunFailed)
	b := e.signIn()

	_, list := b.get("/console/runs?" + url.Values{"user": {"ANN@example.com"}, "status": {"failed"}}.Encode())
	if !strings.Contains(list, failed.ID) || !strings.Contains(list, "ann@example.com") {
		t.Fatalf("the failed run is not listed under its user's email:\n%s", list)
	}
	if _, other := b.get("/console/runs?user=bob%40example.com"); strings.Contains(other, failed.ID) || !strings.Contains(other, "No run matches") {
		t.Error("another user's filter lists the run")
	}
	if code, bad := b.get("/console/runs?status=lost"); code != 400 || !strings.Contains(bad, "want one of") {
		t.Errorf("a bad filter: %d", code)
	}

	code, page := b.get("/console/runs/" + failed.ID)
	for _, want := range []string{
		`<span class="badge bad">failed</span>`,
		`<code>$response.body#/profile/department == &#39;Security&#39;</code> did not pass`,
		"$response.body#/profile/department has no value",
		"Response body", "&#34;login&#34;: &#34;ann@example.com&#34;",
		`&#34;oktaApiToken&#34;: &#34;****&#34;`,
		`class="g-node bad"`, `class="g-edge g-failure taken"`, "neverRun", "did not run",
		`<span class="badge ok">passed</span> <code>$statusCode == 200</code>`,
		`<span class="badge bad">failed</span> <code>$response.body#/profile/department == &#39;Security&#39;</code>: condition is false`,
	} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("the run page lacks %s", want)
		}
	}

	_, ev := b.get("/console/events/" + eventA)
	for _, want := range []string{"User MFA Factor Activated", "Date and Time", "Message", "Event ID", "Event Type", "Event Time",
		"Version", "Admin", "Okta User", "Reason", "UUID", "Event Details", "Headers", "Source", "Debug Context",
		"User set up OKTA_SOFT_TOKEN factor", failed.ID, "The event as Okta sent it"} {
		if !strings.Contains(ev, want) {
			t.Errorf("the event page lacks %q", want)
		}
	}
	if _, evs := b.get("/console/events?outcome=ran&user=" + ann); !strings.Contains(evs, eventA) {
		t.Error("the events list does not find the event by user and outcome")
	}

	e.setDepartment(ann, "Security")
	resp := b.post("/console/events/"+eventA+"/replay", url.Values{"csrf": {field(ev, "csrf")}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/events/"+eventA+"?done=replayed" {
		t.Fatalf("replay: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	ok := e.waitRun(eventA, 1, store.RunSucceeded)
	_, ev = b.get("/console/events/" + eventA + "?done=replayed")
	if !strings.Contains(ev, ok.ID) || !strings.Contains(ev, "replay by ann.operator") || !strings.Contains(ev, "queued for dispatch again") {
		t.Errorf("after the replay the event page lacks the new run, the notice or the audit entry")
	}
	_, page = b.get("/console/runs/" + ok.ID)
	for _, want := range []string{`<span class="badge ok">succeeded</span>`, `class="g-edge g-goto taken"`, "&#34;department&#34;: &#34;Security&#34;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the replayed run's page lacks %s", want)
		}
	}
	_, flows := b.get("/console/flows")
	for _, want := range []string{`<h2 id="flow-check-department">check-department</h2>`, "user.mfa.factor.activate", "1 failed", "1 succeeded",
		"<dt>Failure rate</dt><dd>50%</dd>", "p50 ", "/console/runs?status=failed&amp;trigger=check-department"} {
		if !strings.Contains(flows, want) {
			t.Errorf("the flows page lacks %s", want)
		}
	}
	e.assertNoSecrets()
}

// TestActionsNeedCSRF: a form without the session's token, from another site, or without a session
// changes nothing.
func TestActionsNeedCSRF(t *testing.T) {
	e := newEnv(t, checkTrigger)
	e.deliver(eventA, e.createUser("ann@example.com", ""))
	e.waitRun(eventA, 0, store.RunFailed)
	b := e.signIn()
	_, page := b.get("/console/events/" + eventA)
	csrf := field(page, "csrf")
	for name, tt := range map[string]struct {
		b      *browser
		form   url.Values
		origin string
	}{
		"no token":          {b, url.Values{}, ""},
		"another's token":   {b, url.Values{"csrf": {"bJbk4NkL306fHdOZF01CiHHPv-bQD5IHCG_8OW3v1aE"}}, ""},
		"another site":      {b, url.Values{"csrf": {csrf}}, "https://evil.example"},
		"a sandboxed frame": {b, url.Values{"csrf": {csrf}}, "null"},
		"no session":        {e.client(), url.Values{"csrf": {csrf}}, ""},
	} {
		if resp := tt.b.post("/console/events/"+eventA+"/replay", tt.form, tt.origin); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	// A GET cannot act.
	if code, _ := b.get("/console/events/" + eventA + "/replay"); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("GET of an action: %d, want 404 or 405", code)
	}
	ev, err := e.srv.Store().GetEvent(context.Background(), eventA)
	if err != nil || ev.Replays != 0 {
		t.Errorf("the event was replayed %d times by refused requests (%v)", ev.Replays, err)
	}
	// Behind a proxy that passes requests on under its own Host, X-Forwarded-Host names the console's site.
	req, _ := http.NewRequest("POST", e.url+"/console/events/"+eventA+"/replay", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://trama.example.com")
	req.Header.Set("X-Forwarded-Host", "trama.example.com")
	if resp, _ := b.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("through a proxy that says which host the browser saw: %d", resp.StatusCode)
	}
	// A tool without an Origin header still needs the token, and with it is heard.
	if resp := b.post("/console/events/"+eventA+"/replay", url.Values{"csrf": {csrf}}, "-"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("with the token and no Origin: %d", resp.StatusCode)
	}
}

// TestSupplyInput: a run waiting for an input shows a labelled field for it; supplying it from the
// console resumes the run, and the audit trail names the console's user.
func TestSupplyInput(t *testing.T) {
	e := newEnv(t, approveTrigger)
	e.deliver(eventB, e.createUser("ann@example.com", ""))
	waiting := e.waitRun(eventB, 0, store.RunWaiting)
	b := e.signIn()
	if _, list := b.get("/console/runs?status=waiting"); !strings.Contains(list, waiting.ID) {
		t.Error("the waiting run is not listed under status waiting")
	}
	_, page := b.get("/console/runs/" + waiting.ID)
	for _, want := range []string{"The run waits for an input", `<label for="value">approval`, "The change ticket that approves this factor",
		`name="input" value="approval"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the waiting run's page lacks %s", want)
		}
	}
	csrf := field(page, "csrf")
	if resp := b.post("/console/runs/"+waiting.ID+"/resume", url.Values{"csrf": {csrf}, "input": {"other"}, "value": {"x"}}, ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("a value for another input: %d, want 409", resp.StatusCode)
	}
	if resp := b.post("/console/runs/"+waiting.ID+"/resume", url.Values{"csrf": {csrf}, "input": {"approval"}, "value": {""}}, ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an empty value: %d, want 400", resp.StatusCode)
	}
	resp := b.post("/console/runs/"+waiting.ID+"/resume", url.Values{"csrf": {csrf}, "input": {"approval"}, "value": {"CHG-4711"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d\n%s", resp.StatusCode, bodyOf(resp))
	}
	e.waitRun(eventB, 0, store.RunSucceeded)
	_, page = b.get("/console/runs/" + waiting.ID)
	if !strings.Contains(page, "&#34;approval&#34;: &#34;CHG-4711&#34;") || !regexp.MustCompile(`<td data-label="Who">ann\.operator</td><td data-label="What">resume</td>`).MatchString(page) {
		t.Errorf("the resumed run's page lacks its output or the audit entry:\n%s", page)
	}
	if resp := b.post("/console/runs/"+waiting.ID+"/resume", url.Values{"csrf": {csrf}, "input": {"approval"}, "value": {"again"}}, ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("resuming a finished run: %d, want 409", resp.StatusCode)
	}
	e.assertNoSecrets()
}

// TestLiveRunsList: the runs list's stream says "change" when a new run appears.
func TestLiveRunsList(t *testing.T) {
	e := newEnv(t, checkTrigger)
	ann := e.createUser("ann@example.com", "")
	b := e.signIn()
	_, page := b.get("/console/runs")
	m := regexp.MustCompile(`data-live="([^"]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `<noscript><meta http-equiv="refresh"`) {
		t.Fatalf("the runs list is not live:\n%s", page)
	}
	live := strings.ReplaceAll(m[1], "&amp;", "&")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+live, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	e.deliver(eventA, ann)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "event: change" {
			return
		}
	}
	t.Fatalf("no change event after a new run: %v", sc.Err())
}

func cookieNamed(r *http.Response, name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// assertNoSecrets checks every answer the console gave in the test — pages, redirects, headers — for the
// deployment's secrets.
func (e *env) assertNoSecrets() {
	e.t.Helper()
	e.mu.Lock()
	all := strings.Join(e.seen, "\n")
	e.mu.Unlock()
	for name, secret := range map[string]string{"API token": apiToken, "Okta token": oktaToken, "hook secret": hookSecret} {
		if i := strings.Index(all, secret); i >= 0 {
			e.t.Errorf("the %s appears in a console answer: …%s…", name, all[max(0, i-200):min(len(all), i+50)])
		}
	}
}

// TestShutdownEndsLiveStreams: an open live page does not hold trama serve up when it stops.
func TestShutdownEndsLiveStreams(t *testing.T) {
	e := newEnv(t, checkTrigger)
	b := e.signIn()
	_, page := b.get("/console/runs")
	m := regexp.MustCompile(`data-live="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the runs list is not live")
	}
	req, _ := http.NewRequest("GET", e.url+strings.ReplaceAll(m[1], "&amp;", "&"), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ended := make(chan struct{})
	go func() {
		io.Copy(io.Discard, resp.Body)
		close(ended)
	}()
	start := time.Now()
	if err := e.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("stopping took %s with a live page open", d)
	}
	select {
	case <-ended:
	case <-time.After(3 * time.Second):
		t.Error("the live stream outlived the server")
	}
}
