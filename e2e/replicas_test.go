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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store/postgres"
)

// TestReplicasOnPostgres runs three `trama serve` replicas on one PostgreSQL database behind a client that
// plays Okta and a load balancer: a few thousand events in single deliveries and batches, with duplicates
// inside later deliveries and whole redeliveries, each sent to a random replica and re-sent to another
// one until it is acknowledged. Meanwhile one replica is killed with SIGKILL and restarted. At the end
// every acknowledged event ran exactly once, no finished step ran again (only a step in flight at the
// kill may repeat), and every replica's API shows the whole history.
func TestReplicasOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three trama serve processes")
	}
	baseURL := os.Getenv("TRAMA_TEST_POSTGRES_URL")
	if baseURL == "" {
		t.Skip("TRAMA_TEST_POSTGRES_URL is not set: the replicas need a PostgreSQL server (see .ci/run)")
	}
	bin, err := buildTrama()
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("trama_e2e_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	t.Cleanup(func() { dropSchema(t, baseURL, schema) })
	sep := "?"
	if strings.Contains(baseURL, "?") {
		sep = "&"
	}
	// A short job timeout makes River rescue the killed replica's runs within the test instead of after
	// the default 11 minutes; the failover path is the same.
	storeURL := baseURL + sep + "trama_schema=" + schema + "&trama_job_timeout=3s&trama_rescue_after=4s"

	rec := &recorder{counts: map[string]int{}}
	recSrv := httptest.NewServer(rec)
	defer recSrv.Close()
	dir := t.TempDir()
	for _, f := range []string{"record.arazzo.yaml", "recorder.openapi.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/crash", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	cfg, err := os.ReadFile("testdata/crash/trama.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "store: sqlite:./trama.db", "store: ${STORE_URL}", 1))
	if err := os.WriteFile(filepath.Join(dir, "trama.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	const hookSecret, apiToken = "replicas-hook-secret", "replicas-api-token-0123456789"
	env := func(addr string) []string {
		return []string{"LISTEN=" + addr, "HOOK_SECRET=" + hookSecret, "API_TOKEN=" + apiToken,
			"RECORDER_URL=" + recSrv.URL, "STORE_URL=" + storeURL}
	}

	// The three replicas start together on an empty schema: migrations must happen once, under the lock.
	const replicas = 3
	addrs := make([]string, replicas)
	procs := make([]*serveProc, replicas)
	for i := range replicas {
		addrs[i] = freeAddr(t)
		procs[i] = startServe(t, bin, dir, env(addrs[i]))
	}
	for i := range replicas {
		waitHealthy(t, "http://"+addrs[i])
	}

	// Deliveries: every 5th is a batch of 10, every 7th also carries the first event of the previous
	// delivery (a duplicate inside a later delivery), every 11th is followed by a redelivery of itself.
	const deliveries = 800
	type delivery struct {
		id    string
		uuids []string
	}
	var plan []delivery
	for i := range deliveries {
		n := 1
		if i%5 == 0 {
			n = 10
		}
		d := delivery{id: fmt.Sprintf("d-%d", i)}
		for j := range n {
			d.uuids = append(d.uuids, fmt.Sprintf("%08d-0000-4000-8000-%012d", i, j))
		}
		if i%7 == 0 && i > 0 {
			d.uuids = append(d.uuids, plan[i-1].uuids[0])
		}
		plan = append(plan, d)
		if i%11 == 0 {
			plan = append(plan, d)
		}
	}
	post := func(addr string, d delivery) bool {
		var evs []string
		for _, u := range d.uuids {
			evs = append(evs, logEvent(u))
		}
		body := fmt.Sprintf(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","source":"https://org.example/api/v1/eventHooks/who1","eventId":%q,"eventTime":"2026-11-22T07:00:01.000Z","contentType":"application/json","data":{"events":[%s]}}`, d.id, strings.Join(evs, ","))
		req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/okta", strings.NewReader(body))
		req.Header.Set("Authorization", hookSecret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}

	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		sent    atomic.Int64
		retries atomic.Int64
		next    = make(chan delivery)
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				// Okta retries an unacknowledged delivery; the load balancer sends it to any replica.
				ok := false
				for try := 0; try < 200 && !ok; try++ {
					if try > 0 {
						retries.Add(1)
						time.Sleep(20 * time.Millisecond)
					}
					ok = post(addrs[rand.IntN(replicas)], d)
				}
				if !ok {
					t.Errorf("delivery %s was never acknowledged", d.id)
					continue
				}
				mu.Lock()
				for _, u := range d.uuids {
					acked[u] = true
				}
				mu.Unlock()
				sent.Add(1)
			}
		}()
	}
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		for sent.Load() < int64(len(plan))/4 {
			time.Sleep(5 * time.Millisecond)
		}
		victim := rand.IntN(replicas)
		procs[victim].cmd.Process.Signal(syscall.SIGKILL)
		procs[victim].cmd.Wait()
		time.Sleep(300 * time.Millisecond)
		procs[victim] = startServe(t, bin, dir, env(addrs[victim]))
		waitHealthy(t, "http://"+addrs[victim])
		t.Logf("replica %d killed after %d deliveries and restarted", victim, len(plan)/4)
	}()
	for _, d := range plan {
		next <- d
	}
	close(next)
	wg.Wait()
	<-killed
	ingested := time.Since(start)

	st, err := postgres.Open(context.Background(), storeURL, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs := waitFinished(t, st, len(acked), 90*time.Second)
	t.Logf("%d deliveries (%d re-sent after a failure) of %d events acknowledged in %v; all runs finished after %v",
		len(plan), retries.Load(), len(acked), ingested.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))

	repeated := checkExactlyOnce(t, runs, acked, rec)
	t.Logf("%d runs; %d steps in flight at the kill were sent again", len(runs), repeated)

	// Every replica serves the whole history, whichever replica received or ran what.
	for i, addr := range addrs {
		if got := apiCount(t, addr, "runs", apiToken); got != len(runs) {
			t.Errorf("replica %d API lists %d runs, want %d", i, got, len(runs))
		}
		if got := apiCount(t, addr, "events", apiToken); got != len(acked) {
			t.Errorf("replica %d API lists %d events, want %d", i, got, len(acked))
		}
	}
	// The CLI reads the same database: migrate finds nothing to do while the replicas run, and the
	// history commands see the runs.
	if out, err := exec.Command(bin, "migrate", "--db", storeURL).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "up to date") {
		t.Errorf("trama migrate: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "runs", "list", "--db", storeURL, "--status", "succeeded", "--limit", "5", "-o", "json").Output()
	var listed struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	if err != nil || json.Unmarshal(out, &listed) != nil || len(listed.Items) != 5 {
		t.Errorf("trama runs list --db: %v\n%s", err, out)
	}
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range procs {
		p.cmd.Wait()
		if t.Failed() {
			t.Logf("replica %d output:\n%s", i, p.out.String())
		}
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

func dropSchema(t *testing.T, url, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Logf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		t.Logf("drop schema %s: %v", schema, err)
	}
}

// TestServeHidesDatabasePassword starts `trama serve` and `trama migrate` on a PostgreSQL URL with a
// password that nothing answers: both fail, name the database, and print no password.
func TestServeHidesDatabasePassword(t *testing.T) {
	if testing.Short() {
		t.Skip("builds trama")
	}
	bin, err := buildTrama()
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Pg-pa55word-n0t-for-logs"
	dir := t.TempDir()
	cfg := "store: ${STORE_URL}\nlisten: 127.0.0.1:0\nhooks:\n  okta:\n    auth: {value: \"${HOOK_SECRET}\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "trama.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	storeURL := "postgres://trama:" + pw + "@127.0.0.1:1/tramadb?sslmode=disable&connect_timeout=2"
	for _, args := range [][]string{
		{"serve", "--config", filepath.Join(dir, "trama.yaml"), "--log-level", "debug"},
		{"migrate", "--config", filepath.Join(dir, "trama.yaml")},
		{"migrate", "--db", storeURL},
		{"runs", "list", "--db", storeURL},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STORE_URL="+storeURL, "HOOK_SECRET=hook-secret-value")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("trama %s succeeded without a database", args[0])
		}
		if strings.Contains(string(out), pw) {
			t.Errorf("trama %s printed the database password:\n%s", args[0], out)
		}
		if !strings.Contains(string(out), "127.0.0.1:1/tramadb") {
			t.Errorf("trama %s does not name the database:\n%s", args[0], out)
		}
	}
}
