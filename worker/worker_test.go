package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trama-dev/trama/config"
	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/queue"
	"github.com/trama-dev/trama/runner"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
	"github.com/trama-dev/trama/trigger"
	"github.com/trama-dev/trama/worker"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorder is the API the test workflows call: it counts each step's requests, can fail a step with 503
// and can hold a step's request until released.
type recorder struct {
	mu     sync.Mutex
	counts map[string]int
	tokens []string
	fail   map[string]int           // step → how many more calls answer 503
	hold   map[string]chan struct{} // step → released when closed
	held   chan string              // told when a request is held
}

func newRecorder() *recorder {
	return &recorder{counts: map[string]int{}, fail: map[string]int{}, hold: map[string]chan struct{}{}, held: make(chan string, 10)}
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	step := parts[2]
	r.mu.Lock()
	r.counts[step]++
	r.tokens = append(r.tokens, req.Header.Get("Authorization"))
	failing := r.fail[step] > 0
	if failing {
		r.fail[step]--
	}
	hold := r.hold[step]
	r.mu.Unlock()
	if hold != nil {
		r.held <- step
		select {
		case <-hold:
		case <-req.Context().Done():
			return
		}
	}
	if failing {
		w.WriteHeader(503)
		return
	}
	w.WriteHeader(200)
}

func (r *recorder) count(step string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[step]
}

// fixture is a store, an API and a configuration; start runs a worker over them.
type fixture struct {
	t     *testing.T
	st    *store.Store
	rec   *recorder
	url   string
	dir   string
	flows string // the directory of the workflow files
}

func newFixture(t *testing.T, newDriver storetest.NewDriver) *fixture {
	rec := newRecorder()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	f := &fixture{t: t, st: storetest.Open(t, newDriver), rec: rec, url: srv.URL, dir: t.TempDir()}
	// The workflow files are copied, so that a test can change them under a running configuration.
	f.flows = filepath.Join(f.dir, "flows")
	if err := os.MkdirAll(f.flows, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"record.arazzo.yaml", "recorder.openapi.yaml"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		f.write(n, b)
	}
	return f
}

func (f *fixture) write(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(f.flows, name), b, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// config is a configuration with one trigger on user.lifecycle.create; extra is added to the trigger.
func (f *fixture) config(workflow, extra string) *config.Config {
	f.t.Helper()
	text := fmt.Sprintf(`store: sqlite:./unused.db
hooks:
  okta: {path: /hooks/okta, auth: {header: Authorization, value: secret-value-123}}
servers:
  recorder: %s
triggers:
  - name: record
    on: user.lifecycle.create
    run: {file: flows/record.arazzo.yaml, workflow: %s}
    inputs:
      event: $event.eventId
%s`, f.url, workflow, extra)
	if err := os.WriteFile(filepath.Join(f.dir, "trama.yaml"), []byte(text), 0o600); err != nil {
		f.t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(f.dir, "trama.yaml"), func(string) (string, bool) { return "", false })
	if err != nil {
		f.t.Fatalf("configuration:\n%s\n%v", text, err)
	}
	return cfg
}

// start works the queue with a worker for cfg until the returned stop is called.
func (f *fixture) start(cfg *config.Config, env map[string]string) (stop func()) {
	f.t.Helper()
	m, err := trigger.NewMatcher(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	w := &worker.Worker{Store: f.st, Matcher: m, Config: cfg, RunnerOptions: runner.Options{Servers: cfg.Servers},
		Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	q, err := queue.New(f.st, w.Handlers(), queue.Options{Lease: 2 * time.Second, RetryBase: 10 * time.Millisecond,
		RetryMax: 20 * time.Millisecond, PollInterval: 20 * time.Millisecond, ShutdownTimeout: 200 * time.Millisecond})
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				f.t.Errorf("queue: %v", err)
			}
		})
	}
	f.t.Cleanup(stop)
	return stop
}

func (f *fixture) ingest(uuid string) {
	f.t.Helper()
	payload := oktatest.Event{UUID: uuid, Type: "user.lifecycle.create"}.JSON()
	storetest.Ingest(f.t, f.st, store.NewDelivery{Hook: "okta", EventID: "d-" + uuid,
		Events: []store.NewEvent{{UUID: uuid, Type: "user.lifecycle.create", Published: time.Now(), Payload: payload}}})
}

// wait waits until the only run has status want.
func (f *fixture) wait(want store.RunStatus) store.Run {
	f.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		runs, _, err := f.st.ListRuns(context.Background(), store.RunFilter{})
		if err != nil {
			f.t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status == want {
			return runs[0]
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("runs = %+v, want one %s", runs, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestResumesAfterTheLastCheckpointedStep(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		f := newFixture(t, newDriver)
		f.rec.fail["two"] = 1 // the first attempt fails transiently at step two
		f.start(f.config("record", ""), nil)
		f.ingest("ev-1")
		run := f.wait(store.RunSucceeded)
		if f.rec.count("one") != 1 || f.rec.count("two") != 2 || f.rec.count("three") != 1 {
			t.Errorf("calls = %v: step one finished in attempt 1 and must not run again", f.rec.counts)
		}
		steps, _ := f.st.Steps(context.Background(), run.ID)
		var attempts []string
		for _, s := range steps {
			attempts = append(attempts, fmt.Sprintf("%s/%d/%s", s.StepID, s.RunAttempt, s.Status))
		}
		if strings.Join(attempts, " ") != "one/1/succeeded two/1/failed two/2/succeeded three/2/succeeded" || run.Attempts != 2 {
			t.Errorf("history = %v after %d attempts, want both attempts of step two", attempts, run.Attempts)
		}
		if run.Version == "" || !strings.HasPrefix(run.Version, "bundle:sha256:") {
			t.Errorf("run version = %q, want the pinned bundle digest", run.Version)
		}
	})
}

// interrupted runs a workflow until the worker is stopped while step two's request is in flight, and
// returns the run, now waiting to be resumed. A request that may be resent needs no intent: withIntent
// says whether step two's request is one that must be recorded.
func interrupted(t *testing.T, f *fixture, cfg *config.Config, withIntent bool) store.Run {
	t.Helper()
	release := make(chan struct{})
	f.rec.hold["two"] = release
	stop := f.start(cfg, nil)
	f.ingest("ev-1")
	select {
	case <-f.rec.held:
	case <-time.After(10 * time.Second):
		t.Fatal("step two was never sent")
	}
	stop() // the request is cut off: it may or may not have reached the API
	close(release)
	f.rec.mu.Lock()
	delete(f.rec.hold, "two")
	f.rec.mu.Unlock()
	run := f.wait(store.RunRetrying)
	switch {
	case withIntent && (run.Intent == nil || run.Intent.StepID != "two"):
		t.Fatalf("interrupted run = %+v, want step two's request recorded as intended", run)
	case !withIntent && run.Intent != nil:
		t.Fatalf("interrupted run has intent %+v; a request that may be resent needs none", run.Intent)
	}
	return run
}

func TestRequestInDoubtWaitsForAnOperator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		f := newFixture(t, newDriver)
		cfg := f.config("record", "")
		interrupted(t, f, cfg, true)
		f.start(cfg, nil)
		run := f.wait(store.RunUncertain)
		if f.rec.count("two") != 1 || f.rec.count("three") != 0 {
			t.Errorf("calls = %v: a POST in doubt must not be sent again on its own", f.rec.counts)
		}
		if run.Intent == nil || run.Intent.Method != "POST" || !strings.Contains(run.Error, "may or may not have reached the API") {
			t.Errorf("uncertain run = %+v", run)
		}
		// The operator checked the API: the request did not take effect.
		if _, err := worker.Resolve(ctx, f.st, run.ID, "resend", "ann@example.com", "not in the API"); err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		run = f.wait(store.RunSucceeded)
		if f.rec.count("two") != 2 || f.rec.count("three") != 1 || f.rec.count("one") != 1 {
			t.Errorf("calls after --resend = %v", f.rec.counts)
		}
		if run.Resolution == nil || run.Resolution.By != "ann@example.com" || run.Resolution.Action != "resend" {
			t.Errorf("resolution = %+v", run.Resolution)
		}
	})
}

func TestSkipGoesOnWithoutTheRequest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		f := newFixture(t, newDriver)
		cfg := f.config("record", "")
		interrupted(t, f, cfg, true)
		f.start(cfg, nil)
		run := f.wait(store.RunUncertain)
		if _, err := worker.Resolve(ctx, f.st, run.ID, "skip", "ann", "it was enrolled"); err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		run = f.wait(store.RunSucceeded)
		if f.rec.count("two") != 1 || f.rec.count("three") != 1 {
			t.Errorf("calls after --skip = %v", f.rec.counts)
		}
		steps, _ := f.st.Steps(ctx, run.ID)
		found := false
		for _, s := range steps {
			found = found || (s.StepID == "two" && s.Status == "skipped")
		}
		if !found {
			t.Errorf("steps = %+v, want step two recorded as skipped", steps)
		}
	})
}

func TestResendPolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		for _, tt := range []struct{ name, workflow, extra string }{
			{"trigger says always", "record", "    resend: always\n"},
			{"trigger names the step", "record", "    resend: [two]\n"},
			{"GET is idempotent", "lookup", ""},
		} {
			t.Run(tt.name, func(t *testing.T) {
				f := newFixture(t, newDriver)
				cfg := f.config(tt.workflow, tt.extra)
				interrupted(t, f, cfg, false)
				f.start(cfg, nil)
				f.wait(store.RunSucceeded)
				if f.rec.count("two") != 2 || f.rec.count("three") != 1 {
					t.Errorf("calls = %v: the request in doubt may be resent", f.rec.counts)
				}
			})
		}
	})
}

// TestRunKeepsWhatItWasDispatchedWith: the workflow file and the trigger change after an event was
// accepted; its run still executes the version and inputs it was dispatched with.
func TestRunKeepsWhatItWasDispatchedWith(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		ctx := context.Background()
		f := newFixture(t, newDriver)
		f.rec.hold["one"] = make(chan struct{}) // dispatch, then hold the run at its first request
		stop := f.start(f.config("record", "    resend: always\n"), nil)
		f.ingest("ev-1")
		<-f.rec.held
		stop()
		f.rec.mu.Lock()
		delete(f.rec.hold, "one")
		f.rec.mu.Unlock()
		run := f.wait(store.RunRetrying)

		// A new release: step two renamed, the input mapped differently, the configuration reloaded.
		b, _ := os.ReadFile(filepath.Join(f.flows, "record.arazzo.yaml"))
		f.write("record.arazzo.yaml", bytes.ReplaceAll(b, []byte("value: two}"), []byte("value: renamed}")))
		cfg := f.config("record", "    resend: never\n")
		cfg.Triggers[0].Inputs[0].Value = "changed"
		f.start(cfg, nil)
		run = f.wait(store.RunSucceeded)
		if f.rec.count("two") != 1 || f.rec.count("renamed") != 0 {
			t.Errorf("calls = %v: the run must execute the version it was dispatched with", f.rec.counts)
		}
		var p worker.Plan
		if err := json.Unmarshal(run.Plan, &p); err != nil || p.Inputs["event"] != "ev-1" {
			t.Errorf("plan = %s, %v", run.Plan, err)
		}
		// A new event runs the new version.
		f.ingest("ev-2")
		deadline := time.Now().Add(10 * time.Second)
		for f.rec.count("renamed") == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if f.rec.count("renamed") != 1 {
			t.Errorf("calls = %v: a new event runs the new version", f.rec.counts)
		}
		runs, _, _ := f.st.ListRuns(ctx, store.RunFilter{})
		if len(runs) == 2 && runs[0].Version == runs[1].Version {
			t.Errorf("both runs have version %s", runs[0].Version)
		}
	})
}

// TestSecretInputsAreReadAtRunTime: a secret input's value reaches the API but never the store.
func TestSecretInputsAreReadAtRunTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newDriver storetest.NewDriver) {
		const canary = "canary-token-5f0e2b"
		f := newFixture(t, newDriver)
		b, _ := os.ReadFile(filepath.Join(f.flows, "record.arazzo.yaml"))
		f.write("record.arazzo.yaml", bytes.Replace(b, []byte("          - {name: step, in: path, value: one}"),
			[]byte("          - {name: step, in: path, value: one}\n          - {name: Authorization, in: header, value: \"SSWS {$inputs.token}\"}"), 1))
		f.start(f.config("record", "      token: $env.OKTA_TOKEN\n"), map[string]string{"OKTA_TOKEN": canary})
		f.ingest("ev-1")
		run := f.wait(store.RunSucceeded)
		if f.rec.tokens[0] != "SSWS "+canary {
			t.Errorf("the API got %q", f.rec.tokens[0])
		}
		raw, _ := json.Marshal(run)
		steps, _ := f.st.Steps(context.Background(), run.ID)
		rawSteps, _ := json.Marshal(steps)
		if bytes.Contains(raw, []byte(canary)) || bytes.Contains(rawSteps, []byte(canary)) {
			t.Errorf("the secret reached the store: %s %s", raw, rawSteps)
		}
	})
}
