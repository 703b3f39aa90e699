package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
)

// binDir holds the trama binary the process tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildTrama compiles the trama binary once per test binary.
var buildTrama = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "trama-e2e-bin-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "trama")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/trama").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// recorder counts the requests each (event, step) received.
type recorder struct {
	mu     sync.Mutex
	counts map[string]int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/") // record/{event}/{step}
	if len(parts) != 3 {
		w.WriteHeader(404)
		return
	}
	r.mu.Lock()
	r.counts[parts[1]+"/"+parts[2]]++
	r.mu.Unlock()
	// A little latency so that a kill lands inside runs, not only between them.
	time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	w.WriteHeader(200)
}

// serveProc is one `trama serve` process.
type serveProc struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startServe(t *testing.T, bin, dir string, env []string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, "serve", "--config", filepath.Join(dir, "trama.yaml"), "--log-level", "warn")}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("trama serve at %s did not become healthy", base)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func logEvent(uuid string) string {
	return fmt.Sprintf(`{"uuid":%q,"eventType":"user.lifecycle.create","published":"2026-11-22T07:00:00.000Z","version":"0","displayMessage":"Create Okta user","actor":{"id":"00uadmin","type":"User","alternateId":"admin@example.com","displayName":"Admin"},"target":[{"id":"00u%s","type":"User","alternateId":"u@example.com","displayName":"U"}],"outcome":{"result":"SUCCESS"}}`, uuid, uuid[:8])
}

// TestServeSurvivesSIGKILL sends a stream of event-hook deliveries (batches and redeliveries) to `trama
// serve`, kills it with SIGKILL mid-stream, restarts it on the same store, and checks that every
// acknowledged event ran exactly once and that no finished step ran again.
func TestServeSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs trama serve as a process")
	}
	bin, err := buildTrama()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{counts: map[string]int{}}
	recSrv := httptest.NewServer(rec)
	defer recSrv.Close()

	dir := t.TempDir()
	for _, f := range []string{"trama.yaml", "record.arazzo.yaml", "recorder.openapi.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/crash", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	addr := freeAddr(t)
	base := "http://" + addr
	const hookSecret, apiToken = "crash-hook-secret", "crash-api-token-0123456789"
	env := []string{"LISTEN=" + addr, "HOOK_SECRET=" + hookSecret, "API_TOKEN=" + apiToken, "RECORDER_URL=" + recSrv.URL}

	proc := startServe(t, bin, dir, env)
	waitHealthy(t, base)

	const deliveries = 240
	var acked []string // uuids of acknowledged deliveries' events
	send := func(i int) bool {
		// Every 7th delivery re-sends the previous one (Okta's retry); every 5th is a batch of 5.
		n := 1
		if i%5 == 0 {
			n = 5
		}
		var uuids []string
		for j := 0; j < n; j++ {
			uuids = append(uuids, fmt.Sprintf("%08d-0000-4000-8000-%012d", i, j))
		}
		if i%7 == 0 && i > 0 {
			uuids = append(uuids, fmt.Sprintf("%08d-0000-4000-8000-%012d", i-1, 0))
		}
		var events []string
		for _, u := range uuids {
			events = append(events, logEvent(u))
		}
		body := fmt.Sprintf(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","source":"https://org.example/api/v1/eventHooks/who1","eventId":"d-%d","eventTime":"2026-11-22T07:00:01.000Z","contentType":"application/json","data":{"events":[%s]}}`, i, strings.Join(events, ","))
		req, _ := http.NewRequest("POST", base+"/hooks/okta", strings.NewReader(body))
		req.Header.Set("Authorization", hookSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			acked = append(acked, uuids...)
			return true
		}
		return false
	}
	killAt := deliveries / 2
	for i := 0; i < deliveries; i++ {
		if i == killAt {
			proc.cmd.Process.Signal(syscall.SIGKILL)
			proc.cmd.Wait()
			proc = startServe(t, bin, dir, env)
			waitHealthy(t, base)
		}
		if !send(i) && i != killAt {
			// A delivery that was not acknowledged would be retried by Okta; send it again.
			send(i)
		}
	}

	// Wait until every acknowledged event has a finished run.
	want := map[string]bool{}
	for _, u := range acked {
		want[u] = true
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "trama.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs := waitFinished(t, st, len(want), 60*time.Second)
	proc.cmd.Process.Signal(syscall.SIGTERM)
	proc.cmd.Wait()

	repeated := checkExactlyOnce(t, runs, want, rec)
	t.Logf("%d deliveries, %d acknowledged events, %d runs; %d steps in flight at the kill were sent again", deliveries, len(want), len(runs), repeated)
	if t.Failed() {
		t.Logf("serve output:\n%s", proc.out.String())
	}
}

func allRuns(t *testing.T, st store.Store) []store.Run {
	var out []store.Run
	after := ""
	for {
		page, next, err := st.ListRuns(context.Background(), store.RunFilter{Page: store.Page{Limit: store.MaxPageSize, After: after}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		after = next
	}
}

// checkExactlyOnce asserts what the process tests promise: every acknowledged event ran exactly once and
// succeeded, no other event ran, and no run sent a finished (checkpointed) step again — only the step in
// flight at a kill may have been sent twice, so each run repeats at most one step. It returns how many
// steps were sent twice.
func checkExactlyOnce(t *testing.T, runs []store.Run, acked map[string]bool, rec *recorder) (repeated int) {
	t.Helper()
	perEvent := map[string]int{}
	for _, r := range runs {
		perEvent[r.EventUUID]++
		if r.Status != store.RunSucceeded {
			t.Errorf("run %s for %s: %s %s", r.ID, r.EventUUID, r.Status, r.Error)
		}
	}
	for u := range acked {
		if perEvent[u] != 1 {
			t.Errorf("acknowledged event %s ran %d times, want exactly once", u, perEvent[u])
		}
	}
	if len(perEvent) != len(acked) {
		t.Errorf("%d events ran, %d were acknowledged", len(perEvent), len(acked))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	perRun := map[string]int{}
	for key, n := range rec.counts {
		if n > 1 {
			repeated++
			event, step, _ := strings.Cut(key, "/")
			perRun[event]++
			if perRun[event] > 1 {
				t.Errorf("event %s repeated more than one step (now %s): a finished step ran again", event, step)
			}
		}
		if n > 2 {
			t.Errorf("step %s was sent %d times", key, n)
		}
	}
	return repeated
}

// waitFinished polls the store until n runs have finished, or timeout passes, and returns every run.
func waitFinished(t *testing.T, st store.Store, n int, timeout time.Duration) []store.Run {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		runs := allRuns(t, st)
		finished := 0
		for _, r := range runs {
			if r.Status.Finished() {
				finished++
			}
		}
		if finished >= n || time.Now().After(deadline) {
			return runs
		}
		time.Sleep(100 * time.Millisecond)
	}
}
