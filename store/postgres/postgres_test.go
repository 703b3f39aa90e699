package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/storetest"
)

// testURL is the database the tests use; CI sets it (see .ci/run). Each test gets a schema of its own
// in it, dropped at the end.
func testURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TRAMA_TEST_POSTGRES_URL")
	if u == "" {
		t.Skip("TRAMA_TEST_POSTGRES_URL is not set: the PostgreSQL store's tests need a server (see .ci/run)")
	}
	return u
}

var schemaSeq atomic.Int64

// newSchema returns a fresh schema name and drops the schema when the test ends.
func newSchema(t testing.TB, url string) string {
	t.Helper()
	name := fmt.Sprintf("trama_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6, schemaSeq.Add(1))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Logf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// testOptions are what the conformance suite asks for: at least 3 attempts, retries within 50 ms.
func testOptions(schema string) Options {
	return Options{Schema: schema, MaxAttempts: 3, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, ShutdownTimeout: 5 * time.Second, MaxConns: 8}
}

func openTest(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	url := testURL(t)
	var mu sync.Mutex
	schemas := map[*testing.T]string{}
	storetest.Run(t, func(t *testing.T) store.Store {
		mu.Lock()
		schema, ok := schemas[t]
		if !ok {
			schema = newSchema(t, url)
			schemas[t] = schema
		}
		mu.Unlock()
		return openTest(t, url, testOptions(schema))
	})
}

// TestConcurrentMigrations starts several replicas on an empty schema at once: the advisory lock lets one
// migrate while the others wait, and all of them end up with a working store.
func TestConcurrentMigrations(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	const replicas = 4
	var wg sync.WaitGroup
	stores := make([]*Store, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), url, testOptions(schema))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	res, err := stores[0].IngestDelivery(context.Background(), store.NewDelivery{Hook: "okta",
		Events: []store.NewEvent{{UUID: "u1", Type: "t", Payload: []byte(`{}`)}}})
	if err != nil || len(res.New) != 1 {
		t.Fatalf("ingest after concurrent migrations: %+v, %v", res, err)
	}
	if _, err := stores[replicas-1].GetEvent(context.Background(), "u1"); err != nil {
		t.Errorf("another replica does not see the event: %v", err)
	}
	var n int
	if err := stores[0].pool.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Errorf("schema_migrations rows = %d, %v; want 1", n, err)
	}
	// Migrate on an up-to-date schema is a no-op.
	if err := Migrate(context.Background(), url, testOptions(schema)); err != nil {
		t.Errorf("Migrate again: %v", err)
	}
}

// TestReplicasShareIngest ingests overlapping deliveries through several stores at once: every uuid is
// new exactly once across all of them, and no acknowledgement fails on a deadlock.
func TestReplicasShareIngest(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	stores := []*Store{openTest(t, url, testOptions(schema)), openTest(t, url, testOptions(schema)), openTest(t, url, testOptions(schema))}
	var mu sync.Mutex
	newCount := map[string]int{}
	var wg sync.WaitGroup
	for r, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				var evs []store.NewEvent
				// Each delivery overlaps the others' in reverse order, the worst case for lock order.
				for j := range 5 {
					k := (i + j) % 40
					if r%2 == 1 {
						k = 39 - k
					}
					evs = append(evs, store.NewEvent{UUID: fmt.Sprintf("ev-%02d", k), Type: "t", Payload: []byte(`{}`)})
				}
				res, err := s.IngestDelivery(context.Background(), store.NewDelivery{Hook: "okta", Events: evs})
				if err != nil {
					t.Errorf("replica %d delivery %d: %v", r, i, err)
					return
				}
				mu.Lock()
				for _, u := range res.New {
					newCount[u]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(newCount) != 40 {
		t.Errorf("%d distinct new uuids, want 40", len(newCount))
	}
	for u, n := range newCount {
		if n != 1 {
			t.Errorf("uuid %s reported new %d times", u, n)
		}
	}
	c, err := stores[1].Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c.Events != 40 || c.Deliveries != 180 || c.Duplicates != 180*5-40 {
		t.Errorf("counts = %+v; want 40 events, 180 deliveries, %d duplicates", c, 180*5-40)
	}
}

// TestSweepFailsDiscardedRuns: a run whose job River discarded (the rescuer does that to a job found
// stuck on its final attempt) is recorded failed, not left running.
func TestSweepFailsDiscardedRuns(t *testing.T) {
	url := testURL(t)
	s := openTest(t, url, testOptions(newSchema(t, url)))
	ctx := context.Background()
	if _, err := s.IngestDelivery(ctx, store.NewDelivery{Hook: "okta", Events: []store.NewEvent{{UUID: "e", Type: "t", Payload: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	runs, err := s.CreateRuns(ctx, "e", []store.NewRun{{Trigger: "a", WorkflowFile: "f", WorkflowID: "w"}, {Trigger: "b", WorkflowFile: "f", WorkflowID: "w"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE kind = 'trama_execute' AND args->>'run' = $1`, runs[0].ID); err != nil {
		t.Fatal(err)
	}
	n, err := s.sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want 1 run failed", n, err)
	}
	got, _ := s.GetRun(ctx, runs[0].ID)
	other, _ := s.GetRun(ctx, runs[1].ID)
	if got.Status != store.RunFailed || !strings.Contains(got.Error, "final attempt") || other.Status != store.RunQueued {
		t.Errorf("after sweep: discarded run %s %q, other run %s", got.Status, got.Error, other.Status)
	}
}

// TestErrorsHideThePassword opens stores with URLs holding a password in every way that fails, and checks
// that no error text carries it.
func TestErrorsHideThePassword(t *testing.T) {
	const pw = "Sup3r-s3cret-pa55"
	urls := []string{
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?sslmode=disable&connect_timeout=2", // nothing listens
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?sslmode=bogus",
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?trama_schema=Bad-Name",
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?trama_job_timeout=soon",
		"postgres://trama:" + pw + "@[::1/trama",
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?%zz",
		"mysql://trama:" + pw + "@127.0.0.1/trama",
	}
	if u := os.Getenv("TRAMA_TEST_POSTGRES_URL"); u != "" {
		// A reachable server and a database that does not exist.
		if i := strings.Index(u, "@"); i > 0 && strings.HasPrefix(u, "postgres://") {
			host := u[i+1:]
			if j := strings.Index(host, "/"); j > 0 {
				urls = append(urls, "postgres://nosuchuser:"+pw+"@"+host[:j]+"/no_such_db?sslmode=disable")
			}
		}
	}
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := Open(ctx, u, Options{})
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("Open succeeded for a broken URL")
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprintf("%+v", err), pw) {
			t.Errorf("error text holds the password: %v", err)
		}
		if !strings.Contains(err.Error(), "postgres store") {
			t.Errorf("error does not say which store failed: %v", err)
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		schema  string
		timeout time.Duration
		rescue  time.Duration
		conn    string
		name    string
		wantErr string
	}{
		{url: "postgres://u:p@db:5432/trama?sslmode=require", conn: "postgres://u:p@db:5432/trama?sslmode=require", name: "db:5432/trama"},
		{url: "postgresql://u@db/trama?trama_schema=blue&trama_job_timeout=2m&trama_rescue_after=150s&pool_max_conns=4",
			schema: "blue", timeout: 2 * time.Minute, rescue: 150 * time.Second, conn: "postgresql://u@db/trama?pool_max_conns=4", name: "db/trama"},
		{url: "postgres:///trama?host=/run/postgresql", conn: "postgres:///trama?host=%2Frun%2Fpostgresql", name: "(local socket)/trama"},
		{url: "postgres://db/trama?trama_schema=Blue", wantErr: "trama_schema"},
		{url: "postgres://db/trama?trama_schema=a-drop", wantErr: "trama_schema"},
		{url: "postgres://db/trama?trama_job_timeout=-1s", wantErr: "trama_job_timeout"},
		{url: "sqlite:./trama.db", wantErr: "scheme"},
	}
	for _, tt := range tests {
		c, err := parseURL(tt.url, Options{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseURL(%q) error = %v, want one naming %s", tt.url, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.url, err)
			continue
		}
		if c.Options.Schema != tt.schema || c.Options.JobTimeout != tt.timeout || c.Options.RescueAfter != tt.rescue ||
			c.conn != tt.conn || c.Name != tt.name || c.poolSized != strings.Contains(tt.url, "pool_max_conns") {
			t.Errorf("parseURL(%q) = %+v", tt.url, c)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"postgres://u:p@db:5432/trama?sslmode=require",
		"postgresql://u@db/trama?trama_schema=blue&trama_job_timeout=2m",
		"postgres:///trama?host=/run/postgresql&trama_rescue_after=1h",
		"postgres://u:p@[::1]:5432/x?trama_schema=",
		"postgres://%zz@h/d",
		"",
	} {
		f.Add(s, "p@ss")
	}
	f.Fuzz(func(t *testing.T, raw, pw string) {
		c, err := parseURL(raw, Options{})
		if err != nil {
			// The password of a well-formed URL never reaches the error.
			if len(pw) >= 4 && strings.Contains(raw, ":"+pw+"@") && strings.Contains(err.Error(), pw) &&
				!strings.Contains(strings.ReplaceAll(raw, ":"+pw+"@", ""), pw) {
				t.Errorf("error %q holds the password", err)
			}
			return
		}
		if c.Options.Schema != "" && !schemaName.MatchString(c.Options.Schema) {
			t.Errorf("schema %q accepted", c.Options.Schema)
		}
		if strings.Contains(c.conn, "trama_") && strings.Contains(raw, "trama_schema=") {
			if _, err := parseURL(c.conn, Options{}); err != nil {
				t.Errorf("the URL given to pgx does not parse again: %v", err)
			}
		}
	})
}

func TestRiverLoggerDropsShutdownNoise(t *testing.T) {
	var buf strings.Builder
	l := riverLogger(slog.New(slog.NewTextHandler(&buf, nil)))
	l.Error("maintenance.PeriodicJobEnqueuer: Error starting transaction", "error", "context canceled")
	l.Error("producer: fetch failed", "err", fmt.Errorf("fetch: %w", context.Canceled))
	l.Info("client started")
	l.Error("producer: fetch failed", "err", "connection refused")
	if got := buf.String(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "connection refused") {
		t.Errorf("log = %q, want only the real error", got)
	}
}

// TestStrangeStrings stores what PostgreSQL text cannot hold as such (NUL, invalid UTF-8), which SQLite
// accepts: the acknowledgement must not fail, and the event stays findable by the uuid it came with.
func TestStrangeStrings(t *testing.T) {
	url := testURL(t)
	s := openTest(t, url, testOptions(newSchema(t, url)))
	ctx := context.Background()
	weird := "ab\x00cd\xff"
	d := store.NewDelivery{Hook: "okta\x00", EventID: "\x00", Source: "\xfe", Events: []store.NewEvent{
		{UUID: weird, Type: "user\x00.mfa", Payload: []byte(`{"uuid":"ab\u0000cd"}`)},
		{UUID: weird, Type: "user.mfa", Payload: []byte(`{}`)},
	}}
	res, err := s.IngestDelivery(ctx, d)
	if err != nil {
		t.Fatalf("IngestDelivery: %v", err)
	}
	if len(res.New) != 1 || res.New[0] != weird || len(res.Duplicates) != 1 {
		t.Errorf("result %+v, want the uuid new once and a duplicate", res)
	}
	e, err := s.GetEvent(ctx, weird)
	if err != nil || e.Type != "user\uFFFD.mfa" || string(e.Payload) != `{"uuid":"ab\u0000cd"}` {
		t.Errorf("GetEvent = %+v, %v", e, err)
	}
	again, err := s.IngestDelivery(ctx, d)
	if err != nil || len(again.New) != 0 {
		t.Errorf("redelivery = %+v, %v; want only duplicates", again, err)
	}
	runs, err := s.CreateRuns(ctx, weird, []store.NewRun{{Trigger: "t\x00", WorkflowFile: "f", WorkflowID: "w"}})
	if err != nil || len(runs) != 1 {
		t.Fatalf("CreateRuns = %v, %v", runs, err)
	}
	if err := s.SaveStep(ctx, store.Step{RunID: runs[0].ID, Seq: 1, StepID: "s\x00", Status: "failed", Error: "bad \x00 byte"}); err != nil {
		t.Errorf("SaveStep: %v", err)
	}
	if _, err := s.GetRun(ctx, "no\x00such"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRun of a NUL id: %v, want ErrNotFound", err)
	}
}

// FuzzIngest sends arbitrary strings through the acknowledgement path: it must never fail or panic for
// anything the receiver can hand it, and a uuid stored once is a duplicate the second time.
func FuzzIngest(f *testing.F) {
	url := os.Getenv("TRAMA_TEST_POSTGRES_URL")
	if url == "" {
		f.Skip("TRAMA_TEST_POSTGRES_URL is not set")
	}
	s := openTest(f, url, testOptions(newSchema(f, url)))
	f.Add("e766d84e-a0a8-11ed-a750-9f5fc296ce63", "user.mfa.factor.activate", "okta", "d-1")
	f.Add("a\x00b", "t\xff", "", "")
	f.Add("ünïcødé", "", "h", "\x00")
	f.Fuzz(func(t *testing.T, uuid, typ, hook, eventID string) {
		if uuid == "" {
			return // rejected by design, as on SQLite
		}
		ctx := context.Background()
		d := store.NewDelivery{Hook: hook, EventID: eventID, Headers: map[string][]string{hook: {eventID}},
			Events: []store.NewEvent{{UUID: uuid, Type: typ, Payload: []byte(`{}`)}}}
		if _, err := s.IngestDelivery(ctx, d); err != nil {
			t.Fatalf("IngestDelivery(%q, %q): %v", uuid, typ, err)
		}
		again, err := s.IngestDelivery(ctx, d)
		if err != nil || len(again.New) != 0 || len(again.Duplicates) != 1 {
			t.Fatalf("second IngestDelivery(%q) = %+v, %v; want a duplicate", uuid, again, err)
		}
		if _, err := s.GetEvent(ctx, uuid); err != nil {
			t.Fatalf("GetEvent(%q): %v", uuid, err)
		}
	})
}
