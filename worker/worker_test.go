package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/trigger"
	"github.com/trama-dev/trama/worker"
)

type recorder struct {
	mu     sync.Mutex
	counts map[string]int
	fail   map[string]int // step → how many more calls answer 503
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[parts[2]]++
	if r.fail[parts[2]] > 0 {
		r.fail[parts[2]]--
		w.WriteHeader(503)
		return
	}
	w.WriteHeader(200)
}

func setup(t *testing.T) (*worker.Worker, store.Store, *recorder) {
	t.Helper()
	rec := &recorder{counts: map[string]int{}, fail: map[string]int{}}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfgText := fmt.Sprintf(`store: sqlite:./trama.db
hooks:
  okta: {path: /hooks/okta, auth: {header: Authorization, value: secret-value-123}}
servers:
  recorder: %s
triggers:
  - name: record
    on: user.lifecycle.create
    run: {file: %s, workflow: record}
    inputs:
      event: $event.eventId
`, srv.URL, filepath.Join(mustAbs(t, "testdata"), "record.arazzo.yaml"))
	cfg, err := trigger.Parse([]byte(cfgText), filepath.Join(dir, "trama.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := trigger.NewMatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "trama.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &worker.Worker{Store: st, Matcher: m, RunnerOptions: runner.Options{Servers: cfg.Servers}}
	return w, st, rec
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func ingest(t *testing.T, st store.Store, uuid string) {
	t.Helper()
	payload := fmt.Sprintf(`{"uuid":%q,"eventType":"user.lifecycle.create","published":"2026-11-22T07:00:00.000Z","version":"0","actor":{"id":"00uadmin","type":"User"},"target":[{"id":"00uann","type":"User"}]}`, uuid)
	if _, err := st.IngestDelivery(context.Background(), store.NewDelivery{Hook: "okta", EventID: "d-" + uuid,
		Events: []store.NewEvent{{UUID: uuid, Type: "user.lifecycle.create", Published: time.Now(), Payload: json.RawMessage(payload)}}}); err != nil {
		t.Fatal(err)
	}
}

func TestExecuteResumesAfterTheLastCheckpointedStep(t *testing.T) {
	w, st, rec := setup(t)
	ctx := context.Background()
	ingest(t, st, "ev-1")
	if err := w.Dispatch(ctx, "ev-1", 0); err != nil {
		t.Fatal(err)
	}
	runs, _, _ := st.ListRuns(ctx, store.RunFilter{})
	if len(runs) != 1 {
		t.Fatalf("runs = %d", len(runs))
	}
	// The first attempt fails transiently at step two (503): steps one is checkpointed, two is not.
	rec.fail["two"] = 1
	err := w.Execute(ctx, runs[0].ID, 1, 5)
	if err == nil || !strings.Contains(err.Error(), "transiently") {
		t.Fatalf("a 503 must make the queue retry the run: %v", err)
	}
	if err := w.Execute(ctx, runs[0].ID, 2, 5); err != nil {
		t.Fatal(err)
	}
	if rec.counts["one"] != 1 || rec.counts["two"] != 2 || rec.counts["three"] != 1 {
		t.Errorf("calls = %v: step one finished in attempt 1 and must not run again", rec.counts)
	}
	run, _ := st.GetRun(ctx, runs[0].ID)
	if run.Status != store.RunSucceeded {
		t.Errorf("run = %+v", run)
	}
}
