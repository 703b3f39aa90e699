// Package testdb gives tests above the store a database of each kind: SQLite in a temporary directory
// and PostgreSQL through internal/pgtest (a schema per test), so that the queue, the workers and the
// server are tested on both drivers, as the store's own conformance suite is.
package testdb

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/trama-dev/trama/internal/pgtest"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/postgres"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

// PostgresConns bounds each test store's pool on the shared server.
const PostgresConns = 4

// Each runs f once per driver, as subtests named "sqlite" and "postgres". The PostgreSQL subtest needs
// the package's TestMain to call pgtest.Main.
func Each(t *testing.T, f func(t *testing.T, newDriver storetest.NewDriver)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite()) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(pgtest.URL(t))) })
}

// SQLite returns a NewDriver with one database file per test.
func SQLite() storetest.NewDriver {
	var mu sync.Mutex
	dirs := map[testing.TB]string{}
	return func(t testing.TB) store.Driver {
		mu.Lock()
		defer mu.Unlock()
		d, ok := dirs[t]
		if !ok {
			d = t.TempDir()
			dirs[t] = d
		}
		return sqlite.New(filepath.Join(d, "trama.db"), sqlite.Options{})
	}
}

// Postgres returns a NewDriver with one schema per test in the database at url.
func Postgres(url string) storetest.NewDriver {
	var mu sync.Mutex
	schemas := map[testing.TB]string{}
	return func(t testing.TB) store.Driver {
		mu.Lock()
		schema, ok := schemas[t]
		if !ok {
			schema = pgtest.Schema(t, url)
			schemas[t] = schema
		}
		mu.Unlock()
		d, err := postgres.New(url, postgres.Options{Schema: schema, MaxConns: PostgresConns})
		if err != nil {
			t.Fatalf("postgres.New: %v", err)
		}
		return d
	}
}
