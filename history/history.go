// Package history presents trama serve's stored runs and events to people and tools: the JSON shapes of
// the HTTP API (/api/v1/runs, /api/v1/events) and of `trama runs`/`trama events --output json`, and their
// text rendering. Both read the same store, so the API and the CLI always show the same thing.
package history

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
)

// Run is a workflow run as the API and the CLI show it.
type Run struct {
	ID           string `json:"id"`
	Trigger      string `json:"trigger"`
	EventUUID    string `json:"eventUuid"`
	Replay       int    `json:"replay"`
	WorkflowFile string `json:"workflowFile"`
	WorkflowID   string `json:"workflowId"`
	// Version is the digest of the workflow document and sources the run executes, pinned when it was
	// created: a change to the files later does not change what the run does.
	Version    string          `json:"version,omitempty"`
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts"`
	CreatedAt  time.Time       `json:"createdAt"`
	StartedAt  *time.Time      `json:"startedAt,omitempty"`
	FinishedAt *time.Time      `json:"finishedAt,omitempty"`
	DurationMs *float64        `json:"durationMs,omitempty"`
	Inputs     json.RawMessage `json:"inputs,omitempty"`
	Outputs    json.RawMessage `json:"outputs,omitempty"`
	Error      string          `json:"error,omitempty"`
	// RetryAt is when a retrying run will be tried again.
	RetryAt *time.Time `json:"retryAt,omitempty"`
	// InDoubt is, on an uncertain run, the request trama cannot tell reached the API; resolve the run
	// with trama runs resolve.
	InDoubt *store.Intent `json:"inDoubt,omitempty"`
	// Resolution is an operator's latest decision on the run.
	Resolution *store.Resolution `json:"resolution,omitempty"`
	// WaitingFor is, on a waiting run, the input it waits for and until when; give it with trama runs
	// resume.
	WaitingFor *store.Waiting `json:"waitingFor,omitempty"`
	// Steps, AttemptLog and Audit are set when one run is shown.
	Steps      []Step             `json:"steps,omitempty"`
	AttemptLog []store.Attempt    `json:"attemptLog,omitempty"`
	Audit      []store.AuditEntry `json:"audit,omitempty"`
}

// Step is one finished step of a run.
type Step struct {
	Seq int `json:"seq"`
	// RunAttempt is the run attempt that executed the step; a step retried after a transient failure
	// shows once per attempt.
	RunAttempt int    `json:"runAttempt"`
	StepID     string `json:"stepId"`
	// WorkflowID is the workflow the step belongs to, when it is not the run's own (a dependency or a
	// sub-workflow); from the checkpoint.
	WorkflowID string `json:"workflowId,omitempty"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	Method     string `json:"method,omitempty"`
	URL        string `json:"url,omitempty"`
	// Auth says which credential authenticated the request when a connection did.
	Auth       string          `json:"auth,omitempty"`
	StatusCode int             `json:"statusCode,omitempty"`
	StartedAt  time.Time       `json:"startedAt"`
	DurationMs float64         `json:"durationMs"`
	Request    json.RawMessage `json:"request,omitempty"`
	Response   json.RawMessage `json:"response,omitempty"`
	Outputs    json.RawMessage `json:"outputs,omitempty"`
	Error      string          `json:"error,omitempty"`
	// Criteria are the step's success criteria that did not pass, each with why (what its expressions
	// evaluated to); Decision is what the run did next (next, goto, end, fail) and the action that
	// decided. Both come from the step's checkpoint.
	Criteria []runner.CriterionNote `json:"criteria,omitempty"`
	Decision *runner.Decision       `json:"decision,omitempty"`
}

// Event is a stored Okta event.
type Event struct {
	UUID       string    `json:"uuid"`
	Type       string    `json:"eventType"`
	Published  time.Time `json:"published"`
	ReceivedAt time.Time `json:"receivedAt"`
	Source     string    `json:"source"`
	Replays    int       `json:"replays"`
	Duplicates int       `json:"duplicates"`
	// Pending is true while the event waits to be matched against the triggers (or to be matched again
	// after a replay); DispatchError is why the latest attempt failed, if it did.
	Pending       bool   `json:"pending,omitempty"`
	DispatchError string `json:"dispatchError,omitempty"`
	// RunCount counts the event's runs, replays included. Skipped lists the triggers that matched the
	// event's type but started no run at its latest dispatch, with why (loop-guard, when-false,
	// when-error, input-error): the answer to "why did my workflow not run?".
	RunCount int          `json:"runCount"`
	Skipped  []store.Skip `json:"skipped,omitempty"`
	// User is the Okta user the event is about (login in lower case), recorded when the event arrived.
	User        *store.EventUser `json:"user,omitempty"`
	DeliveryIDs []string         `json:"deliveryIds,omitempty"`
	Card        *okta.Card       `json:"card,omitempty"`
	// Payload is the LogEvent as Okta sent it; set when one event is shown.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Runs are the event's runs; set when one event is shown.
	Runs []Run `json:"runs,omitempty"`
	// Audit is who replayed the event, and when; set when one event is shown.
	Audit []store.AuditEntry `json:"audit,omitempty"`
}

// Delivery is one event-hook request.
type Delivery struct {
	ID         string              `json:"id"`
	Hook       string              `json:"hook"`
	EventID    string              `json:"eventId,omitempty"`
	ReceivedAt time.Time           `json:"receivedAt"`
	Size       int                 `json:"size"`
	Events     int                 `json:"events"`
	NewEvents  int                 `json:"newEvents"`
	Error      string              `json:"error,omitempty"`
	Headers    map[string][]string `json:"headers,omitempty"`
	Body       string              `json:"body,omitempty"`
	// Quarantined counts the delivery's events that could not be stored as events; one delivery shown
	// alone lists them with their reasons.
	Quarantined       int                `json:"quarantined,omitempty"`
	QuarantinedEvents []QuarantinedEvent `json:"quarantinedEvents,omitempty"`
}

// QuarantinedEvent is an event kept apart, with why.
type QuarantinedEvent struct {
	Index   int             `json:"index"`
	Reason  string          `json:"reason"`
	Payload json.RawMessage `json:"payload"`
}

// Page is a listing with the cursor of its next page.
type Page[T any] struct {
	Items []T `json:"items"`
	// Next is the cursor for ?after= ("" on the last page).
	Next string `json:"next,omitempty"`
}

// NewPage converts one page of a store listing with f (FromRun, FromEvent, FromDelivery …); Items is
// never nil, so JSON shows [] for an empty page.
func NewPage[S, T any](rows []S, next string, f func(S) T) Page[T] {
	p := Page[T]{Items: make([]T, 0, len(rows)), Next: next}
	for _, r := range rows {
		p.Items = append(p.Items, f(r))
	}
	return p
}

// ListedRun is FromRun for a listing, without steps.
func ListedRun(r store.Run) Run { return FromRun(r, nil) }

// ListedEvent is FromEvent for a listing, without card and runs.
func ListedEvent(e store.Event) Event { return FromEvent(e, nil, nil) }

// FromRun converts a stored run (and, when shown alone, its steps).
func FromRun(r store.Run, steps []store.Step) Run {
	out := Run{
		ID: r.ID, Trigger: r.Trigger, EventUUID: r.EventUUID, Replay: r.Replay,
		WorkflowFile: r.WorkflowFile, WorkflowID: r.WorkflowID, Version: r.Version, Status: string(r.Status),
		Attempts: r.Attempts, CreatedAt: r.CreatedAt, Inputs: nonEmptyJSON(r.Inputs),
		Outputs: nonEmptyJSON(r.Outputs), Error: r.Error, Resolution: r.Resolution,
	}
	if r.Status == store.RunUncertain {
		out.InDoubt = r.Intent
	}
	if r.Status == store.RunWaiting {
		out.WaitingFor = r.Waiting
	}
	if r.Status == store.RunRetrying && !r.AvailableAt.IsZero() {
		t := r.AvailableAt
		out.RetryAt = &t
	}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt
		out.StartedAt = &t
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		out.FinishedAt = &t
		if out.StartedAt != nil {
			d := float64(r.FinishedAt.Sub(r.StartedAt).Microseconds()) / 1000
			out.DurationMs = &d
		}
	}
	for _, s := range steps {
		st := Step{
			Seq: s.Seq, RunAttempt: s.RunAttempt, StepID: s.StepID, Status: s.Status, Attempts: s.Attempts, Method: s.Method, URL: s.URL, Auth: s.Auth,
			StatusCode: s.StatusCode, StartedAt: s.StartedAt, DurationMs: float64(s.Duration.Microseconds()) / 1000,
			Request: bodyJSON(s.Request), Response: bodyJSON(s.Response), Outputs: nonEmptyJSON(s.Outputs), Error: s.Error,
		}
		// The checkpoint is the runner's record of the step; one that cannot be read (written by a
		// later version) only leaves out the criteria and the decision.
		var cp runner.Checkpoint
		if len(s.Checkpoint) > 0 && json.Unmarshal(s.Checkpoint, &cp) == nil {
			st.Criteria = cp.Result.Criteria
			if cp.Result.WorkflowID != r.WorkflowID {
				st.WorkflowID = cp.Result.WorkflowID
			}
			if cp.Decision.Kind != "" {
				d := cp.Decision
				st.Decision = &d
			}
		}
		out.Steps = append(out.Steps, st)
	}
	return out
}

// FromEvent converts a stored event; card and runs are set when one event is shown.
func FromEvent(e store.Event, card *okta.Card, runs []store.Run) Event {
	out := Event{
		UUID: e.UUID, Type: e.Type, Published: e.Published, ReceivedAt: e.ReceivedAt, Source: string(e.Source),
		Replays: e.Replays, Duplicates: e.Duplicates, Pending: e.Dispatched < e.Replays, DispatchError: e.DispatchError,
		RunCount: e.Runs, Skipped: e.Skipped, DeliveryIDs: e.DeliveryIDs,
		Card: card, Payload: nonEmptyJSON(e.Payload),
	}
	if e.User != (store.EventUser{}) {
		u := e.User
		out.User = &u
	}
	for _, r := range runs {
		out.Runs = append(out.Runs, FromRun(r, nil))
	}
	return out
}

// FromDelivery converts a stored delivery.
func FromDelivery(d store.Delivery) Delivery {
	out := Delivery{
		ID: d.ID, Hook: d.Hook, EventID: d.EventID, ReceivedAt: d.ReceivedAt, Size: d.Size, Events: d.Events,
		NewEvents: d.NewEvents, Error: d.Error, Headers: d.Headers, Body: string(d.Body), Quarantined: d.Quarantined,
	}
	for _, q := range d.QuarantinedEvents {
		out.QuarantinedEvents = append(out.QuarantinedEvents, QuarantinedEvent{Index: q.Index, Reason: q.Reason, Payload: bodyJSON(q.Payload)})
	}
	return out
}

// Runs reads what one run's page shows; *store.Store implements it.
type Runs interface {
	GetRun(ctx context.Context, id string) (store.Run, error)
	Steps(ctx context.Context, runID string) ([]store.Step, error)
	Attempts(ctx context.Context, runID string) ([]store.Attempt, error)
	Audit(ctx context.Context, runID, eventUUID string) ([]store.AuditEntry, error)
}

// ShowRun loads one run with its steps, attempts and audit trail, as `GET /api/v1/runs/{id}` and
// `trama runs show` present it.
func ShowRun(ctx context.Context, st Runs, id string) (Run, error) {
	r, err := st.GetRun(ctx, id)
	if err != nil {
		return Run{}, err
	}
	steps, err := st.Steps(ctx, r.ID)
	if err != nil {
		return Run{}, err
	}
	out := FromRun(r, steps)
	if out.AttemptLog, err = st.Attempts(ctx, r.ID); err != nil {
		return Run{}, err
	}
	if out.Audit, err = st.Audit(ctx, r.ID, ""); err != nil {
		return Run{}, err
	}
	return out, nil
}

func nonEmptyJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}

// bodyJSON shows a stored body as JSON when it is JSON, else as a JSON string.
func bodyJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// Deliveries reads stored deliveries; *store.Store implements it.
type Deliveries interface {
	GetDelivery(ctx context.Context, id string) (store.Delivery, error)
}

// Reader is the part of the store that event pages read; *store.Store implements it.
type Reader interface {
	Deliveries
	GetEvent(ctx context.Context, uuid string) (store.Event, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error)
	Audit(ctx context.Context, runID, eventUUID string) ([]store.AuditEntry, error)
}

// Card builds the event card of a stored event: the LogEvent plus what its first delivery's envelope and
// headers say.
func Card(ctx context.Context, st Deliveries, ev store.Event) (okta.Card, error) {
	src := store.CardSource{UUID: ev.UUID, Type: ev.Type, Source: ev.Source, ReceivedAt: ev.ReceivedAt,
		Payload: ev.Payload, Headers: ev.Headers}
	if len(ev.DeliveryIDs) > 0 {
		if d, err := st.GetDelivery(ctx, ev.DeliveryIDs[0]); err == nil {
			src.EventID, src.EventTime, src.HookSource = d.EventID, d.EventTime, d.Source
		}
	}
	return CardOf(src)
}

// CardOf builds an event card from what Store.CardSources read.
func CardOf(src store.CardSource) (okta.Card, error) {
	meta := okta.DeliveryMeta{Headers: http.Header(src.Headers)}
	switch {
	case src.EventID != "" || src.HookSource != "" || !src.EventTime.IsZero():
		meta.EventID, meta.EventTime, meta.Source = src.EventID, okta.Time{Time: src.EventTime}, src.HookSource
	case src.Source == store.SourcePoll:
		// A polled event has no envelope: its Event Time is when trama fetched it (okta.SystemLogMeta).
		// The store does not keep the org URL with the event, so its Source stays empty.
		meta.EventTime = okta.Time{Time: src.ReceivedAt}
	}
	return okta.CardOfJSON(meta, src.Payload)
}

// ShowEvent loads one event with its card, runs and audit trail, as `GET /api/v1/events/{uuid}` and
// `trama events show` present it.
func ShowEvent(ctx context.Context, st Reader, uuid string) (Event, error) {
	ev, err := st.GetEvent(ctx, uuid)
	if err != nil {
		return Event{}, err
	}
	card, err := Card(ctx, st, ev)
	if err != nil {
		return Event{}, err
	}
	var runs []store.Run
	after := ""
	for {
		page, next, err := st.ListRuns(ctx, store.RunFilter{EventUUID: uuid, Page: store.Page{Limit: store.MaxPageSize, After: after}})
		if err != nil {
			return Event{}, err
		}
		runs = append(runs, page...)
		if next == "" {
			break
		}
		after = next
	}
	out := FromEvent(ev, &card, runs)
	if out.Audit, err = st.Audit(ctx, "", ev.UUID); err != nil {
		return Event{}, err
	}
	return out, nil
}
