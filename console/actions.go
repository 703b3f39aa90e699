package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/worker"
)

// The console's actions are the API's, done as the signed-in user: the audit trail records the
// console's user name (console.user) with each.

// replay queues an event for dispatch again and returns to its page, where the new runs appear.
func (c *Console) replay(w http.ResponseWriter, r *http.Request, s session) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	uuid := r.PathValue("uuid")
	n, err := c.st.Replay(ctx, uuid, s.User)
	if err != nil {
		status, msg := storeError(err)
		c.fail(w, r, &s, status, msg)
		return
	}
	c.logger.Info("console: event replayed", "event", uuid, "replay", n, "by", s.User)
	http.Redirect(w, r, Prefix+"events/"+url.PathEscape(uuid)+"?done=replayed", http.StatusSeeOther)
}

// resolveForm is a decision on an uncertain run.
type resolveForm struct {
	Action, Reason string
}

// maxReason bounds the reason an operator writes; the audit trail keeps it.
const maxReason = 1000

// decodeResolve reads the resolve form: an action of resend, skip or fail, and an optional reason.
func decodeResolve(form url.Values) (resolveForm, error) {
	f := resolveForm{Action: form.Get("action"), Reason: strings.TrimSpace(form.Get("reason"))}
	switch f.Action {
	case "resend", "skip", "fail":
	case "":
		return f, errors.New("choose what to do with the request in doubt: resend it, skip it or fail the run")
	default:
		return f, fmt.Errorf("%q is not a decision: choose resend, skip or fail", clipValue(f.Action))
	}
	if len(f.Reason) > maxReason {
		return f, fmt.Errorf("the reason is %d characters; keep it under %d", len(f.Reason), maxReason)
	}
	if !utf8.ValidString(f.Reason) {
		return f, errors.New("the reason is not valid text")
	}
	return f, nil
}

func (c *Console) resolve(w http.ResponseWriter, r *http.Request, s session) {
	f, err := decodeResolve(r.PostForm)
	if err != nil {
		c.showRun(w, r, s, http.StatusBadRequest, "", err.Error())
		return
	}
	ctx, cancel := c.ctx(r)
	defer cancel()
	id := r.PathValue("id")
	if _, err := worker.Resolve(ctx, c.st, id, f.Action, s.User, f.Reason); err != nil {
		status, msg := storeError(err)
		c.showRun(w, r, s, status, "", msg)
		return
	}
	c.logger.Info("console: run resolved", "run", id, "action", f.Action, "by", s.User)
	http.Redirect(w, r, Prefix+"runs/"+url.PathEscape(id)+"?done=resolved", http.StatusSeeOther)
}

// maxInput bounds a supplied input; a passcode or an approval is a few bytes.
const maxInput = 16 << 10

// decodeInput turns the text a person typed for a waiting run's input into the value its schema type
// asks for: numbers stay exact (json.Number), booleans are true or false, objects and arrays are JSON,
// and anything else is the text itself. Errors never repeat the value: it may be a one-time code.
func decodeInput(typ, raw string) (any, error) {
	if len(raw) > maxInput {
		return nil, fmt.Errorf("the value is %d bytes; at most %d", len(raw), maxInput)
	}
	if !utf8.ValidString(raw) {
		return nil, errors.New("the value is not valid text")
	}
	v := strings.TrimSpace(raw)
	switch typ {
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return nil, errors.New("the input is an integer: type digits only")
		}
		return json.Number(v), nil
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil || !json.Valid([]byte(v)) {
			return nil, errors.New("the input is a number: type it as 12 or 12.5")
		}
		return json.Number(v), nil
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "yes":
			return true, nil
		case "false", "no":
			return false, nil
		}
		return nil, errors.New("the input is true or false")
	case "object", "array":
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			return nil, fmt.Errorf("the input is a JSON %s, and the value is not JSON", typ)
		}
		if _, isObj := x.(map[string]any); typ == "object" && !isObj {
			return nil, errors.New("the input is a JSON object: write it in { }")
		}
		if _, isArr := x.([]any); typ == "array" && !isArr {
			return nil, errors.New("the input is a JSON list: write it in [ ]")
		}
		return x, nil
	}
	if raw == "" {
		return nil, errors.New("type the value the run waits for")
	}
	return raw, nil
}

func (c *Console) resume(w http.ResponseWriter, r *http.Request, s session) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	id := r.PathValue("id")
	run, err := c.st.GetRun(ctx, id)
	if err != nil {
		status, msg := storeError(err)
		c.fail(w, r, &s, status, msg)
		return
	}
	if run.Status != store.RunWaiting || run.Waiting == nil {
		c.showRun(w, r, s, http.StatusConflict, "", fmt.Sprintf("The run is %s, no longer waiting for an input; nothing was supplied.", run.Status))
		return
	}
	// The form names the input it was made for; a run that now waits for another one must not get a
	// value typed for the first.
	if name := r.PostForm.Get("input"); name != run.Waiting.Input {
		c.showRun(w, r, s, http.StatusConflict, "", fmt.Sprintf("The run now waits for input %s, not %s; nothing was supplied.", run.Waiting.Input, clipValue(name)))
		return
	}
	val, err := decodeInput(run.Waiting.Type, r.PostForm.Get("value"))
	if err != nil {
		c.showRun(w, r, s, http.StatusBadRequest, "", "Input "+run.Waiting.Input+": "+err.Error()+".")
		return
	}
	if _, err := worker.Resume(ctx, c.st, id, map[string]any{run.Waiting.Input: val}, s.User); err != nil {
		status, msg := storeError(err)
		c.showRun(w, r, s, status, "", msg)
		return
	}
	c.logger.Info("console: input supplied", "run", id, "input", run.Waiting.Input, "by", s.User)
	http.Redirect(w, r, Prefix+"runs/"+url.PathEscape(id)+"?done=resumed", http.StatusSeeOther)
}

// clipValue keeps a value quoted in an error short.
func clipValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
