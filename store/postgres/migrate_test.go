package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/postgres"
	"github.com/trama-dev/trama/store/storetest"
)

// TestMigrationKeepsPendingDispatches: when the store is upgraded, the events that wait for dispatch keep
// waiting in the queue table that now holds them (storetest.CheckUpgradedDispatches says with what).
func TestMigrationKeepsPendingDispatches(t *testing.T) {
	s := upgraded(t, func(s *store.Store) {
		storetest.Ingest(t, s, storetest.Delivery("d", storetest.Events(storetest.UpgradeEvents...)...))
	},
		// The schema before the queue table: the event's dispatched column and a table of holds.
		append([]string{`DROP TABLE dispatch_queue`, `DELETE FROM schema_migrations WHERE name LIKE '%dispatch_queue%'`,
			`ALTER TABLE events ADD COLUMN dispatched integer NOT NULL DEFAULT -1`,
			`CREATE INDEX events_pending ON events (seq) WHERE dispatched < replays`,
			`CREATE TABLE dispatch_holds (seq bigint PRIMARY KEY, until_at bigint NOT NULL, attempts integer NOT NULL)`,
		}, storetest.UpgradeState...))
	storetest.CheckUpgradedDispatches(t, s)
}

// TestMigrationKeepsAttempts: runs claimed before a run kept its first attempt in its own row still show
// every attempt after the upgrade, once.
func TestMigrationKeepsAttempts(t *testing.T) {
	var runID string
	var first, second store.Lease
	s := upgraded(t, func(s *store.Store) { runID, first, second = storetest.TakenOver(t, s) },
		storetest.FirstAttemptDowngrade)
	storetest.CheckUpgradedAttempts(t, s, runID, first, second)
}

// upgraded opens a store in a schema of its own, lets fill write to it, closes it, takes the schema back
// to an older version with the statements downgrade, and returns the store opened again (and so
// migrated), closed when the test ends.
func upgraded(t *testing.T, fill func(*store.Store), downgrade []string) *store.Store {
	t.Helper()
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)
	open := func() *store.Store {
		s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: testConns}, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	fill(s)
	s.Close()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range append([]string{`SET search_path = ` + pgx.Identifier{schema}.Sanitize()}, downgrade...) {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s = open()
	t.Cleanup(func() { s.Close() })
	return s
}
