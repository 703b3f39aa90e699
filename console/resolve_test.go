package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/console"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// bareConsole serves the console over a store no worker works, so a test can put a run in any state.
func bareConsole(t testing.TB) (*env, *store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "trama.db"), sqlite.Options{}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The triggers of the flows page; the workflow file is read from testdata.
	cfgText := "api: {token: " + apiToken + "}\ntriggers:\n" +
		"  - {name: check-department, on: user.mfa.factor.activate, run: {file: console.arazzo.yaml, workflow: check-department}}\n" +
		"  - {name: approve-factor, on: user.mfa.factor.activate, when: \"$event.reason != 'x'\", run: {file: console.arazzo.yaml, workflow: approve-factor}}\n"
	cfg, err := config.Parse([]byte(cfgText), "testdata/trama.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{Store: st, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	t.Cleanup(c.Close)
	return &env{t: t, url: srv.URL}, st
}

// TestResolveUncertain: a run stopped with a request in doubt shows the request and a decision form;
// the decision from the console is applied as trama runs resolve would, by the console's user.
func TestResolveUncertain(t *testing.T) {
	e, st := bareConsole(t)
	ctx := context.Background()
	storetest.Ingest(t, st, storetest.Delivery("d1", storetest.Events(eventA)...))
	storetest.DispatchAll(t, st, "enroll")
	claim := storetest.ClaimOne(t, st, "w1", time.Minute)
	in := store.Intent{Seq: 1, WorkflowID: "notify-security", StepID: "enrollFactor", StepAttempt: 1, RunAttempt: 1,
		Method: "POST", URL: "https://org.example/api/v1/users/00u1/factors", At: time.Now()}
	if err := st.RecordIntent(ctx, claim.Lease, in); err != nil {
		t.Fatal(err)
	}
	if err := st.HoldUncertain(ctx, claim.Lease, "the attempt stopped while POST …/factors was in flight"); err != nil {
		t.Fatal(err)
	}
	b := e.signIn()
	id := claim.Run.ID
	_, page := b.get("/console/runs/" + id)
	for _, want := range []string{"A request is in doubt", "https://org.example/api/v1/users/00u1/factors", "step enrollFactor",
		`<input type="radio" name="action" value="resend" required>`, `<label for="reason">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the uncertain run's page lacks %s", want)
		}
	}
	csrf := field(page, "csrf")
	if resp := b.post("/console/runs/"+id+"/resolve", url.Values{"csrf": {csrf}, "action": {"delete"}}, ""); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(bodyOf(resp), "choose resend, skip or fail") {
		t.Errorf("an unknown decision: %d", resp.StatusCode)
	}
	resp := b.post("/console/runs/"+id+"/resolve", url.Values{"csrf": {csrf}, "action": {"fail"}, "reason": {"enrolled by hand"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resolve: %d\n%s", resp.StatusCode, bodyOf(resp))
	}
	run, err := st.GetRun(ctx, id)
	if err != nil || run.Status != store.RunFailed || run.Resolution == nil || run.Resolution.By != "console" || run.Resolution.Reason != "enrolled by hand" {
		t.Fatalf("after the decision the run is %+v (%v)", run, err)
	}
	_, page = b.get("/console/runs/" + id + "?done=resolved")
	if !strings.Contains(page, "Your decision is recorded") || !strings.Contains(page, "Resolved: <strong>fail</strong> by console") {
		t.Errorf("the page does not show the decision")
	}
	if resp := b.post("/console/runs/"+id+"/resolve", url.Values{"csrf": {csrf}, "action": {"resend"}}, ""); resp.StatusCode != http.StatusConflict {
		t.Errorf("resolving a finished run: %d, want 409", resp.StatusCode)
	}
	// A run whose workflow version is not in the store still shows, without its graph.
	if !strings.Contains(page, "The workflow could not be read") {
		t.Error("a run without a stored version does not say why there is no graph")
	}
}
