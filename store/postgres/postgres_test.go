package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/internal/testdb"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/postgres"
	"github.com/trama-dev/trama/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testURL is the database the tests use (see internal/pgtest); each test gets a schema of its own in it,
// dropped at the end.
func testURL(t testing.TB) string { return pgtest.URL(t) }

// testConns bounds each test store's pool: the suite runs its tests one after another, so it never holds
// more than a few connections of a server other clients share.
const testConns = 4

// newSchema returns a fresh schema name and drops the schema when the test ends.
func newSchema(t testing.TB, url string) string { return pgtest.Schema(t, url) }

func TestConformance(t *testing.T) { storetest.Run(t, testdb.Postgres(testURL(t))) }

func FuzzIngest(f *testing.F) {
	storetest.FuzzIngest(f, testdb.Postgres(testURL(f)))
}

// TestConcurrentMigrations starts several replicas on an empty schema at once: the advisory lock lets one
// migrate while the others wait, and all of them end up with a working store.
func TestConcurrentMigrations(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	const replicas = 4
	var wg sync.WaitGroup
	stores := make([]*store.Store, replicas)
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), url, postgres.Options{Schema: schema, MaxConns: 2}, store.Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
		defer stores[i].Close()
	}
	storetest.Ingest(t, stores[0], storetest.Delivery("d", storetest.Events("u1")...))
	if _, err := stores[replicas-1].GetEvent(context.Background(), "u1"); err != nil {
		t.Errorf("another replica does not see the event: %v", err)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	files, _ := filepath.Glob("migrations/*.sql")
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM `+schema+`.schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("schema_migrations rows = %d, %v; want one per migration, %d", n, err, len(files))
	}
}

// TestReplicasShareIngest ingests overlapping deliveries through several stores at once: every uuid is
// new exactly once across all of them, and no acknowledgement fails on a deadlock.
func TestReplicasShareIngest(t *testing.T) {
	url := testURL(t)
	newDriver := testdb.Postgres(url)
	stores := []*store.Store{storetest.Open(t, newDriver), storetest.Open(t, newDriver), storetest.Open(t, newDriver)}
	var mu sync.Mutex
	newCount := map[string]int{}
	var wg sync.WaitGroup
	for r, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 60 {
				var uuids []string
				// Each delivery overlaps the others' in reverse order, the worst case for lock order.
				for j := range 5 {
					k := (i + j) % 40
					if r%2 == 1 {
						k = 39 - k
					}
					uuids = append(uuids, fmt.Sprintf("ev-%02d", k))
				}
				res, err := s.IngestDelivery(context.Background(), storetest.Delivery("", storetest.Events(uuids...)...))
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

// TestErrorsHideThePassword opens stores with URLs holding a password in every way that fails, and checks
// that no error text carries it.
func TestErrorsHideThePassword(t *testing.T) {
	const pw = "Sup3r-s3cret-pa55"
	urls := []string{
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?sslmode=disable&connect_timeout=2", // nothing listens
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?sslmode=bogus",
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?trama_schema=Bad-Name",
		"postgres://trama:" + pw + "@127.0.0.1:1/trama?trama_rescue_after=soon",
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
		s, err := postgres.Open(ctx, u, postgres.Options{}, store.Options{})
		cancel()
		if err == nil {
			s.Close()
			t.Errorf("Open succeeded for a broken URL")
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(fmt.Sprintf("%+v", err), pw) {
			t.Errorf("error text holds the password: %v", err)
		}
		if !strings.Contains(err.Error(), "postgres store") && !strings.Contains(err.Error(), "store 127.0.0.1:1/trama") &&
			!strings.Contains(err.Error(), "/no_such_db") {
			t.Errorf("error does not say which store failed: %v", err)
		}
	}
}

// BenchmarkIngestBatch50 measures acknowledging deliveries of 50 events each.
func BenchmarkIngestBatch50(b *testing.B) {
	storetest.BenchIngest(b, testdb.Postgres(testURL(b)), 50, false)
}

// TestMigrationReadsStoredUsers: events stored before the store kept their Okta user get it from their
// payload when the migration that adds it runs.
func TestMigrationReadsStoredUsers(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)
	open := func() *store.Store {
		s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 2}, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("with-user")...))
	noTarget := storetest.Event("no-target", "user.session.start")
	noTarget.Payload = []byte(`{"uuid":"no-target","eventType":"user.session.start","target":{"type":"User"}}`)
	storetest.Ingest(t, s, storetest.Delivery("d2", noTarget))
	s.Close()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX events_user_id`, `DROP INDEX events_user_login`, `DROP INDEX runs_workflow`, `DROP INDEX events_skipped`,
		`ALTER TABLE events DROP COLUMN user_id, DROP COLUMN user_login`,
		`DELETE FROM schema_migrations WHERE name LIKE '%event_user%'`} {
		if _, err := conn.Exec(ctx, `SET search_path TO `+schema+`; `+q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close(ctx)

	s = open()
	defer s.Close()
	ev, err := s.GetEvent(ctx, "with-user")
	if err != nil || ev.User != (store.EventUser{ID: "00uann", Login: "ann@example.com"}) {
		t.Errorf("the migrated event's user = %+v, %v", ev.User, err)
	}
	if ev, err := s.GetEvent(ctx, "no-target"); err != nil || ev.User != (store.EventUser{}) {
		t.Errorf("an event whose target is not a list: %+v, %v", ev.User, err)
	}
}

// TestClaimReadsOnlyWhatItClaims builds the case where PostgreSQL's planner misjudges the queue: a new
// database (no statistics) whose claim statement was planned, and its plan cached, while the queue was
// short. Claims must still walk the queue's index in order and stop at what they claim, rather than read
// and sort every ready run (which made each claim under a backlog of 20 000 runs cost 14 ms). Two fixes
// keep them so, and either alone suffices today: the clock read once as an index bound (readNow) and
// the queue's plan settings (Dialect.QueuePlan); with both removed the claims read 6 110 entries.
func TestClaimReadsOnlyWhatItClaims(t *testing.T) {
	ctx := context.Background()
	s, url, schema := openOneConn(t)
	// A short queue while the claim is planned: PostgreSQL caches a generic plan after five executions.
	storetest.Ingest(t, s, storetest.Delivery("short", storetest.Events(names("short", 10)...)...))
	storetest.DispatchAll(t, s, "welcome")
	for range 8 {
		storetest.ClaimOne(t, s, "worker", time.Minute)
	}
	// A backlog: 40 events × 50 triggers.
	storetest.Ingest(t, s, storetest.Delivery("long", storetest.Events(names("long", 40)...)...))
	backlog := len(storetest.DispatchAll(t, s, names("trigger", 50)...))
	for range 3 {
		cs, err := s.ClaimRuns(ctx, "worker", 10, time.Minute)
		if err != nil || len(cs) != 10 {
			t.Fatalf("ClaimRuns(10) = %d runs, %v; want 10 of the %d queued", len(cs), err, backlog)
		}
	}
	s.Close()
	// The 11 claims took 38 runs; passing over those claimed before costs a few entries more.
	if read := indexReads(t, url, schema, "runs_ready", 38); read > 200 {
		t.Errorf("11 claims read %d entries of the queue's index to claim 38 runs from a queue of %d: a claim read the whole queue", read, backlog)
	}
}

// TestFinishesLookRunsUpByKey builds the case where PostgreSQL's planner would finish a batch of runs
// by reading every run marked running since the last vacuum: a finish planned while few runs were
// running, executed once many are.
func TestFinishesLookRunsUpByKey(t *testing.T) {
	ctx := context.Background()
	s, url, schema := openOneConn(t)
	storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events(names("ev", 40)...)...))
	storetest.DispatchAll(t, s, names("trigger", 50)...)
	claim := func(n int) []store.Claim {
		cs, err := s.ClaimRuns(ctx, "worker", n, time.Minute)
		if err != nil || len(cs) != n {
			t.Fatalf("ClaimRuns(%d) = %d runs, %v", n, len(cs), err)
		}
		return cs
	}
	finish := func(cs []store.Claim) {
		fs := make([]store.Finish, len(cs))
		for i, c := range cs {
			fs[i] = store.Finish{Lease: c.Lease, Result: store.RunResult{Status: store.RunSucceeded}}
		}
		errs, err := s.FinishRuns(ctx, fs)
		if err == nil {
			err = errors.Join(errs...)
		}
		if err != nil {
			t.Fatalf("FinishRuns(%d): %v", len(fs), err)
		}
	}
	// Batches of 20 while few runs are running: PostgreSQL caches a generic plan after five executions.
	for range 7 {
		finish(claim(20))
	}
	// Then 1 000 running, and a batch of them finishes.
	running := claim(1000)
	finish(running[:20])
	s.Close()
	// Updated: 1 140 runs claimed, 160 finished.
	if read := indexReads(t, url, schema, "runs_status", 1300); read > 400 {
		t.Errorf("8 finishes of 20 runs read %d entries of the index of runs by status: a finish read every running run", read)
	}
}

// TestDispatchesLookEventsUpByKey builds the case where PostgreSQL's planner would record a batch of
// dispatches by reading every event: the statement planned while the inbox held a few events, executed
// once it holds thousands.
func TestDispatchesLookEventsUpByKey(t *testing.T) {
	ctx := context.Background()
	s, url, schema := openOneConn(t)
	dispatch := func() {
		ds, err := s.ClaimDispatches(ctx, 4, time.Minute)
		if err != nil || len(ds) != 4 {
			t.Fatalf("ClaimDispatches(4) = %d events, %v", len(ds), err)
		}
		uuids := make([]string, len(ds))
		os := make([]store.Outcome, len(ds))
		for i, d := range ds {
			uuids[i] = d.UUID
			os[i] = store.Outcome{Runs: []store.NewRun{storetest.NewRun("welcome", d.From)}}
		}
		// As the worker does: the events' cards, with their deliveries.
		if cs, err := s.CardSources(ctx, uuids); err != nil || len(cs) != len(uuids) {
			t.Fatalf("CardSources = %d events, %v", len(cs), err)
		}
		if _, err := s.CompleteDispatches(ctx, ds, os); err != nil {
			t.Fatalf("CompleteDispatches: %v", err)
		}
	}
	// Batches of four while the inbox is short: PostgreSQL caches a generic plan after five executions.
	for i := range 8 {
		storetest.Ingest(t, s, storetest.Delivery(fmt.Sprint("short-", i), storetest.Events(names(fmt.Sprint("short-", i), 4)...)...))
		dispatch()
	}
	// Then 2 000 events in 400 deliveries, and five more batches.
	for i := range 400 {
		storetest.Ingest(t, s, storetest.Delivery(fmt.Sprint("long-", i), storetest.Events(names(fmt.Sprint("long-", i), 5)...)...))
	}
	for range 5 {
		dispatch()
	}
	s.Close()
	var events, deliveries, queue int64
	settledStats(t, url, schema, "dispatch_queue", 52, `SELECT
		(SELECT seq_tup_read FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'events'),
		(SELECT seq_tup_read FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'deliveries'),
		(SELECT seq_tup_read FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'dispatch_queue')`, nil, &events, &deliveries, &queue)
	if events > 200 || deliveries > 200 || queue > 200 {
		t.Errorf("13 dispatches of 4 events read %d events, %d deliveries and %d queued events in sequential scans: a dispatch read the whole inbox",
			events, deliveries, queue)
	}
}

// openOneConn opens a store on a new schema with a single connection, so that every statement runs as
// that connection prepared it the first time. The store is closed at the end of the test at the latest.
func openOneConn(t *testing.T) (s *store.Store, url, schema string) {
	t.Helper()
	url = testURL(t)
	schema = newSchema(t, url)
	// No look for lapsed leases after the first claim: it reads every running run's entry in runs_status,
	// and the finished runs' too while another session's snapshot keeps them (go test runs other
	// packages' tests against the same server). On a slow run, a look every second between the claims
	// read more than the finishes these tests count.
	s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: schema, MaxConns: 1},
		store.Options{LapsedLeaseCheck: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, url, schema
}

// names returns n names: prefix-0000, prefix-0001 and so on.
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return out
}

// indexReads returns how many entries of index the schema's tests read, once the statistics show at
// least updates rows of runs updated.
func indexReads(t *testing.T, url, schema, index string, updates int64) int64 {
	t.Helper()
	var read int64
	settledStats(t, url, schema, "runs", updates, `SELECT coalesce((SELECT idx_tup_read FROM pg_stat_user_indexes
		WHERE schemaname = $1 AND indexrelname = $2), 0)`, []any{index}, &read)
	return read
}

// settledStats waits until the statistics show at least updates rows of table updated, then scans the
// row of query (which takes the schema as $1, then args) into dst. A backend reports all its statistics
// together, when it exits at the latest, so the store must be closed first.
func settledStats(t *testing.T, url, schema, table string, updates int64, query string, args []any, dst ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var updated int64
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT coalesce((SELECT n_tup_upd FROM pg_stat_user_tables
			WHERE schemaname = $1 AND relname = $2), 0)`, schema, table).Scan(&updated); err != nil {
			t.Fatal(err)
		}
		if updated >= updates || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if updated < updates {
		t.Fatalf("the statistics show %d rows of %s updated, want at least %d: the store's backend never reported them", updated, table, updates)
	}
	if err := conn.QueryRow(ctx, query, append([]any{schema}, args...)...).Scan(dst...); err != nil {
		t.Fatal(err)
	}
}

// TestSessionsCompileNoQueries checks that trama's sessions have JIT compilation off unless the URL turns
// it on (see Driver.Open).
func TestSessionsCompileNoQueries(t *testing.T) {
	url := testURL(t)
	schema := newSchema(t, url)
	for _, tc := range []struct{ extra, want string }{{"", "off"}, {"jit=on", "on"}} {
		u := url
		if tc.extra != "" {
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			u += sep + tc.extra
		}
		d, err := postgres.New(u, postgres.Options{Schema: schema, MaxConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		db, _, err := d.Open(context.Background(), store.OpenCreate)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = db.QueryRowContext(context.Background(), `SHOW jit`).Scan(&jit)
		db.Close()
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		if jit != tc.want {
			t.Errorf("URL with %q: jit = %s, want %s", tc.extra, jit, tc.want)
		}
	}
}
