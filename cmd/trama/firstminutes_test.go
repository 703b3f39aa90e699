package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// TestInterruptSaysWhereAndExits130: Ctrl-C during a request stops the run with exit 130, naming the
// step in flight and warning that its request may have been sent.
func TestInterruptSaysWhereAndExits130(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--server", "oktaApi=" + srv.URL, "--input", "userId=00u1", "--input", "oktaApiToken=tok-1234567",
		"--input", "factorType=sms", "--input", "provider=OKTA"}, strings.NewReader(""), &stdout, &stderr)
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted during step resetFactors") ||
		strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit %d, stderr %q; want %d and the step in flight", code, stderr.String(), exitInterrupted)
	}
}

// TestReportPathsAreCheckedFirst: a --har or --junit path that cannot be written stops the command
// before any request, with exit 2.
func TestReportPathsAreCheckedFirst(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
	defer srv.Close()
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--har", filepath.Join(dir, "no-such-dir", "run.har")},
		{"--junit", dir},
	} {
		code, _, errOut := trama(t, append([]string{"run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
			"--server", "oktaApi=" + srv.URL, "--input", "userId=00u1", "--input", "oktaApiToken=tok-1234567",
			"--input", "factorType=sms", "--input", "provider=OKTA"}, args...)...)
		if code != exitUsage || !strings.Contains(errOut, args[0]) {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests were sent before the report paths were refused", n)
	}
}

// TestMissingInputSaysHowToGiveIt: without a terminal, a missing input's message says it would have been
// asked for, and how to give it.
func TestMissingInputSaysHowToGiveIt(t *testing.T) {
	code, _, errOut := trama(t, "run", filepath.Join(catalog, "okta-reset-and-reenroll-factor-workflow.yml"),
		"--server", "oktaApi=http://127.0.0.1:9", "--input", "oktaApiToken=tok-1234567", "--input", "factorType=sms", "--input", "provider=OKTA")
	if code != exitUsage || !strings.Contains(errOut, "--input userId=VALUE") || !strings.Contains(errOut, "not a terminal") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

// TestReadingCommandsNeverCreateAStore: a mistyped --db is an error naming it, and leaves no file.
func TestReadingCommandsNeverCreateAStore(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{{"runs", "list"}, {"events", "list"}, {"runs", "show", "x"}, {"events", "replay", "x"}} {
		code, out, errOut := trama(t, append(args, "--db", typo)...)
		if code != exitUsage || !strings.Contains(errOut, "typo.db") {
			t.Errorf("%v --db typo.db: exit %d\n%s%s", args, code, out, errOut)
		}
		if _, err := os.Stat(typo); err == nil {
			t.Fatalf("%v created %s", args, typo)
		}
	}
}

// TestVersion prints the version and the Go version, as a command and as a flag.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, _ := trama(t, args...)
		if code != exitOK || !strings.HasPrefix(out, "trama ") || !strings.Contains(out, "go 1.") {
			t.Errorf("%v: exit %d %q", args, code, out)
		}
	}
}

// TestSkippedTriggersAreVisible: an event whose trigger was skipped by its loop guard says so in
// events list and events show, and runs list — empty, since no run was created — says why.
func TestSkippedTriggersAreVisible(t *testing.T) {
	db := filepath.Join(t.TempDir(), "trama.db")
	st := storetest.Open(t, func(testing.TB) store.Driver { return sqlite.New(db, sqlite.Options{}) })
	storetest.Ingest(t, st, storetest.Delivery("d1", storetest.Events("7f0e4a2c-0000-11ef-8000-000000000001")...))
	ds, err := st.ClaimDispatches(context.Background(), 1, time.Minute)
	if err != nil || len(ds) != 1 {
		t.Fatalf("ClaimDispatches = %v, %v", ds, err)
	}
	skip := store.Skip{Trigger: "audit-new-factor", Reason: "loop-guard", Detail: "actor 00uTrama1 is ignored (ignoreActor: self)"}
	if _, err := st.CompleteDispatch(context.Background(), ds[0], store.Outcome{Skipped: []store.Skip{skip}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := trama(t, "events", "list", "--db", db)
	if code != exitOK || !strings.Contains(out, "audit-new-factor skipped (loop-guard)") {
		t.Errorf("events list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = trama(t, "events", "show", "7f0e4a2c-0000-11ef-8000-000000000001", "--db", db)
	if code != exitOK || !strings.Contains(out, skip.Detail) {
		t.Errorf("events show: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = trama(t, "runs", "list", "--db", db)
	if code != exitOK || !strings.Contains(errOut, "audit-new-factor: 1× loop-guard — "+skip.Detail) {
		t.Errorf("runs list: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := trama(t, "runs", "list", "--db", db, "--trigger", "other"); code != exitOK || strings.Contains(out+errOut, "loop-guard") {
		t.Errorf("runs list --trigger other mentions another trigger's skips")
	}
}

// TestYAMLSyntaxErrorsSayWhere: a YAML mistake in a workflow or a configuration is reported at its line
// and column, as file:line:col, by every command that reads the file.
func TestYAMLSyntaxErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "wf.arazzo.yaml")
	os.WriteFile(wf, []byte("arazzo: 1.0.1\ninfo:\n  title: t\n  version: [1\nworkflows: []\n"), 0o644)
	cfg := filepath.Join(dir, "trama.yaml")
	os.WriteFile(cfg, []byte("store: sqlite:x.db\n  listen: 127.0.0.1:0\n"), 0o644)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", wf}, exitFailed, wf + ":4:12: error: not valid YAML: did not find expected ',' or ']': the [ here is not closed [yaml-syntax]"},
		{[]string{"run", wf}, exitUsage, wf + ":4:12: error: not valid YAML"},
		{[]string{"graph", wf}, exitUsage, wf + ":4:12: error: not valid YAML"},
		{[]string{"serve", "--config", cfg}, exitUsage, cfg + ":2:9: not valid YAML: mapping values are not allowed"},
	} {
		code, out, errOut := trama(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, want %d and %q:\n%s%s", tt.args, code, tt.code, tt.want, out, errOut)
		}
	}
}
