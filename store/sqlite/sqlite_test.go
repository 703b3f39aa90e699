package sqlite_test

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"testing"

	"github.com/trama-dev/trama/internal/testdb"
	"github.com/trama-dev/trama/store"
	"github.com/trama-dev/trama/store/sqlite"
	"github.com/trama-dev/trama/store/storetest"
)

func TestConformance(t *testing.T) { storetest.Run(t, testdb.SQLite()) }

func FuzzIngest(f *testing.F) { storetest.FuzzIngest(f, testdb.SQLite()) }

// BenchmarkIngestSingle measures acknowledging deliveries of one event each.
func BenchmarkIngestSingle(b *testing.B) { storetest.BenchIngest(b, testdb.SQLite(), 1, false) }

// BenchmarkIngestBatch50 measures acknowledging deliveries of 50 events each (Okta's batching under load).
func BenchmarkIngestBatch50(b *testing.B) { storetest.BenchIngest(b, testdb.SQLite(), 50, false) }

// BenchmarkIngestBatch50WhileReading measures acknowledgement while a client pages through history (the
// read pool runs beside the single writer in WAL mode, so reads cost CPU, not locks).
func BenchmarkIngestBatch50WhileReading(b *testing.B) {
	storetest.BenchIngest(b, testdb.SQLite(), 50, true)
}

// TestConnectionSettings checks the settings every connection is opened with (see common): a writer
// that waited for busy_timeout or journalled statements to disk would be slower, and one without
// foreign keys or WAL would be wrong.
func TestConnectionSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "trama.db")
	write, read, err := sqlite.New(path, sqlite.Options{}).Open(ctx, store.OpenCreate)
	if err != nil {
		t.Fatal(err)
	}
	defer write.Close()
	defer read.Close()
	common := map[string]string{"journal_mode": "wal", "synchronous": "1", "foreign_keys": "1",
		"busy_timeout": "10000", "cache_size": "-16000"}
	for name, db := range map[string]*sql.DB{"write": write, "read": read} {
		want := maps.Clone(common)
		// Statement journals in memory on the writer; a reader's large sort still spills to a file.
		want["temp_store"] = map[string]string{"write": "2", "read": "0"}[name]
		for pragma, v := range want {
			var got string
			if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s connection: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s connection: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
	}
}
