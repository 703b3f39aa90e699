package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
)

// benchRuns is how many runs BenchmarkPages puts in the store: a year of a busy org's factor events.
const benchRuns = 100_000

// BenchmarkPages times the console's pages over a SQLite store of 100 000 finished runs (one per event,
// each with a step and its response body; a tenth failed; 1 000 users): the lists, filtered and paged,
// and a run's and an event's page, through HTTP as a browser asks for them. Filling the store takes a
// while; the timings are of the pages alone.
//
//	go test ./console -run '^$' -bench Pages -benchtime 200x
func BenchmarkPages(b *testing.B) {
	e, st := bareConsole(b)
	start := time.Now()
	fill := fillStore(b, st, benchRuns)
	b.Logf("filled the store with %d runs in %s", benchRuns, time.Since(start).Round(time.Second))
	br := e.signIn()

	mid, _, err := st.ListRuns(context.Background(), store.RunFilter{Page: store.Page{Limit: 1, After: fill.midCursor}})
	if err != nil || len(mid) == 0 {
		b.Fatalf("the middle of the runs: %v", err)
	}
	pages := []struct{ name, path, want string }{
		{"runs", "/console/runs", "Older →"},
		{"runs-by-user-email", "/console/runs?" + url.Values{"user": {"User0421@example.com"}}.Encode(), fill.userRun},
		{"runs-failed", "/console/runs?status=failed", "badge bad"},
		{"runs-by-workflow", "/console/runs?workflow=approve-factor", "approve-factor"},
		{"runs-one-hour", "/console/runs?" + url.Values{"since": {fill.hourAgo}, "until": {fill.hourEnd}}.Encode(), "<tbody>"},
		{"runs-page-500", "/console/runs?after=" + fill.midCursor, "Newest"},
		{"run", "/console/runs/" + fill.failedRun, "Why it failed"},
		{"events", "/console/events", "Older →"},
		{"events-by-user", "/console/events?user=00u00421", fill.userEvent},
		{"events-skipped", "/console/events?outcome=skipped", "No event matches"},
		{"event", "/console/events/" + fill.userEvent, "User MFA Factor Activated"},
		{"flows", "/console/flows", "Flows"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			code, page := br.get(p.path)
			if code != http.StatusOK || !strings.Contains(page, p.want) {
				b.Fatalf("%s: %d, lacks %q", p.path, code, p.want)
			}
			b.ResetTimer()
			for b.Loop() {
				if code, _ := br.get(p.path); code != http.StatusOK {
					b.Fatalf("%s: %d", p.path, code)
				}
			}
		})
	}
	// The answers are kept for the secrets check of tests; a benchmark needs them no more.
	e.seen = nil
}

type filled struct {
	failedRun, userRun, userEvent string
	midCursor                     string
	hourAgo, hourEnd              string
}

// fillStore ingests n events from 1 000 users (00u00000…, login userNNNN@example.com), dispatches each
// to one run of one of two workflows, and finishes every run with one step: a tenth failed on a
// criterion, the rest succeeded. Runs are created as fast as the store goes, so an hour of them is most.
func fillStore(b testing.TB, st *store.Store, n int) filled {
	ctx := context.Background()
	var f filled
	doc, err := os.ReadFile("testdata/console.arazzo.yaml")
	if err != nil {
		b.Fatal(err)
	}
	manifest, _ := json.Marshal(map[string]any{"root": "console.arazzo.yaml", "files": map[string]string{"console.arazzo.yaml": "sha256:doc"}})
	if err := st.PutDocument(ctx, "sha256:doc", doc); err != nil {
		b.Fatal(err)
	}
	if err := st.PutDocument(ctx, "bundle:bench", manifest); err != nil {
		b.Fatal(err)
	}
	const batch = 500
	users := map[string]int{}
	for done := 0; done < n; done += batch {
		d := store.NewDelivery{Hook: "okta", EventID: uuid.NewString(), Size: 1500 * batch,
			Headers: map[string][]string{"Content-Type": {"application/json"}, "Authorization": {"****"}}}
		for i := done; i < min(done+batch, n); i++ {
			id, _ := uuid.NewUUID()
			user := fmt.Sprintf("00u%05d", i%1000)
			users[id.String()] = i % 1000
			d.Events = append(d.Events, store.NewEvent{UUID: id.String(), Type: "user.mfa.factor.activate", Published: time.Now(),
				Payload: oktatest.Event{UUID: id.String(), UserID: user, Published: time.Now()}.JSON(),
				User:    store.EventUser{ID: user, Login: fmt.Sprintf("User%04d@example.com", i%1000)}})
		}
		if _, err := st.IngestDelivery(ctx, d); err != nil {
			b.Fatal(err)
		}
		ds, err := st.ClaimDispatches(ctx, batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		outs := make([]store.Outcome, len(ds))
		for i, dsp := range ds {
			u := users[dsp.UUID]
			wf, trig := "check-department", "check-department"
			if u%10 == 3 {
				wf, trig = "approve-factor", "approve-factor"
			}
			outs[i] = store.Outcome{
				Runs: []store.NewRun{{Trigger: trig, WorkflowFile: "console.arazzo.yaml", WorkflowID: wf,
					Inputs: json.RawMessage(`{"oktaApiToken":"****","userId":"00u` + fmt.Sprintf("%05d", u) + `"}`),
					Plan:   json.RawMessage(`{}`), Version: "bundle:bench"}}}
			if u == 421 {
				f.userEvent = dsp.UUID
			}
		}
		created, err := st.CompleteDispatches(ctx, ds, outs)
		if err != nil {
			b.Fatal(err)
		}
		for i, runs := range created {
			if users[ds[i].UUID] == 421 && len(runs) > 0 {
				f.userRun = runs[0].ID
			}
		}
		claims, err := st.ClaimRuns(ctx, "bench", batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		fs := make([]store.Finish, len(claims))
		for i, c := range claims {
			fs[i] = finish(c)
			if fs[i].Result.Status == store.RunFailed {
				f.failedRun = c.Run.ID
			}
		}
		if _, err := st.FinishRuns(ctx, fs); err != nil {
			b.Fatal(err)
		}
		if done == n/2 {
			_, f.midCursor, err = st.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 500}})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	// The page at offset 500 from the newest stands for any deep page: a cursor is a key, not an offset.
	if _, f.midCursor, err = st.ListRuns(ctx, store.RunFilter{Page: store.Page{Limit: 500}}); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	f.hourAgo, f.hourEnd = now.Add(-30*time.Minute).Format("2006-01-02T15:04:05"), now.Add(30*time.Minute).Format("2006-01-02T15:04:05")
	return f
}

// finish ends a claimed run as a worker would: one step with its request and response, failed on a
// criterion for every tenth run.
func finish(c store.Claim) store.Finish {
	fail := c.Run.ID[len(c.Run.ID)-1]%10 == 0
	status, code := store.RunSucceeded, 200
	cp := runner.Checkpoint{Seq: 1, NextSeq: 2, Result: runner.StepResult{StepID: "getUser", WorkflowID: c.Run.WorkflowID, Status: runner.StatusSucceeded},
		Decision: runner.Decision{Kind: "goto", StepID: "listFactors"}}
	errMsg := ""
	if fail {
		status = store.RunFailed
		errMsg = "step getUser: status 200: criterion \"$response.body#/profile/department == 'Security'\" failed"
		cp.Result.Status = runner.StatusFailed
		cp.Result.Criteria = []runner.CriterionNote{{Condition: "$response.body#/profile/department == 'Security'", Message: "condition is false: $response.body#/profile/department has no value"}}
		cp.Decision = runner.Decision{Kind: "fail", Message: errMsg}
	}
	raw, _ := json.Marshal(cp)
	body := `{"id":"00u1","status":"ACTIVE","profile":{"login":"ann@example.com","email":"ann@example.com","firstName":"Ann","lastName":"Lee"},` +
		`"credentials":"****","_links":{"self":{"href":"https://example.okta.com/api/v1/users/00u1"}},"padding":"` + strings.Repeat("x", 600) + `"}`
	step := store.Step{Seq: 1, RunAttempt: c.Lease.Attempt, StepID: "getUser", Status: string(cp.Result.Status), Attempts: 1, Method: "GET",
		URL: "https://example.okta.com/api/v1/users/00u1", StatusCode: code, StartedAt: time.Now(), Duration: 3 * time.Millisecond,
		Response: []byte(body), Outputs: json.RawMessage(`{}`), Error: errMsg, Checkpoint: raw}
	return store.Finish{Lease: c.Lease, Result: store.RunResult{Status: status, Error: errMsg, Outputs: json.RawMessage(`{}`)}, Steps: []store.Step{step}}
}
