// Package storetest is the conformance suite every store.Store implementation runs, so that SQLite and
// PostgreSQL behave the same for the receiver, the workers and the history API.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
)

// Open returns a Store for a subtest. The first call for a given t must return a store on a fresh, empty
// database; a later call with the same t (after the suite closed the previous store) must reopen the same
// database, which is how the suite checks durability. The driver closes the store in t.Cleanup (Close
// must tolerate being called twice) and must configure its queue for tests: at least 3 attempts and
// retry delays of at most about 50 ms.
type Open func(t *testing.T) store.Store

// Run runs the whole conformance suite against the stores that open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"IngestDedup", testIngestDedup},
		{"IngestMalformed", testIngestMalformed},
		{"IngestRejectsEventWithoutUUID", testIngestRejectsEventWithoutUUID},
		{"PolledCursor", testPolledCursor},
		{"CreateRunsIdempotent", testCreateRunsIdempotent},
		{"StepCheckpoints", testStepCheckpoints},
		{"FinishRun", testFinishRun},
		{"NotFound", testNotFound},
		{"Pagination", testPagination},
		{"Counts", testCounts},
		{"WorkExactlyOnce", testWorkExactlyOnce},
		{"WorkDurableAcrossReopen", testWorkDurableAcrossReopen},
		{"WorkRetryResumesAfterLastStep", testWorkRetryResumes},
		{"WorkFinalAttempt", testWorkFinalAttempt},
		{"WorkRetryAfter", testWorkRetryAfter},
		{"WorkDispatchPartialFailure", testWorkDispatchPartialFailure},
		{"WorkReplay", testWorkReplay},
		{"WorkNoDispatch", testWorkNoDispatch},
		{"WorkOnlyOnce", testWorkOnlyOnce},
		{"WorkRestart", testWorkRestart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// event builds a System Log event as the receiver would pass it.
func event(uuid, typ string) store.NewEvent {
	payload, _ := json.Marshal(map[string]any{"uuid": uuid, "eventType": typ, "displayMessage": "test " + uuid})
	return store.NewEvent{
		UUID: uuid, Type: typ, Published: time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC), Payload: payload,
	}
}

func events(uuids ...string) []store.NewEvent {
	var out []store.NewEvent
	for _, u := range uuids {
		out = append(out, event(u, "user.mfa.factor.activate"))
	}
	return out
}

func delivery(eventID string, evs ...store.NewEvent) store.NewDelivery {
	return store.NewDelivery{
		Hook: "okta", EventID: eventID, ReceivedAt: time.Now(), Size: 1234, Events: evs,
		EventTime: time.Date(2026, 11, 22, 7, 0, 1, 93e6, time.UTC), Source: "https://org.example/api/v1/eventHooks/who1",
		Headers: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"}},
	}
}

func ingest(t *testing.T, s store.Store, d store.NewDelivery) store.IngestResult {
	t.Helper()
	res, err := s.IngestDelivery(context.Background(), d)
	if err != nil {
		t.Fatalf("IngestDelivery(%s): %v", d.EventID, err)
	}
	return res
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testIngestDedup(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	r1 := ingest(t, s, delivery("d1", events("a", "b", "a")...))
	equal(t, "first delivery new", r1.New, []string{"a", "b"})
	equal(t, "first delivery duplicates", r1.Duplicates, []string{"a"})
	if r1.DeliveryID == "" {
		t.Fatal("IngestDelivery returned no delivery id")
	}
	// Okta retries with the same envelope; a different delivery may carry the same event too.
	r2 := ingest(t, s, delivery("d2", events("b", "c")...))
	equal(t, "second delivery new", r2.New, []string{"c"})
	equal(t, "second delivery duplicates", r2.Duplicates, []string{"b"})
	r3, err := s.IngestPolled(ctx, "logs", "cursor-1", events("c", "d", "d"))
	if err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	equal(t, "polled new", r3.New, []string{"d"})
	equal(t, "polled duplicates", r3.Duplicates, []string{"c", "d"})
	if r3.DeliveryID != "" {
		t.Errorf("polled ingest has delivery id %q", r3.DeliveryID)
	}

	b, err := s.GetEvent(ctx, "b")
	if err != nil {
		t.Fatalf("GetEvent(b): %v", err)
	}
	equal(t, "deliveries of b", b.DeliveryIDs, []string{r1.DeliveryID, r2.DeliveryID})
	if b.Source != store.SourceHook || b.Duplicates != 1 || b.Type != "user.mfa.factor.activate" {
		t.Errorf("event b = source %q, duplicates %d, type %q; want hook, 1, user.mfa.factor.activate",
			b.Source, b.Duplicates, b.Type)
	}
	if got := b.Headers["Content-Type"]; len(got) != 1 || got[0] != "application/json" {
		t.Errorf("event b headers = %v, want the first delivery's", b.Headers)
	}
	var payload map[string]any
	if err := json.Unmarshal(b.Payload, &payload); err != nil || payload["uuid"] != "b" {
		t.Errorf("event b payload = %s (%v), want the LogEvent", b.Payload, err)
	}
	if !b.Published.Equal(time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC)) {
		t.Errorf("event b published = %v", b.Published)
	}
	a, err := s.GetEvent(ctx, "a")
	if err != nil {
		t.Fatalf("GetEvent(a): %v", err)
	}
	if a.Duplicates != 1 {
		t.Errorf("event a duplicates = %d, want 1 (repeated inside its delivery)", a.Duplicates)
	}
	d, err := s.GetEvent(ctx, "d")
	if err != nil {
		t.Fatalf("GetEvent(d): %v", err)
	}
	if d.Source != store.SourcePoll || len(d.DeliveryIDs) != 0 || d.Headers != nil || d.Duplicates != 1 {
		t.Errorf("polled event d = source %q, deliveries %v, headers %v, duplicates %d", d.Source, d.DeliveryIDs,
			d.Headers, d.Duplicates)
	}
	dl, err := s.GetDelivery(ctx, r2.DeliveryID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if dl.EventID != "d2" || dl.Hook != "okta" || dl.Events != 2 || dl.NewEvents != 1 || dl.Size != 1234 || dl.Error != "" {
		t.Errorf("delivery = %+v", dl)
	}
	if !dl.EventTime.Equal(time.Date(2026, 11, 22, 7, 0, 1, 93e6, time.UTC)) || dl.Source != "https://org.example/api/v1/eventHooks/who1" {
		t.Errorf("the envelope's eventTime and source are kept: %v %q", dl.EventTime, dl.Source)
	}
}

func testIngestMalformed(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	d := delivery("", events("x")...)
	d.Error, d.Body = "invalid character '}' looking for beginning of value", []byte(`{"data":}`)
	res := ingest(t, s, d)
	if len(res.New) != 0 || len(res.Duplicates) != 0 {
		t.Errorf("malformed delivery ingested events: %+v", res)
	}
	got, err := s.GetDelivery(ctx, res.DeliveryID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if got.Error != d.Error || string(got.Body) != `{"data":}` {
		t.Errorf("malformed delivery kept error %q body %q", got.Error, got.Body)
	}
	if _, err := s.GetEvent(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of a malformed delivery stored: %v", err)
	}
	ingest(t, s, delivery("ok", events("y")...))
	list, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{Malformed: true})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	if len(list) != 1 || list[0].ID != res.DeliveryID || list[0].Body != nil {
		t.Errorf("malformed listing = %+v, want only %s without body", list, res.DeliveryID)
	}
}

func testIngestRejectsEventWithoutUUID(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.IngestDelivery(ctx, delivery("bad", event("ok", "t"), event("", "t"))); err == nil {
		t.Fatal("IngestDelivery accepted an event without uuid")
	}
	// Nothing of the failed transaction may remain.
	if _, err := s.GetEvent(ctx, "ok"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("event of a failed ingest stored: %v", err)
	}
	list, _, err := s.ListDeliveries(ctx, store.DeliveryFilter{})
	if err != nil || len(list) != 0 {
		t.Errorf("deliveries after a failed ingest = %v, %v; want none", list, err)
	}
}

func testPolledCursor(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	if c, err := s.GetCursor(ctx, "logs"); err != nil || c != "" {
		t.Fatalf("GetCursor of unset cursor = %q, %v; want empty", c, err)
	}
	if err := s.SetCursor(ctx, "logs", "2026-11-01T00:00:00.000Z"); err != nil {
		t.Fatalf("SetCursor: %v", err)
	}
	if _, err := s.IngestPolled(ctx, "logs", "after-abc", events("p1")); err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	if c, err := s.GetCursor(ctx, "logs"); err != nil || c != "after-abc" {
		t.Errorf("cursor after IngestPolled = %q, %v; want after-abc", c, err)
	}
	if c, err := s.GetCursor(ctx, "other"); err != nil || c != "" {
		t.Errorf("cursors are not independent: other = %q, %v", c, err)
	}
}

func newRun(trigger string, replay int) store.NewRun {
	return store.NewRun{Trigger: trigger, Replay: replay, WorkflowFile: "flows/notify.arazzo.yaml",
		WorkflowID: "notify-security", Inputs: json.RawMessage(`{"userId":"00u1"}`)}
}

func testCreateRunsIdempotent(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ingest(t, s, delivery("d", events("e1")...))
	runs, err := s.CreateRuns(ctx, "e1", []store.NewRun{newRun("welcome", 0), newRun("audit", 0)})
	if err != nil {
		t.Fatalf("CreateRuns: %v", err)
	}
	if len(runs) != 2 || runs[0].ID == runs[1].ID || runs[0].Status != store.RunQueued {
		t.Fatalf("CreateRuns = %+v, want two distinct queued runs", runs)
	}
	again, err := s.CreateRuns(ctx, "e1", []store.NewRun{newRun("welcome", 0), newRun("audit", 0), newRun("welcome", 1)})
	if err != nil {
		t.Fatalf("CreateRuns again: %v", err)
	}
	if len(again) != 1 || again[0].Trigger != "welcome" || again[0].Replay != 1 {
		t.Errorf("CreateRuns again created %+v, want only the replay-1 run", again)
	}
	got, err := s.GetRun(ctx, runs[0].ID)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got.EventUUID != "e1" || got.Trigger != "welcome" || got.WorkflowFile != "flows/notify.arazzo.yaml" ||
		got.WorkflowID != "notify-security" || string(got.Inputs) != `{"userId":"00u1"}` ||
		got.Status != store.RunQueued || got.CreatedAt.IsZero() || !got.StartedAt.IsZero() {
		t.Errorf("GetRun = %+v", got)
	}
	if _, err := s.CreateRuns(ctx, "no-such-event", []store.NewRun{newRun("welcome", 0)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateRuns for a missing event: err = %v, want ErrNotFound", err)
	}
	list, _, err := s.ListRuns(ctx, store.RunFilter{EventUUID: "e1"})
	if err != nil || len(list) != 3 {
		t.Errorf("ListRuns(event e1) = %d runs, %v; want 3", len(list), err)
	}
}

func testStepCheckpoints(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ingest(t, s, delivery("d", events("e1")...))
	runs, err := s.CreateRuns(ctx, "e1", []store.NewRun{newRun("welcome", 0)})
	if err != nil {
		t.Fatalf("CreateRuns: %v", err)
	}
	id := runs[0].ID
	start := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	steps := []store.Step{
		{RunID: id, Seq: 1, StepID: "enroll", Status: "succeeded", Attempts: 1, Method: "POST",
			URL: "https://example.okta.com/api/v1/users/00u1/factors", StatusCode: 200, StartedAt: start,
			Duration: 42 * time.Millisecond, Request: []byte(`{"factorType":"token:software:totp"}`),
			Response: []byte(`{"id":"mfa1"}`), Outputs: json.RawMessage(`{"factorId":"mfa1"}`),
			Checkpoint: json.RawMessage(`{"seq":1,"decision":{"kind":"next"}}`)},
		{RunID: id, Seq: 2, StepID: "activate", Status: "failed", Attempts: 3, Method: "POST", StatusCode: 429,
			Error: "rate limited"},
	}
	for _, st := range steps {
		if err := s.SaveStep(ctx, st); err != nil {
			t.Fatalf("SaveStep(%d): %v", st.Seq, err)
		}
	}
	// A retried checkpoint replaces the earlier one instead of adding a step.
	steps[1].Status, steps[1].StatusCode, steps[1].Error = "succeeded", 200, ""
	if err := s.SaveStep(ctx, steps[1]); err != nil {
		t.Fatalf("SaveStep again: %v", err)
	}
	got, err := s.Steps(ctx, id)
	if err != nil {
		t.Fatalf("Steps: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("Steps = %d, want 2", len(got))
	}
	g := got[0]
	if g.StepID != "enroll" || g.Method != "POST" || g.URL != steps[0].URL || g.StatusCode != 200 ||
		g.Duration != 42*time.Millisecond || !g.StartedAt.Equal(start) || string(g.Request) != string(steps[0].Request) ||
		string(g.Response) != `{"id":"mfa1"}` || string(g.Outputs) != `{"factorId":"mfa1"}` || g.Attempts != 1 ||
		string(g.Checkpoint) != `{"seq":1,"decision":{"kind":"next"}}` || got[1].Checkpoint != nil {
		t.Errorf("step 1 = %+v", g)
	}
	if got[1].Status != "succeeded" || got[1].StatusCode != 200 || got[1].Error != "" || got[1].Attempts != 3 {
		t.Errorf("step 2 after re-save = %+v", got[1])
	}
	if err := s.SaveStep(ctx, store.Step{RunID: "no-such-run", Seq: 1, StepID: "x", Status: "succeeded"}); err == nil {
		t.Error("SaveStep for a missing run succeeded")
	}
	if none, err := s.Steps(ctx, "no-such-run"); err != nil || len(none) != 0 {
		t.Errorf("Steps of a missing run = %v, %v", none, err)
	}
}

func testFinishRun(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ingest(t, s, delivery("d", events("e1")...))
	runs, err := s.CreateRuns(ctx, "e1", []store.NewRun{newRun("welcome", 0)})
	if err != nil {
		t.Fatalf("CreateRuns: %v", err)
	}
	id := runs[0].ID
	if err := s.FinishRun(ctx, id, store.RunResult{Status: store.RunRunning}); err == nil {
		t.Error("FinishRun accepted a non-final status")
	}
	if err := s.FinishRun(ctx, id, store.RunResult{Status: store.RunSucceeded, Outputs: json.RawMessage(`{"ok":true}`)}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	// The outcome people saw never changes.
	if err := s.FinishRun(ctx, id, store.RunResult{Status: store.RunFailed, Error: "late"}); err != nil {
		t.Fatalf("FinishRun again: %v", err)
	}
	got, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if got.Status != store.RunSucceeded || string(got.Outputs) != `{"ok":true}` || got.Error != "" ||
		got.FinishedAt.IsZero() || got.FinishedAt.Before(got.CreatedAt) {
		t.Errorf("finished run = %+v", got)
	}
	if err := s.FinishRun(ctx, "no-such-run", store.RunResult{Status: store.RunFailed}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishRun of a missing run: %v, want ErrNotFound", err)
	}
}

func testNotFound(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.GetRun(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun: %v", err)
	}
	if _, err := s.GetEvent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvent: %v", err)
	}
	if _, err := s.GetDelivery(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery: %v", err)
	}
	if _, err := s.Replay(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Replay: %v", err)
	}
}

func testPagination(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	var want []string
	for i := range 7 {
		u := fmt.Sprintf("ev-%d", i)
		typ := "user.mfa.factor.activate"
		if i%2 == 1 {
			typ = "user.session.start"
		}
		ingest(t, s, delivery(u, event(u, typ)))
		if _, err := s.CreateRuns(ctx, u, []store.NewRun{newRun("t", 0)}); err != nil {
			t.Fatalf("CreateRuns: %v", err)
		}
		want = append([]string{u}, want...) // newest first
	}
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		page, next, err := s.ListEvents(ctx, store.EventFilter{Page: store.Page{Limit: 3, After: after}})
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if len(page) > 3 || pages > 3 {
			t.Fatalf("page %d has %d events", pages, len(page))
		}
		for _, e := range page {
			got = append(got, e.UUID)
			if e.Payload != nil {
				t.Errorf("ListEvents returned a payload for %s", e.UUID)
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "events, all pages", got, want)

	odd, _, err := s.ListEvents(ctx, store.EventFilter{Type: "user.session.start"})
	if err != nil || len(odd) != 3 || odd[0].UUID != "ev-5" {
		t.Errorf("ListEvents(type) = %v, %v", odd, err)
	}

	var runEvents []string
	after = ""
	for {
		page, next, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 4, After: after}})
		if err != nil {
			t.Fatalf("ListRuns: %v", err)
		}
		for _, r := range page {
			runEvents = append(runEvents, r.EventUUID)
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "runs, all pages", runEvents, want)

	var deliveries []string
	after = ""
	for {
		page, next, err := s.ListDeliveries(ctx, store.DeliveryFilter{Page: store.Page{Limit: 5, After: after}})
		if err != nil {
			t.Fatalf("ListDeliveries: %v", err)
		}
		for _, d := range page {
			deliveries = append(deliveries, d.EventID)
		}
		if next == "" {
			break
		}
		after = next
	}
	equal(t, "deliveries, all pages", deliveries, want)

	_, next, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 1}})
	if err != nil || next == "" {
		t.Fatalf("ListRuns(limit 1) next = %q, %v", next, err)
	}
	if _, _, err := s.ListEvents(ctx, store.EventFilter{Page: store.Page{After: next}}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a runs cursor on events: %v, want ErrInvalidCursor", err)
	}
	if _, _, err := s.ListRuns(ctx, store.RunFilter{Page: store.Page{After: "garbage!"}}); !errors.Is(err, store.ErrInvalidCursor) {
		t.Errorf("a garbage cursor: %v, want ErrInvalidCursor", err)
	}
}

func testCounts(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	c, err := s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if c.Events != 0 || c.Deliveries != 0 || len(c.Runs) != 4 {
		t.Errorf("Counts of an empty store = %+v", c)
	}
	ingest(t, s, delivery("d1", events("a", "b", "a")...))
	ingest(t, s, delivery("d2", events("b")...))
	bad := delivery("")
	bad.Error = "malformed"
	ingest(t, s, bad)
	if _, err := s.IngestPolled(ctx, "logs", "c", events("c", "a")); err != nil {
		t.Fatalf("IngestPolled: %v", err)
	}
	runs, err := s.CreateRuns(ctx, "a", []store.NewRun{newRun("t1", 0), newRun("t2", 0)})
	if err != nil {
		t.Fatalf("CreateRuns: %v", err)
	}
	if err := s.FinishRun(ctx, runs[0].ID, store.RunResult{Status: store.RunFailed, Error: "boom"}); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	c, err = s.Counts(ctx)
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	want := store.Counts{Deliveries: 3, Malformed: 1, Events: 3, Duplicates: 3,
		Runs: map[store.RunStatus]int64{store.RunQueued: 1, store.RunRunning: 0, store.RunSucceeded: 0, store.RunFailed: 1}}
	if c.Deliveries != want.Deliveries || c.Malformed != want.Malformed || c.Events != want.Events ||
		c.Duplicates != want.Duplicates || fmt.Sprint(c.Runs) != fmt.Sprint(want.Runs) {
		t.Errorf("Counts = %+v, want %+v", c, want)
	}
	// Nothing works jobs here: the dispatch jobs of 3 ingests and the 2 execute jobs wait.
	if c.QueueDepth < 3 || c.QueueRunning != 0 {
		t.Errorf("queue depth %d running %d, want at least 3 waiting", c.QueueDepth, c.QueueRunning)
	}
}

// recorder counts handler calls and drives runs through the store like the real worker does.
type recorder struct {
	s        store.Store
	triggers []string
	mu       sync.Mutex
	dispatch map[string]int // "uuid/replay" -> calls
	execute  map[string]int // run id -> calls
	// failExecute, when set, decides the error of one Execute attempt before any step runs.
	failExecute func(runID string, attempt, max int) error
	attempts    map[string][]string // run id -> "attempt/max"
}

func newRecorder(s store.Store, triggers ...string) *recorder {
	return &recorder{s: s, triggers: triggers, dispatch: map[string]int{}, execute: map[string]int{},
		attempts: map[string][]string{}}
}

func (r *recorder) handlers() store.Handlers {
	return store.Handlers{
		Dispatch: func(ctx context.Context, uuid string, replay int) error {
			r.mu.Lock()
			r.dispatch[fmt.Sprintf("%s/%d", uuid, replay)]++
			r.mu.Unlock()
			var runs []store.NewRun
			for _, tr := range r.triggers {
				runs = append(runs, newRun(tr, replay))
			}
			_, err := r.s.CreateRuns(ctx, uuid, runs)
			return err
		},
		Execute: func(ctx context.Context, runID string, attempt, max int) error {
			r.mu.Lock()
			r.execute[runID]++
			r.attempts[runID] = append(r.attempts[runID], fmt.Sprintf("%d/%d", attempt, max))
			fail := r.failExecute
			r.mu.Unlock()
			if fail != nil {
				if err := fail(runID, attempt, max); err != nil {
					return err
				}
			}
			done, err := r.s.Steps(ctx, runID)
			if err != nil {
				return err
			}
			for seq := len(done) + 1; seq <= 2; seq++ {
				if err := r.s.SaveStep(ctx, store.Step{RunID: runID, Seq: seq, StepID: fmt.Sprintf("step%d", seq),
					Status: "succeeded", Attempts: 1}); err != nil {
					return err
				}
			}
			return r.s.FinishRun(ctx, runID, store.RunResult{Status: store.RunSucceeded})
		},
	}
}

func (r *recorder) counts() (dispatch, execute map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps(r.dispatch), maps(r.execute)
}

func maps(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// work runs s.Work in the background; the returned stop cancels it and checks it returned nil.
func work(t *testing.T, s store.Store, h store.Handlers) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Work(ctx, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Work returned %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Work did not return within 10s of cancellation")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitRuns waits until n runs are finished.
func waitRuns(t *testing.T, s store.Store, n int) []store.Run {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var finished []store.Run
		runs, _, err := s.ListRuns(context.Background(), store.RunFilter{Page: store.Page{Limit: store.MaxPageSize}})
		if err != nil {
			t.Fatalf("ListRuns: %v", err)
		}
		for _, r := range runs {
			if r.Status.Finished() {
				finished = append(finished, r)
			}
		}
		if len(finished) >= n {
			return runs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d runs finished after 10s: %+v", len(finished), n, runs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testWorkExactlyOnce(t *testing.T, open Open) {
	s := open(t)
	rec := newRecorder(s, "welcome", "audit")
	stop := work(t, s, rec.handlers())
	var all []string
	for d := range 5 {
		var evs []store.NewEvent
		for i := range 4 {
			u := fmt.Sprintf("e%d", d*3+i) // neighbouring deliveries share one event
			evs = append(evs, event(u, "user.mfa.factor.activate"))
			all = append(all, u)
		}
		ingest(t, s, delivery(fmt.Sprintf("d%d", d), evs...))
	}
	slices.Sort(all)
	all = slices.Compact(all)
	runs := waitRuns(t, s, 2*len(all))
	time.Sleep(100 * time.Millisecond) // room for a wrong second delivery of a job
	stop()

	dispatch, execute := rec.counts()
	for _, u := range all {
		if dispatch[u+"/0"] != 1 {
			t.Errorf("event %s dispatched %d times, want 1", u, dispatch[u+"/0"])
		}
	}
	if len(dispatch) != len(all) {
		t.Errorf("dispatched %d keys, want %d: %v", len(dispatch), len(all), dispatch)
	}
	if len(runs) != 2*len(all) {
		t.Errorf("%d runs, want %d", len(runs), 2*len(all))
	}
	for _, r := range runs {
		if execute[r.ID] != 1 {
			t.Errorf("run %s executed %d times, want 1", r.ID, execute[r.ID])
		}
		if r.Status != store.RunSucceeded || r.Attempts != 1 || r.StartedAt.IsZero() {
			t.Errorf("run %s = status %s attempts %d started %v", r.ID, r.Status, r.Attempts, r.StartedAt)
		}
	}
	c, err := s.Counts(context.Background())
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if c.QueueDepth != 0 || c.QueueRunning != 0 || c.Runs[store.RunSucceeded] != int64(len(runs)) {
		t.Errorf("Counts after work = %+v", c)
	}
}

func testWorkDurableAcrossReopen(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	ingest(t, s, delivery("d1", events("a", "b")...))
	ingest(t, s, delivery("d2", events("b", "c")...))
	// A run created before the crash: its execute job must survive too.
	pre, err := s.CreateRuns(ctx, "a", []store.NewRun{newRun("welcome", 0)})
	if err != nil {
		t.Fatalf("CreateRuns: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = open(t)
	if _, err := s.GetEvent(ctx, "c"); err != nil {
		t.Fatalf("event lost across reopen: %v", err)
	}
	rec := newRecorder(s, "welcome")
	stop := work(t, s, rec.handlers())
	runs := waitRuns(t, s, 3)
	time.Sleep(100 * time.Millisecond)
	stop()
	dispatch, execute := rec.counts()
	for _, u := range []string{"a", "b", "c"} {
		if dispatch[u+"/0"] != 1 {
			t.Errorf("event %s dispatched %d times after reopen, want 1", u, dispatch[u+"/0"])
		}
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3 (the dispatch of a must not duplicate the run made before)", len(runs))
	}
	if execute[pre[0].ID] != 1 {
		t.Errorf("pre-existing run executed %d times, want 1", execute[pre[0].ID])
	}
	for _, r := range runs {
		if execute[r.ID] != 1 || r.Status != store.RunSucceeded {
			t.Errorf("run %s executed %d times, status %s", r.ID, execute[r.ID], r.Status)
		}
	}
}

func testWorkRetryResumes(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	rec := newRecorder(s, "welcome")
	h := rec.handlers()
	execute := h.Execute
	h.Execute = func(ctx context.Context, runID string, attempt, max int) error {
		if attempt == 1 {
			// Finish one step, then fail as a network error would.
			if err := s.SaveStep(ctx, store.Step{RunID: runID, Seq: 1, StepID: "step1", Status: "succeeded",
				Attempts: 1, StatusCode: 200}); err != nil {
				return err
			}
			return errors.New("connection reset by peer")
		}
		return execute(ctx, runID, attempt, max)
	}
	stop := work(t, s, h)
	ingest(t, s, delivery("d", events("e")...))
	runs := waitRuns(t, s, 1)
	stop()
	r := runs[0]
	if r.Status != store.RunSucceeded || r.Attempts != 2 {
		t.Errorf("run = status %s attempts %d, want succeeded on attempt 2", r.Status, r.Attempts)
	}
	steps, err := s.Steps(ctx, r.ID)
	if err != nil {
		t.Fatalf("Steps: %v", err)
	}
	if len(steps) != 2 || steps[0].StatusCode != 200 {
		t.Errorf("steps = %+v, want step1 from attempt 1 kept and step2 added", steps)
	}
	_, executed := rec.counts()
	if executed[r.ID] != 1 {
		t.Errorf("the resuming attempt ran %d times, want 1", executed[r.ID])
	}
}

func testWorkFinalAttempt(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	rec := newRecorder(s, "fails", "gives-reason")
	rec.failExecute = func(runID string, attempt, max int) error {
		r, err := s.GetRun(ctx, runID)
		if err != nil {
			return err
		}
		if r.Status != store.RunRunning || r.Attempts != attempt {
			return fmt.Errorf("run not marked running on attempt %d: %+v", attempt, r)
		}
		if r.Trigger == "gives-reason" && attempt == max {
			if err := s.FinishRun(ctx, runID, store.RunResult{Status: store.RunFailed, Error: "HTTP 503 from Okta"}); err != nil {
				return err
			}
		}
		return fmt.Errorf("attempt %d: HTTP 503", attempt)
	}
	stop := work(t, s, rec.handlers())
	ingest(t, s, delivery("d", events("e")...))
	runs := waitRuns(t, s, 2)
	time.Sleep(200 * time.Millisecond) // a job that wrongly retried again would show up here
	stop()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range runs {
		seen := rec.attempts[r.ID]
		if len(seen) < 2 {
			t.Fatalf("run %s attempts %v, want retries", r.ID, seen)
		}
		var max int
		fmt.Sscanf(seen[0], "1/%d", &max)
		want := []string{}
		for i := 1; i <= max; i++ {
			want = append(want, fmt.Sprintf("%d/%d", i, max))
		}
		equal(t, "attempts of run "+r.Trigger, seen, want)
		if r.Status != store.RunFailed || r.Attempts != max {
			t.Errorf("run %s = %s after %d attempts", r.Trigger, r.Status, r.Attempts)
		}
		switch r.Trigger {
		case "gives-reason":
			if r.Error != "HTTP 503 from Okta" {
				t.Errorf("run error = %q, want the handler's reason", r.Error)
			}
		case "fails":
			if r.Error == "" || !strings.Contains(r.Error, fmt.Sprintf("attempt %d: HTTP 503", max)) {
				t.Errorf("run error = %q, want the last attempt's error", r.Error)
			}
		}
	}
}

func testWorkDispatchPartialFailure(t *testing.T, open Open) {
	s := open(t)
	rec := newRecorder(s, "welcome")
	h := rec.handlers()
	dispatch := h.Dispatch
	var mu sync.Mutex
	failed := false
	h.Dispatch = func(ctx context.Context, uuid string, replay int) error {
		mu.Lock()
		first := uuid == "b" && !failed
		failed = failed || first
		mu.Unlock()
		if first {
			rec.mu.Lock()
			rec.dispatch[uuid+"/0"]++
			rec.mu.Unlock()
			return errors.New("database is busy")
		}
		return dispatch(ctx, uuid, replay)
	}
	stop := work(t, s, h)
	ingest(t, s, delivery("d", events("a", "b", "c")...))
	waitRuns(t, s, 3)
	time.Sleep(100 * time.Millisecond)
	stop()
	got, _ := rec.counts()
	want := map[string]int{"a/0": 1, "b/0": 2, "c/0": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dispatch calls = %v, want %v: the events that succeeded must not be dispatched again", got, want)
	}
}

func testWorkReplay(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	rec := newRecorder(s, "welcome")
	stop := work(t, s, rec.handlers())
	ingest(t, s, delivery("d", events("e")...))
	waitRuns(t, s, 1)
	n, err := s.Replay(ctx, "e")
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1", n, err)
	}
	if n, err := s.Replay(ctx, "e"); err != nil || n != 2 {
		t.Fatalf("second Replay = %d, %v; want 2", n, err)
	}
	runs := waitRuns(t, s, 3)
	time.Sleep(100 * time.Millisecond)
	stop()
	dispatch, _ := rec.counts()
	want := map[string]int{"e/0": 1, "e/1": 1, "e/2": 1}
	if fmt.Sprint(dispatch) != fmt.Sprint(want) {
		t.Errorf("dispatch calls = %v, want %v", dispatch, want)
	}
	var replays []int
	for _, r := range runs {
		replays = append(replays, r.Replay)
	}
	slices.Sort(replays)
	equal(t, "run replay numbers", replays, []int{0, 1, 2})
	e, err := s.GetEvent(ctx, "e")
	if err != nil || e.Replays != 2 {
		t.Errorf("event replays = %d, %v; want 2", e.Replays, err)
	}
}

// testWorkNoDispatch: an event stored with NoDispatch is kept and de-duplicated but not dispatched, until
// it is replayed.
func testWorkNoDispatch(t *testing.T, open Open) {
	ctx := context.Background()
	s := open(t)
	rec := newRecorder(s, "welcome")
	stop := work(t, s, rec.handlers())
	quiet := event("quiet", "user.session.start")
	quiet.NoDispatch = true
	res := ingest(t, s, delivery("d1", quiet, event("loud", "user.mfa.factor.activate")))
	equal(t, "new events", res.New, []string{"quiet", "loud"})
	waitRuns(t, s, 1)
	again := ingest(t, s, delivery("d2", quiet))
	equal(t, "duplicates", again.Duplicates, []string{"quiet"})
	time.Sleep(100 * time.Millisecond)
	if dispatch, _ := rec.counts(); dispatch["quiet/0"] != 0 || dispatch["loud/0"] != 1 {
		t.Errorf("dispatch calls = %v: a NoDispatch event is not dispatched", dispatch)
	}
	if _, err := s.GetEvent(ctx, "quiet"); err != nil {
		t.Errorf("a NoDispatch event is stored: %v", err)
	}
	if n, err := s.Replay(ctx, "quiet"); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v", n, err)
	}
	waitRuns(t, s, 2)
	stop()
	if dispatch, _ := rec.counts(); dispatch["quiet/1"] != 1 {
		t.Errorf("dispatch calls = %v: a replay dispatches it", dispatch)
	}
}

func testWorkOnlyOnce(t *testing.T, open Open) {
	s := open(t)
	rec := newRecorder(s)
	stop := work(t, s, rec.handlers())
	defer stop()
	time.Sleep(20 * time.Millisecond) // let the first Work take ownership
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Work(ctx, rec.handlers()); !errors.Is(err, store.ErrWorking) {
		t.Errorf("second concurrent Work: %v, want ErrWorking", err)
	}
	if err := s.Work(ctx, store.Handlers{}); err == nil {
		t.Error("Work without handlers succeeded")
	}
}

func testWorkRestart(t *testing.T, open Open) {
	s := open(t)
	rec := newRecorder(s, "welcome")
	stop := work(t, s, rec.handlers())
	ingest(t, s, delivery("d1", events("a")...))
	waitRuns(t, s, 1)
	stop()
	// A store whose Work returned can work again, and picks up what arrived in between.
	ingest(t, s, delivery("d2", events("b")...))
	stop = work(t, s, rec.handlers())
	waitRuns(t, s, 2)
	stop()
	dispatch, execute := rec.counts()
	if fmt.Sprint(dispatch) != fmt.Sprint(map[string]int{"a/0": 1, "b/0": 1}) || len(execute) != 2 {
		t.Errorf("dispatch %v, execute %v; want each event and run once", dispatch, execute)
	}
}

func testWorkRetryAfter(t *testing.T, open Open) {
	s := open(t)
	rec := newRecorder(s, "welcome")
	var mu sync.Mutex
	var starts []time.Time
	rec.failExecute = func(runID string, attempt, max int) error {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		if attempt == 1 {
			return store.RetryAfter(400*time.Millisecond, errors.New("HTTP 429: rate limit exceeded"))
		}
		return nil
	}
	stop := work(t, s, rec.handlers())
	ingest(t, s, delivery("d", events("e")...))
	runs := waitRuns(t, s, 1)
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != 2 || runs[0].Status != store.RunSucceeded {
		t.Fatalf("%d attempts, run %s; want success on attempt 2", len(starts), runs[0].Status)
	}
	if gap := starts[1].Sub(starts[0]); gap < 400*time.Millisecond {
		t.Errorf("retry came after %v, before the 400ms the handler asked for", gap)
	}
}
