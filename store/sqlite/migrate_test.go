package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// TestMigrationReadsStoredUsers: events stored before the store kept their Okta user get it from their
// payload when the migration that adds it runs, so a user's history is found whatever its age.
func TestMigrationReadsStoredUsers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "trama.db")
	open := func() *store.Store { return openFile(t, path) }
	s := open()
	storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events("with-user")...))
	noTarget := storetest.Event("no-target", "user.session.start")
	noTarget.Payload = []byte(`{"uuid":"no-target","eventType":"user.session.start","target":null}`)
	storetest.Ingest(t, s, storetest.Delivery("d2", noTarget))
	s.Close()

	// Take the store back to the schema before the migration.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP INDEX events_user_id`, `DROP INDEX events_user_login`, `DROP INDEX runs_workflow`, `DROP INDEX events_skipped`,
		`ALTER TABLE events DROP COLUMN user_id`, `ALTER TABLE events DROP COLUMN user_login`,
		`DELETE FROM schema_migrations WHERE name LIKE '%event_user%'`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = open()
	defer s.Close()
	ev, err := s.GetEvent(ctx, "with-user")
	if err != nil || ev.User != (store.EventUser{ID: "00uann", Login: "ann@example.com"}) {
		t.Errorf("the migrated event's user = %+v, %v", ev.User, err)
	}
	if ev, err := s.GetEvent(ctx, "no-target"); err != nil || ev.User != (store.EventUser{}) {
		t.Errorf("an event without targets: %+v, %v", ev.User, err)
	}
	if evs, _, err := s.ListEvents(ctx, store.EventFilter{User: "ANN@example.com"}); err != nil || len(evs) != 1 {
		t.Errorf("events of the migrated user: %d, %v", len(evs), err)
	}
}

// TestMigrationKeepsPendingDispatches: when the store is upgraded, the events that wait for dispatch keep
// waiting in the queue table that now holds them (storetest.CheckUpgradedDispatches says with what).
func TestMigrationKeepsPendingDispatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trama.db")
	open := func() *store.Store { return openFile(t, path) }
	s := open()
	storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events(storetest.UpgradeEvents...)...))
	s.Close()

	// The schema before the queue table: the event's dispatched column and a table of holds.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]string{`DROP TABLE dispatch_queue`, `DELETE FROM schema_migrations WHERE name LIKE '%dispatch_queue%'`,
		`ALTER TABLE events ADD COLUMN dispatched INTEGER NOT NULL DEFAULT -1`,
		`CREATE INDEX events_pending ON events (seq) WHERE dispatched < replays`,
		`CREATE TABLE dispatch_holds (seq INTEGER PRIMARY KEY, until_at INTEGER NOT NULL, attempts INTEGER NOT NULL)`,
	}, storetest.UpgradeState...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = open()
	defer s.Close()
	storetest.CheckUpgradedDispatches(t, s)
}

// TestMigrationKeepsAttempts: runs claimed before a run kept its first attempt in its own row still show
// every attempt after the upgrade, once.
func TestMigrationKeepsAttempts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trama.db")
	s := openFile(t, path)
	runID, first, second := storetest.TakenOver(t, s)
	s.Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range storetest.FirstAttemptDowngrade {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = openFile(t, path)
	defer s.Close()
	storetest.CheckUpgradedAttempts(t, s, runID, first, second)
}

// openFile opens (and migrates) the SQLite store at path.
func openFile(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{}, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
