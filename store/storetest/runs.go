package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

var runTests = []test{
	{"StepsByAttempt", testRunSteps},
	{"IntentClearedByCheckpoint", testRunIntent},
	{"Finish", testRunFinish},
	{"EndsRecordPendingSteps", testRunEndsWithSteps},
	{"FinishTogether", testRunFinishTogether},
	{"ResolveResend", testRunResolveResend},
	{"ResolveSkip", testRunResolveSkip},
	{"ResolveFail", testRunResolveFail},
	{"WaitAndResume", testRunWaitAndResume},
	{"WaitTimesOut", testRunWaitTimesOut},
	{"MessageWaitDelivered", testRunMessageWaitDelivered},
	{"MessageWaitTimesOut", testRunMessageWaitTimesOut},
	{"ConcurrencyPerKey", testRunConcurrencyPerKey},
}

// dispatchPerUser ingests the events uuids in one delivery and dispatches each to one run of trigger
// "per-user" that runs one at a time per concurrency key user(uuid); an empty key sets no limit.
func dispatchPerUser(t *testing.T, s *store.Store, user func(uuid string) string, uuids ...string) {
	t.Helper()
	ctx := context.Background()
	Ingest(t, s, Delivery("d", Events(uuids...)...))
	ds := claimDispatches(t, s, len(uuids)+1, len(uuids))
	os := make([]store.Outcome, len(ds))
	for i, d := range ds {
		nr := NewRun("per-user", 0)
		if key := user(d.UUID); key != "" {
			nr.ConcurrencyKey, nr.ConcurrencyLimit = key, 1
		}
		os[i] = store.Outcome{Runs: []store.NewRun{nr}}
	}
	if _, err := s.CompleteDispatches(ctx, ds, os); err != nil {
		t.Fatal(err)
	}
}

// testRunConcurrencyPerKey: runs of one key with limit 1 run one at a time, in order, whichever
// worker claims them; a run of another key is not held back; a finished or lapsed run frees its slot.
func testRunConcurrencyPerKey(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	dispatchPerUser(t, s, func(uuid string) string {
		if uuid == "o1" {
			return "00uBob"
		}
		return "00uAnn"
	}, "k1", "k2", "k3", "o1")
	claims, err := s.ClaimRuns(ctx, "w1", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	events := func(cs []store.Claim) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Run.EventUUID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	if got := events(claims); got != "k1,o1" {
		t.Fatalf("first claim took %s, want k1 (the oldest of ann's) and o1 (bob's)", got)
	}
	if more, _ := s.ClaimRuns(ctx, "w2", 10, time.Minute); len(more) != 0 {
		t.Fatalf("another worker took %s while ann's run holds her only slot", events(more))
	}
	// The runs left waiting were not counted as attempts.
	for _, u := range []string{"k2", "k3"} {
		r := runOf(t, s, u)
		if r.Status != store.RunQueued || r.Attempts != 0 || !r.StartedAt.IsZero() {
			t.Errorf("run of %s after being passed over: %+v", u, r)
		}
		if as, err := s.Attempts(ctx, r.ID); err != nil || len(as) != 0 {
			t.Errorf("attempts of %s after being passed over: %+v, %v", u, as, err)
		}
	}
	for _, c := range claims {
		if c.Run.EventUUID == "k1" {
			if err := s.FinishRun(ctx, c.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
				t.Fatal(err)
			}
		}
	}
	next, _ := s.ClaimRuns(ctx, "w2", 10, time.Minute)
	if got := events(next); got != "k2" {
		t.Fatalf("after ann's first run finished: %s, want k2", got)
	}
	if busy, _ := s.ClaimRuns(ctx, "w3", 10, time.Minute); len(busy) != 0 {
		t.Fatalf("claimed %s while k2 runs", events(busy))
	}
	if err := s.ReleaseRun(ctx, next[0].Lease, "worker stopped"); err != nil {
		t.Fatal(err)
	}
	// The slot is free again; the run given back queues behind k3, as any run given back does.
	again, _ := s.ClaimRuns(ctx, "w4", 10, 20*time.Millisecond)
	if events(again) != "k3" {
		t.Fatalf("after a release: %s, want k3", events(again))
	}
	// A lease that lapses (its worker froze) frees the slot with the run.
	time.Sleep(50 * time.Millisecond)
	var lapsed []store.Claim
	for deadline := time.Now().Add(5 * time.Second); len(lapsed) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		lapsed, _ = s.ClaimRuns(ctx, "w5", 1, time.Minute)
	}
	if len(lapsed) != 1 || lapsed[0].Run.ConcurrencyKey != "00uAnn" {
		t.Errorf("after k3's lease lapsed: %s", events(lapsed))
	}
}

// runOf returns the one run of the event with uuid.
func runOf(t *testing.T, s *store.Store, uuid string) store.Run {
	t.Helper()
	runs, _, err := s.ListRuns(context.Background(), store.RunFilter{EventUUID: uuid, Page: store.Page{Limit: 10}})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs of %s: %v %v", uuid, runs, err)
	}
	return runs[0]
}

// claimed ingests one event, dispatches it to one run and claims it.
func claimed(t *testing.T, s *store.Store) store.Claim {
	t.Helper()
	Ingest(t, s, Delivery("d", Events("e1")...))
	DispatchAll(t, s, "welcome")
	return ClaimOne(t, s, "w1", time.Minute)
}

func testRunSteps(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := claimed(t, s)
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	enroll := store.Step{Seq: 1, StepID: "enroll", Status: "succeeded", Attempts: 1, Method: "POST",
		URL: "https://example.okta.com/api/v1/users/00u1/factors", StatusCode: 200, StartedAt: start,
		Duration: 42 * time.Millisecond, Request: []byte(`{"factorType":"token:software:totp"}`),
		Response: []byte(`{"id":"mfa1"}`), Outputs: json.RawMessage(`{"factorId":"mfa1"}`),
		Checkpoint: json.RawMessage(`{"seq":1,"decision":{"kind":"next"}}`)}
	activate := store.Step{Seq: 2, StepID: "activate", Status: "failed", Attempts: 3, Method: "POST", StatusCode: 503,
		Error: "HTTP 503"}
	for _, st := range []store.Step{enroll, activate} {
		if err := s.SaveStep(ctx, c.Lease, st); err != nil {
			t.Fatalf("SaveStep(%d): %v", st.Seq, err)
		}
	}
	if err := s.RetryRun(ctx, c.Lease, 0, "HTTP 503"); err != nil {
		t.Fatal(err)
	}
	// The step that failed transiently runs again in the next attempt; the history keeps both.
	next := ClaimOne(t, s, "w2", time.Minute)
	if len(next.Steps) != 2 {
		t.Fatalf("the next attempt sees %d steps, want 2", len(next.Steps))
	}
	activate.Status, activate.StatusCode, activate.Error = "succeeded", 200, ""
	if err := s.SaveStep(ctx, next.Lease, activate); err != nil {
		t.Fatalf("SaveStep in attempt 2: %v", err)
	}
	got, err := s.Steps(ctx, c.Lease.RunID)
	if err != nil {
		t.Fatalf("Steps: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("Steps = %d, want 3 (step 2 twice)", len(got))
	}
	g := got[0]
	if g.StepID != "enroll" || g.RunAttempt != 1 || g.Method != "POST" || g.URL != enroll.URL || g.StatusCode != 200 ||
		g.Duration != 42*time.Millisecond || !g.StartedAt.Equal(start) || string(g.Request) != string(enroll.Request) ||
		string(g.Response) != `{"id":"mfa1"}` || string(g.Outputs) != `{"factorId":"mfa1"}` || g.Attempts != 1 ||
		string(g.Checkpoint) != `{"seq":1,"decision":{"kind":"next"}}` || got[1].Checkpoint != nil {
		t.Errorf("step 1 = %+v", g)
	}
	if got[1].Status != "failed" || got[1].RunAttempt != 1 || got[2].Status != "succeeded" || got[2].RunAttempt != 2 {
		t.Errorf("step 2 attempts = %+v / %+v", got[1], got[2])
	}
	if none, err := s.Steps(ctx, "no-such-run"); err != nil || len(none) != 0 {
		t.Errorf("Steps of a missing run = %v, %v", none, err)
	}
}

func testRunIntent(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := claimed(t, s)
	in := store.Intent{Seq: 1, WorkflowID: "wf", StepID: "enroll", StepAttempt: 1, RunAttempt: 1, Method: "POST",
		URL: "https://example.okta.com/api/v1/users/00u1/factors", At: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.RecordIntent(ctx, c.Lease, in); err != nil {
		t.Fatalf("RecordIntent: %v", err)
	}
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Intent == nil || *r.Intent != in {
		t.Fatalf("intent = %+v, want %+v", r.Intent, in)
	}
	if err := s.SaveStep(ctx, c.Lease, store.Step{Seq: 1, StepID: "enroll", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.GetRun(ctx, c.Lease.RunID); r.Intent != nil {
		t.Errorf("intent after the step's checkpoint = %+v, want none", r.Intent)
	}
	// An interrupted attempt leaves its intent for the next one.
	in.Seq, in.StepID = 2, "activate"
	if err := s.RecordIntent(ctx, c.Lease, in); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseRun(ctx, c.Lease, "shutdown"); err != nil {
		t.Fatal(err)
	}
	next := ClaimOne(t, s, "w2", time.Minute)
	if next.Run.Intent == nil || next.Run.Intent.StepID != "activate" {
		t.Errorf("the next attempt sees intent %+v, want activate", next.Run.Intent)
	}
}

func testRunFinish(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := claimed(t, s)
	if err := s.FinishRun(ctx, c.Lease, store.RunResult{Status: store.RunRunning}); err == nil {
		t.Error("FinishRun accepted a non-final status")
	}
	if err := s.FinishRun(ctx, c.Lease, store.RunResult{Status: store.RunSucceeded, Outputs: json.RawMessage(`{"ok":true}`)}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	got, err := s.GetRun(ctx, c.Lease.RunID)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got.Status != store.RunSucceeded || string(got.Outputs) != `{"ok":true}` || got.Error != "" ||
		got.FinishedAt.IsZero() || got.FinishedAt.Before(got.CreatedAt) || got.LeaseOwner != "" {
		t.Errorf("finished run = %+v", got)
	}
	if err := s.FinishRun(ctx, store.Lease{RunID: "no-such-run", Token: 1}, store.RunResult{Status: store.RunFailed}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("FinishRun of a missing run: %v, want ErrLeaseLost", err)
	}
}

// uncertain makes a run whose attempt stopped with a request in doubt.
func uncertain(t *testing.T, s *store.Store) store.Claim {
	t.Helper()
	ctx := context.Background()
	c := claimed(t, s)
	if err := s.SaveStep(ctx, c.Lease, store.Step{Seq: 1, StepID: "enroll", Status: "succeeded"}); err != nil {
		t.Fatal(err)
	}
	in := store.Intent{Seq: 2, WorkflowID: "wf", StepID: "activate", StepAttempt: 1, RunAttempt: 1, Method: "POST",
		URL: "https://example.okta.com/api/v1/users/00u1/factors/mfa1/lifecycle/activate"}
	if err := s.RecordIntent(ctx, c.Lease, in); err != nil {
		t.Fatal(err)
	}
	if err := s.HoldUncertain(ctx, c.Lease, "POST activate may have reached the API"); err != nil {
		t.Fatalf("HoldUncertain: %v", err)
	}
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Status != store.RunUncertain || r.Intent == nil || r.Intent.StepID != "activate" || r.LeaseOwner != "" {
		t.Fatalf("uncertain run = %+v", r)
	}
	if none, _ := s.ClaimRuns(ctx, "w", 1, time.Minute); len(none) != 0 {
		t.Fatal("an uncertain run was claimed before anyone resolved it")
	}
	return c
}

func testRunResolveResend(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := uncertain(t, s)
	r, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "resend", By: "ann@example.com", Reason: "checked: not activated"})
	if err != nil {
		t.Fatalf("ResolveRun: %v", err)
	}
	if r.Status != store.RunRetrying || r.Resolution == nil || r.Resolution.By != "ann@example.com" || r.Resolution.Action != "resend" {
		t.Errorf("resolved run = %+v", r)
	}
	next := ClaimOne(t, s, "w2", time.Minute)
	if next.Run.Intent == nil || !next.Run.Intent.Resend || next.Run.Intent.StepID != "activate" {
		t.Errorf("the next attempt sees intent %+v, want activate approved for resending", next.Run.Intent)
	}
	if _, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "fail", By: "bob"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("resolving a run that is no longer uncertain: %v, want ErrConflict", err)
	}
	trail, err := s.Audit(ctx, c.Lease.RunID, "")
	if err != nil || len(trail) != 1 || trail[0].Actor != "ann@example.com" || trail[0].Action != "resolve" {
		t.Errorf("audit = %+v, %v", trail, err)
	}
}

func testRunResolveSkip(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := uncertain(t, s)
	if _, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "skip", By: "ann"}); err == nil {
		t.Error("skip without the skipped step's checkpoint was accepted")
	}
	skipped := &store.Step{Seq: 2, StepID: "activate", Status: "skipped", Checkpoint: json.RawMessage(`{"seq":2}`)}
	if _, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "skip", By: "ann", Skipped: skipped}); err != nil {
		t.Fatalf("ResolveRun(skip): %v", err)
	}
	next := ClaimOne(t, s, "w2", time.Minute)
	if next.Run.Intent != nil || len(next.Steps) != 2 || next.Steps[1].Status != "skipped" {
		t.Errorf("after skip: intent %+v, steps %+v", next.Run.Intent, next.Steps)
	}
}

func testRunResolveFail(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := uncertain(t, s)
	r, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "fail", By: "ann", Reason: "activated twice"})
	if err != nil {
		t.Fatalf("ResolveRun(fail): %v", err)
	}
	if r.Status != store.RunFailed || r.FinishedAt.IsZero() || r.Error == "" {
		t.Errorf("failed run = %+v", r)
	}
	if _, err := s.ResolveRun(ctx, "no-such-run", store.Resolve{Action: "fail", By: "ann"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resolving a missing run: %v, want ErrNotFound", err)
	}
	if _, err := s.ResolveRun(ctx, c.Lease.RunID, store.Resolve{Action: "maybe", By: "ann"}); err == nil {
		t.Error("an unknown action was accepted")
	}
}

// testRunEndsWithSteps: the checkpoints an attempt deferred land with its intent or its end, in the same
// transaction; a retry or a release settles the intent (the steps came after its response), a hold
// keeps it (the request in doubt), and a stale attempt's steps never land.
func testRunEndsWithSteps(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	step := func(seq int) store.Step {
		return store.Step{Seq: seq, StepID: fmt.Sprintf("s%d", seq), Status: "succeeded", Attempts: 1, Checkpoint: json.RawMessage(`{}`)}
	}
	intent := func(seq int) store.Intent {
		return store.Intent{Seq: seq, StepID: fmt.Sprintf("s%d", seq), Method: "POST", URL: "https://api.example.com/x"}
	}
	for _, tt := range []struct {
		name       string
		end        func(s *store.Store, l store.Lease) error
		keepIntent bool
		status     store.RunStatus
	}{
		{"finish", func(s *store.Store, l store.Lease) error {
			return s.FinishRun(ctx, l, store.RunResult{Status: store.RunSucceeded}, step(2))
		}, false, store.RunSucceeded},
		{"retry", func(s *store.Store, l store.Lease) error { return s.RetryRun(ctx, l, time.Minute, "502", step(2)) }, false, store.RunRetrying},
		{"release", func(s *store.Store, l store.Lease) error { return s.ReleaseRun(ctx, l, "shutdown", step(2)) }, false, store.RunRetrying},
		{"hold", func(s *store.Store, l store.Lease) error { return s.HoldUncertain(ctx, l, "in doubt", step(2)) }, true, store.RunUncertain},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := Open(t, newDriver)
			c := claimed(t, s)
			// Step 1 finished before the request of step 2: it lands with step 2's intent.
			if err := s.RecordIntent(ctx, c.Lease, intent(2), step(1)); err != nil {
				t.Fatal(err)
			}
			if err := tt.end(s, c.Lease); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			run, err := s.GetRun(ctx, c.Lease.RunID)
			if err != nil || run.Status != tt.status || (run.Intent != nil) != tt.keepIntent {
				t.Errorf("%s: run %s, intent %+v, %v", tt.name, run.Status, run.Intent, err)
			}
			steps, _ := s.Steps(ctx, c.Lease.RunID)
			if len(steps) != 2 {
				t.Errorf("%s: %d steps recorded, want 2", tt.name, len(steps))
			}
			// The attempt ended: writing again, steps and all, is refused and records nothing.
			if err := tt.end(s, c.Lease); !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("%s again: %v, want ErrLeaseLost", tt.name, err)
			}
			if steps, _ := s.Steps(ctx, c.Lease.RunID); len(steps) != 2 {
				t.Errorf("%s: a refused end recorded steps (%d)", tt.name, len(steps))
			}
		})
	}
}

// testRunFinishTogether: runs finished in one transaction are each fenced on their own: a stale attempt
// gets ErrLeaseLost in its slot, the others are recorded with their steps.
func testRunFinishTogether(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	Ingest(t, s, Delivery("d", Events("e1", "e2")...))
	DispatchAll(t, s, "welcome")
	a := ClaimOne(t, s, "w1", time.Minute)
	b := ClaimOne(t, s, "w1", time.Minute)
	stale := b.Lease
	stale.Token++ // an attempt whose run moved on
	step := store.Step{Seq: 1, StepID: "s1", Status: "succeeded", Attempts: 1, Checkpoint: json.RawMessage(`{}`)}
	errs, err := s.FinishRuns(ctx, []store.Finish{
		{Lease: a.Lease, Result: store.RunResult{Status: store.RunSucceeded}, Steps: []store.Step{step}},
		{Lease: stale, Result: store.RunResult{Status: store.RunFailed, Error: "late"}, Steps: []store.Step{step}},
	})
	if err != nil || len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], store.ErrLeaseLost) {
		t.Fatalf("FinishRuns = %v, %v", errs, err)
	}
	if r, _ := s.GetRun(ctx, a.Lease.RunID); r.Status != store.RunSucceeded {
		t.Errorf("run a: %s", r.Status)
	}
	if r, _ := s.GetRun(ctx, b.Lease.RunID); r.Status != store.RunRunning {
		t.Errorf("run b was finished by a stale attempt: %s", r.Status)
	}
	if steps, _ := s.Steps(ctx, b.Lease.RunID); len(steps) != 0 {
		t.Errorf("a stale attempt's steps landed: %d", len(steps))
	}
	if steps, _ := s.Steps(ctx, a.Lease.RunID); len(steps) != 1 {
		t.Errorf("run a has %d steps, want 1", len(steps))
	}
}

// waiting claims a run, records its first step and holds it waiting for passCode until until.
func waiting(t *testing.T, s *store.Store, until time.Time) store.Claim {
	t.Helper()
	ctx := context.Background()
	c := claimed(t, s)
	enroll := store.Step{Seq: 1, StepID: "enroll", Status: "succeeded", Checkpoint: json.RawMessage(`{"seq":1}`)}
	w := store.Waiting{Input: "passCode", WorkflowID: "wf", StepID: "activate", Description: "the code the app shows",
		Type: "string", Since: time.Now(), Until: until}
	if err := s.HoldWaiting(ctx, c.Lease, w, enroll); err != nil {
		t.Fatalf("HoldWaiting: %v", err)
	}
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Status != store.RunWaiting || r.Waiting == nil || r.Waiting.Input != "passCode" || r.Waiting.StepID != "activate" ||
		r.LeaseOwner != "" || !r.Waiting.Until.Equal(until) {
		t.Fatalf("waiting run = %+v (waiting %+v)", r, r.Waiting)
	}
	if none, _ := s.ClaimRuns(ctx, "w", 1, time.Minute); len(none) != 0 {
		t.Fatal("a waiting run was claimed before its input came")
	}
	// The holding attempt's lease ended: it can write nothing more.
	if err := s.SaveStep(ctx, c.Lease, store.Step{Seq: 2, StepID: "late"}); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a write after the wait: %v, want ErrLeaseLost", err)
	}
	return c
}

func testRunWaitAndResume(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := waiting(t, s, time.Now().Add(time.Hour))
	r, err := s.ResumeRun(ctx, c.Lease.RunID, store.Resume{Inputs: json.RawMessage(`{"passCode":"123456"}`),
		Masked: json.RawMessage(`{"passCode":"****"}`), By: "ann@example.com"})
	if err != nil {
		t.Fatalf("ResumeRun: %v", err)
	}
	if r.Status != store.RunRetrying || r.Waiting != nil || string(r.Inputs) == "" {
		t.Errorf("resumed run = %+v", r)
	}
	var shown map[string]any
	if err := json.Unmarshal(r.Inputs, &shown); err != nil || shown["passCode"] != "****" {
		t.Errorf("the history shows inputs %s", r.Inputs)
	}
	next := ClaimOne(t, s, "w2", time.Minute)
	var supplied map[string]any
	if err := json.Unmarshal(next.Run.Supplied, &supplied); err != nil || supplied["passCode"] != "123456" {
		t.Errorf("the next attempt is supplied %s", next.Run.Supplied)
	}
	if len(next.Steps) != 1 || next.Steps[0].StepID != "enroll" {
		t.Errorf("the next attempt resumes after %+v", next.Steps)
	}
	if _, err := s.ResumeRun(ctx, c.Lease.RunID, store.Resume{Inputs: json.RawMessage(`{"passCode":"1"}`), By: "bob"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("resuming a run that no longer waits: %v, want ErrConflict", err)
	}
	if _, err := s.ResumeRun(ctx, "no-such-run", store.Resume{By: "bob"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resuming an unknown run: %v, want ErrNotFound", err)
	}
	// Once the run ends, the supplied values are gone from the store.
	if err := s.FinishRun(ctx, next.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.GetRun(ctx, c.Lease.RunID); len(done.Supplied) != 0 {
		t.Errorf("a finished run keeps the supplied inputs %s", done.Supplied)
	}
	trail, err := s.Audit(ctx, c.Lease.RunID, "")
	if err != nil || len(trail) != 1 || trail[0].Action != "resume" || trail[0].Actor != "ann@example.com" ||
		trail[0].Detail != "supplied passCode" {
		t.Errorf("audit = %+v, %v", trail, err)
	}
}

func testRunWaitTimesOut(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := waiting(t, s, time.Now().Add(300*time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	for {
		pending, err := s.Pending(ctx, store.RunWork)
		if err != nil {
			t.Fatal(err)
		}
		if pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a timed-out wait never shows as pending work")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if claims, err := s.ClaimRuns(ctx, "w", 4, time.Minute); err != nil || len(claims) != 0 {
		t.Fatalf("ClaimRuns = %v, %v", claims, err)
	}
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Status != store.RunFailed || r.FinishedAt.IsZero() || r.Waiting != nil ||
		!strings.HasPrefix(r.Error, `timed out waiting for input "passCode" of step "activate"`) {
		t.Errorf("timed-out run = %+v", r)
	}
}

// messageWaiting claims a run and holds it waiting for a user.mfa.factor.activate event about 00u1.
func messageWaiting(t *testing.T, s *store.Store, until time.Time) store.Claim {
	t.Helper()
	c := claimed(t, s)
	enroll := store.Step{Seq: 1, StepID: "enroll", Status: "succeeded", Checkpoint: json.RawMessage(`{"seq":1}`)}
	w := store.Waiting{WorkflowID: "wf", StepID: "waitForActivation", Since: time.Now(), Until: until,
		Message: &store.MessageWait{Seq: 2, Source: "oktaEvents", Channel: "okta/events/user.mfa.factor.activate",
			EventType: "user.mfa.factor.activate", Correlation: "00u1"}}
	if err := s.HoldWaiting(context.Background(), c.Lease, w, enroll); err != nil {
		t.Fatalf("HoldWaiting: %v", err)
	}
	return c
}

func testRunMessageWaitDelivered(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := messageWaiting(t, s, time.Now().Add(time.Hour))
	r, _ := s.GetRun(ctx, c.Lease.RunID)
	if r.Status != store.RunWaiting || r.Waiting == nil || r.Waiting.Message == nil || r.Waiting.Message.Correlation != "00u1" {
		t.Fatalf("waiting run = %+v", r)
	}
	// Found by the event type its channel carries, or by any type; not by another.
	for types, want := range map[string]int{"user.mfa.factor.activate": 1, "user.session.start": 0} {
		runs, err := s.WaitingForEvents(ctx, []string{types})
		if err != nil || len(runs) != want {
			t.Errorf("WaitingForEvents(%s) = %d runs, %v; want %d", types, len(runs), err, want)
		}
	}
	// A message wait is not resumed with inputs.
	if _, err := s.ResumeRun(ctx, c.Lease.RunID, store.Resume{Inputs: json.RawMessage(`{"x":"1"}`), By: "bob"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("ResumeRun of a message wait: %v, want ErrConflict", err)
	}
	// Events received since the wait began are found for the catch-up.
	Ingest(t, s, Delivery("d2", Events("e2")...))
	srcs, err := s.EventsSince(ctx, []string{"user.mfa.factor.activate"}, r.Waiting.Since.Add(-time.Second), 10)
	if err != nil || len(srcs) == 0 || srcs[len(srcs)-1].UUID != "e2" {
		t.Errorf("EventsSince = %d events, %v", len(srcs), err)
	}
	msg := json.RawMessage(`{"Payload":{"uuid":"e2"}}`)
	ok, err := s.DeliverMessage(ctx, c.Lease.RunID, store.Received{Seq: 2, EventUUID: "e2", Message: msg})
	if err != nil || !ok {
		t.Fatalf("DeliverMessage = %v, %v", ok, err)
	}
	// The first delivery wins; a second finds the run no longer waiting.
	if again, err := s.DeliverMessage(ctx, c.Lease.RunID, store.Received{Seq: 2, EventUUID: "e3", Message: msg}); err != nil || again {
		t.Errorf("a second delivery = %v, %v", again, err)
	}
	next := ClaimOne(t, s, "w2", time.Minute)
	var got store.Received
	if err := json.Unmarshal(next.Run.Received, &got); err != nil || got.EventUUID != "e2" || got.Seq != 2 {
		t.Errorf("the next attempt received %s", next.Run.Received)
	}
	if len(next.Steps) != 1 {
		t.Errorf("the next attempt resumes after %d steps, want 1", len(next.Steps))
	}
	if err := s.FinishRun(ctx, next.Lease, store.RunResult{Status: store.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	if done, _ := s.GetRun(ctx, c.Lease.RunID); len(done.Received) != 0 {
		t.Errorf("a finished run keeps its message %s", done.Received)
	}
	trail, err := s.Audit(ctx, c.Lease.RunID, "")
	if err != nil || len(trail) != 1 || trail[0].Action != "receive" || trail[0].Detail != "received event e2" {
		t.Errorf("audit = %+v, %v", trail, err)
	}
}

// A message wait that times out is not failed by the store: the run runs again, so that its receive
// step fails and its onFailure actions decide.
func testRunMessageWaitTimesOut(t *testing.T, newDriver NewDriver) {
	ctx := context.Background()
	s := Open(t, newDriver)
	c := messageWaiting(t, s, time.Now().Add(300*time.Millisecond))
	deadline := time.Now().Add(10 * time.Second)
	var claims []store.Claim
	for len(claims) == 0 {
		if time.Now().After(deadline) {
			r, _ := s.GetRun(ctx, c.Lease.RunID)
			t.Fatalf("a timed-out message wait never ran again: %+v", r)
		}
		time.Sleep(50 * time.Millisecond)
		var err error
		if claims, err = s.ClaimRuns(ctx, "w", 1, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var got store.Received
	if err := json.Unmarshal(claims[0].Run.Received, &got); err != nil || !got.TimedOut {
		t.Errorf("the next attempt received %s, want a timeout", claims[0].Run.Received)
	}
	if alerts, _ := s.ClaimAlerts(ctx, 10, time.Minute); len(alerts) != 0 {
		t.Errorf("a timed-out message wait raised %d alerts before its run failed", len(alerts))
	}
}
