package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/okta/oktatest"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/postgres"
	"github.com/trama-dev/trama/store/sqlite"
)

// The process tests run `trama serve` as real processes with trama's default settings, make them fail as
// production does — SIGKILL (a crash) and SIGSTOP past the lease (a GC pause, a frozen VM, a partition) —
// while a client that plays Okta and a load balancer streams event-hook deliveries at them, and check
// the promises in docs/triggers.md:
//
//   - every acknowledged event has exactly one run;
//   - no step is sent twice: a request in flight at a failure is either known not to have been sent, or
//     its run stops as uncertain, and the operator (played here by checking the recorder) resolves it;
//   - a replica sends nothing for a run once it lost it;
//   - the runs a dead replica held continue elsewhere within 15 s.
//
// The workflow makes three POSTs to a recorder that tells replicas apart by the URL prefix each one is
// configured with, and answers after a little latency, so that failures land inside requests.

// hit is one request the recorder received.
type hit struct {
	replica string
	at      time.Time
}

type recorder struct {
	mu   sync.Mutex
	hits map[string][]hit // "event/step" → requests
}

func newRecorder() *recorder { return &recorder{hits: map[string][]hit{}} }

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/") // {replica}/record/{event}/{step}
	if len(parts) != 4 {
		w.WriteHeader(404)
		return
	}
	r.mu.Lock()
	k := parts[2] + "/" + parts[3]
	r.hits[k] = append(r.hits[k], hit{replica: parts[0], at: time.Now()})
	r.mu.Unlock()
	time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond)
	w.WriteHeader(200)
}

func (r *recorder) get(key string) []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.hits[key])
}

// cluster is one store and the trama serve processes on it.
type cluster struct {
	t        *testing.T
	bin, dir string
	storeURL string // what the processes' configuration names
	db       string // what the CLI's --db names
	rec      *recorder
	recURL   string
	addrs    []string
	procs    []*serveProc
}

const hookSecret, apiToken = "durability-hook-secret", "durability-api-token-0123456789"

func newCluster(t *testing.T, dir, storeURL, db string, replicas int) *cluster {
	t.Helper()
	bin, err := buildTrama()
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, bin: bin, dir: dir, storeURL: storeURL, db: db, rec: newRecorder()}
	srv := httptest.NewServer(c.rec)
	t.Cleanup(srv.Close)
	c.recURL = srv.URL
	for _, f := range []string{"trama.yaml", "record.arazzo.yaml", "recorder.openapi.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/crash", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range replicas {
		c.addrs = append(c.addrs, freeAddr(t))
		c.procs = append(c.procs, c.start(i))
	}
	for _, a := range c.addrs {
		waitHealthy(t, "http://"+a)
	}
	return c
}

// start starts replica i; its requests reach the recorder under /r{i}.
func (c *cluster) start(i int) *serveProc {
	return startServe(c.t, c.bin, c.dir, []string{"LISTEN=" + c.addrs[i], "HOOK_SECRET=" + hookSecret,
		"API_TOKEN=" + apiToken, "STORE_URL=" + c.storeURL, fmt.Sprintf("RECORDER_URL=%s/r%d", c.recURL, i)})
}

func (c *cluster) stop() {
	for _, p := range c.procs {
		p.cmd.Process.Signal(syscall.SIGCONT)
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range c.procs {
		p.cmd.Wait()
		if c.t.Failed() {
			c.t.Logf("replica %d output:\n%s", i, p.output())
		}
	}
}

// delivery is one event-hook request.
type delivery struct {
	id    string
	uuids []string
}

func (d delivery) body() string {
	evs := make([]oktatest.Event, len(d.uuids))
	for i, u := range d.uuids {
		evs[i] = oktatest.Event{UUID: u, Type: "user.lifecycle.create", UserID: "00u" + u[:8]}
	}
	return string(oktatest.Delivery(d.id, evs...))
}

// deliveries plans n deliveries: every 5th a batch of 5, every 7th also carrying the first event of the
// previous one, every 11th followed by a redelivery of itself.
func deliveries(n int) []delivery {
	var plan []delivery
	for i := range n {
		d := delivery{id: fmt.Sprintf("d-%d", i)}
		size := 1
		if i%5 == 0 {
			size = 5
		}
		for j := range size {
			d.uuids = append(d.uuids, fmt.Sprintf("%08d-0000-4000-8000-%012d", i, j))
		}
		if i%7 == 0 && i > 0 {
			d.uuids = append(d.uuids, plan[len(plan)-1].uuids[0])
		}
		plan = append(plan, d)
		if i%11 == 0 {
			plan = append(plan, d)
		}
	}
	return plan
}

var balancer = &http.Client{Timeout: 2 * time.Second}

// stream sends the deliveries at rate per second, each to a random replica and again to another until
// one acknowledges it, as Okta and a load balancer would; at progress marks (fractions of the plan) it
// calls the given functions. It returns the acknowledged uuids.
func (c *cluster) stream(plan []delivery, rate int, marks map[float64]func()) map[string]bool {
	acked := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sent atomic.Int64
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	var marksDone sync.WaitGroup
	for f, fn := range marks {
		marksDone.Add(1)
		go func() {
			defer marksDone.Done()
			for sent.Load() < int64(f*float64(len(plan))) {
				time.Sleep(5 * time.Millisecond)
			}
			fn()
		}()
	}
	for _, d := range plan {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sent.Add(1)
			for try := range 400 {
				if try > 0 {
					time.Sleep(50 * time.Millisecond)
				}
				req, _ := http.NewRequest("POST", "http://"+c.addrs[rand.IntN(len(c.addrs))]+"/hooks/okta", strings.NewReader(d.body()))
				req.Header.Set("Authorization", hookSecret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := balancer.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					for _, u := range d.uuids {
						acked[u] = true
					}
					mu.Unlock()
					return
				}
			}
			c.t.Errorf("delivery %s was never acknowledged", d.id)
		}()
	}
	wg.Wait()
	marksDone.Wait()
	return acked
}

// whenBusy waits, up to 5 s, until the process holds at least two runs, so that a failure lands inside
// runs rather than between them.
func whenBusy(t *testing.T, st *store.Store, pid int) {
	deadline := time.Now().Add(5 * time.Second)
	for len(held(t, st, pid)) < 2 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
}

// held returns the runs a process holds by lease now, by run id → event uuid.
func held(t *testing.T, st *store.Store, pid int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range allRuns(t, st) {
		if r.Status == store.RunRunning && strings.Contains(r.LeaseOwner, fmt.Sprintf(":%d:", pid)) {
			out[r.ID] = r.EventUUID
		}
	}
	return out
}

// watchTakeover polls until every run in runs is no longer held by the owner that held it, and returns
// how long the slowest took from start.
func watchTakeover(t *testing.T, st *store.Store, runs map[string]string, pid int, start time.Time) time.Duration {
	t.Helper()
	left := maps(runs)
	deadline := start.Add(60 * time.Second)
	var slowest time.Duration
	for len(left) > 0 && time.Now().Before(deadline) {
		for id := range left {
			r, err := st.GetRun(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != store.RunRunning || !strings.Contains(r.LeaseOwner, fmt.Sprintf(":%d:", pid)) {
				slowest = max(slowest, time.Since(start))
				delete(left, id)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("%d runs of process %d were never taken over", len(left), pid)
	}
	return slowest
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func allRuns(t *testing.T, st *store.Store) []store.Run {
	t.Helper()
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

// settle waits until every acknowledged event has a run that finished or stopped as uncertain, and
// resolves each uncertain run as an operator would after checking the API: skip when the request in
// doubt reached it, resend when it did not. It returns the runs when all have finished.
func (c *cluster) settle(st *store.Store, acked map[string]bool) (runs []store.Run, resolved map[string]string) {
	t := c.t
	resolved = map[string]string{}
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		runs = allRuns(t, st)
		finished := 0
		for _, r := range runs {
			switch {
			case r.Status.Finished():
				finished++
			case r.Status == store.RunUncertain && r.Intent != nil:
				action := "resend"
				if len(c.rec.get(r.EventUUID+"/"+r.Intent.StepID)) > 0 {
					action = "skip"
				}
				out, err := exec.Command(c.bin, "runs", "resolve", r.ID, "--"+action, "--by", "e2e-operator",
					"--db", c.db).CombinedOutput()
				if err != nil {
					t.Fatalf("trama runs resolve %s --%s: %v\n%s", r.ID, action, err, out)
				}
				resolved[r.ID] = action
			}
		}
		if finished >= len(acked) {
			return runs, resolved
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("runs did not all finish within 2 minutes")
	return nil, nil
}

// check asserts exactly one run per acknowledged event, each succeeded, and every step received exactly
// once — or, for a step an operator resolved by skipping, exactly once before.
func (c *cluster) check(runs []store.Run, acked map[string]bool, resolved map[string]string) {
	t := c.t
	perEvent := map[string]int{}
	for _, r := range runs {
		perEvent[r.EventUUID]++
		if r.Status != store.RunSucceeded {
			t.Errorf("run %s for %s: %s %s", r.ID, r.EventUUID, r.Status, r.Error)
		}
	}
	for u := range acked {
		if perEvent[u] != 1 {
			t.Errorf("acknowledged event %s has %d runs, want exactly one", u, perEvent[u])
		}
	}
	if len(perEvent) != len(acked) {
		t.Errorf("%d events ran, %d were acknowledged", len(perEvent), len(acked))
	}
	twice := 0
	for u := range acked {
		for _, step := range []string{"one", "two", "three"} {
			if n := len(c.rec.get(u + "/" + step)); n != 1 {
				twice++
				t.Errorf("step %s of event %s was received %d times, want once", step, u, n)
			}
		}
	}
	counts := map[string]int{}
	for _, a := range resolved {
		counts[a]++
	}
	t.Logf("%d events, %d runs, %d steps received other than once; uncertain runs resolved: %v", len(acked), len(runs), twice, counts)
}

// TestReplicasSurviveKillAndPause: three replicas on PostgreSQL with the default settings; one is
// SIGKILLed while it holds runs, another SIGSTOPped past its lease and resumed.
func TestReplicasSurviveKillAndPause(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three trama serve processes for about a minute")
	}
	baseURL := pgtest.URL(t)
	schema := pgtest.Schema(t, baseURL)
	sep := "?"
	if strings.Contains(baseURL, "?") {
		sep = "&"
	}
	// A small pool per replica keeps the test within a bounded share of the server's connections.
	storeURL := baseURL + sep + "trama_schema=" + schema + "&pool_max_conns=6"
	c := newCluster(t, t.TempDir(), storeURL, storeURL, 3)
	defer c.stop()
	st, err := postgres.Open(context.Background(), storeURL, postgres.Options{MaxConns: 2}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	killed, paused := c.procs[0], c.procs[1]
	var killedAt, contAt time.Time
	var pausedPID int
	var killedRuns, pausedRuns map[string]string
	var failover, pauseTakeover time.Duration
	var wg sync.WaitGroup
	wg.Add(2)
	acked := c.stream(deliveries(600), 40, map[float64]func(){
		0.25: func() {
			defer wg.Done()
			pid := killed.cmd.Process.Pid
			whenBusy(t, st, pid)
			killed.cmd.Process.Signal(syscall.SIGKILL)
			killed.cmd.Wait()
			killedAt = time.Now()
			killedRuns = held(t, st, pid)
			failover = watchTakeover(t, st, killedRuns, pid, killedAt)
			c.procs[0] = c.start(0)
			waitHealthy(t, "http://"+c.addrs[0])
		},
		0.5: func() {
			defer wg.Done()
			pid := paused.cmd.Process.Pid
			pausedPID = pid
			whenBusy(t, st, pid)
			paused.cmd.Process.Signal(syscall.SIGSTOP)
			stoppedAt := time.Now()
			pausedRuns = held(t, st, pid)
			pauseTakeover = watchTakeover(t, st, pausedRuns, pid, stoppedAt)
			time.Sleep(time.Until(stoppedAt.Add(13 * time.Second))) // past the 10 s lease
			contAt = time.Now()
			paused.cmd.Process.Signal(syscall.SIGCONT)
		},
	})
	wg.Wait()
	runs, resolved := c.settle(st, acked)
	c.check(runs, acked, resolved)

	t.Logf("SIGKILL: %d runs held; the slowest continued elsewhere after %v", len(killedRuns), failover.Round(time.Millisecond))
	t.Logf("SIGSTOP: %d runs held; the slowest moved after %v", len(pausedRuns), pauseTakeover.Round(time.Millisecond))
	if len(killedRuns) == 0 || len(pausedRuns) == 0 {
		t.Errorf("the failures landed outside runs (killed held %d, paused held %d): the test proves nothing", len(killedRuns), len(pausedRuns))
	}
	if failover > 15*time.Second {
		t.Errorf("runs of the killed replica continued after %v, want within 15 s", failover)
	}
	// Once resumed, the paused replica sends nothing for the runs it lost: any request of its for such a
	// run after it resumed must belong to a new attempt it claimed after resuming.
	late, reclaimed := 0, 0
	for id, ev := range pausedRuns {
		as, err := st.Attempts(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		var since time.Time // when the paused replica claimed the run again after resuming, if it did
		for _, a := range as {
			if strings.Contains(a.Owner, fmt.Sprintf(":%d:", pausedPID)) && a.ClaimedAt.After(contAt) && since.IsZero() {
				since = a.ClaimedAt
			}
		}
		for _, step := range []string{"one", "two", "three"} {
			for _, h := range c.rec.get(ev + "/" + step) {
				if h.replica != "r1" || !h.at.After(contAt) {
					continue
				}
				if !since.IsZero() && h.at.After(since) {
					reclaimed++
					continue
				}
				late++
				t.Errorf("the paused replica sent step %s of event %s %v after it resumed, having lost the run (attempts %+v)",
					step, ev, h.at.Sub(contAt), as)
			}
		}
	}
	t.Logf("requests the paused replica sent after resuming for runs it lost: %d (%d more under attempts it claimed anew)", late, reclaimed)

	// Every replica serves the whole history, whichever replica received or ran what.
	for i, addr := range c.addrs {
		if got := apiCount(t, addr, "runs", apiToken); got != len(runs) {
			t.Errorf("replica %d API lists %d runs, want %d", i, got, len(runs))
		}
	}
	// migrate finds nothing to do while the replicas run, and the history commands read the same database.
	if out, err := exec.Command(c.bin, "migrate", "--db", storeURL).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "up to date") {
		t.Errorf("trama migrate: %v\n%s", err, out)
	}
}

// TestSQLiteSurvivesKill: one process on SQLite, SIGKILLed while it holds runs and restarted; the
// restarted process resumes them at once.
func TestSQLiteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs trama serve as a process")
	}
	dir := t.TempDir()
	c := newCluster(t, dir, "sqlite:./trama.db", filepath.Join(dir, "trama.db"), 1)
	defer c.stop()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "trama.db"), sqlite.Options{}, store.Options{Mode: store.OpenExisting})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var killedRuns map[string]string
	var failover time.Duration
	acked := c.stream(deliveries(300), 40, map[float64]func(){
		0.5: func() {
			p := c.procs[0]
			pid := p.cmd.Process.Pid
			whenBusy(t, st, pid)
			p.cmd.Process.Signal(syscall.SIGKILL)
			p.cmd.Wait()
			at := time.Now()
			killedRuns = held(t, st, pid)
			c.procs[0] = c.start(0)
			failover = watchTakeover(t, st, killedRuns, pid, at)
		},
	})
	runs, resolved := c.settle(st, acked)
	c.check(runs, acked, resolved)
	t.Logf("SIGKILL: %d runs held; the slowest resumed after the restart within %v of the kill", len(killedRuns), failover.Round(time.Millisecond))
	if len(killedRuns) == 0 {
		t.Error("the kill landed outside runs: the test proves nothing")
	}
	if failover > 15*time.Second {
		t.Errorf("runs resumed %v after the kill, want within 15 s", failover)
	}
}

var client = &http.Client{Timeout: 10 * time.Second}

// apiCount pages through GET /api/v1/{what} on one replica and counts the items.
func apiCount(t *testing.T, addr, what, token string) int {
	t.Helper()
	n, after := 0, ""
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/"+what+"?limit=500&after="+after, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", what, err)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
			Next  string            `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %v", what, resp.StatusCode, err)
		}
		n += len(page.Items)
		if page.Next == "" {
			return n
		}
		after = page.Next
	}
}
