package console

import (
	"context"
	"net/http"
	"sort"
	"sync"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/history"
	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/secret"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/worker"
)

// runView is one run's page.
type runView struct {
	Run  history.Run
	User *okta.CardEntity
	// Graph is the workflow drawn with the run's path; GraphError says why there is none.
	Graph      *graph
	GraphError string
	// Attempts are the run's steps grouped by the attempt that executed them.
	Attempts []attemptView
	// Resume describes the waiting run's form.
	Resume *resumeView
	// Message is what a run waiting for a message waits for.
	Message *store.Waiting
	// Failed is the failing step, for the summary at the top.
	Failed *history.Step
}

type attemptView struct {
	Attempt int
	Owner   string
	Claimed string
	Steps   []stepView
}

// stepView is a step of the timeline with its success criteria as the workflow writes them, each with
// whether it passed and, when not, why.
type stepView struct {
	history.Step
	Checks []checkView
}

type checkView struct {
	Condition, Context, Type string
	// Result is "passed", "failed" or "not evaluated" (the step got no response to judge).
	Result, Why string
}

type resumeView struct {
	Input, Description, Type string
	// Secret inputs get a password field, so the value is not shown on screen.
	Secret bool
	// Mode is the field's inputmode: numeric for numbers, so phones show digits.
	Mode string
}

// notices are the messages an action leaves for the page it returns to, by code: fixed texts, so
// nothing a URL says is repeated on the page.
var notices = map[string]string{
	"resolved": "Your decision is recorded; the run goes on as you decided.",
	"resumed":  "The input is supplied; the run is queued again and goes on from where it waited.",
	"replayed": "The event is queued for dispatch again; its new runs appear below.",
}

func (c *Console) run(w http.ResponseWriter, r *http.Request, s session) {
	c.showRun(w, r, s, http.StatusOK, notices[r.URL.Query().Get("done")], "")
}

// showRun renders the page of the run in the path, with a notice or an error from an action.
func (c *Console) showRun(w http.ResponseWriter, r *http.Request, s session, status int, notice, errMsg string) {
	ctx, cancel := c.ctx(r)
	defer cancel()
	id := r.PathValue("id")
	run, err := history.ShowRun(ctx, c.st, id)
	if err != nil {
		st, msg := storeError(err)
		c.fail(w, r, &s, st, msg)
		return
	}
	body := runView{Run: run}
	body.User = c.cardUser(ctx, run.EventUUID)
	for i := range run.Steps {
		if st := run.Steps[i]; st.Status == "failed" {
			body.Failed = &run.Steps[i]
		}
	}
	waitingStep, doubtStep := "", ""
	if wt := run.WaitingFor; wt != nil && wt.Message != nil {
		waitingStep = wt.StepID
		body.Message = wt
	} else if wt != nil {
		waitingStep = wt.StepID
		body.Resume = &resumeView{Input: wt.Input, Description: wt.Description, Type: wt.Type,
			Secret: secret.IsSecretName(wt.Input)}
		if wt.Type == "integer" || wt.Type == "number" {
			body.Resume.Mode = "numeric"
		}
	}
	if run.InDoubt != nil {
		doubtStep = run.InDoubt.StepID
	}
	var doc *arazzo.Document
	if run.Version == "" {
		body.GraphError = "The run has no pinned workflow version to draw."
	} else if d, err := c.docs.get(ctx, c.st, run.Version); err != nil {
		body.GraphError = "The workflow could not be read: " + err.Error()
	} else if doc, body.Graph = d, buildGraph(d, run.WorkflowID, run.Steps, waitingStep, doubtStep); body.Graph == nil {
		body.GraphError = "The workflow document has no workflow " + run.WorkflowID + "."
	}
	body.Attempts = attempts(run, doc)
	v := view{Title: "Run " + run.ID, Nav: "runs", Session: &s, Notice: notice, Error: errMsg, Body: body}
	if !store.RunStatus(run.Status).Finished() {
		v.Live = liveURL("run", map[string][]string{"id": {run.ID}}, runVersion(run))
	}
	c.render(w, r, status, "run", v)
}

// cardUser is the Okta user of an event as its card shows it (display name, login, id), or nil.
func (c *Console) cardUser(ctx context.Context, uuid string) *okta.CardEntity {
	srcs, err := c.st.CardSources(ctx, []string{uuid})
	if err != nil {
		c.logger.Warn("console: read the event of a run", "event", uuid, "error", err)
		return nil
	}
	src, ok := srcs[uuid]
	if !ok {
		return nil
	}
	if card, err := history.CardOf(src); err == nil && card.OktaUser != nil && card.OktaUser.ID != "" {
		return card.OktaUser
	}
	return nil
}

// attempts groups a run's steps by the attempt that executed them, oldest first; steps an operator
// wrote (a skipped request in doubt) form a group of their own. With the workflow document, each step
// lists its success criteria.
func attempts(run history.Run, doc *arazzo.Document) []attemptView {
	byAttempt := map[int]*attemptView{}
	for _, a := range run.AttemptLog {
		byAttempt[a.Attempt] = &attemptView{Attempt: a.Attempt, Owner: a.Owner, Claimed: showTime(a.ClaimedAt)}
	}
	for _, st := range run.Steps {
		a, ok := byAttempt[st.RunAttempt]
		if !ok {
			a = &attemptView{Attempt: st.RunAttempt}
			byAttempt[st.RunAttempt] = a
		}
		a.Steps = append(a.Steps, stepView{Step: st, Checks: checks(doc, run.WorkflowID, st)})
	}
	out := make([]attemptView, 0, len(byAttempt))
	for _, a := range byAttempt {
		sort.SliceStable(a.Steps, func(i, j int) bool { return a.Steps[i].Seq < a.Steps[j].Seq })
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Attempt < out[j].Attempt })
	return out
}

// checks are a step's success criteria with their outcome in this execution: the checkpoint lists the
// ones that failed, so the others passed — when the step got a response to judge.
func checks(doc *arazzo.Document, runWorkflow string, st history.Step) []checkView {
	if doc == nil {
		return nil
	}
	wfID := runWorkflow
	if st.WorkflowID != "" {
		wfID = st.WorkflowID
	}
	var step *arazzo.Step
	for _, wf := range doc.Workflows {
		if wf.WorkflowID == wfID {
			step = wf.Step(st.StepID)
		}
	}
	if step == nil {
		return nil
	}
	failed := map[string]string{}
	for _, n := range st.Criteria {
		failed[n.Condition] = n.Message
	}
	var out []checkView
	for _, c := range step.SuccessCriteria {
		cv := checkView{Condition: c.Condition, Context: c.Context, Type: c.Type}
		switch why, ok := failed[c.Condition]; {
		case ok:
			cv.Result, cv.Why = "failed", why
		case st.StatusCode == 0 && st.Status != "succeeded":
			cv.Result = "not evaluated"
		default:
			cv.Result = "passed"
		}
		out = append(out, cv)
	}
	return out
}

// docCache keeps the workflow documents of the versions runs were pinned to: a version never changes, so
// a document read once serves every later page.
type docCache struct {
	mu   sync.Mutex
	docs map[string]*arazzo.Document
}

// maxDocs bounds the cache; a deployment has a handful of workflows and versions.
const maxDocs = 64

func (d *docCache) get(ctx context.Context, st worker.Documents, version string) (*arazzo.Document, error) {
	d.mu.Lock()
	doc, ok := d.docs[version]
	d.mu.Unlock()
	if ok {
		return doc, nil
	}
	doc, err := worker.PinnedDocument(ctx, st, version)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.docs == nil || len(d.docs) >= maxDocs {
		d.docs = map[string]*arazzo.Document{}
	}
	d.docs[version] = doc
	return doc, nil
}
