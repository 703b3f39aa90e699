// Package demo runs trama's whole system in one process, offline: an Okta emulator, trama serve with a
// temporary SQLite store, an event hook registered and verified in the emulator, a user who enrolls and
// activates a TOTP factor through trama's example workflow, the user.mfa.factor.activate event Okta
// delivers, and the workflow it triggers — then it prints the event card and the run history.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/examples"
	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/inputhelper"
	"github.com/trama-dev/trama/okta/emulator"
	"github.com/trama-dev/trama/okta/eventstream"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/server"
	"github.com/trama-dev/trama/store"
)

// Options configure Run. The zero value is what `trama demo` does.
type Options struct {
	// Out receives the demo's narrative; nil means os.Stdout.
	Out io.Writer
	// Logger receives the components' logs; nil discards them (the narrative says what matters).
	Logger *slog.Logger
	// Dir keeps the demo's files (store, config, workflows) there instead of a temporary directory that
	// is removed at the end.
	Dir string
	// Timeout bounds the whole demo; 0 means 60 s.
	Timeout time.Duration
	// KeepOpen keeps the emulator and trama serve running after the demo, until ctx ends, so the run can
	// be explored in the web console (and the emulator scripted).
	KeepOpen bool
}

// Result is what the demo produced, for tests.
type Result struct {
	UserID                string
	FactorID              string
	EventUUID             string
	Run                   store.Run
	Dir                   string
	EmulatorURL, ServeURL string
	// ConsoleURL is the web console's address; TokenFile holds the token to sign in with.
	ConsoleURL, TokenFile string
}

// demoConfig is the trama serve configuration the demo writes next to the example workflows. Secrets come
// from the demo's own environment function, never from the process environment.
const demoConfig = `# trama serve configuration written by trama demo
store: sqlite:./trama.db
hooks:
  okta:
    path: /hooks/okta
    auth: { header: Authorization, value: "${TRAMA_HOOK_SECRET}" }
api:
  token: ${TRAMA_API_TOKEN}
okta:
  orgUrl: ${OKTA_ORG_URL}
  token: ${OKTA_API_TOKEN}
triggers:
  - name: audit-new-factor
    on: user.mfa.factor.activate
    # Step 7's push enrolment is shown on its own; its activation is skipped here, with the reason kept.
    when: $event.reason != 'User set up OKTA_VERIFY_PUSH factor'
    run: { file: flows/audit-new-factor.arazzo.yaml, workflow: audit-new-factor }
    inputs:
      userId: $event.oktaUser.id
      reason: $event.reason
      oktaApiToken: $env.OKTA_API_TOKEN
`

// Run runs the demo. It returns an error that says which stage failed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	started := time.Now()
	res := &Result{}
	p := &printer{w: out}

	dir := opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "trama-demo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	res.Dir = dir
	if err := writeExamples(dir); err != nil {
		return nil, fmt.Errorf("write the example workflows: %w", err)
	}

	p.title("trama demo: Okta event → exactly-once workflow run, all on this machine")

	// 1. The Okta org.
	token := "00demo-" + randomHex(16)
	emuLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the emulator: %w", err)
	}
	emuURL := "http://" + emuLn.Addr().String()
	emu, err := emulator.New(emulator.Options{
		BaseURL: emuURL, Token: token, Logger: logger, AllowHTTPHooks: true,
		HookBatchWindow: 5 * time.Millisecond,
	})
	if err != nil {
		emuLn.Close()
		return nil, fmt.Errorf("start the emulator: %w", err)
	}
	defer emu.Close()
	emuSrv := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go emuSrv.Serve(emuLn)
	defer emuSrv.Close()
	res.EmulatorURL = emuURL
	p.step("1", "Okta emulator", "%s (a local Okta org; API token %s…)", emuURL, token[:10])

	// 2. trama serve.
	hookSecret := "demo-hook-" + randomHex(12)
	// The console's token is written to a file, not printed: a token on a terminal ends up in scrollback
	// and logs.
	apiToken := "demo-console-" + randomHex(16)
	res.TokenFile = filepath.Join(dir, "api-token")
	if err := os.WriteFile(res.TokenFile, []byte(apiToken+"\n"), 0o600); err != nil {
		return nil, err
	}
	env := mapEnv(map[string]string{"TRAMA_HOOK_SECRET": hookSecret, "OKTA_API_TOKEN": token, "OKTA_ORG_URL": emuURL,
		"TRAMA_API_TOKEN": apiToken})
	cfgPath := filepath.Join(dir, "trama.yaml")
	if err := os.WriteFile(cfgPath, []byte(demoConfig), 0o600); err != nil {
		return nil, err
	}
	cfg, err := config.Load(cfgPath, env)
	if err != nil {
		return nil, fmt.Errorf("the demo configuration: %w", err)
	}
	finished := make(chan store.Run, 4)
	srv, err := server.Start(ctx, cfg, server.Options{
		Logger: logger, Env: env,
		Runner: runner.Options{Servers: map[string]string{"okta": emuURL}},
		OnRunFinished: func(r store.Run, _ *runner.Result) {
			select {
			case finished <- r:
			default:
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start trama serve: %w", err)
	}
	defer srv.Stop()
	serveURL := srv.URL
	res.ServeURL = serveURL
	res.ConsoleURL = srv.ConsoleURL(serveURL)
	p.step("2", "trama serve", "%s, store %s", serveURL, filepath.Join(dir, "trama.db"))
	if opts.KeepOpen {
		p.detail("console %s (sign in with the token in %s)", res.ConsoleURL, res.TokenFile)
	}
	p.detail("trigger audit-new-factor: on user.mfa.factor.activate run flows/audit-new-factor.arazzo.yaml")

	okta := &oktaClient{base: emuURL, token: token}
	// 3. The event hook, as an Okta admin would create it.
	hookID, err := okta.createEventHook(ctx, serveURL+"/hooks/okta", hookSecret)
	if err != nil {
		return nil, fmt.Errorf("create the event hook: %w", err)
	}
	if err := okta.verifyEventHook(ctx, hookID); err != nil {
		return nil, fmt.Errorf("verify the event hook: %w", err)
	}
	p.step("3", "Event hook", "%s → %s/hooks/okta, verified (Okta's GET challenge answered by trama)", hookID, serveURL)

	// 4. A user.
	userID, err := okta.createUser(ctx, "ann.lee@example.com", "Ann", "Lee")
	if err != nil {
		return nil, fmt.Errorf("create a user: %w", err)
	}
	res.UserID = userID
	p.step("4", "User", "ann.lee@example.com (%s)", userID)

	// 5. The example workflow.
	wfPath := filepath.Join(dir, "enroll-and-activate.arazzo.yaml")
	p.step("5", "Workflow", "examples/enroll-and-activate.arazzo.yaml, workflow enroll-and-activate-factor")
	bundle, err := (&arazzo.Loader{}).Load(ctx, wfPath)
	if err != nil {
		return nil, err
	}
	if arazzo.HasErrors(bundle.Validate(arazzo.ValidateOptions{})) {
		return nil, errors.New("the example workflow does not validate")
	}
	auth := &inputhelper.EmulatorDevice{BaseURL: emuURL, OnCode: func(factorID, _ string) {
		// The code itself is not shown: passCode is a secret input, masked in everything trama prints.
		p.detail("passCode read from the emulator's virtual authenticator for factor %s", factorID)
	}}
	r := runner.New(bundle, runner.Options{
		Servers:       map[string]string{"okta": emuURL},
		InputProvider: auth,
		Observer:      &progress{p: p},
		UserAgent:     "trama-demo",
	})
	wfRes, err := r.Run(ctx, "enroll-and-activate-factor", map[string]any{"oktaApiToken": token, "userId": userID})
	if err != nil {
		return nil, fmt.Errorf("run the example workflow: %w", err)
	}
	if wfRes.Status != runner.StatusSucceeded {
		return nil, fmt.Errorf("the example workflow failed: %s", wfRes.Error.Message)
	}
	res.FactorID, _ = wfRes.Outputs["factorId"].(string)
	p.detail("factor %s is %v", res.FactorID, wfRes.Outputs["status"])

	// 6. Okta delivers the event; trama runs the bound flow.
	var run store.Run
	select {
	case run = <-finished:
	case <-ctx.Done():
		return nil, errors.New("the triggered run did not finish in time: check the event hook and trama serve logs")
	}
	res.Run = run
	res.EventUUID = run.EventUUID
	p.step("6", "Event", "Okta delivered user.mfa.factor.activate; trama stored it, then ran trigger %s: %s", run.Trigger, run.Status)

	ev, err := history.ShowEvent(ctx, srv.Store(), run.EventUUID)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out)
	if ev.Card != nil {
		var b bytes.Buffer
		history.WriteCard(&b, *ev.Card)
		p.block(b.String())
	}
	stored, err := srv.Store().GetRun(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	steps, err := srv.Store().Steps(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	history.WriteRun(&b, history.FromRun(stored, steps))
	p.block(b.String())
	if stored.Status != store.RunSucceeded {
		return res, fmt.Errorf("the triggered run %s failed: %s", stored.ID, stored.Error)
	}

	// 7. A workflow that waits for the world: Okta Verify push is active only once the phone approves.
	if err := waitForPush(ctx, p, dir, okta, emuURL, userID); err != nil {
		return res, err
	}

	fmt.Fprintf(out, "\nDone in %s. What you just saw:\n", time.Since(started).Round(time.Millisecond))
	fmt.Fprint(out, `  - trama run executed an Arazzo workflow against the Okta API, asking for the passcode only when
    the activation step needed it.
  - Okta (emulated) published user.mfa.factor.activate to the System Log and delivered it to trama's
    event hook; trama stored it before acknowledging and ran the bound workflow exactly once.
  - The event card above has the fields of Okta Workflows' "User MFA Factor Activated" card.
  - An Arazzo 1.1 receive step waited for Okta's own event: the push factor's activation, read from
    the System Log (in trama serve the run would wait durably for the event hook instead).

Try next (install trama first: go install ./cmd/trama puts it in $(go env GOPATH)/bin):
  trama okta-emulator                                   # a local Okta org to script against
  trama validate examples/*.arazzo.yaml                 # diagnostics with file:line:col
  trama run examples/enroll-and-activate.arazzo.yaml --server okta=<the emulator's URL> \
      --input oktaApiToken=<its token> --input userId=<a user id from its banner> \
      --input-helper okta-emulator=<the emulator's URL>   # the passcode, without a terminal
  trama run examples/enroll-okta-verify-push.arazzo.yaml --server okta=<URL> --server oktaEvents=<URL> \
      --input oktaApiToken=<token> --input userId=<id>   # approve: POST <URL>/emulator/v1/push/<factorId>
  trama demo --keep-open                                # then open the run in the web console
  trama demo --keep ./demo-out                          # keep this demo's store, then:
  trama runs list --db ./demo-out/trama.db              # the history
  trama events show <event uuid> --db ./demo-out/trama.db
  trama console --db ./demo-out/trama.db                # the same, in the browser, read-only
  trama serve --config examples/trama.yaml              # the same trigger against a real org
`)
	if opts.Dir != "" {
		db := filepath.Join(dir, "trama.db")
		fmt.Fprintf(out, "\nThe demo's files are in %s. Its history:\n  trama runs list --db %s\n  trama events show %s --db %s\n",
			dir, db, res.EventUUID, db)
	}
	if opts.KeepOpen {
		fmt.Fprintf(out, "\nStill running, until you press Ctrl-C:\n  console   %sruns/%s\n            sign in with the token in %s\n  emulator  %s (API token %s…)\n",
			res.ConsoleURL, run.ID, res.TokenFile, emuURL, token[:10])
		<-parent.Done()
		fmt.Fprintln(out, "Stopped.")
	}
	return res, nil
}

// waitForPush runs the push example: it enrolls Okta Verify push for the user and waits, in an AsyncAPI
// receive step on Okta's event stream, for the factor's activation, which the emulator's phone approves
// meanwhile.
func waitForPush(ctx context.Context, p *printer, dir string, okta *oktaClient, emuURL, userID string) error {
	p.step("7", "Waiting for an event", "examples/enroll-okta-verify-push.arazzo.yaml: enroll Okta Verify push, then wait for")
	p.detail("Okta's user.mfa.factor.activate of that factor (an Arazzo 1.1 receive step on Okta's event stream)")
	bundle, err := (&arazzo.Loader{}).Load(ctx, filepath.Join(dir, "enroll-okta-verify-push.arazzo.yaml"))
	if err != nil {
		return err
	}
	if arazzo.HasErrors(bundle.Validate(arazzo.ValidateOptions{})) {
		return errors.New("the push example does not validate")
	}
	r := runner.New(bundle, runner.Options{
		Servers:   map[string]string{"okta": emuURL, "oktaEvents": emuURL},
		Messenger: &eventstream.SystemLog{},
		Observer:  &progress{p: p},
		UserAgent: "trama-demo",
	})
	phone := make(chan error, 1)
	go func() {
		id, err := okta.approvePush(ctx, userID)
		if err == nil {
			p.detail("the user's phone (the emulator's) approved the enrolment of factor %s", id)
		}
		phone <- err
	}()
	res, err := r.Run(ctx, "enroll-okta-verify-push", map[string]any{"oktaApiToken": okta.token, "userId": userID})
	if err != nil {
		return fmt.Errorf("run the push example: %w", err)
	}
	if err := <-phone; err != nil {
		return fmt.Errorf("approve the push enrolment: %w", err)
	}
	if res.Status != runner.StatusSucceeded {
		return fmt.Errorf("the push example failed: %s", res.Error.Message)
	}
	p.detail("received event %v, published %v", res.Outputs["eventUuid"], res.Outputs["activatedAt"])
	return nil
}

// writeExamples copies the embedded example workflows, their description and the example config into dir.
func writeExamples(dir string) error {
	return fs.WalkDir(examples.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := examples.FS.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// printer writes the demo's narrative.
type printer struct{ w io.Writer }

func (p *printer) title(s string) { fmt.Fprintf(p.w, "%s\n\n", s) }
func (p *printer) step(n, what, format string, args ...any) {
	fmt.Fprintf(p.w, "%s. %-14s %s\n", n, what, fmt.Sprintf(format, args...))
}
func (p *printer) detail(format string, args ...any) {
	fmt.Fprintf(p.w, "   %s\n", fmt.Sprintf(format, args...))
}
func (p *printer) block(s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(p.w, "   %s\n", line)
	}
	fmt.Fprintln(p.w)
}

// progress prints each step of the example workflow as it finishes.
type progress struct{ p *printer }

func (o *progress) StepStarted(string, string, int) {}
func (o *progress) Exchange(runner.Exchange)        {}
func (o *progress) StepFinished(r runner.StepResult) {
	mark := "✓"
	if r.Status != runner.StatusSucceeded {
		mark = "✗"
	}
	code := "-" // a message step has no HTTP status
	if r.Response != nil {
		code = fmt.Sprint(r.Response.StatusCode)
	}
	method := ""
	if r.Request != nil {
		method = r.Request.Method
	}
	o.p.detail("%s %-17s %-7s %3s %7.1fms", mark, r.StepID, method, code, r.DurationMs)
}

// oktaClient makes the few admin calls the demo needs, the way any HTTP client of Okta's API would.
type oktaClient struct{ base, token string }

func (c *oktaClient) do(ctx context.Context, method, path string, body any) (map[string]any, error) {
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rdr = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rdr)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "SSWS "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s %s: %s: %w", method, path, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %s: %v %v", method, path, resp.Status, out["errorCode"], out["errorSummary"])
	}
	return out, nil
}

func (c *oktaClient) createEventHook(ctx context.Context, uri, secret string) (string, error) {
	h, err := c.do(ctx, "POST", "/api/v1/eventHooks", map[string]any{
		"name":   "trama demo",
		"events": map[string]any{"type": "EVENT_TYPE", "items": []string{"user.mfa.factor.activate"}},
		"channel": map[string]any{"type": "HTTP", "version": "1.0.0", "config": map[string]any{
			"uri":        uri,
			"authScheme": map[string]any{"type": "HEADER", "key": "Authorization", "value": secret},
		}},
	})
	if err != nil {
		return "", err
	}
	id, _ := h["id"].(string)
	return id, nil
}

func (c *oktaClient) verifyEventHook(ctx context.Context, id string) error {
	h, err := c.do(ctx, "POST", "/api/v1/eventHooks/"+id+"/lifecycle/verify", nil)
	if err != nil {
		return err
	}
	if h["verificationStatus"] != "VERIFIED" {
		return fmt.Errorf("hook %s is %v", id, h["verificationStatus"])
	}
	return nil
}

// approvePush plays the user's phone: once the user's Okta Verify push factor waits for activation, it
// approves it through the emulator's affordance and returns the factor's id.
func (c *oktaClient) approvePush(ctx context.Context, userID string) (string, error) {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/users/"+userID+"/factors", nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "SSWS "+c.token)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		var factors []struct{ ID, FactorType, Status string }
		err = json.NewDecoder(resp.Body).Decode(&factors)
		resp.Body.Close()
		if err != nil {
			return "", fmt.Errorf("list factors: %s: %w", resp.Status, err)
		}
		for _, f := range factors {
			if f.FactorType == "push" && f.Status == "PENDING_ACTIVATION" {
				_, err := c.do(ctx, http.MethodPost, "/emulator/v1/push/"+f.ID, map[string]string{"result": "APPROVE"})
				return f.ID, err
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *oktaClient) createUser(ctx context.Context, login, first, last string) (string, error) {
	u, err := c.do(ctx, "POST", "/api/v1/users?activate=true", map[string]any{
		"profile": map[string]any{"login": login, "email": login, "firstName": first, "lastName": last},
	})
	if err != nil {
		return "", err
	}
	id, _ := u["id"].(string)
	return id, nil
}
